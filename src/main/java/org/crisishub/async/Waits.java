package org.crisishub.async;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.BooleanSupplier;

/** Waiting on a condition without blocking: for the steps of a graceful stop. */
public final class Waits {
  private Waits() {
  }

  /**
   * Completes when {@code condition} holds (checked now, then every {@code periodMs} on the
   * caller's context) or after {@code maxMs}, whichever comes first.
   */
  public static Future<Void> until(Vertx vertx, long periodMs, long maxMs, BooleanSupplier condition) {
    long started = System.currentTimeMillis();
    BooleanSupplier done = () -> condition.getAsBoolean() || System.currentTimeMillis() - started >= maxMs;
    if (done.getAsBoolean()) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    // Not setPeriodic(0, …): a handler that cancels its own timer on the first, immediate run
    // throws inside Vert.x 5.1 (the timer's future is not set yet).
    vertx.setPeriodic(periodMs, t -> {
      if (done.getAsBoolean()) {
        vertx.cancelTimer(t);
        p.tryComplete();
      }
    });
    return p.future();
  }
}
