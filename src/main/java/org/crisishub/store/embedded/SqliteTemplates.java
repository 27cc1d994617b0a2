package org.crisishub.store.embedded;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.store.TemplateStore;

/**
 * {@link TemplateStore} on the embedded store: tables {@code templates} (version pointers) and
 * {@code template_versions}; every change runs on {@link SqliteStore}'s writer, so a new version and
 * the pointer that names it commit together. Thread-safe.
 */
public final class SqliteTemplates implements TemplateStore {
  private final SqliteStore store;

  public SqliteTemplates(SqliteStore store) {
    this.store = store;
  }

  private static Instant instant(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  private static List<Template> templates(Connection c, String where, String arg) throws SQLException {
    try (SqliteStore.Stmt st = SqliteStore.prepare(c,
        "SELECT id, agency, created_ms, latest, approved FROM templates " + where)) {
      PreparedStatement ps = st.ps();
      ps.setString(1, arg);
      List<Template> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int approved = rs.getInt("approved");
          Integer a = rs.wasNull() ? null : approved;
          out.add(new Template(rs.getString("id"), rs.getString("agency"), instant(rs, "created_ms"),
              rs.getInt("latest"), a));
        }
      }
      return out;
    }
  }

  @Override
  public Future<Void> createTemplate(Template t, Version first) {
    return store.write(c -> {
      SqliteStore.update(c, "INSERT INTO templates (id, agency, created_ms, latest, approved) VALUES (?,?,?,1,NULL)",
          t.id(), t.agency(), t.createdAt().toEpochMilli());
      SqliteStore.update(c, "INSERT INTO template_versions (template_id, version, author, content, state, created_ms)"
          + " VALUES (?,1,?,?,'draft',?)", t.id(), first.author(), first.contentJson(), first.createdAt().toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Optional<Template>> template(String id) {
    return store.read(c -> templates(c, "WHERE id = ?", id).stream().findFirst());
  }

  @Override
  public Future<List<Template>> templates(String agency) {
    return store.read(c -> templates(c, "WHERE agency = ?", agency));
  }

  @Override
  public Future<Optional<Version>> version(String id, int version) {
    return store.read(c -> {
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT author, content, state, approved_by, created_ms,"
          + " approved_ms FROM template_versions WHERE template_id = ? AND version = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, id);
        ps.setInt(2, version);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.<Version>empty();
          }
          return Optional.of(new Version(id, version, rs.getString("author"), rs.getString("content"),
              rs.getString("state"), rs.getString("approved_by"), instant(rs, "created_ms"),
              instant(rs, "approved_ms")));
        }
      }
    });
  }

  @Override
  public Future<Optional<Integer>> addVersion(String id, String author, String contentJson, Instant now) {
    return store.write(c -> {
      List<Template> t = templates(c, "WHERE id = ?", id);
      if (t.isEmpty()) {
        return Optional.<Integer>empty();
      }
      int v = t.get(0).latestVersion() + 1;
      SqliteStore.update(c, "INSERT INTO template_versions (template_id, version, author, content, state, created_ms)"
          + " VALUES (?,?,?,?,'draft',?)", id, v, author, contentJson, now.toEpochMilli());
      SqliteStore.update(c, "UPDATE templates SET latest = ? WHERE id = ?", v, id);
      return Optional.of(v);
    });
  }

  @Override
  public Future<Boolean> approveVersion(String id, int version, String approver, Instant now) {
    return store.write(c -> {
      // Only the latest version, and only while it is a draft: both read inside this write.
      if (SqliteStore.update(c, "UPDATE template_versions SET state = 'approved', approved_by = ?, approved_ms = ?"
          + " WHERE template_id = ? AND version = ? AND state = 'draft'"
          + " AND version = (SELECT latest FROM templates WHERE id = ?)", approver, now.toEpochMilli(), id, version,
          id) == 0) {
        return false;
      }
      SqliteStore.update(c, "UPDATE templates SET approved = ? WHERE id = ?", version, id);
      return true;
    });
  }
}
