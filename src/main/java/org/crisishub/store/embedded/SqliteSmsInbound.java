package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.strings;
import static org.crisishub.store.embedded.SqliteStore.update;

import io.vertx.core.Future;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.SmsInbound} on the embedded store: tables {@code sms_inbound},
 * {@code sms_optout} and {@code incident_sms}. Thread-safe.
 */
final class SqliteSmsInbound implements org.crisishub.store.SmsInbound {
  private final SqliteStore store;

  SqliteSmsInbound(SqliteStore store) {
    this.store = store;
  }

  @Override
  public Future<Void> setSmsOptOut(String phone, boolean optedOut, Instant now) {
    return store.write(c -> {
      try (Stmt st = prepare(c, optedOut
          ? "INSERT OR IGNORE INTO sms_optout (phone, at_ms) VALUES (?, ?)"
          : "DELETE FROM sms_optout WHERE phone = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        if (optedOut) {
          ps.setLong(2, now.toEpochMilli());
        }
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Future<Boolean> isSmsOptedOut(String phone) {
    return store.read(c -> SqliteStore.optedOut(c, phone));
  }

  @Override
  public Future<Optional<String>> inboundReply(String messageSid) {
    return store.read(c -> {
      try (Stmt st = prepare(c, "SELECT reply FROM sms_inbound WHERE message_sid = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, messageSid);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
        }
      }
    });
  }

  @Override
  public Future<Void> saveInboundReply(String messageSid, String reply, Instant now) {
    return store.write(c -> {
      update(c, "INSERT OR IGNORE INTO sms_inbound (message_sid, reply, at_ms) VALUES (?,?,?)",
          messageSid, reply, now.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Boolean> setIncidentSms(String phone, String incident, boolean joined, Instant now) {
    return store.write(c -> {
      try (Stmt st = prepare(c, joined
          ? "INSERT OR IGNORE INTO incident_sms (incident, phone, at_ms) VALUES (?,?,?)"
          : "DELETE FROM incident_sms WHERE incident = ? AND phone = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, incident);
        ps.setString(2, phone);
        if (joined) {
          ps.setLong(3, now.toEpochMilli());
        }
        return ps.executeUpdate() > 0;
      }
    });
  }

  @Override
  public Future<List<String>> joinedOpenIncidents(String phone) {
    return store.read(c -> {
      try (Stmt st = prepare(c, "SELECT s.incident FROM incident_sms s JOIN incidents i"
          + " ON i.code = s.incident WHERE s.phone = ? AND i.state = 'open' ORDER BY s.at_ms DESC, s.incident")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        List<String> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
        return out;
      }
    });
  }

  @Override
  public Future<List<String>> incidentSmsSubscribers(String incident) {
    return store.read(c -> strings(c, "SELECT phone FROM incident_sms WHERE incident = ? ORDER BY phone", incident));
  }

}
