package org.crisishub.core;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import org.crisishub.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One retention purge ({@code HUB_RETENTION_DAYS}): deletes what the rules no longer allow to keep
 * ({@link Store#purge}) and, when anything was deleted, leaves an audit entry that says only its kind
 * and count: actor {@code system}, action {@code retention.purge}, subject {@code checkins}, detail
 * the count. Run by the hub every 10 minutes; thread-safe.
 */
public final class RetentionPurge {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionPurge.class);
  private final Store store;
  private final Duration retention;

  public RetentionPurge(Store store, Duration retention) {
    this.store = store;
    this.retention = retention;
  }

  /** Purges as of {@code now}; the number of check-ins deleted, once its audit entry is durable. */
  public Future<Integer> run(Instant now) {
    return store.purge(now, retention).compose(n -> {
      if (n == 0) {
        return Future.succeededFuture(0);
      }
      LOG.info("retention: deleted {} check-ins older than {} days", n, retention.toDays());
      return store.audit("system", "retention.purge", "checkins", "done", String.valueOf(n), now).map(n);
    });
  }
}
