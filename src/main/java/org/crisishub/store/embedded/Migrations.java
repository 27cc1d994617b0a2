package org.crisishub.store.embedded;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.crisishub.store.AuditChain;

/**
 * Versioned schema of the embedded store. Version N is the N-th entry of {@link #STEPS}; the
 * applied version is kept in SQLite's {@code user_version}. Steps are append-only: never edit a
 * released step, add a new one.
 */
final class Migrations {
  /** A step statement run in Java: chains the existing audit rows in {@code seq} order, renumbered 1..n. */
  static final String CHAIN_AUDIT = "-- java: chain the audit trail";
  static final List<String[]> STEPS = List.<String[]>of(
      new String[] {
          """
          CREATE TABLE people (
            phone TEXT PRIMARY KEY,
            last_seq INTEGER NOT NULL
          ) WITHOUT ROWID""",
          """
          CREATE TABLE checkins (
            id TEXT PRIMARY KEY,
            phone TEXT NOT NULL,
            seq INTEGER NOT NULL,
            status TEXT NOT NULL,
            note TEXT,
            lat REAL,
            lon REAL,
            accuracy_m REAL,
            incident TEXT,
            channel TEXT NOT NULL,
            at_ms INTEGER NOT NULL,
            notified INTEGER NOT NULL,
            UNIQUE (phone, seq)
          )""",
          "CREATE INDEX checkins_at ON checkins (at_ms)",
          """
          CREATE TABLE idempotency (
            phone TEXT NOT NULL,
            key TEXT NOT NULL,
            checkin_id TEXT NOT NULL,
            at_ms INTEGER NOT NULL,
            PRIMARY KEY (phone, key)
          ) WITHOUT ROWID""",
          """
          CREATE TABLE follows (
            follower TEXT NOT NULL,
            subject TEXT NOT NULL,
            state TEXT NOT NULL,
            sms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            PRIMARY KEY (follower, subject)
          ) WITHOUT ROWID""",
          "CREATE INDEX follows_subject ON follows (subject, state)",
          """
          CREATE TABLE contacts (
            owner TEXT NOT NULL,
            contact TEXT NOT NULL,
            at_ms INTEGER NOT NULL,
            PRIMARY KEY (owner, contact)
          ) WITHOUT ROWID""",
          """
          CREATE TABLE otp (
            phone TEXT PRIMARY KEY,
            code_hash TEXT NOT NULL,
            expires_ms INTEGER NOT NULL,
            tries INTEGER NOT NULL
          ) WITHOUT ROWID""",
          """
          CREATE TABLE revoked_tokens (
            token_id TEXT PRIMARY KEY,
            expires_ms INTEGER NOT NULL
          ) WITHOUT ROWID"""
      },
      // 2: the SMS channel: durable outbox, opt-outs, inbound MessageSid dedupe, incident SMS
      // subscriptions, delivery reports.
      new String[] {
          """
          CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            to_phone TEXT NOT NULL,
            coalesce_key TEXT,
            subject TEXT,
            body TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_at_ms INTEGER NOT NULL,
            lease_owner TEXT,
            lease_until_ms INTEGER,
            sid TEXT,
            error TEXT,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
          )""",
          "CREATE INDEX outbox_due ON outbox (state, next_at_ms)",
          "CREATE INDEX outbox_coalesce ON outbox (to_phone, coalesce_key, state)",
          "CREATE INDEX outbox_sid ON outbox (sid)",
          """
          CREATE TABLE sms_optout (
            phone TEXT PRIMARY KEY,
            at_ms INTEGER NOT NULL
          ) WITHOUT ROWID""",
          """
          CREATE TABLE sms_inbound (
            message_sid TEXT PRIMARY KEY,
            reply TEXT NOT NULL,
            at_ms INTEGER NOT NULL
          ) WITHOUT ROWID""",
          """
          CREATE TABLE incident_sms (
            incident TEXT NOT NULL,
            phone TEXT NOT NULL,
            at_ms INTEGER NOT NULL,
            PRIMARY KEY (incident, phone)
          ) WITHOUT ROWID""",
          """
          CREATE TABLE sms_delivery (
            sid TEXT NOT NULL,
            status TEXT NOT NULL,
            error_code TEXT,
            at_ms INTEGER NOT NULL
          )"""
      },
      // 3: responders, incidents, signed notices, agency signing keys, audit trail, help requests.
      new String[] {
          """
          CREATE TABLE responders (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            agency TEXT NOT NULL,
            roles TEXT NOT NULL,
            disabled INTEGER NOT NULL,
            created_ms INTEGER NOT NULL
          ) WITHOUT ROWID""",
          """
          CREATE TABLE incidents (
            code TEXT PRIMARY KEY,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            area_json TEXT,
            two_person INTEGER NOT NULL,
            state TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            closed_ms INTEGER
          ) WITHOUT ROWID""",
          """
          CREATE TABLE agency_keys (
            kid TEXT PRIMARY KEY,
            agency TEXT NOT NULL,
            private_pkcs8 BLOB NOT NULL,
            public_spki BLOB NOT NULL,
            active INTEGER NOT NULL,
            created_ms INTEGER NOT NULL
          ) WITHOUT ROWID""",
          """
          CREATE TABLE notices (
            id TEXT PRIMARY KEY,
            incident TEXT NOT NULL,
            author TEXT NOT NULL,
            agency TEXT NOT NULL,
            state TEXT NOT NULL,
            approved_by TEXT,
            draft_json TEXT NOT NULL,
            signed_json TEXT,
            expires_ms INTEGER,
            created_ms INTEGER NOT NULL,
            published_ms INTEGER
          ) WITHOUT ROWID""",
          "CREATE INDEX notices_incident ON notices (incident, state)",
          """
          CREATE TABLE audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at_ms INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT,
            outcome TEXT NOT NULL,
            detail TEXT
          )""",
          """
          CREATE TABLE help_requests (
            checkin_id TEXT PRIMARY KEY,
            incident TEXT NOT NULL,
            phone TEXT NOT NULL,
            state TEXT NOT NULL,
            by_responder TEXT,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
          ) WITHOUT ROWID""",
          "CREATE INDEX help_incident ON help_requests (incident, state)"
      },
      // 4: incidents belong to agencies: an owner and partners. An incident made before takes the
      // agency of the responder named in its creation audit entry; failing that it stays without
      // owner until the admin adds a first partner.
      new String[] {
          "ALTER TABLE incidents ADD COLUMN agency TEXT",
          "ALTER TABLE incidents ADD COLUMN partners_json TEXT NOT NULL DEFAULT '[]'",
          """
          UPDATE incidents SET agency = (
            SELECT r.agency FROM audit a JOIN responders r ON r.username = a.actor
            WHERE a.action = 'incident.create' AND a.outcome = 'done' AND a.target = incidents.code
            ORDER BY a.seq LIMIT 1)
          WHERE agency IS NULL"""
      },
      // 5: the client's time of a check-in (madeAt) and lateness; the agency on a help request.
      new String[] {
          // v2: the client's time of a check-in sent from an offline queue, and whether it came late
          // (older than the person's latest status, which it then did not replace).
          "ALTER TABLE checkins ADD COLUMN made_ms INTEGER",
          "ALTER TABLE checkins ADD COLUMN late INTEGER NOT NULL DEFAULT 0",
          // v2: the agency of the responder who last acted on a help request.
          "ALTER TABLE help_requests ADD COLUMN by_agency TEXT"
      },
      // 6: follower labels.
      new String[] {
          // v2: the private name a follower gives a person they follow (only that follower sees it).
          """
          CREATE TABLE follow_labels (
            follower TEXT NOT NULL,
            subject TEXT NOT NULL,
            label TEXT NOT NULL,
            PRIMARY KEY (follower, subject)
          ) WITHOUT ROWID"""
      },
      // 7: safety checks: the check with its tallies (counters), and one row per audience member.
      new String[] {
          """
          CREATE TABLE safety_checks (
            id TEXT PRIMARY KEY,
            incident TEXT NOT NULL,
            author TEXT NOT NULL,
            agency TEXT NOT NULL,
            state TEXT NOT NULL,
            question TEXT NOT NULL,
            audience_json TEXT NOT NULL,
            escalation_json TEXT,
            needs_approval INTEGER NOT NULL,
            approved_by TEXT,
            audience_size INTEGER NOT NULL,
            sms_recipients INTEGER NOT NULL,
            sms_segments INTEGER NOT NULL,
            sms_encoding TEXT NOT NULL,
            estimated_send_s INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            started_ms INTEGER,
            closed_ms INTEGER,
            asked INTEGER NOT NULL DEFAULT 0,
            delivered INTEGER NOT NULL DEFAULT 0,
            safe INTEGER NOT NULL DEFAULT 0,
            need_help INTEGER NOT NULL DEFAULT 0,
            no_answer INTEGER NOT NULL DEFAULT 0,
            unreachable INTEGER NOT NULL DEFAULT 0,
            reported_safe INTEGER NOT NULL DEFAULT 0,
            reported_need_help INTEGER NOT NULL DEFAULT 0
          ) WITHOUT ROWID""",
          "CREATE INDEX safety_checks_incident ON safety_checks (incident, created_ms)",
          """
          CREATE TABLE safety_people (
            check_id TEXT NOT NULL,
            phone TEXT NOT NULL,
            by_location INTEGER NOT NULL,
            state TEXT NOT NULL,
            at_ms INTEGER,
            channel TEXT,
            delivery TEXT,
            error_code TEXT,
            asked INTEGER NOT NULL DEFAULT 0,
            session INTEGER NOT NULL DEFAULT 0,
            delivered INTEGER NOT NULL DEFAULT 0,
            sid TEXT,
            PRIMARY KEY (check_id, phone)
          ) WITHOUT ROWID""",
          "CREATE INDEX safety_people_phone ON safety_people (phone, state)",
          "CREATE INDEX safety_people_sid ON safety_people (sid)"
      },
      // 8: the hash-chained audit trail (v2): every entry gets prevHash and hash (AuditChain);
      // entries from before are chained here with their detail dropped (it could hold a headline).
      new String[] {
          "ALTER TABLE audit ADD COLUMN prev_hash TEXT",
          "ALTER TABLE audit ADD COLUMN hash TEXT",
          "UPDATE audit SET detail = NULL",
          CHAIN_AUDIT
      },
      // 9: triage: each incident's watch terms, the terms each help request matched, and help threads
      // (the reply thread between responders and the person who asked for help).
      new String[] {
          """
          CREATE TABLE watch_terms (
            incident TEXT PRIMARY KEY,
            terms_json TEXT NOT NULL
          ) WITHOUT ROWID""",
          """
          CREATE TABLE help_watch (
            incident TEXT NOT NULL,
            checkin_id TEXT NOT NULL,
            matched_json TEXT NOT NULL,
            PRIMARY KEY (incident, checkin_id)
          ) WITHOUT ROWID""",
          "CREATE INDEX help_watch_checkin ON help_watch (checkin_id)",
          """
          CREATE TABLE help_messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            checkin_id TEXT NOT NULL,
            from_role TEXT NOT NULL,
            by_responder TEXT,
            by_agency TEXT,
            text TEXT NOT NULL,
            at_ms INTEGER NOT NULL
          )""",
          "CREATE INDEX help_messages_checkin ON help_messages (checkin_id, seq)",
          "CREATE INDEX help_requests_phone ON help_requests (phone, created_ms)"
      },
      // 10: safety-check escalation: waves (due times, cursors, one lease per check), follower reports.
      new String[] {
          "ALTER TABLE safety_checks ADD COLUMN repeat_ms INTEGER",
          "ALTER TABLE safety_checks ADD COLUMN followers_ms INTEGER",
          "ALTER TABLE safety_checks ADD COLUMN repeat_done INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE safety_checks ADD COLUMN followers_done INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE safety_checks ADD COLUMN repeat_cursor TEXT",
          "ALTER TABLE safety_checks ADD COLUMN followers_cursor TEXT",
          "ALTER TABLE safety_checks ADD COLUMN lease_owner TEXT",
          "ALTER TABLE safety_checks ADD COLUMN lease_until_ms INTEGER",
          // The earliest unfinished wave's due time (null: none left): what the schedulers look up.
          "ALTER TABLE safety_checks ADD COLUMN next_wave_ms INTEGER",
          "CREATE INDEX safety_checks_next_wave ON safety_checks (next_wave_ms)",
          "ALTER TABLE safety_people ADD COLUMN repeat_done INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE safety_people ADD COLUMN followers_done INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE safety_people ADD COLUMN report_status TEXT",
          "ALTER TABLE safety_people ADD COLUMN report_ms INTEGER",
          "ALTER TABLE safety_people ADD COLUMN report_by TEXT",
          // The per-state lists read by index, not by scanning the audience.
          "CREATE INDEX safety_people_state ON safety_people (check_id, state, phone)",
          """
          CREATE TABLE safety_reached (
            check_id TEXT NOT NULL,
            phone TEXT NOT NULL,
            follower TEXT NOT NULL,
            PRIMARY KEY (check_id, phone, follower)
          ) WITHOUT ROWID""",
          """
          CREATE TABLE safety_reports (
            id TEXT PRIMARY KEY,
            check_id TEXT NOT NULL,
            incident TEXT NOT NULL,
            phone TEXT NOT NULL,
            follower TEXT NOT NULL,
            status TEXT NOT NULL,
            note TEXT,
            at_ms INTEGER NOT NULL
          ) WITHOUT ROWID""",
          "CREATE INDEX safety_reports_incident ON safety_reports (incident, status, at_ms)",
          "CREATE INDEX safety_reports_check ON safety_reports (check_id, phone)"
      },
      // 11: notice templates (SqliteTemplates): a template's version pointers, and its versions.
      new String[] {
          """
          CREATE TABLE templates (
            id TEXT PRIMARY KEY,
            agency TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            latest INTEGER NOT NULL,
            approved INTEGER
          ) WITHOUT ROWID""",
          "CREATE INDEX templates_agency ON templates (agency)",
          """
          CREATE TABLE template_versions (
            template_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            author TEXT NOT NULL,
            content TEXT NOT NULL,
            state TEXT NOT NULL,
            approved_by TEXT,
            created_ms INTEGER NOT NULL,
            approved_ms INTEGER,
            PRIMARY KEY (template_id, version)
          ) WITHOUT ROWID"""
      },
      // 12: keyword watch: a stamp raised each time an incident's terms are set, read with each need_help
      // check-in's commit so a node can tell whether its compiled matcher is current (SqliteTriage).
      new String[] {
          "ALTER TABLE watch_terms ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0"
      },
      // 13: safety-check reports by different followers are independent (each follower's latest is
      // "current"); a reported need_help is a help request with its own state (ack/resolve); the
      // followers-wave frames committed but not yet confirmed sent (a takeover sends them again).
      new String[] {
          "ALTER TABLE safety_reports ADD COLUMN current INTEGER NOT NULL DEFAULT 1",
          "ALTER TABLE safety_reports ADD COLUMN help_state TEXT",
          "ALTER TABLE safety_reports ADD COLUMN by_responder TEXT",
          "ALTER TABLE safety_reports ADD COLUMN by_agency TEXT",
          "ALTER TABLE safety_reports ADD COLUMN updated_ms INTEGER",
          "UPDATE safety_reports SET help_state = 'open', updated_ms = at_ms WHERE status = 'need_help'",
          """
          UPDATE safety_reports SET current = 0 WHERE EXISTS (SELECT 1 FROM safety_reports r
            WHERE r.check_id = safety_reports.check_id AND r.phone = safety_reports.phone
            AND r.follower = safety_reports.follower AND (r.at_ms > safety_reports.at_ms
            OR (r.at_ms = safety_reports.at_ms AND r.id > safety_reports.id)))""",
          "CREATE INDEX safety_reports_follower ON safety_reports (check_id, phone, follower, current)",
          "CREATE INDEX safety_reports_by ON safety_reports (follower, at_ms)",
          """
          CREATE TABLE safety_frames (
            check_id TEXT NOT NULL,
            phone TEXT NOT NULL,
            followers_json TEXT NOT NULL,
            PRIMARY KEY (check_id, phone)
          ) WITHOUT ROWID"""
      },
      // 14: the outbox's two classes (person-to-person first, broadcast — safety checks, notices — after
      // it) in a column and an index, so a claim reads the next due messages of each class from the
      // index instead of sorting every waiting message (100,000 queued asks made each claim a sort).
      new String[] {
          "ALTER TABLE outbox ADD COLUMN broadcast INTEGER NOT NULL DEFAULT 0",
          "UPDATE outbox SET broadcast = 1 WHERE coalesce_key LIKE 'safety:%' OR coalesce_key LIKE 'notice:%'",
          "CREATE INDEX outbox_due_class ON outbox (state, broadcast, next_at_ms, id)"
      },
      // 15: a status notification stores what to render (its subject and the check-in's seq, the body
      // empty), not the text: the sender renders it when it sends it. Rows queued before keep their
      // text and a NULL seq, and are sent as stored.
      new String[] {
          "ALTER TABLE outbox ADD COLUMN status_seq INTEGER"
      },
      // 16: the age of the oldest waiting message (OutboxWorker reads it every 2 s, a safety check's
      // waves before each batch) from an index, not from every waiting row: with 100,000 asks queued
      // the MIN(created_ms) read them all, on one of the two readers the tallies wait for.
      new String[] {
          "CREATE INDEX outbox_waiting_age ON outbox (state, created_ms)"
      });

