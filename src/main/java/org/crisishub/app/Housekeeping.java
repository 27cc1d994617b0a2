package org.crisishub.app;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.edge.KeepAlive;
import org.crisishub.fanout.FanOut;
import org.crisishub.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's periodic work: the store's health every 2 s, session keep-alive and idle close every third
 * of the idle timeout, closing stalled sessions (a quarter of the stall timeout, 250 ms to 1 s), and
 * the retention purge 1 s after start and every 10 minutes. Timers run on Vert.x; {@link #start()}
 * and {@link #stop()} are called once each, from any thread.
 */
final class Housekeeping {
  private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

  private final Vertx vertx;
  private final Store store;
  private final FanOut fanOut;
  private final Clock clock;
  private final int idleSeconds;
  private final int stallSeconds;
  private final int retentionDays;
  private final AtomicInteger storeUp = new AtomicInteger(1);
  private final List<Long> timers = new ArrayList<>();
  private org.crisishub.core.AuditReport audit;

  /**
   * @param idleSeconds {@code HUB_WS_IDLE_SECONDS}
   * @param stallSeconds {@code HUB_WS_STALL_SECONDS}
   * @param retentionDays {@code HUB_RETENTION_DAYS}
   */
  Housekeeping(Vertx vertx, Store store, FanOut fanOut, Clock clock, int idleSeconds, int stallSeconds,
      int retentionDays) {
    this.vertx = vertx;
    this.store = store;
    this.fanOut = fanOut;
    this.clock = clock;
    this.idleSeconds = idleSeconds;
    this.stallSeconds = stallSeconds;
    this.retentionDays = retentionDays;
  }

  /** 1 while the last store ping succeeded, 0 while it failed (for the {@code hub.store.up} gauge). */
  AtomicInteger storeUp() {
    return storeUp;
  }

  /** Logs and exports the audit trail's head hourly once started (see {@link org.crisishub.core.AuditReport}). */
  Housekeeping reportAudit(org.crisishub.core.AuditReport report) {
    this.audit = report;
    return this;
  }

  synchronized void start() {
    timers.add(vertx.setPeriodic(2000, t -> store.ping().onComplete(ar -> storeUp.set(ar.succeeded() ? 1 : 0))));
    long idleMs = idleSeconds * 1000L;
    long stallMs = stallSeconds * 1000L;
    timers.add(vertx.setPeriodic(Math.max(1000, idleMs / 3), t -> KeepAlive.sweep(fanOut, idleMs)));
    timers.add(vertx.setPeriodic(Math.max(250, Math.min(1000, stallMs / 4)), t -> fanOut.closeStalled(stallMs)));
    org.crisishub.core.RetentionPurge purge = new org.crisishub.core.RetentionPurge(store,
        Duration.ofDays(retentionDays));
    timers.add(vertx.setPeriodic(1000, Duration.ofMinutes(10).toMillis(), t -> purge.run(clock.instant())
        .onFailure(e -> LOG.warn("retention purge failed: {}", e.getMessage()))));
    if (audit != null) {
      // The head hash and count, hourly in the log and always in /metrics: a copy kept elsewhere shows
      // a cut-off tail (docs/operations.md, "The audit trail").
      timers.add(vertx.setPeriodic(5_000, Duration.ofHours(1).toMillis(), t -> audit.report()));
    }
  }

  synchronized void stop() {
    timers.forEach(vertx::cancelTimer);
    timers.clear();
  }
}
