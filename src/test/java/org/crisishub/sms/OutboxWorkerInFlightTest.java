package org.crisishub.sms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.crisishub.store.embedded.SqliteStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Outbox worker: sends kept in flight follow HUB_SMS_RATE")
class OutboxWorkerInFlightTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("the limit is rate × 0.25 s, at least 16 and at most 64")
  void limitFromRate() {
    assertEquals(16, OutboxWorker.inFlightLimit(1));
    assertEquals(16, OutboxWorker.inFlightLimit(64));
    assertEquals(50, OutboxWorker.inFlightLimit(200));
    assertEquals(64, OutboxWorker.inFlightLimit(2000));
    assertEquals(64, OutboxWorker.inFlightLimit(10_000));
  }

  /** Holds every send until released; counts them. */
  private static final class HeldSender implements SmsSender {
    final List<Promise<String>> held = new CopyOnWriteArrayList<>();
    final CountDownLatch reached;

    HeldSender(int expect) {
      reached = new CountDownLatch(expect);
    }

    @Override
    public Future<String> send(String to, String body) {
      Promise<String> p = Promise.promise();
      held.add(p);
      reached.countDown();
      return p.future();
    }
  }

  private int inFlightAt(double rate, int queued) throws Exception {
    Vertx vertx = Vertx.vertx();
    SqliteStore store = new SqliteStore(vertx, dir.resolve("r" + (long) rate), new SimpleMeterRegistry());
    try {
      store.start().await(30, TimeUnit.SECONDS);
      Instant now = Instant.now();
      for (int i = 0; i < queued; i++) {
        store.outbox().enqueueSms(String.format("+1555%07d", i), null, null, "hello " + i, now)
            .await(30, TimeUnit.SECONDS);
      }
      int limit = OutboxWorker.inFlightLimit(rate);
      HeldSender sender = new HeldSender(limit);
      OutboxWorker w = new OutboxWorker(vertx, store.outbox(), sender,
          new StatusNotices(store.checkInLog(), store.followGraph(), java.time.ZoneOffset.UTC), new OutboxWorker.Settings(rate,
          Duration.ofSeconds(1), 5, Duration.ofMinutes(5)), Clock.systemUTC(), new SimpleMeterRegistry(), "test");
      w.start();
      assertTrue(sender.reached.await(30, TimeUnit.SECONDS), "the worker reached its limit of " + limit
          + " sends in flight; it had " + sender.held.size());
      // The limit holds: with every send held, more time (tokens refill) brings no more sends. Waiting
      // on the timer here lets the pump tick; it is not how the test synchronises with the sends.
      vertx.timer(300).await(10, TimeUnit.SECONDS);
      int most = sender.held.size();
      sender.held.forEach(p -> p.tryComplete("SM" + Math.abs(p.hashCode())));
      return most;
    } finally {
      store.close().await(30, TimeUnit.SECONDS);
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a raised rate keeps more sends waiting on the provider at once, never more than the limit")
  void keepsTheRateBusy() throws Exception {
    assertEquals(16, inFlightAt(40, 200), "rate 40/s: the floor of 16");
    assertEquals(50, inFlightAt(200, 200), "rate 200/s: 50 in flight");
  }
}
