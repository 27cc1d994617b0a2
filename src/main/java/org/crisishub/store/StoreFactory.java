package org.crisishub.store;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Objects;
import org.crisishub.store.embedded.SqliteStore;
import org.crisishub.store.redis.RedisStore;

/**
 * Makes the {@link Store} of an engine: the one place that knows the engine classes. The store it
 * returns is not started yet ({@link Store#start}).
 */
public final class StoreFactory {
  private StoreFactory() {
  }

  /** The engines. */
  public enum Engine {
    /** SQLite in {@code dataDir}: one node, group-committed writes. */
    EMBEDDED,
    /** A Redis server: every node of a cluster shares it. */
    REDIS
  }

  /**
   * What an engine is made from. {@code dataDir}: the embedded store's folder (its {@code hub.db});
   * {@code redisUrl}, {@code durability} and {@code auditChainDelayMs} (0: chain at once): Redis only.
   * (The engines render no SMS text: status notifications are rendered when sent, in the zone the
   * sender is given.)
   */
  public record Settings(Engine engine, Path dataDir, String redisUrl, RedisStore.Durability durability,
      long auditChainDelayMs) {
    public Settings {
      Objects.requireNonNull(engine, "engine");
      if (engine == Engine.EMBEDDED) {
        Objects.requireNonNull(dataDir, "dataDir");
      } else {
        Objects.requireNonNull(redisUrl, "redisUrl");
        Objects.requireNonNull(durability, "durability");
      }
    }
  }

  /**
   * The store {@code settings} describe, on {@code vertx}; the embedded engine reports its commit
   * batches, checkpoints and WAL size to {@code registry}. Throws {@code NullPointerException} when a
   * setting the engine needs is missing.
   */
  public static Store create(Vertx vertx, Settings settings, MeterRegistry registry) {
    return switch (settings.engine()) {
      case EMBEDDED -> new SqliteStore(vertx, settings.dataDir(), registry);
      case REDIS -> new RedisStore(vertx, settings.redisUrl(), settings.durability())
          .auditChainDelay(settings.auditChainDelayMs());
    };
  }

  /**
   * Whether this process is the only one that sends from {@code store}'s outbox and runs its
   * safety-check waves (the embedded engine): then claims and wave leases left by a crash are
   * free again at start.
   */
  public static boolean singleProcess(Store store) {
    return store instanceof SqliteStore;
  }
}
