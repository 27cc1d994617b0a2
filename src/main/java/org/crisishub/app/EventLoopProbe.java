package org.crisishub.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.concurrent.TimeUnit;

/**
 * Measures event-loop lag: one instance per event loop schedules a timer every {@value #PERIOD_MS}
 * ms and records how late it fires ({@code hub_eventloop_lag_seconds}). A loop busy with a long task
 * (or starved of CPU) shows here before clients notice.
 */
final class EventLoopProbe extends VerticleBase {
  static final long PERIOD_MS = 250;
  private final Timer lag;
  private long expected;

  EventLoopProbe(MeterRegistry registry) {
    this.lag = Timer.builder("hub.eventloop.lag").description("how late a timer on an event loop fires")
        .publishPercentiles(0.5, 0.99).register(registry);
  }

  @Override
  public Future<?> start() {
    expected = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
    vertx.setPeriodic(PERIOD_MS, t -> {
      long now = System.nanoTime();
      lag.record(Math.max(0, now - expected), TimeUnit.NANOSECONDS);
      expected = now + TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
    });
    return Future.succeededFuture();
  }
}
