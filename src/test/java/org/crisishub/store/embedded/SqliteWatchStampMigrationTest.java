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
import org.crisishub.store.TriageStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Watch terms stored before their stamp existed (schema 11) keep working after migration 12. */
class SqliteWatchStampMigrationTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("terms from schema 11 read with stamp 0 after migration 12; the next set raises it")
  void oldTermsGetStampZero() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
         Statement st = c.createStatement()) {
      for (int v = 0; v < 11; v++) {
        for (String sql : Migrations.STEPS.get(v)) {
          if (!sql.startsWith("-- java:")) {
            st.execute(sql);
          }
        }
      }
      st.execute("PRAGMA user_version = 11");
      st.execute("INSERT INTO watch_terms (incident, terms_json) VALUES ('FLOOD1', '[\"trapped\",\"atrapado\"]')");
    }
    Vertx vertx = Vertx.vertx();
    SqliteStore store = new SqliteStore(vertx, dir, new SimpleMeterRegistry());
    try {
      store.start().await(20, TimeUnit.SECONDS);
      assertEquals(new TriageStore.WatchTerms(List.of("trapped", "atrapado"), 0),
          store.triage().stampedWatchTerms("FLOOD1").await(10, TimeUnit.SECONDS));
      assertEquals(1L, store.triage().setWatchTerms("FLOOD1", List.of("trapped")).await(10, TimeUnit.SECONDS));
      assertEquals(new TriageStore.WatchTerms(List.of("trapped"), 1),
          store.triage().stampedWatchTerms("FLOOD1").await(10, TimeUnit.SECONDS));
    } finally {
      store.close().await(20, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
