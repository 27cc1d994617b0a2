package org.crisishub.store;

import io.vertx.core.Vertx;
import org.crisishub.store.redis.RedisStore;
import org.crisishub.support.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The template contract against a real redis-server of the test's own. */
@DisplayName("Notice templates on the Redis store")
class RedisTemplateStoreTest extends TemplateStoreContractTest {
  static RedisServer server;

  @BeforeAll
  static void startRedis() throws Exception {
    server = RedisServer.startNew();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    server.close();
  }

  @Override
  protected Store newStore(Vertx vertx) throws Exception {
    try (var s = new java.net.Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write("FLUSHALL\r\n".getBytes());
      s.getInputStream().read(new byte[16]);
    }
    return new RedisStore(vertx, server.url(), RedisStore.Durability.ALWAYS);
  }
}
