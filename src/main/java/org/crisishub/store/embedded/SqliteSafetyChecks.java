package org.crisishub.store.embedded;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.SmsKeys;
import org.crisishub.domain.Area;
import org.crisishub.domain.CheckIn;
import org.crisishub.store.SafetyCheckStore;

/**
 * {@link SafetyCheckStore} on the embedded store: tables {@code safety_checks} (with the tally
 * counters) and {@code safety_people}; every change runs on {@link SqliteStore}'s writer, so a
 * member's move and the counters it changes commit together. Thread-safe.
 */
public final class SqliteSafetyChecks implements SafetyCheckStore {
  private static final String COLUMNS = "id, incident, author, agency, state, question, audience_json,"
      + " escalation_json, needs_approval, approved_by, audience_size, sms_recipients, sms_segments, sms_encoding,"
      + " estimated_send_s, created_ms, started_ms, closed_ms, asked, delivered, safe, need_help, no_answer,"
      + " unreachable, reported_safe, reported_need_help";
  private static final String PERSON_COLUMNS = "phone, by_location, state, at_ms, channel, delivery, error_code,"
      + " report_status, report_ms, report_by";

  private final SqliteStore store;
  private final SqliteSafetyWaves waves;
  private final SqliteSafetyReports reports;

  public SqliteSafetyChecks(SqliteStore store) {
    this.store = store;
    this.waves = new SqliteSafetyWaves(store);
    this.reports = new SqliteSafetyReports(store);
  }

