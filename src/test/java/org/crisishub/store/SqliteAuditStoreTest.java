package org.crisishub.store;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import org.crisishub.store.embedded.SqliteStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Audit chain on the embedded (SQLite) store")
class SqliteAuditStoreTest extends AuditStoreContractTest {
  @TempDir
  Path dir;

  @Override
  protected Store newStore(Vertx vertx) {
    return new SqliteStore(vertx, dir, new SimpleMeterRegistry());
  }

  private void exec(String sql, Object... args) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  @Override
  protected void editActor(long id, String actor) throws Exception {
    exec("UPDATE audit SET actor = ? WHERE seq = ?", actor, id);
  }

  @Override
  protected void delete(long id) throws Exception {
    exec("DELETE FROM audit WHERE seq = ?", id);
  }
}
