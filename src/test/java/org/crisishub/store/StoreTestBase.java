package org.crisishub.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the per-concern store contract tests share: a Vert.x of each test's own and a started store
 * from {@link #newStore} (an empty one: each engine's subclass says how), closed after the test.
 * A subclass's own {@code @BeforeEach} runs after {@link #openStore}, with {@link #store} started.
 */
public abstract class StoreTestBase {
  protected Vertx vertx;
  protected Store store;

  /** A fresh, empty, not yet started store. */
  protected abstract Store newStore(Vertx vertx) throws Exception;

  @BeforeEach
  void openStore() throws Exception {
    vertx = Vertx.vertx();
    store = newStore(vertx);
    await(store.start());
  }

  @AfterEach
  void closeStore() throws Exception {
    await(store.close());
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Waits (at most 20 s) for {@code f}; its result, or its failure thrown. */
  protected static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }
}
