package org.crisishub.store.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crisishub.domain.Incident;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Incidents made before agencies existed (schema 3) get their owner at the upgrade. */
class SqliteAgencyMigrationTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("an incident from before agencies takes its creator's agency; without a creator, the admin's first partner")
  void ownersFromTheAuditTrail() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
         Statement st = c.createStatement()) {
      for (int v = 0; v < 3; v++) {
        for (String sql : Migrations.STEPS.get(v)) {
          st.execute(sql);
        }
      }
      st.execute("PRAGMA user_version = 3");
      st.execute("INSERT INTO responders VALUES ('ann', 'h', 'County EMS', 'publisher', 0, 1)");
      st.execute("INSERT INTO responders VALUES ('bo', 'h', 'Fire Dept', 'publisher', 0, 1)");
      st.execute("INSERT INTO incidents (code, id, name, two_person, state, created_ms) VALUES ('FLOOD7', 'a', 'F', 0,"
          + " 'open', 1)");
      st.execute("INSERT INTO incidents (code, id, name, two_person, state, created_ms) VALUES ('FIRE2', 'b', 'F', 0,"
          + " 'open', 2)");
      st.execute("INSERT INTO incidents (code, id, name, two_person, state, created_ms) VALUES ('QUAKE3', 'c', 'Q', 0,"
          + " 'open', 3)");
      // A refused attempt by bo comes first: only the creation that was done counts.
      st.execute("INSERT INTO audit (at_ms, actor, action, target, outcome) VALUES (1, 'bo', 'incident.create',"
          + " 'FLOOD7', 'refused')");
      st.execute("INSERT INTO audit (at_ms, actor, action, target, outcome) VALUES (2, 'ann', 'incident.create',"
          + " 'FLOOD7', 'done')");
      st.execute("INSERT INTO audit (at_ms, actor, action, target, outcome) VALUES (3, 'gone', 'incident.create',"
          + " 'FIRE2', 'done')");
    }
    Vertx vertx = Vertx.vertx();
    SqliteStore store = new SqliteStore(vertx, dir, new SimpleMeterRegistry());
    try {
      store.start().await(20, TimeUnit.SECONDS);
      assertEquals("County EMS", store.incident("FLOOD7").await(10, TimeUnit.SECONDS).orElseThrow().agency());
      assertNull(store.incident("FIRE2").await(10, TimeUnit.SECONDS).orElseThrow().agency(),
          "its creator's account no longer exists");
      assertNull(store.incident("QUAKE3").await(10, TimeUnit.SECONDS).orElseThrow().agency(), "no creation entry");
      Incident adopted = store.setIncidentPartner("QUAKE3", "Police", true).await(10, TimeUnit.SECONDS).orElseThrow();
      assertEquals("Police", adopted.agency());
      assertEquals(List.of(), adopted.partners());
    } finally {
      store.close().await(20, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
