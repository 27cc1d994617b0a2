package org.crisishub.store.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crisishub.core.AuditService;
import org.crisishub.store.AuditChain;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Audit entries from before the chain (schema 7) are chained at the upgrade, their detail dropped. */
class SqliteAuditMigrationTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("v1 audit rows are chained in order at migration 8, without their detail, and new entries follow")
  void chainsOldEntries() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
         Statement st = c.createStatement()) {
      for (int v = 0; v < 7; v++) {
        for (String sql : Migrations.STEPS.get(v)) {
          st.execute(sql);
        }
      }
      st.execute("PRAGMA user_version = 7");
      st.execute("INSERT INTO audit (at_ms, actor, action, target, outcome, detail) VALUES (1000, 'ann',"
          + " 'incident.create', 'FLOOD7', 'done', NULL)");
      st.execute("INSERT INTO audit (at_ms, actor, action, target, outcome, detail) VALUES (2000, 'ann',"
          + " 'notice.draft', 'n1', 'done', 'Boil water on Elm Street')");
    }
    Vertx vertx = Vertx.vertx();
    SqliteStore store = new SqliteStore(vertx, dir, new SimpleMeterRegistry());
    try {
      store.start().await(20, TimeUnit.SECONDS);
      store.audit("bo", "notice.approve", "n1", "done", null, Instant.parse("2026-11-22T10:00:00Z"))
          .await(10, TimeUnit.SECONDS);
      List<AuditChain.Entry> es = store.auditPage(0, 10).await(10, TimeUnit.SECONDS);
      assertEquals(List.of("incident.create", "notice.draft", "notice.approve"),
          es.stream().map(AuditChain.Entry::action).toList());
      assertNull(es.get(1).detail(), "the v1 detail (a headline) is dropped");
      assertEquals(AuditChain.GENESIS, es.get(0).prevHash());
      AuditService.Verification v = new AuditService(store).verify().await(10, TimeUnit.SECONDS);
      assertTrue(v.ok());
      assertEquals(3, v.entries());
    } finally {
      store.close().await(20, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
