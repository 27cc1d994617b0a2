package org.crisishub.store;

import io.vertx.core.Vertx;
import org.crisishub.store.redis.RedisStore;
import org.junit.jupiter.api.DisplayName;

/** The contract of {@link CheckInLog} against a real redis-server of the test's own (AOF, appendfsync always). */
@DisplayName("The check-in log: per-person seq, idempotency, late check-ins, reads on the Redis store")
class RedisCheckInLogTest extends CheckInLogContractTest {
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
