package org.crisishub.store;

import io.vertx.core.Vertx;
import org.crisishub.store.redis.RedisStore;
import org.junit.jupiter.api.DisplayName;

/** The contract of {@link Outbox} against a real redis-server of the test's own (AOF, appendfsync always). */
@DisplayName("The SMS outbox: leases, coalescing, retries, consent, opt-outs on the Redis store")
class RedisOutboxTest extends OutboxContractTest {
  @org.junit.jupiter.api.extension.RegisterExtension
  static final org.crisishub.support.RedisServerExtension REDIS = new org.crisishub.support.RedisServerExtension();

  @Override
  protected Store newStore(Vertx vertx) throws Exception {
    return REDIS.freshStore(vertx);
  }

  @Override
  protected Store reopen(Vertx vertx) {
    return new RedisStore(vertx, REDIS.server().url(), RedisStore.Durability.ALWAYS);
  }
}
