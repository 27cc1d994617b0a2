package org.crisishub.store.embedded;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.store.SafetyCheckStore.Check;
import org.crisishub.store.SafetyCheckStore.HelpStateResult;
import org.crisishub.store.SafetyCheckStore.Report;
import org.crisishub.store.SafetyCheckStore.ReportResult;
import org.crisishub.store.Store;

/**
 * Follower reports of {@link SqliteSafetyChecks} (table {@code safety_reports}): each follower's
 * latest report about a person is their {@code current} one, independent of other followers'; a
 * {@code need_help} is a help request with its own state. Every change runs on {@link SqliteStore}'s
 * writer. Thread-safe.
 */
final class SqliteSafetyReports {
  private static final String COLUMNS = "r.id, r.check_id, r.incident, r.phone, r.follower, r.status, r.note, r.at_ms,"
      + " r.help_state, r.by_responder, r.by_agency, r.updated_ms";
  private final SqliteStore store;

  SqliteSafetyReports(SqliteStore store) {
    this.store = store;
  }

  private static Report report(ResultSet rs) throws SQLException {
    long updated = rs.getLong(12);
    Instant at = Instant.ofEpochMilli(rs.getLong(8));
    return new Report(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        rs.getString(6), rs.getString(7), at, rs.getString(9), rs.getString(10), rs.getString(11),
        rs.wasNull() ? at : Instant.ofEpochMilli(updated));
  }

  private static List<Report> reports(Connection c, String where, Object... args) throws SQLException {
    try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT " + COLUMNS + " FROM safety_reports r " + where)) {
      for (int i = 0; i < args.length; i++) {
        st.ps().setObject(i + 1, args[i]);
      }
      List<Report> out = new ArrayList<>();
      try (ResultSet rs = st.ps().executeQuery()) {
        while (rs.next()) {
          out.add(report(rs));
        }
      }
      return out;
    }
  }

  Future<ReportResult> report(String id, String phone, String follower, String status, String note, Instant now) {
    String to = "safe".equals(status) ? "reported_safe" : "reported_need_help";
    long nowMs = now.toEpochMilli();
    return store.write(c -> {
      Optional<Check> chk = SqliteSafetyChecks.one(c, id);
      if (chk.isEmpty()) {
        return new ReportResult("no_such_check", null, null);
      }
      if (!"running".equals(chk.get().state())) {
        return new ReportResult("not_running", null, chk.get());
      }
      if (!SqliteSafetyWaves.reached(c, id, phone, follower)) {
        return new ReportResult("not_reached", null, chk.get());
      }
      String state = null;
      String before = null;
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT state, report_status FROM safety_people WHERE check_id = ? AND phone = ?")) {
        st.ps().setString(1, id);
        st.ps().setString(2, phone);
        try (ResultSet rs = st.ps().executeQuery()) {
          if (rs.next()) {
            state = rs.getString(1);
            before = rs.getString(2);
          }
        }
      }
      if (state == null || "safe".equals(state) || "need_help".equals(state)) {
        return new ReportResult("answered", null, chk.get());
      }
      // This follower's own current report only: other followers' reports are left alone.
      Optional<Report> mine = reports(c, "WHERE r.check_id = ? AND r.phone = ? AND r.follower = ? AND r.current = 1",
          id, phone, follower).stream().findFirst();
      Report r;
      if ("need_help".equals(status) && mine.isPresent() && "need_help".equals(mine.get().status())
          && !"resolved".equals(mine.get().helpState())) {
        // The same follower asks again while their request is open: the same request, with the new note.
        SqliteStore.update(c, "UPDATE safety_reports SET note = ? WHERE id = ?", note, mine.get().id());
        Report m = mine.get();
        r = new Report(m.id(), id, m.incident(), phone, follower, status, note, m.at(), m.helpState(),
            m.byResponder(), m.byAgency(), m.updatedAt());
      } else {
        mine.ifPresent(m -> {
          try {
            SqliteStore.update(c, "UPDATE safety_reports SET current = 0 WHERE id = ?", m.id());
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        });
        r = new Report(java.util.UUID.randomUUID().toString(), id, chk.get().incident(), phone, follower, status,
            note, now);
        SqliteStore.update(c, "INSERT INTO safety_reports (id, check_id, incident, phone, follower, status, note,"
            + " at_ms, current, help_state, updated_ms) VALUES (?,?,?,?,?,?,?,?,1,?,?)", r.id(), id, r.incident(),
            phone, follower, status, note, nowMs, r.helpState(), nowMs);
      }
      SqliteStore.update(c, "UPDATE safety_people SET report_status = ?, report_ms = ?, report_by = ? WHERE check_id = ?"
          + " AND phone = ?", status, nowMs, follower, id, phone);
      if (!status.equals(before)) {
        if (before != null) {
          String from = "safe".equals(before) ? "reported_safe" : "reported_need_help";
          SqliteStore.update(c, "UPDATE safety_checks SET " + from + " = " + from + " - 1 WHERE id = ?", id);
        }
        SqliteStore.update(c, "UPDATE safety_checks SET " + to + " = " + to + " + 1 WHERE id = ?", id);
      }
      return new ReportResult("ok", r, SqliteSafetyChecks.one(c, id).orElseThrow());
    });
  }

  Future<List<Report>> reportedHelp(String incident) {
    return store.read(c -> reports(c, "JOIN safety_people p ON p.check_id = r.check_id AND p.phone = r.phone"
        + " WHERE r.incident = ? AND r.status = 'need_help' AND r.current = 1"
        + " AND r.help_state IN ('open', 'acknowledged') AND p.state IN ('no_answer', 'unreachable')"
        + " ORDER BY r.at_ms, r.id", incident));
  }

  Future<Optional<Report>> newestOpenReported(String follower) {
    return store.read(c -> reports(c, "WHERE r.follower = ? AND r.status = 'need_help' AND r.current = 1"
        + " AND r.help_state IN ('open', 'acknowledged') ORDER BY r.at_ms DESC, r.id DESC LIMIT 1", follower)
        .stream().findFirst());
  }

  Future<Optional<Report>> reportedRequest(String reportId) {
    return store.read(c -> reports(c, "WHERE r.id = ? AND r.status = 'need_help'", reportId).stream().findFirst());
  }

  Future<HelpStateResult> setReportedState(String reportId, String state, String responder, String agency,
      Instant now) {
    return store.write(c -> {
      Optional<Report> r = reports(c, "WHERE r.id = ? AND r.status = 'need_help'", reportId).stream().findFirst();
      if (r.isEmpty()) {
        return new HelpStateResult("not_found", null);
      }
      if (!Store.helpStateAdvances(r.get().helpState(), state)) {
        return new HelpStateResult("conflict", r.get());
      }
      SqliteStore.update(c, "UPDATE safety_reports SET help_state = ?, by_responder = ?, by_agency = ?, updated_ms = ?"
          + " WHERE id = ?", state, responder, agency, now.toEpochMilli(), reportId);
      return new HelpStateResult("ok", reports(c, "WHERE r.id = ?", reportId).get(0));
    });
  }
}
