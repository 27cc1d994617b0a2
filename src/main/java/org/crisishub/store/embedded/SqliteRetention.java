package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.update;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * Retention on the embedded store ({@link org.crisishub.store.Store#purge}): one writer operation
 * that deletes, in one transaction, what every concern may no longer keep.
 */
final class SqliteRetention {
  private SqliteRetention() {
  }

  /** Deletes what retention no longer allows (see {@link org.crisishub.store.Store#purge}); the check-ins deleted. */
  static int purge(Connection c, Instant now, Duration retention) throws SQLException {
    long nowMs = now.toEpochMilli();
    int deleted;
    // Without an incident (or naming none that exists): aged from when they were made. With an
    // incident: kept while it is open, deleted `retention` after it closed.
    deleted = update(c, "DELETE FROM checkins WHERE (at_ms < ? AND (incident IS NULL"
        + " OR incident NOT IN (SELECT code FROM incidents)))"
        + " OR incident IN (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?)",
        nowMs - retention.toMillis(), nowMs - retention.toMillis());
    // Safety checks go with their incident's check-ins (members, reached followers, reports).
    update(c, "DELETE FROM safety_reached WHERE check_id IN (SELECT id FROM safety_checks WHERE incident IN"
        + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?))", nowMs - retention.toMillis());
    update(c, "DELETE FROM safety_frames WHERE check_id IN (SELECT id FROM safety_checks WHERE incident IN"
        + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?))", nowMs - retention.toMillis());
    update(c, "DELETE FROM safety_reports WHERE incident IN"
        + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?)", nowMs - retention.toMillis());
    update(c, "DELETE FROM safety_people WHERE check_id IN (SELECT id FROM safety_checks WHERE incident IN"
        + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?))", nowMs - retention.toMillis());
    update(c, "DELETE FROM safety_checks WHERE incident IN"
        + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?)", nowMs - retention.toMillis());
    try (Stmt st = prepare(c,
        "DELETE FROM help_requests WHERE checkin_id NOT IN (SELECT id FROM checkins)")) {
      PreparedStatement ps = st.ps();
      ps.executeUpdate();
    }
    SqliteTriage.purge(c);
    update(c, "DELETE FROM idempotency WHERE at_ms < ?", nowMs - SqliteStore.IDEMPOTENCY_WINDOW_MS);
    update(c, "DELETE FROM otp WHERE expires_ms < ?", nowMs);
    update(c, "DELETE FROM revoked_tokens WHERE expires_ms < ?", nowMs);
    // Finished SMS (they hold numbers and notes) and delivery reports follow the check-in
    // retention; MessageSids are remembered 7 days (Twilio retries a webhook for minutes).
    long cutoff = nowMs - retention.toMillis();
    for (String sql : new String[] {
        "DELETE FROM outbox WHERE state NOT IN ('queued','sending') AND updated_ms < ?",
        "DELETE FROM sms_delivery WHERE at_ms < ?"}) {
      try (Stmt st = prepare(c, sql)) {
        PreparedStatement ps = st.ps();
        ps.setLong(1, cutoff);
        ps.executeUpdate();
      }
    }
    update(c, "DELETE FROM sms_inbound WHERE at_ms < ?", nowMs - Duration.ofDays(7).toMillis());
    return deleted;
  }
}
