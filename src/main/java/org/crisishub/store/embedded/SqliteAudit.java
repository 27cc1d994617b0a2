package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.update;

import io.vertx.core.Future;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.store.AuditChain;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.AuditTrail} on the embedded store: table {@code audit}. Only the writer
 * thread appends, so the tail read inside an append is the chain's head. Thread-safe.
 */
final class SqliteAudit implements org.crisishub.store.AuditTrail {
  private final SqliteStore store;

  SqliteAudit(SqliteStore store) {
    this.store = store;
  }

  @Override
  public Future<Void> audit(String actor, String action, String subject, String outcome, String detail, Instant now) {
    // The writer thread is the only one that appends, so the tail read here is the chain's head.
    return store.write(c -> {
      long last = 0;
      String prev = AuditChain.GENESIS;
      try (Stmt st = prepare(c, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
          ResultSet rs = st.ps().executeQuery()) {
        if (rs.next()) {
          last = rs.getLong(1);
          prev = rs.getString(2);
        }
      }
      AuditChain.Entry e = AuditChain.next(last + 1, prev, now, actor, action, subject, outcome, detail);
      update(c, "INSERT INTO audit (seq, at_ms, actor, action, target, outcome, detail, prev_hash, hash)"
          + " VALUES (?,?,?,?,?,?,?,?,?)", e.id(), e.at().toEpochMilli(), actor, action, subject, outcome, detail,
          e.prevHash(), e.hash());
      return null;
    });
  }

  @Override
  public Future<List<AuditChain.Entry>> auditPage(long after, int limit) {
    return store.read(c -> {
      try (Stmt st = prepare(c, "SELECT seq, at_ms, actor, action, target, outcome, detail, prev_hash, hash"
          + " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")) {
        PreparedStatement ps = st.ps();
        ps.setLong(1, after);
        ps.setInt(2, limit);
        List<AuditChain.Entry> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new AuditChain.Entry(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                rs.getString(9)));
          }
        }
        return out;
      }
    });
  }
}
