package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.crisishub.store.embedded.SqliteStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Embedded (SQLite) store")
class SqliteStoreContractTest extends StoreContractTest {
  @TempDir
  Path dir;
  SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Override
  protected Store newStore(Vertx vertx) {
    return new SqliteStore(vertx, dir, registry);
  }

  @Override
  protected Store reopen(Vertx vertx) {
    return new SqliteStore(vertx, dir, registry);
  }

  @Test
  @DisplayName("runs in WAL mode with a versioned schema")
  void pragmas() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
         Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
        rs.next();
        assertEquals("wal", rs.getString(1));
      }
      try (ResultSet rs = st.executeQuery("PRAGMA user_version")) {
        rs.next();
        assertEquals(16, rs.getInt(1), "schema version");
      }
    }
  }

  @Test
  @DisplayName("a burst of check-ins is group-committed: far fewer commits than check-ins")
  void groupCommit() throws Exception {
    var futures = new java.util.ArrayList<io.vertx.core.Future<?>>();
    for (int i = 0; i < 2000; i++) {
      futures.add(store.recordCheckIn(req("+1555000" + String.format("%04d", i % 50), org.crisishub.domain.Status.SAFE,
          null, null), T0));
    }
    await(io.vertx.core.Future.all(futures));
    var batches = registry.find("hub.store.commit.batch").summary();
    assertTrue(batches.count() < 1000, "commits: " + batches.count());
    assertEquals(2000, (long) batches.totalAmount());
  }
}
