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
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.HubException;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.HelpQueue} on the embedded store: table {@code help_requests}, filed by
 * {@link SqliteCheckIns} in the check-in's transaction ({@link #file}). Thread-safe.
 */
final class SqliteHelp implements org.crisishub.store.HelpQueue {
  private final SqliteStore store;

  SqliteHelp(SqliteStore store) {
    this.store = store;
  }

  /**
   * Files a need_help check-in in the triage queue of the open incident it names, or, without a
   * name, of every open incident whose area holds its location. Returns those incidents.
   */
  static List<String> file(Connection c, CheckIn ci, long nowMs) throws SQLException {
    List<String> matched = org.crisishub.domain.HelpMatching.incidentsFor(ci,
        SqliteIncidents.incidents(c, "SELECT * FROM incidents WHERE state = 'open'"));
    for (String code : matched) {
      update(c, "INSERT OR IGNORE INTO help_requests (checkin_id, incident, phone, state, created_ms, updated_ms)"
          + " VALUES (?,?,?,'open',?,?)",
          ci.id(), code, ci.phone(), nowMs, nowMs);
    }
    return matched;
  }

  private static List<HelpRequest> helpRequests(Connection c, String where, Object... args) throws SQLException {
    try (Stmt st = prepare(c, "SELECT c." + SqliteCheckIns.CHECKIN_COLUMNS.replace(", ", ", c.")
        + ", h.incident AS h_incident, h.state AS h_state, h.by_responder, h.by_agency, h.updated_ms"
        + " FROM help_requests h JOIN checkins c ON c.id = h.checkin_id " + where)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<HelpRequest> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new HelpRequest(SqliteCheckIns.checkIn(rs), rs.getString("h_incident"), rs.getString("h_state"),
              rs.getString("by_responder"), rs.getString("by_agency"), Instant.ofEpochMilli(rs.getLong("updated_ms"))));
        }
      }
      return out;
    }
  }

  @Override
  public Future<List<HelpRequest>> helpRequests(String incident, boolean openOnly) {
    return store.read(c -> helpRequests(c, "WHERE h.incident = ?" + (openOnly ? " AND h.state != 'resolved'" : "")
        + " ORDER BY h.created_ms, c.id", incident));
  }

  @Override
  public Future<Optional<HelpRequest>> helpRequest(String checkinId) {
    return store.read(c -> helpRequests(c, "WHERE h.checkin_id = ?", checkinId).stream().findFirst());
  }

  @Override
  public Future<List<String>> helpIncidents(String checkinId) {
    return store.read(c -> strings(c, "SELECT incident FROM help_requests WHERE checkin_id = ? ORDER BY incident", checkinId));
  }

  @Override
  public Future<Optional<HelpRequest>> setHelpState(String checkinId, String state, String responder, String agency,
      Instant now) {
    return store.write(c -> {
      for (String from : strings(c, "SELECT state FROM help_requests WHERE checkin_id = ?", checkinId)) {
        if (!org.crisishub.store.HelpQueue.advances(from, state)) {
          throw new HubException(org.crisishub.domain.ErrorCode.CONFLICT, "this call for help is already " + from);
        }
      }
      try (Stmt st = prepare(c,
          "UPDATE help_requests SET state = ?, by_responder = ?, by_agency = ?, updated_ms = ? WHERE checkin_id = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, state);
        ps.setString(2, responder);
        ps.setString(3, agency);
        ps.setLong(4, now.toEpochMilli());
        ps.setString(5, checkinId);
        if (ps.executeUpdate() == 0) {
          return Optional.<HelpRequest>empty();
        }
      }
      return helpRequests(c, "WHERE h.checkin_id = ?", checkinId).stream().findFirst();
    });
  }

}
