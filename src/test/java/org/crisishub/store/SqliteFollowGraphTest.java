package org.crisishub.store;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.crisishub.store.embedded.SqliteStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The follow graph: consent, labels, trusted contacts on the embedded (SQLite) store")
class SqliteFollowGraphTest extends FollowGraphContractTest {
  @TempDir
  Path dir;

  @Override
  protected Store newStore(Vertx vertx) {
    return new SqliteStore(vertx, dir, new SimpleMeterRegistry());
  }

  @Override
  protected Store reopen(Vertx vertx) {
    return new SqliteStore(vertx, dir, new SimpleMeterRegistry());
  }
}
