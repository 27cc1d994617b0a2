package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * The time of each person's status, remembered by the writer: what decides whether a new check-in is
 * {@code late} (issue 20) without reading the person's whole latest row each time (that full-row read
 * was a tenth of the hub's CPU in a check-in storm, issue 23). A time is {@code [epoch ms of the
 * status's time (madeAt, else at), 1 if it had a madeAt else 0]}.
 *
 * <p>What a batch learns is kept only once the batch commits ({@link #keepBatch}) and dropped when it
 * rolls back ({@link #forgetBatch}); a purge in a batch forgets everything learned before. Writer
 * thread only: not thread-safe.
 */
final class SqliteStatusTimes {
  private static final long[] NO_STATUS = {-1, 0};
  private static final int MAX = 200_000;
  /** Answers committed by earlier batches; cleared when large or after a purge. */
  private final HashMap<String, long[]> committed = new HashMap<>();
  /** Answers of the batch being written; kept on commit, dropped on a rollback. */
  private final HashMap<String, long[]> batch = new HashMap<>();
  /** A purge in the batch being written: on commit, what earlier batches learned is forgotten. */
  private boolean batchPurged;

  /**
   * The time of {@code phone}'s status (its latest check-in that was not late), or null when it has
   * none: from this batch's own check-ins first, then from what earlier batches committed, and only
   * then from the table (two columns, not the whole row).
   */
  long[] latest(Connection c, String phone) throws SQLException {
    long[] t = batch.get(phone);
    if (t == null) {
      t = committed.get(phone);
    }
    if (t != null) {
      return t[0] < 0 ? null : t;
    }
    try (Stmt st = prepare(c,
        "SELECT at_ms, made_ms FROM checkins WHERE phone = ? AND late = 0 ORDER BY seq DESC LIMIT 1")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, phone);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          long made = rs.getLong(2);
          t = rs.wasNull() ? new long[] {rs.getLong(1), 0} : new long[] {made, 1};
        } else {
          t = NO_STATUS;
        }
      }
    }
    batch.put(phone, t);
    return t == NO_STATUS ? null : t;
  }

  /** A check-in of this batch became {@code phone}'s status; call it last in the operation. */
  void recorded(String phone, long timeMs, boolean madeAt) {
    batch.put(phone, new long[] {timeMs, madeAt ? 1 : 0});
  }

  /** Statuses may go in this batch: later check-ins of it read their times from the table again. */
  void purged() {
    batch.clear();
    batchPurged = true;
  }

  /** After a commit: what the batch learned holds from now on. */
  void keepBatch() {
    if (batchPurged || committed.size() + batch.size() > MAX) {
      committed.clear();
    }
    committed.putAll(batch);
    forgetBatch();
  }

  /** After a rollback: nothing the batch learned holds. */
  void forgetBatch() {
    batch.clear();
    batchPurged = false;
  }
}
