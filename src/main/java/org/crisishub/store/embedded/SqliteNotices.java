package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.strings;
import static org.crisishub.store.embedded.SqliteStore.update;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.NoticeBoard} on the embedded store: tables {@code notices} and
 * {@code agency_keys}. A publication, the referenced notice's new state and its SMS fan-out
 * ({@link SqliteOutbox#enqueue}) are one operation of the writer. Thread-safe.
 */
final class SqliteNotices implements org.crisishub.store.NoticeBoard {
  private final SqliteStore store;

  SqliteNotices(SqliteStore store) {
    this.store = store;
  }

  private static List<AgencyKey> keys(Connection c, String where, Object... args) throws SQLException {
    try (Stmt st = prepare(c,
        "SELECT kid, agency, private_pkcs8, public_spki, active, created_ms FROM agency_keys " + where)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<AgencyKey> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AgencyKey(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getBytes(4), rs.getInt(5) != 0,
              Instant.ofEpochMilli(rs.getLong(6))));
        }
      }
      return out;
    }
  }

  private static void insertKey(Connection c, AgencyKey k) throws SQLException {
    update(c, "UPDATE agency_keys SET active = 0 WHERE agency = ?", k.agency());
    update(c, "INSERT INTO agency_keys (kid, agency, private_pkcs8, public_spki, active, created_ms)"
        + " VALUES (?,?,?,?,1,?)",
        k.kid(), k.agency(), k.privatePkcs8(), k.publicSpki(), k.createdAt().toEpochMilli());
  }

  @Override
  public Future<AgencyKey> activeKey(String agency, java.util.function.Supplier<AgencyKey> generate) {
    return store.write(c -> {
      List<AgencyKey> active = keys(c, "WHERE agency = ? AND active = 1", agency);
      if (!active.isEmpty()) {
        return active.get(0);
      }
      AgencyKey k = generate.get();
      insertKey(c, k);
      return k;
    });
  }

  @Override
  public Future<AgencyKey> rotateKey(AgencyKey fresh) {
    return store.write(c -> {
      insertKey(c, fresh);
      return fresh;
    });
  }

  @Override
  public Future<List<AgencyKey>> keys() {
    return store.read(c -> keys(c, "ORDER BY agency, created_ms"));
  }

  private static final String NOTICE_COLUMNS = "id, incident, author, agency, state, approved_by, draft_json,"
      + " signed_json, expires_ms, created_ms, published_ms";

  private static List<NoticeRecord> notices(Connection c, String where, Object... args) throws SQLException {
    try (Stmt st = prepare(c, "SELECT " + NOTICE_COLUMNS + " FROM notices " + where)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<NoticeRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long exp = rs.getLong(9);
          boolean noExp = rs.wasNull();
          long pub = rs.getLong(11);
          boolean noPub = rs.wasNull();
          out.add(new NoticeRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              rs.getString(6), rs.getString(7), rs.getString(8), noExp ? null : Instant.ofEpochMilli(exp),
              Instant.ofEpochMilli(rs.getLong(10)), noPub ? null : Instant.ofEpochMilli(pub)));
        }
      }
      return out;
    }
  }

  @Override
  public Future<Void> insertNotice(NoticeRecord n) {
    return store.write(c -> {
      try (Stmt st = prepare(c,
          "INSERT INTO notices (" + NOTICE_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, n.id());
        ps.setString(2, n.incident());
        ps.setString(3, n.author());
        ps.setString(4, n.agency());
        ps.setString(5, n.state());
        ps.setString(6, n.approvedBy());
        ps.setString(7, n.draftJson());
        ps.setString(8, n.signedJson());
        ps.setObject(9, n.expires() == null ? null : n.expires().toEpochMilli());
        ps.setLong(10, n.createdAt().toEpochMilli());
        ps.setObject(11, n.publishedAt() == null ? null : n.publishedAt().toEpochMilli());
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Future<Optional<NoticeRecord>> notice(String id) {
    return store.read(c -> notices(c, "WHERE id = ?", id).stream().findFirst());
  }

  @Override
  public Future<List<NoticeRecord>> notices(String incident, String state) {
    return store.read(c -> {
      StringBuilder where = new StringBuilder("WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      if (incident != null) {
        where.append(" AND incident = ?");
        args.add(incident);
      }
      if (state != null) {
        where.append(" AND state = ?");
        args.add(state);
      }
      where.append(" ORDER BY COALESCE(published_ms, created_ms) DESC, created_ms DESC, id");
      return notices(c, where.toString(), args.toArray());
    });
  }

  @Override
  public Future<Boolean> approveNotice(String id, String approver, Instant now) {
    return store.write(c -> {
      return update(c, "UPDATE notices SET state = 'approved', approved_by = ? WHERE id = ? AND state = 'draft'",
          approver, id) > 0;
    });
  }

  @Override
  public Future<Boolean> publishNotice(String id, Set<String> fromStates, String signedJson, Instant publishedAt,
      String referencesId, String referencedState, String smsBody) {
    return store.write(c -> {
      List<NoticeRecord> current = notices(c, "WHERE id = ?", id);
      if (current.isEmpty() || !fromStates.contains(current.get(0).state())) {
        return false;
      }
      update(c, "UPDATE notices SET state = 'published', signed_json = ?, published_ms = ? WHERE id = ?",
          signedJson, publishedAt.toEpochMilli(), id);
      if (referencesId != null) {
        update(c, "UPDATE notices SET state = ? WHERE id = ? AND state = 'published'", referencedState, referencesId);
      }
      if (smsBody != null) {
        for (String p : strings(c, "SELECT phone FROM incident_sms WHERE incident = ?", current.get(0).incident())) {
          if (!SqliteOutbox.enqueue(c, p, org.crisishub.domain.SmsKeys.notice(id), null, smsBody, publishedAt.toEpochMilli())) {
            store.optedOutWithheld(1);
          }
        }
      }
      return true;
    });
  }

}
