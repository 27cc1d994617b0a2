package org.crisishub.store.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crisishub.store.SafetyCheckStore.Report;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports from before migration 13: each follower's latest is their current one, a need_help an open request. */
class SqliteSafetyReportsMigrationTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("at migration 13 each follower's latest report about a person becomes current; reported need_help open")
  void currentPerFollower() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
         Statement st = c.createStatement()) {
      for (int v = 0; v < 12; v++) {
        for (String sql : Migrations.STEPS.get(v)) {
          if (!sql.startsWith("-- java")) {
            st.execute(sql);
          }
        }
      }
      st.execute("PRAGMA user_version = 12");
      st.execute("INSERT INTO safety_checks (id, incident, author, agency, state, question, audience_json,"
          + " needs_approval, audience_size, sms_recipients, sms_segments, sms_encoding, estimated_send_s, created_ms,"
          + " started_ms, no_answer) VALUES ('w', 'FLOOD', 'ann', 'EMS', 'running', 'Are you safe?', '{}', 0, 1, 1, 1,"
          + " 'GSM-7', 1, 1000, 1000, 1)");
      st.execute("INSERT INTO safety_people (check_id, phone, by_location, state) VALUES ('w', '+15550000001', 0,"
          + " 'no_answer')");
      st.execute("INSERT INTO safety_reports (id, check_id, incident, phone, follower, status, note, at_ms) VALUES"
          + " ('r1', 'w', 'FLOOD', '+15550000001', '+15550000011', 'need_help', 'old', 2000),"
          + " ('r2', 'w', 'FLOOD', '+15550000001', '+15550000011', 'need_help', 'new', 3000),"
          + " ('r3', 'w', 'FLOOD', '+15550000001', '+15550000012', 'need_help', 'other', 2500)");
    }
    Vertx vertx = Vertx.vertx();
    SqliteStore store = new SqliteStore(vertx, dir, new SimpleMeterRegistry());
    try {
      store.start().await(20, TimeUnit.SECONDS);
      List<Report> help = store.safetyChecks().reportedHelp("FLOOD").await(10, TimeUnit.SECONDS);
      assertEquals(List.of("r3", "r2"), help.stream().map(Report::id).toList(), "the latest of each follower");
      assertEquals(List.of("open", "open"), help.stream().map(Report::helpState).toList());
      assertEquals("r2", store.safetyChecks().newestOpenReported("+15550000011").await(10, TimeUnit.SECONDS)
          .orElseThrow().id());
    } finally {
      store.close().await(20, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
