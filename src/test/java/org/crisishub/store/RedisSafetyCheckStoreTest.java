package org.crisishub.store;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.DisplayName;

/** The safety-check contract against a real redis-server of the test's own. */
@DisplayName("Safety checks on the Redis store")
class RedisSafetyCheckStoreTest extends SafetyCheckStoreContractTest {
  @org.junit.jupiter.api.extension.RegisterExtension
  static final org.crisishub.support.RedisServerExtension REDIS = new org.crisishub.support.RedisServerExtension();

  @Override
  protected Store newStore(Vertx vertx) throws Exception {
    return REDIS.freshStore(vertx);
  }
}
