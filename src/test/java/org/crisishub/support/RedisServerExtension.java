package org.crisishub.support;

import io.vertx.core.Vertx;
import org.crisishub.store.Store;
import org.crisishub.store.redis.RedisStore;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A redis-server of the test class's own (random port, temporary folder, AOF with appendfsync
 * always), started before its tests and stopped after them. Register it as a static field with
 * {@code @RegisterExtension}; {@link #freshStore} gives each test a store on an emptied database.
 */
public final class RedisServerExtension implements BeforeAllCallback, AfterAllCallback {
  private RedisServer server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server = RedisServer.startNew();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /** The running server. */
  public RedisServer server() {
    return server;
  }

  /** Empties the database (FLUSHALL), then returns a new, not yet started store on it. */
  public Store freshStore(Vertx vertx) throws Exception {
    try (var s = new java.net.Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write("FLUSHALL\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getInputStream().read(new byte[16]);
    }
    return new RedisStore(vertx, server.url(), RedisStore.Durability.ALWAYS);
  }
}