  private Migrations() {
  }

  private static void chainAudit(Connection c) throws SQLException {
    List<Object[]> rows = new java.util.ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT seq, at_ms, actor, action, target, outcome FROM audit ORDER BY seq")) {
      while (rs.next()) {
        rows.add(new Object[] {rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6)});
      }
    }
    try (Statement st = c.createStatement()) {
      st.execute("DELETE FROM audit");
    }
    String prev = AuditChain.GENESIS;
    long id = 0;
    try (var ps = c.prepareStatement("INSERT INTO audit (seq, at_ms, actor, action, target, outcome, detail,"
        + " prev_hash, hash) VALUES (?,?,?,?,?,?,NULL,?,?)")) {
      for (Object[] r : rows) {
        id++;
        AuditChain.Entry e = AuditChain.next(id, prev, java.time.Instant.ofEpochMilli((Long) r[1]), (String) r[2],
            (String) r[3], (String) r[4], (String) r[5], null);
        ps.setLong(1, id);
        ps.setLong(2, e.at().toEpochMilli());
        ps.setString(3, e.actor());
        ps.setString(4, e.action());
        ps.setString(5, e.subject());
        ps.setString(6, e.outcome());
        ps.setString(7, e.prevHash());
        ps.setString(8, e.hash());
        ps.executeUpdate();
        prev = e.hash();
      }
    }
  }

  /** Applies the steps the database has not seen yet, each in its own transaction. Returns the version. */
  static int apply(Connection c) throws SQLException {
    int current;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA user_version")) {
      current = rs.next() ? rs.getInt(1) : 0;
    }
    if (current > STEPS.size()) {
      throw new SQLException("database schema version " + current
          + " is newer than this hub knows (" + STEPS.size() + "): refusing to start");
    }
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      for (int v = current; v < STEPS.size(); v++) {
        try (Statement st = c.createStatement()) {
          for (String sql : STEPS.get(v)) {
            if (sql.equals(CHAIN_AUDIT)) {
              chainAudit(c);
            } else {
              st.execute(sql);
            }
          }
          st.execute("PRAGMA user_version = " + (v + 1));
        }
        c.commit();
      }
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
    return STEPS.size();
  }
}
