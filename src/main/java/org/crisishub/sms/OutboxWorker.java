package org.crisishub.sms;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.crisishub.domain.Phones;
import org.crisishub.store.Outbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the durable SMS outbox. Promise: at-least-once delivery of every queued message, never
 * sent again once the provider's id is recorded (the only duplicate possible is a crash between
 * the provider accepting a message and the store recording it).
 *
 * <p>Messages are claimed with a lease, so a crashed sender's claims are taken over when the lease
 * expires; transient failures (429, 5xx, network) are retried with exponential backoff and full
 * jitter; permanent ones (invalid or unsubscribed number) stop and record why. Sends are paced by
 * a token bucket at {@code HUB_SMS_RATE} segments per second (the cluster's rate, shared between
 * senders): a message of three segments takes three tokens. A status notification is queued as
 * what to render, not as text: it is rendered right after its claim ({@link StatusNotices}, with
 * the recipient's label of then); one whose check-in is gone (retention) fails for good. Runs on
 * one Vert.x context.
 */
public final class OutboxWorker {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxWorker.class);
  /** The least and most sends one worker keeps in flight; see {@link #inFlightLimit}. */
  static final int MIN_IN_FLIGHT = 16;
  static final int MAX_IN_FLIGHT = 64;
  private static final long MAX_BACKOFF_MS = Duration.ofMinutes(5).toMillis();

  /**
   * How many sends one worker keeps in flight at {@code ratePerSecond} segments per second: enough
   * to keep that rate busy while each provider call takes up to 250 ms (Little's law: rate × 0.25 s),
   * at least {@value #MIN_IN_FLIGHT} and at most {@value #MAX_IN_FLIGHT}. The token bucket still
   * paces the sends; this only bounds how many wait for the provider at once. Pure; thread-safe.
   */
  public static int inFlightLimit(double ratePerSecond) {
    double want = Math.ceil(Math.max(0, ratePerSecond) * 0.25);
    return (int) Math.max(MIN_IN_FLIGHT, Math.min(MAX_IN_FLIGHT, want));
  }

  /** Tuning of the outbox. */
  public record Settings(double ratePerSecond, Duration retryBase, int maxAttempts, Duration lease) {
  }

  private final Vertx vertx;
  private final Outbox store;
  private final SmsSender sender;
  private final StatusNotices notices;
  private final Settings settings;
  private final Clock clock;
  private final String owner;
  private final Counter sent;
  private final Counter retried;
  private final Counter failed;
  private final Counter rateLimited;
  /** -1 until the first reading from the store. */
  private final AtomicLong depth = new AtomicLong(-1);
  private final AtomicLong oldestMs = new AtomicLong();
  private Context context;
  private double tokens;
  private long refilledAtMs;
  private boolean claiming;
  private boolean again;
  private int inFlight;
  private long pumpTimer = -1;
  private long statsTimer = -1;
  private volatile boolean stopped;
  private Promise<Void> whenIdle;
  private final Counter outcomeSent;
  private final Counter outcomeFailed;
  private final Counter outcomeOptedOut;

  /** {@code notices} renders status notifications at send time. */
  public OutboxWorker(Vertx vertx, Outbox store, SmsSender sender, StatusNotices notices, Settings settings,
      Clock clock, MeterRegistry registry, String owner) {
    this.vertx = vertx;
    this.store = store;
    this.sender = sender;
    this.notices = notices;
    this.settings = settings;
    this.clock = clock;
    this.owner = owner;
    this.sent = Counter.builder("hub.sms.sent").description("SMS accepted by the provider").register(registry);
    this.retried = Counter.builder("hub.sms.retried").description("SMS sends that failed and will be retried")
        .register(registry);
    this.failed = Counter.builder("hub.sms.failed").description("SMS given up (permanent error or too many tries)")
        .register(registry);
    for (String outcome : SmsOutcomes.ALL) {
      SmsOutcomes.of(registry, outcome);
    }
    this.outcomeSent = SmsOutcomes.of(registry, "sent");
    this.outcomeFailed = SmsOutcomes.of(registry, "failed");
    this.outcomeOptedOut = SmsOutcomes.of(registry, "opted_out");
    this.rateLimited = Counter.builder("hub.sms.rate_limited").description("sends refused by the provider with 429")
        .register(registry);
    Gauge.builder("hub.sms.outbox.depth", depth, AtomicLong::get)
        .description("SMS waiting to be sent (queued or claimed); -1 before the first reading")
        .register(registry);
    Gauge.builder("hub.sms.outbox.oldest.seconds", oldestMs, v -> v.get() / 1000.0)
        .description("age of the oldest waiting SMS").register(registry);
  }

  /** Starts pumping on a context of its own. */
  public void start() {
    context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      refilledAtMs = clock.millis();
      tokens = 1;
      long tick = (long) Math.max(20, Math.min(1000, 1000 / settings.ratePerSecond()));
      pumpTimer = vertx.setPeriodic(tick, t -> pump());
      statsTimer = vertx.setPeriodic(0, 2000, t -> refreshStats());
    });
  }

  private volatile int nodes = 1;
  private volatile java.util.function.BiConsumer<Outbox.OutboxItem, String> onSent = (i, sid) -> { };

  /** Told (on the worker's context) of every message whose SID was recorded. */
  public void onSent(java.util.function.BiConsumer<Outbox.OutboxItem, String> hook) {
    this.onSent = hook;
  }

  /**
   * {@code HUB_SMS_RATE} is for the whole cluster: with {@code n} nodes sending, this one takes a
   * 1/n share (re-set on every membership change).
   */
  public void shareRate(int n) {
    nodes = Math.max(1, n);
  }

  /** A message was queued: send it without waiting for the next tick. */
  public void wake() {
    if (context != null && !stopped) {
      context.runOnContext(v -> pump());
    }
  }

  /**
   * Stops claiming; completes once the sends in flight have their outcome recorded (or after
   * {@code grace}), so a graceful stop does not leave accepted messages unrecorded, and what this
   * sender still holds is released to the others.
   */
  public Future<Void> stop(Duration grace) {
    stopped = true;
    if (context == null) {
      return Future.succeededFuture();
    }
    Promise<Void> drained = Promise.promise();
    context.runOnContext(v -> {
      vertx.cancelTimer(pumpTimer);
      vertx.cancelTimer(statsTimer);
      whenIdle = drained;
      if (inFlight == 0) {
        drained.tryComplete();
      } else {
        vertx.setTimer(grace.toMillis(), t -> {
          LOG.warn("stopping with {} SMS still in flight: they may be sent again after a restart", inFlight);
          drained.tryComplete();
        });
      }
    });
    // Hand back what is still claimed (held past the grace, or claimed but not started): another
    // sender takes it at once instead of after the lease.
    return drained.future().compose(v -> store.releaseSmsClaims(owner)).map(n -> {
      if (n > 0) {
        LOG.info("outbox: handed {} claimed SMS back for other senders", n);
      }
      return (Void) null;
    }).recover(e -> {
      LOG.warn("outbox: handing claims back failed ({}); they are taken over after the lease", e.getMessage());
      return Future.succeededFuture();
    });
  }

  private void recorded() {
    if (stopped && inFlight == 0 && whenIdle != null) {
      whenIdle.tryComplete();
    }
  }

  private void refreshStats() {
    store.outboxStats(clock.instant()).onSuccess(s -> {
      depth.set(s.waiting());
      oldestMs.set(s.oldestAgeMs());
    });
  }

  private void pump() {
    if (stopped) {
      return;
    }
    if (claiming) {
      again = true;
      return;
    }
    long now = clock.millis();
    double rate = settings.ratePerSecond() / nodes;
    double burst = Math.max(1, rate);
    tokens = Math.min(burst, tokens + (now - refilledAtMs) * rate / 1000.0);
    refilledAtMs = now;
    int n = (int) Math.min(Math.floor(tokens), inFlightLimit(rate) - inFlight);
    if (n <= 0) {
      return;
    }
    claiming = true;
    again = false;
    store.claimSms(owner, clock.instant(), n, settings.lease()).compose(notices::render).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        LOG.warn("claiming SMS from the outbox failed: {}", ar.cause().getMessage());
        return;
      }
      for (StatusNotices.Rendered r : ar.result()) {
        tokens -= r.failure() == null ? org.crisishub.domain.SmsText.segments(r.item().body()) : 0;
      }
      for (StatusNotices.Rendered r : ar.result()) {
        send(r);
      }
      if (again || ar.result().size() == n) {
        pump();
      }
    });
  }

  private void send(StatusNotices.Rendered rendered) {
    Outbox.OutboxItem item = rendered.item();
    inFlight++;
    // Not rendered: recorded like a failed send (for good, or retried with backoff).
    Future<String> sending = rendered.failure() == null ? sender.send(item.to(), item.body())
        : Future.failedFuture(new SmsSendException(rendered.failure(), rendered.permanent(), false, null, null));
    sending.onComplete(ar -> {
      Instant now = clock.instant();
      if (ar.succeeded()) {
        sent.increment();
        outcomeSent.increment();
        String sid = ar.result();
        // The hook (a safety-check ask's SID) only for the send the outbox recorded: a second send
        // of the same message (its claim ran out mid-call) changes neither.
        store.smsSent(item, sid, now)
            .onSuccess(recorded -> {
              if (recorded) {
                onSent.accept(item, sid);
              }
            })
            .onFailure(e -> LOG.error("recording sent SMS {} failed; it may be sent again", item.id(), e))
            .onComplete(x -> {
              inFlight--;
              recorded();
            });
        return;
      }
      inFlight--;
      Throwable e = ar.cause();
      SmsSendException s = e instanceof SmsSendException x ? x
          : new SmsSendException(String.valueOf(e.getMessage()), false, false, null, e);
      if (s.rateLimited()) {
        rateLimited.increment();
      }
      if (s.permanent()) {
        failed.increment();
        LOG.warn("SMS {} to {} failed for good: {}", item.id(), Phones.mask(item.to()), s.getMessage());
        // A 21610 (opted out) was recorded as an opt-out by the OptOutGuard the sender is wrapped in.
        store.smsFailed(item, s.getMessage(), now);
        boolean optedOut = Integer.valueOf(21610).equals(s.providerCode());
        (optedOut ? outcomeOptedOut : outcomeFailed).increment();
      } else if (item.attempts() >= settings.maxAttempts()) {
        failed.increment();
        outcomeFailed.increment();
        LOG.warn("SMS {} to {} given up after {} attempts: {}", item.id(), Phones.mask(item.to()),
            item.attempts(), s.getMessage());
        store.smsFailed(item, "gave up after " + item.attempts() + " attempts: " + s.getMessage(), now);
      } else {
        retried.increment();
        long delay = backoffMs(item.attempts());
        LOG.info("SMS {} to {} will be retried in {} ms: {}", item.id(), Phones.mask(item.to()), delay,
            s.getMessage());
        store.smsRetry(item, now.plusMillis(delay), s.getMessage(), now);
      }
      recorded();
    });
  }

  /** Exponential backoff with full jitter: a random delay up to base * 2^(attempt-1), capped. */
  long backoffMs(int attempt) {
    long base = settings.retryBase().toMillis();
    long ceiling = Math.min(MAX_BACKOFF_MS, base << Math.min(20, Math.max(0, attempt - 1)));
    return base / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, ceiling - base / 2 + 1));
  }
}
