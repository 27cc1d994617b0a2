package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.update;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.SmsKeys;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.Outbox} on the embedded store: tables {@code outbox} and
 * {@code sms_delivery}. {@link #enqueue} is the one place a message is queued; other concerns call it
 * inside their own transaction (a check-in's follower SMS, a notice's fan-out, safety-check asks).
 * Claims are operations of the writer, so two claims never take the same message. Thread-safe.
 */
final class SqliteOutbox implements org.crisishub.store.Outbox {
  private final SqliteStore store;

  SqliteOutbox(SqliteStore store) {
    this.store = store;
  }

  /**
   * Queues an SMS in the caller's transaction, or withholds it (false) when {@code to} opted out;
   * callers count a withheld one ({@link SqliteStore#optedOutWithheld}).
   */
  static boolean enqueue(Connection c, String to, String key, String subject, String body, long nowMs)
      throws SQLException {
    return enqueue(c, to, key, subject, body, null, nowMs);
  }

  /**
   * Queues the status notification of check-in {@code seq} of {@code subject} to {@code to} in the
   * caller's transaction (key {@code SmsKeys.status(subject)}, an empty body: the sender renders
   * the text); false when {@code to} opted out, as {@link #enqueue}.
   */
  static boolean enqueueStatus(Connection c, String to, String subject, long seq, long nowMs) throws SQLException {
    return enqueue(c, to, SmsKeys.status(subject), subject, "", seq, nowMs);
  }

  private static boolean enqueue(Connection c, String to, String key, String subject, String body, Long statusSeq,
      long nowMs) throws SQLException {
    if (SqliteStore.optedOut(c, to)) {
      return false;
    }
    if (key != null) {
      // Coalescing: the waiting row takes the new text or seq (a pre-rendered one turns into a seq).
      try (Stmt st = prepare(c,
          "UPDATE outbox SET body = ?, subject = ?, status_seq = ?, updated_ms = ? WHERE to_phone = ?"
              + " AND coalesce_key = ? AND state = 'queued'")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, body);
        ps.setString(2, subject);
        ps.setObject(3, statusSeq);
        ps.setLong(4, nowMs);
        ps.setString(5, to);
        ps.setString(6, key);
        if (ps.executeUpdate() > 0) {
          return true;
        }
      }
    }
    update(c, "INSERT INTO outbox (to_phone, coalesce_key, subject, body, state, attempts, next_at_ms, created_ms,"
        + " updated_ms, broadcast, status_seq) VALUES (?,?,?,?,'queued',0,?,?,?,?,?)",
        to, key, subject, body, nowMs, nowMs, nowMs, SmsKeys.broadcast(key) ? 1 : 0, statusSeq);
    return true;
  }

  /**
   * A claim's reads, each a range of index {@code outbox_due_class} (never a sort of the whole
   * queue): claims whose lease expired (few: what the senders held), and the due queued messages of
   * one class ({@code broadcast} 0 or 1) in order. Package-private for the query-plan test.
   */
  static final String CLAIM_EXPIRED = "SELECT id, to_phone, subject, body, attempts, coalesce_key, next_at_ms, broadcast,"
      + " status_seq"
      + " FROM outbox WHERE state = 'sending' AND lease_until_ms < ? ORDER BY broadcast, next_at_ms, id LIMIT ?";
  static final String CLAIM_QUEUED = "SELECT id, to_phone, subject, body, attempts, coalesce_key, next_at_ms, broadcast,"
      + " status_seq"
      + " FROM outbox WHERE state = 'queued' AND broadcast = ? AND next_at_ms <= ? ORDER BY next_at_ms, id LIMIT ?";

  private static List<Object[]> claimRows(Connection c, String sql, Object... args) throws SQLException {
    List<Object[]> rows = new ArrayList<>();
    try (Stmt st = prepare(c, sql)) {
      for (int i = 0; i < args.length; i++) {
        st.ps().setObject(i + 1, args[i]);
      }
      try (ResultSet rs = st.ps().executeQuery()) {
        while (rs.next()) {
          rows.add(new Object[] {rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
              rs.getString(6), rs.getLong(7), rs.getInt(8), statusSeq(rs)});
        }
      }
    }
    return rows;
  }

  @Override
  public Future<Void> enqueueSms(String to, String coalesceKey, String subject, String body, Instant now) {
    return store.write(c -> {
      if (!enqueue(c, to, coalesceKey, subject, body, now.toEpochMilli())) {
        store.optedOutWithheld(1);
      }
      return null;
    });
  }

  private static Long statusSeq(ResultSet rs) throws SQLException {
    long v = rs.getLong(9);
    return rs.wasNull() ? null : v;
  }

  @Override
  public Future<Void> enqueueStatusSms(String to, String subject, long seq, Instant now) {
    return store.write(c -> {
      if (!enqueueStatus(c, to, subject, seq, now.toEpochMilli())) {
        store.optedOutWithheld(1);
      }
      return null;
    });
  }

  @Override
  public Future<List<OutboxItem>> claimSms(String owner, Instant now, int max, Duration lease) {
    return store.write(c -> {
      long nowMs = now.toEpochMilli();
      // Two classes: person-to-person traffic first, broadcast traffic (safety checks, notices) after it;
      // within a class by due time, whether queued or taken back from an expired claim.
      List<Object[]> expired = claimRows(c, CLAIM_EXPIRED, nowMs, max);
      List<Object[]> due = new ArrayList<>();
      for (int k = 0; k <= 1 && due.size() < max; k++) {
        int cls = k;
        List<Object[]> mine = new ArrayList<>(claimRows(c, CLAIM_QUEUED, cls, nowMs, max - due.size()));
        expired.stream().filter(r -> (Integer) r[7] == cls).forEach(mine::add);
        mine.sort(java.util.Comparator.<Object[]>comparingLong(r -> (Long) r[6]).thenComparingLong(r -> (Long) r[0]));
        due.addAll(mine.subList(0, Math.min(mine.size(), max - due.size())));
      }
      List<OutboxItem> claimed = new ArrayList<>();
      for (Object[] d : due) {
        long id = (Long) d[0];
        String to = (String) d[1];
        String subject = (String) d[2];
        if (SqliteStore.optedOut(c, to)) {
          finish(c, id, "failed", "opted out (STOP)", nowMs, null);
          store.optedOutWithheld(1);
          continue;
        }
        if (subject != null) {
          Follow f = SqliteFollows.follow(c, to, subject);
          if (f == null || f.state() != FollowState.ACTIVE) {
            finish(c, id, "cancelled", "no longer an active follower", nowMs, null);
            continue;
          }
        }
        update(c, "UPDATE outbox SET state = 'sending', lease_owner = ?, lease_until_ms = ?, attempts = attempts + 1,"
            + " updated_ms = ? WHERE id = ?",
            owner, nowMs + lease.toMillis(), nowMs, id);
        claimed.add(new OutboxItem(id, to, (String) d[3], (Integer) d[4] + 1, (String) d[5], subject, (Long) d[8]));
      }
      return claimed;
    });
  }

  /**
   * Ends a message unsent ({@code state} failed or cancelled). {@code heldBy} null: inside a claim
   * (opted out, or no longer followed), no claim to check; else only while the claim of that attempt
   * holds it ({@link #HELD}).
   */
  private static void finish(Connection c, long id, String state, String error, long nowMs, Integer heldBy)
      throws SQLException {
    String sql = "UPDATE outbox SET state = ?, error = ?, lease_owner = NULL, lease_until_ms = NULL, updated_ms = ?"
        + " WHERE id = ?";
    if (heldBy == null) {
      update(c, sql, state, error, nowMs, id);
    } else {
      update(c, sql + " AND " + HELD, state, error, nowMs, id, heldBy);
    }
  }

  /**
   * Whether the row is still held by the claim of attempt {@code ?} (the claim's token): an outcome
   * of any other claim, stale since the message was claimed again or handed back, changes nothing
   * (docs/sms.md, "Delivery promise").
   */
  private static final String HELD = "state = 'sending' AND attempts = ?";

  @Override
  public Future<Boolean> smsSent(OutboxItem claim, String sid, Instant now) {
    // Also over a failed or cancelled row (the other send's outcome: this one reached Twilio), and
    // a sent row without a SID; never over a waiting row or another claim's.
    return store.write(c -> update(c, "UPDATE outbox SET state = 'sent', sid = ?, error = NULL, lease_owner = NULL,"
        + " lease_until_ms = NULL, updated_ms = ? WHERE id = ? AND ((" + HELD + ")"
        + " OR state IN ('failed', 'cancelled') OR (state = 'sent' AND sid IS NULL))",
        sid, now.toEpochMilli(), claim.id(), claim.attempts()) > 0);
  }

  @Override
  public Future<Void> smsRetry(OutboxItem claim, Instant nextAt, String error, Instant now) {
    return store.write(c -> {
      update(c, "UPDATE outbox SET state = 'queued', next_at_ms = ?, error = ?, lease_owner = NULL,"
          + " lease_until_ms = NULL, updated_ms = ? WHERE id = ? AND " + HELD,
          nextAt.toEpochMilli(), error, now.toEpochMilli(), claim.id(), claim.attempts());
      return null;
    });
  }

  @Override
  public Future<Void> smsFailed(OutboxItem claim, String error, Instant now) {
    return store.write(c -> {
      finish(c, claim.id(), "failed", error, now.toEpochMilli(), claim.attempts());
      return null;
    });
  }

  @Override
  public Future<Integer> releaseSmsClaims() {
    return store.write(c -> {
      try (Stmt st = prepare(c,
          "UPDATE outbox SET state = 'queued', lease_owner = NULL, lease_until_ms = NULL WHERE state = 'sending'")) {
        PreparedStatement ps = st.ps();
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public Future<Integer> releaseSmsClaims(String owner) {
    return store.write(c -> update(c, "UPDATE outbox SET state = 'queued', lease_owner = NULL, lease_until_ms = NULL"
        + " WHERE state = 'sending' AND lease_owner = ?", owner));
  }

  /**
   * Waiting messages, the oldest queued and the oldest in-flight creation time, failed messages: the
   * counts from index entries, each MIN one seek of {@code outbox_waiting_age} (one per state, as a
   * MIN over {@code state IN (…)} would read the whole range).
   */
  static final String STATS = "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN ('queued','sending')),"
      + " (SELECT MIN(created_ms) FROM outbox WHERE state = 'queued'),"
      + " (SELECT MIN(created_ms) FROM outbox WHERE state = 'sending'),"
      + " (SELECT COUNT(*) FROM outbox WHERE state = 'failed')";

  @Override
  public Future<OutboxStats> outboxStats(Instant now) {
    return store.read(c -> {
      try (Stmt st = prepare(c, STATS); ResultSet rs = st.ps().executeQuery()) {
        rs.next();
        long waiting = rs.getLong(1);
        long oldest = Long.MAX_VALUE;
        for (int col = 2; col <= 3; col++) {
          long created = rs.getLong(col);
          if (!rs.wasNull()) {
            oldest = Math.min(oldest, created);
          }
        }
        return new OutboxStats(waiting, oldest == Long.MAX_VALUE ? 0 : Math.max(0, now.toEpochMilli() - oldest),
            rs.getLong(4));
      }
    });
  }

  @Override
  public Future<Void> recordDeliveryReport(String sid, String status, String errorCode, Instant now) {
    return store.write(c -> {
      update(c, "INSERT INTO sms_delivery (sid, status, error_code, at_ms) VALUES (?,?,?,?)",
          sid, status, errorCode, now.toEpochMilli());
      return null;
    });
  }

  @Override
  public void onSmsOptedOut(Runnable counter) {
    store.onSmsOptedOut(counter);
  }
}
