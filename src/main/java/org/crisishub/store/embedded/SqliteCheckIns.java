package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.update;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;
import org.crisishub.domain.Location;
import org.crisishub.domain.Status;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.CheckInLog} on the embedded store: tables {@code people} (each person's
 * last {@code seq}), {@code checkins} and {@code idempotency}. A check-in is one operation of the
 * writer ({@link SqliteStore#write}): its follower SMS ({@link SqliteOutbox#enqueue}) and help
 * requests ({@link SqliteHelp#file}) are written in the same transaction. Thread-safe.
 */
final class SqliteCheckIns implements org.crisishub.store.CheckInLog {
  private final SqliteStore store;
  private static final long IDEMPOTENCY_WINDOW_MS = SqliteStore.IDEMPOTENCY_WINDOW_MS;
  /**
   * Check-in ids are UUIDv7: time-ordered, so a new check-in's id lands at the end of the primary
   * key's index instead of on a random page of it (random v4 ids made every insert read and dirty
   * another index page once the table outgrew the page cache).
   */
  private static final com.fasterxml.uuid.impl.TimeBasedEpochGenerator CHECKIN_IDS =
      com.fasterxml.uuid.Generators.timeBasedEpochGenerator();
  /** The columns of a check-in row, in the order {@link #checkIn} and the insert use. */
  static final String CHECKIN_COLUMNS =
      "id, phone, seq, status, note, lat, lon, accuracy_m, incident, channel, at_ms, notified, made_ms, late";

  SqliteCheckIns(SqliteStore store) {
    this.store = store;
  }

  @Override
  public Future<CheckInResult> recordCheckIn(CheckInRequest req, Instant now) {
    return store.write(c -> {
      long nowMs = now.toEpochMilli();
      if (req.key() != null) {
        try (Stmt st = prepare(c,
            "SELECT c." + CHECKIN_COLUMNS.replace(", ", ", c.")
                + " FROM idempotency i JOIN checkins c ON c.id = i.checkin_id"
                + " WHERE i.phone = ? AND i.key = ? AND i.at_ms > ?")) {
          PreparedStatement ps = st.ps();
          ps.setString(1, req.phone());
          ps.setString(2, req.key());
          ps.setLong(3, nowMs - IDEMPOTENCY_WINDOW_MS);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              return new CheckInResult(checkIn(rs), rs.getInt("notified"), List.of(), true, List.of());
            }
          }
        }
      }
      // The person's next seq in one statement (undone with the rest if the check-in fails).
      long seq;
      try (Stmt st = prepare(c, "INSERT INTO people (phone, last_seq) VALUES (?, 1)"
          + " ON CONFLICT (phone) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, req.phone());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          seq = rs.getLong(1);
        }
      }
      List<Follow> recipients = SqliteFollows.activeFollowers(c, req.phone());
      long[] status = store.statusTimes.latest(c, req.phone());
      Instant time = req.madeAt() != null ? req.madeAt() : now;
      // Two check-ins both timed by the hub are ordered by seq (commit order), not by their
      // millisecond stamps: concurrent requests may reach the writer out of arrival order.
      boolean late = status != null && time.isBefore(Instant.ofEpochMilli(status[0]))
          && (req.madeAt() != null || status[1] != 0);
      CheckIn ci = new CheckIn(CHECKIN_IDS.generate().toString(), req.phone(), req.status(), req.note(),
          req.location(), req.incident(), req.channel(), now, seq, req.madeAt(), late);
      try (Stmt st = prepare(c,
          "INSERT INTO checkins (" + CHECKIN_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, ci.id());
        ps.setString(2, ci.phone());
        ps.setLong(3, seq);
        ps.setString(4, ci.status().wire());
        ps.setString(5, ci.note());
        Location loc = ci.location();
        setDouble(ps, 6, loc == null ? null : loc.lat());
        setDouble(ps, 7, loc == null ? null : loc.lon());
        setDouble(ps, 8, loc == null ? null : loc.accuracyM());
        ps.setString(9, ci.incident());
        ps.setString(10, ci.channel().wire());
        ps.setLong(11, nowMs);
        ps.setInt(12, recipients.size());
        if (ci.madeAt() == null) {
          ps.setNull(13, Types.INTEGER);
        } else {
          ps.setLong(13, ci.madeAt().toEpochMilli());
        }
        ps.setInt(14, late ? 1 : 0);
        ps.executeUpdate();
      }
      if (req.key() != null) {
        update(c, "INSERT OR REPLACE INTO idempotency (phone, key, checkin_id, at_ms) VALUES (?,?,?,?)",
            ci.phone(), req.key(), ci.id(), nowMs);
      }
      for (Follow f : recipients) {
        // A late check-in is not the person's status: texting it would tell followers something older.
        // The row holds the subject and seq; the sender renders the text (with the label of then).
        if (f.sms() && !late && !SqliteOutbox.enqueueStatus(c, f.follower(), ci.phone(), seq, nowMs)) {
          store.optedOutWithheld(1);
        }
      }
      List<String> help = org.crisishub.domain.HelpMatching.seeksHelp(ci.status()) ? SqliteHelp.file(c, ci, nowMs) : List.of();
      CheckInResult result = new CheckInResult(ci, recipients.size(), recipients, false, help,
          SqliteTriage.stamps(c, help));
      if (!late) {
        // Last, so an operation that fails (and is undone) never leaves its time here.
        store.statusTimes.recorded(ci.phone(), time.toEpochMilli(), req.madeAt() != null);
      }
      return result;
    });
  }

  private static void setDouble(PreparedStatement ps, int i, Double v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.REAL);
    } else {
      ps.setDouble(i, v);
    }
  }

  private static Double getDouble(ResultSet rs, String col) throws SQLException {
    double v = rs.getDouble(col);
    return rs.wasNull() ? null : v;
  }

  static CheckIn checkIn(ResultSet rs) throws SQLException {
    Double lat = getDouble(rs, "lat");
    Location loc = lat == null ? null : new Location(lat, rs.getDouble("lon"), getDouble(rs, "accuracy_m"));
    return new CheckIn(rs.getString("id"), rs.getString("phone"), Status.parse(rs.getString("status")),
        rs.getString("note"), loc, rs.getString("incident"), Channel.fromWire(rs.getString("channel")),
        Instant.ofEpochMilli(rs.getLong("at_ms")), rs.getLong("seq"), madeAt(rs), rs.getInt("late") == 1);
  }

  private static Instant madeAt(ResultSet rs) throws SQLException {
    long ms = rs.getLong("made_ms");
    return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
  }

  @Override
  public Future<Optional<CheckIn>> latest(String phone) {
    return store.read(c -> Optional.ofNullable(latest(c, phone)));
  }

  static CheckIn latest(Connection c, String phone) throws SQLException {
    try (Stmt st = prepare(c,
        "SELECT " + CHECKIN_COLUMNS + " FROM checkins WHERE phone = ? AND late = 0 ORDER BY seq DESC LIMIT 1")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, phone);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? checkIn(rs) : null;
      }
    }
  }

  @Override
  public Future<List<CheckIn>> latestOf(Collection<String> phones) {
    List<String> copy = List.copyOf(phones);
    return store.read(c -> {
      List<CheckIn> out = new ArrayList<>(copy.size());
      for (String p : copy) {
        CheckIn ci = latest(c, p);
        if (ci != null) {
          out.add(ci);
        }
      }
      return out;
    });
  }

  @Override
  public Future<Optional<CheckIn>> checkIn(String phone, long seq) {
    return store.read(c -> {
      try (Stmt st = prepare(c, "SELECT " + CHECKIN_COLUMNS + " FROM checkins WHERE phone = ? AND seq = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        ps.setLong(2, seq);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(checkIn(rs)) : Optional.<CheckIn>empty();
        }
      }
    });
  }

  @Override
  public Future<List<CheckIn>> history(String phone, long afterSeq, int limit) {
    return store.read(c -> {
      try (Stmt st = prepare(c,
          "SELECT " + CHECKIN_COLUMNS + " FROM checkins WHERE phone = ? AND seq > ? ORDER BY seq LIMIT ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        ps.setLong(2, afterSeq);
        ps.setInt(3, limit);
        List<CheckIn> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(checkIn(rs));
          }
        }
        return out;
      }
    });
  }

}
