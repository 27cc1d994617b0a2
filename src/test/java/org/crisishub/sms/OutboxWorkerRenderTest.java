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
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.Status;
import org.crisishub.store.Store;
import org.crisishub.store.embedded.SqliteStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker renders a status SMS when it sends it, on a real embedded store (the store contract
 * tests cover both engines' rows and reads): a label changed after the check-in is the one used,
 * and a check-in deleted by retention before the send makes the SMS fail for good. Only the
 * provider (Twilio) is replaced, by a sender that records what it was given.
 */
@DisplayName("OutboxWorker: status SMS rendered at send time")
class OutboxWorkerRenderTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final String SUBJECT = "+15550000401";
  private static final String FOLLOWER = "+15550000402";

  @TempDir
  Path dir;
  private Vertx vertx;
  private Store store;
  private OutboxWorker worker;
  private final List<String> sent = new CopyOnWriteArrayList<>();

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    store = new SqliteStore(vertx, dir, new SimpleMeterRegistry());
    await(store.start());
    await(store.requestFollow(FOLLOWER, SUBJECT, true, T0));
    await(store.answerFollow(SUBJECT, FOLLOWER, true, T0));
  }

  @AfterEach
  void close() throws Exception {
    if (worker != null) {
      await(worker.stop(Duration.ofSeconds(5)));
    }
    await(store.close());
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  private void startWorker(Instant now, ZoneId zone) {
    SmsSender provider = (to, body) -> {
      sent.add(to + " " + body);
      return Future.succeededFuture("SM" + sent.size());
    };
    worker = new OutboxWorker(vertx, store.outbox(), provider,
        new StatusNotices(store.checkInLog(), store.followGraph(), zone),
        new OutboxWorker.Settings(100, Duration.ofMillis(100), 3, Duration.ofSeconds(30)),
        Clock.fixed(now, ZoneOffset.UTC), new SimpleMeterRegistry(), "test");
  }

  @Test
  @DisplayName("a label given after the check-in, before the send, names the person in the SMS")
  void labelOfSendTime() throws Exception {
    assertTrue(await(store.setFollowLabel(FOLLOWER, SUBJECT, "Dad")));
    await(store.recordCheckIn(new CheckInRequest(SUBJECT, Status.SAFE, "home", null, null, Channel.SMS, null), T0));
    assertTrue(await(store.setFollowLabel(FOLLOWER, SUBJECT, "Papa")));
    startWorker(T0, ZoneId.of("America/Chicago"));
    Promise<String> first = Promise.promise();
    worker.onSent((item, sid) -> first.tryComplete(item.body()));
    worker.start();
    String text = await(first.future());
    assertEquals("Crisis Hub: Papa (" + SUBJECT + ") is SAFE: home (04:00 CST, #1)", text);
    assertEquals(List.of(FOLLOWER + " " + text), sent);
  }

  @Test
  @DisplayName("a status SMS whose check-in the retention purge deleted is not sent and fails for good")
  void purgedCheckIn() throws Exception {
    await(store.recordCheckIn(new CheckInRequest(SUBJECT, Status.SAFE, "old", null, null, Channel.SMS, null), T0));
    Instant later = T0.plus(Duration.ofDays(31));
    assertEquals(1, await(store.purge(later, Duration.ofDays(30))));
    await(store.enqueueSms(FOLLOWER, null, null, "sent after it", later));
    startWorker(later, ZoneOffset.UTC);
    Promise<String> plain = Promise.promise();
    worker.onSent((item, sid) -> plain.tryComplete(item.body()));
    worker.start();
    // The status row (due since T0) is claimed first and fails; the plain one is sent after it. The
    // failure is recorded asynchronously: read until nothing waits.
    assertEquals("sent after it", await(plain.future()));
    Store.OutboxStats stats = await(waitFor(() -> store.outboxStats(later), s -> s.waiting() == 0));
    assertEquals(1, stats.failed(), "the status SMS failed for good");
    assertEquals(List.of(FOLLOWER + " sent after it"), sent, "only the plain message reached the provider");
  }

  /** Reads until {@code done} holds, re-reading on the Vert.x timer (at most 10 s). */
  private <T> Future<T> waitFor(java.util.function.Supplier<Future<T>> read, java.util.function.Predicate<T> done) {
    Promise<T> p = Promise.promise();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    poll(read, done, p, deadline);
    return p.future();
  }

  private <T> void poll(java.util.function.Supplier<Future<T>> read, java.util.function.Predicate<T> done,
      Promise<T> p, long deadline) {
    read.get().onComplete(ar -> {
      if (ar.succeeded() && done.test(ar.result())) {
        p.complete(ar.result());
      } else if (System.nanoTime() > deadline) {
        p.fail("not reached: " + (ar.succeeded() ? ar.result() : ar.cause()));
      } else {
        vertx.setTimer(20, t -> poll(read, done, p, deadline));
      }
    });
  }
}