  private static Instant instant(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  private static Check check(ResultSet rs) throws SQLException {
    return new Check(rs.getString("id"), rs.getString("incident"), rs.getString("author"), rs.getString("agency"),
        rs.getString("state"), rs.getString("question"), rs.getString("audience_json"),
        rs.getString("escalation_json"), rs.getInt("needs_approval") == 1, rs.getString("approved_by"),
        rs.getLong("audience_size"), rs.getLong("sms_recipients"), rs.getInt("sms_segments"),
        rs.getString("sms_encoding"), rs.getLong("estimated_send_s"), instant(rs, "created_ms"),
        instant(rs, "started_ms"), instant(rs, "closed_ms"),
        new Tallies(rs.getLong("asked"), rs.getLong("delivered"), rs.getLong("safe"), rs.getLong("need_help"),
            rs.getLong("no_answer"), rs.getLong("unreachable"), rs.getLong("reported_safe"),
            rs.getLong("reported_need_help")));
  }

  private static List<Check> checks(Connection c, String where, Object... args) throws SQLException {
    try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT " + COLUMNS + " FROM safety_checks " + where)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<Check> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(check(rs));
        }
      }
      return out;
    }
  }

  static Optional<Check> one(Connection c, String id) throws SQLException {
    return checks(c, "WHERE id = ?", id).stream().findFirst();
  }

  private static String state(Connection c, String id) throws SQLException {
    List<Check> l = checks(c, "WHERE id = ?", id);
    return l.isEmpty() ? null : l.get(0).state();
  }

  @Override
  public Future<Void> createCheck(Check d) {
    return store.write(c -> {
      SqliteStore.update(c, "INSERT INTO safety_checks (id, incident, author, agency, state, question, audience_json,"
          + " escalation_json, needs_approval, audience_size, sms_recipients, sms_segments, sms_encoding,"
          + " estimated_send_s, created_ms) VALUES (?,?,?,?,'draft',?,?,?,?,?,?,?,?,?,?)",
          d.id(), d.incident(), d.author(), d.agency(), d.question(), d.audienceJson(), d.escalationJson(),
          d.needsApproval() ? 1 : 0, d.audienceSize(), d.smsRecipients(), d.smsSegments(), d.smsEncoding(),
          d.estimatedSendSeconds(), d.createdAt().toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Optional<Check>> check(String id) {
    return store.read(c -> one(c, id));
  }

  @Override
  public Future<List<Check>> checks(String incident) {
    return store.read(c -> checks(c, "WHERE incident = ? ORDER BY created_ms DESC, id DESC", incident));
  }

  @Override
  public Future<Optional<Check>> approveCheck(String id, String approver, Instant now) {
    return store.write(c -> SqliteStore.update(c,
        "UPDATE safety_checks SET state = 'approved', approved_by = ? WHERE id = ? AND state = 'draft'",
        approver, id) == 0 ? Optional.<Check>empty() : one(c, id));
  }

  /** Inserts members not yet in the audience, queues their asks; the counters move by what was added. */
  private void addMembers(Connection c, String id, List<Member> audience, String smsBody, Instant now)
      throws SQLException {
    long unreachable = 0;
    long noAnswer = 0;
    for (Member m : audience) {
      boolean out = SqliteStore.optedOut(c, m.phone());
      if (SqliteStore.update(c, "INSERT OR IGNORE INTO safety_people (check_id, phone, by_location, state)"
          + " VALUES (?,?,?,?)", id, m.phone(), m.byLocation() ? 1 : 0, out ? "unreachable" : "no_answer") == 1) {
        if (out) {
          unreachable++;
          if (smsBody != null) {
            store.optedOutWithheld(1); // the ask this opted-out number is never sent
          }
        } else {
          noAnswer++;
          if (smsBody != null) {
            SqliteOutbox.enqueue(c, m.phone(), SmsKeys.SAFETY + id, null, smsBody, now.toEpochMilli());
            SqliteStore.update(c, "UPDATE safety_people SET asked = 1, delivery = 'queued' WHERE check_id = ?"
                + " AND phone = ?", id, m.phone());
          }
        }
      }
    }
    SqliteStore.update(c, "UPDATE safety_checks SET audience_size = audience_size + ?, no_answer = no_answer + ?,"
        + " unreachable = unreachable + ?, asked = asked + ? WHERE id = ?",
        noAnswer + unreachable, noAnswer, unreachable, smsBody == null ? 0 : noAnswer, id);
  }

  @Override
  public Future<Optional<Check>> beginStart(String id, List<String> fromStates) {
    return store.write(c -> {
      String st = state(c, id);
      if (st == null || !fromStates.contains(st)) {
        return Optional.<Check>empty();
      }
      if (!"starting".equals(st)) {
        SqliteStore.update(c, "UPDATE safety_checks SET state = 'starting', audience_size = 0 WHERE id = ?", id);
      }
      return one(c, id);
    });
  }

  @Override
  public Future<Boolean> addAudience(String id, List<Member> audience, String smsBody, Instant now) {
    return store.write(c -> {
      if (!"starting".equals(state(c, id))) {
        return false;
      }
      addMembers(c, id, audience, smsBody, now);
      return true;
    });
  }

  @Override
  public Future<Optional<Check>> startCheck(String id, List<String> fromStates, List<Member> audience, String smsBody,
      Instant now, Instant repeatAt, Instant followersAt) {
    return store.write(c -> {
      String st = state(c, id);
      if (st == null || !fromStates.contains(st)) {
        return Optional.<Check>empty();
      }
      if (!"starting".equals(st)) {
        SqliteStore.update(c, "UPDATE safety_checks SET audience_size = 0 WHERE id = ?", id);
      }
      SqliteStore.update(c, "UPDATE safety_checks SET state = 'starting' WHERE id = ?", id);
      addMembers(c, id, audience, smsBody, now);
      Long repeatMs = repeatAt == null ? null : repeatAt.toEpochMilli();
      Long followersMs = followersAt == null ? null : followersAt.toEpochMilli();
      SqliteStore.update(c, "UPDATE safety_checks SET state = 'running', started_ms = ?, repeat_ms = ?,"
          + " followers_ms = ?, next_wave_ms = ? WHERE id = ?",
          now.toEpochMilli(), repeatMs, followersMs, minOf(repeatMs, followersMs), id);
      return one(c, id);
    });
  }

  @Override
  public Future<Optional<Check>> closeCheck(String id, Instant now) {
    return store.write(c -> SqliteStore.update(c,
        "UPDATE safety_checks SET state = 'closed', closed_ms = ?, next_wave_ms = NULL, lease_owner = NULL,"
            + " lease_until_ms = NULL WHERE id = ? AND state = 'running'",
        now.toEpochMilli(), id) == 0 ? Optional.<Check>empty() : one(c, id));
  }

  private static String column(String state) {
    return switch (state) {
      case "safe" -> "safe";
      case "need_help" -> "need_help";
      case "no_answer" -> "no_answer";
      case "unreachable" -> "unreachable";
      default -> throw new IllegalArgumentException("unknown state " + state);
    };
  }

  @Override
  public Future<AnsweredCheckIn> answerWithCheckIn(String id, org.crisishub.domain.CheckInRequest req, Instant now) {
    String status = req.status().wire();
    String to = column(status);
    return store.write(c -> {
      String state = null;
      String from = null;
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT k.state, p.state FROM safety_checks k"
          + " LEFT JOIN safety_people p ON p.check_id = k.id AND p.phone = ? WHERE k.id = ?")) {
        st.ps().setString(1, req.phone());
        st.ps().setString(2, id);
        try (ResultSet rs = st.ps().executeQuery()) {
          if (rs.next()) {
            state = rs.getString(1);
            from = rs.getString(2);
          }
        }
      }
      if (state == null) {
        return new AnsweredCheckIn("no_such_check", null);
      }
      if (!"running".equals(state)) {
        return new AnsweredCheckIn("not_running", null);
      }
      if (from == null) {
        return new AnsweredCheckIn("not_in_audience", null);
      }
      // The answer's moves first, the check-in last: its in-memory status time is set only by a
      // check-in whose unit of work got that far.
      SqliteStore.update(c, "UPDATE safety_people SET state = ?, at_ms = ?, channel = ? WHERE check_id = ? AND phone = ?",
          status, now.toEpochMilli(), req.channel().wire(), id, req.phone());
      if (!from.equals(status)) {
        String f = column(from);
        SqliteStore.update(c, "UPDATE safety_checks SET " + f + " = " + f + " - 1, " + to + " = " + to + " + 1"
            + " WHERE id = ?", id);
      }
      return new AnsweredCheckIn("ok", store.checkIns().record(c, req, now));
    });
  }

  @Override
  public Future<AnswerResult> answer(String id, String phone, String status, String channel, Instant now) {
    String to = column(status);
    return store.write(c -> {
      Optional<Check> chk = one(c, id);
      if (chk.isEmpty()) {
        return new AnswerResult("no_such_check", null);
      }
      if (!"running".equals(chk.get().state())) {
        return new AnswerResult("not_running", chk.get());
      }
      String from = null;
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT state FROM safety_people WHERE check_id = ? AND phone = ?")) {
        st.ps().setString(1, id);
        st.ps().setString(2, phone);
        try (ResultSet rs = st.ps().executeQuery()) {
          if (rs.next()) {
            from = rs.getString(1);
          }
        }
      }
      if (from == null) {
        return new AnswerResult("not_in_audience", chk.get());
      }
      SqliteStore.update(c, "UPDATE safety_people SET state = ?, at_ms = ?, channel = ? WHERE check_id = ? AND phone = ?",
          status, now.toEpochMilli(), channel, id, phone);
      if (!from.equals(status)) {
        String f = column(from);
        SqliteStore.update(c, "UPDATE safety_checks SET " + f + " = " + f + " - 1, " + to + " = " + to + " + 1"
            + " WHERE id = ?", id);
      }
      return new AnswerResult("ok", one(c, id).orElseThrow());
    });
  }

  @Override
  public Future<Void> asked(String id, String phone, boolean sms, boolean session, Instant now) {
    return store.write(c -> {
      if (SqliteStore.update(c, "UPDATE safety_people SET asked = 1 WHERE check_id = ? AND phone = ? AND asked = 0",
          id, phone) == 1) {
        SqliteStore.update(c, "UPDATE safety_checks SET asked = asked + 1 WHERE id = ?", id);
      }
      if (sms) {
        SqliteStore.update(c, "UPDATE safety_people SET delivery = 'queued', error_code = NULL"
            + " WHERE check_id = ? AND phone = ?", id, phone);
      }
      if (session) {
        SqliteStore.update(c, "UPDATE safety_people SET session = 1 WHERE check_id = ? AND phone = ?", id, phone);
      }
      return null;
    });
  }

  @Override
  public Future<Void> askSent(String id, String phone, String sid, Instant now) {
    return store.write(c -> {
      SqliteStore.update(c, "UPDATE safety_people SET sid = ?, delivery = CASE WHEN delivery IS NULL"
          + " OR delivery = 'queued' THEN 'sent' ELSE delivery END WHERE check_id = ? AND phone = ?", sid, id, phone);
      return null;
    });
  }

  @Override
  public Future<Optional<String>> deliveryReport(String sid, String status, String errorCode, Instant now) {
    return store.write(c -> {
      String id = null;
      String phone = null;
      String state = null;
      boolean delivered = false;
      boolean session = false;
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT check_id, phone, state, delivered, session FROM safety_people WHERE sid = ?")) {
        st.ps().setString(1, sid);
        try (ResultSet rs = st.ps().executeQuery()) {
          if (rs.next()) {
            id = rs.getString(1);
            phone = rs.getString(2);
            state = rs.getString(3);
            delivered = rs.getInt(4) == 1;
            session = rs.getInt(5) == 1;
          }
        }
      }
      if (id == null) {
        return Optional.<String>empty();
      }
      SqliteStore.update(c, "UPDATE safety_people SET delivery = ?, error_code = ? WHERE check_id = ? AND phone = ?",
          status, errorCode, id, phone);
      if ("delivered".equals(status) && !delivered) {
        SqliteStore.update(c, "UPDATE safety_people SET delivered = 1 WHERE check_id = ? AND phone = ?", id, phone);
        SqliteStore.update(c, "UPDATE safety_checks SET delivered = delivered + 1 WHERE id = ?", id);
        if ("unreachable".equals(state)) {
          // A repeated ask reached someone whose first ask failed: they are no longer unreachable.
          SqliteStore.update(c, "UPDATE safety_people SET state = 'no_answer' WHERE check_id = ? AND phone = ?", id,
              phone);
          SqliteStore.update(c, "UPDATE safety_checks SET no_answer = no_answer + 1, unreachable = unreachable - 1"
              + " WHERE id = ?", id);
        }
      }
      if (("failed".equals(status) || "undelivered".equals(status)) && "no_answer".equals(state) && !session
          && !delivered) {
        SqliteStore.update(c, "UPDATE safety_people SET state = 'unreachable' WHERE check_id = ? AND phone = ?", id,
            phone);
        SqliteStore.update(c, "UPDATE safety_checks SET no_answer = no_answer - 1, unreachable = unreachable + 1"
            + " WHERE id = ?", id);
      }
      return Optional.of(id);
    });
  }

  private static Person person(ResultSet rs) throws SQLException {
    return new Person(rs.getString("phone"), rs.getInt("by_location") == 1, rs.getString("state"),
        instant(rs, "at_ms"), rs.getString("channel"), rs.getString("delivery"), rs.getString("error_code"),
        rs.getString("report_status"), instant(rs, "report_ms"), rs.getString("report_by"));
  }

  @Override
  public Future<List<Person>> people(String id, String state) {
    return store.read(c -> {
      // By the primary key, or with a state by the (check_id, state, phone) index: no scan of the audience.
      String sql = "SELECT " + PERSON_COLUMNS + " FROM safety_people WHERE check_id = ?"
          + (state == null ? "" : " AND state = ?") + " ORDER BY phone";
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, sql)) {
        st.ps().setString(1, id);
        if (state != null) {
          st.ps().setString(2, state);
        }
        List<Person> out = new ArrayList<>();
        try (ResultSet rs = st.ps().executeQuery()) {
          while (rs.next()) {
            out.add(person(rs));
          }
        }
        return out;
      }
    });
  }

  @Override
  public Future<PeoplePage> people(String id, String state, String after, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
    return store.read(c -> {
      // An index range: (check_id, state, phone) with a state, the primary key (check_id, phone) without.
      String sql = "SELECT " + PERSON_COLUMNS + " FROM safety_people WHERE check_id = ?"
          + (state == null ? "" : " AND state = ?") + (after == null ? "" : " AND phone > ?")
          + " ORDER BY phone LIMIT ?";
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, sql)) {
        int i = 1;
        st.ps().setString(i++, id);
        if (state != null) {
          st.ps().setString(i++, state);
        }
        if (after != null) {
          st.ps().setString(i++, after);
        }
        st.ps().setInt(i, limit + 1);
        List<Person> out = new ArrayList<>();
        try (ResultSet rs = st.ps().executeQuery()) {
          while (rs.next()) {
            out.add(person(rs));
          }
        }
        if (out.size() > limit) {
          out = out.subList(0, limit);
          return new PeoplePage(List.copyOf(out), out.get(limit - 1).phone());
        }
        return new PeoplePage(out, null);
      }
    });
  }

  @Override
  public Future<Optional<Person>> person(String id, String phone) {
    return store.read(c -> {
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT " + PERSON_COLUMNS + " FROM safety_people WHERE check_id = ? AND phone = ?")) {
        st.ps().setString(1, id);
        st.ps().setString(2, phone);
        try (ResultSet rs = st.ps().executeQuery()) {
          return rs.next() ? Optional.of(person(rs)) : Optional.<Person>empty();
        }
      }
    });
  }

  @Override
  public Future<List<Check>> openAsksOf(String phone) {
    return store.read(c -> checks(c, "WHERE state = 'running' AND id IN (SELECT check_id FROM safety_people"
        + " WHERE phone = ? AND state IN ('no_answer','unreachable')) ORDER BY started_ms DESC, id DESC", phone));
  }

  @Override
  public Future<List<String>> audiencePage(String id, String after, int limit) {
    return store.read(c -> {
      List<String> out = new ArrayList<>();
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT phone FROM safety_people WHERE check_id = ? AND phone > ? ORDER BY phone LIMIT ?")) {
        st.ps().setString(1, id);
        st.ps().setString(2, after == null ? "" : after);
        st.ps().setInt(3, limit);
        try (ResultSet rs = st.ps().executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }

  @Override
  public Future<Void> askedSessions(String id, List<String> phones, Instant now) {
    if (phones.isEmpty()) {
      return Future.succeededFuture();
    }
    return store.write(c -> {
      long newly = 0;
      for (String p : phones) {
        newly += SqliteStore.update(c, "UPDATE safety_people SET asked = 1 WHERE check_id = ? AND phone = ?"
            + " AND asked = 0", id, p);
        SqliteStore.update(c, "UPDATE safety_people SET session = 1 WHERE check_id = ? AND phone = ?", id, p);
      }
      if (newly > 0) {
        SqliteStore.update(c, "UPDATE safety_checks SET asked = asked + ? WHERE id = ?", newly, id);
      }
      return null;
    });
  }

  static Long minOf(Long a, Long b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : Math.min(a, b);
  }

  // ---------------------------------------------------------------- escalation waves and reports

  @Override
  public Future<List<String>> dueWaves(Instant now, int max) {
    return waves.dueWaves(now, max);
  }

  @Override
  public Future<Optional<WaveClaim>> claimWave(String id, String owner, Instant now, Duration lease) {
    return waves.claimWave(id, owner, now, lease);
  }

  @Override
  public Future<Optional<WaveBatch>> waveBatch(String id, String wave, String owner, Instant now, Duration lease,
      int limit) {
    return waves.waveBatch(id, wave, owner, now, lease, limit);
  }

  @Override
  public Future<Optional<List<WaveItem>>> waveCommit(String id, String wave, String owner, Instant now,
      Duration lease, String cursor, List<WaveItem> items) {
    return waves.waveCommit(id, wave, owner, now, lease, cursor, items);
  }

  @Override
  public Future<List<WaveItem>> pendingFrames(String id, int max) {
    return waves.pendingFrames(id, max);
  }

  @Override
  public Future<Void> framesSent(String id, List<String> phones) {
    return waves.framesSent(id, phones);
  }

  @Override
  public Future<Boolean> finishWave(String id, String wave, String owner, Instant now) {
    return waves.finishWave(id, wave, owner, now);
  }

  @Override
  public Future<Integer> releaseWaveLeases() {
    return waves.releaseWaveLeases();
  }

  @Override
  public Future<Boolean> reached(String id, String phone, String follower) {
    return waves.reached(id, phone, follower);
  }

  @Override
  public Future<ReportResult> report(String id, String phone, String follower, String status, String note,
      Instant now) {
    return reports.report(id, phone, follower, status, note, now);
  }

  @Override
  public Future<List<Report>> reportedHelp(String incident) {
    return reports.reportedHelp(incident);
  }

  @Override
  public Future<Optional<Report>> newestOpenReported(String follower) {
    return reports.newestOpenReported(follower);
  }

  @Override
  public Future<Optional<Report>> reportedRequest(String reportId) {
    return reports.reportedRequest(reportId);
  }

  @Override
  public Future<HelpStateResult> setReportedState(String reportId, String state, String responder, String agency,
      Instant now) {
    return reports.setReportedState(reportId, state, responder, agency, now);
  }

  @Override
  public Future<List<String>> latestInside(Area area) {
    return store.read(c -> {
      List<String> out = new ArrayList<>();
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT c.* FROM checkins c JOIN people p ON p.phone = c.phone AND c.seq = p.last_seq"
              + " WHERE c.lat IS NOT NULL ORDER BY c.phone");
           ResultSet rs = st.ps().executeQuery()) {
        while (rs.next()) {
          CheckIn ci = SqliteStore.checkIn(rs);
          if (area.contains(ci.location())) {
            out.add(ci.phone());
          }
        }
      }
      return out;
    });
  }
}
