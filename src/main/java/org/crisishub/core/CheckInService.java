package org.crisishub.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;
import org.crisishub.store.CheckInLog;
import org.crisishub.store.IncidentRegistry;

/**
 * Records check-ins and tells followers. The returned future succeeds only once the check-in is
 * durably stored (then it is acknowledged); live delivery to the active followers read in the same
 * transaction follows right after, at most once per session.
 */
public final class CheckInService {
  private final CheckInLog log;
  private final IncidentRegistry incidents;
  private final EventSink events;
  private final Clock clock;
  private final MeterRegistry registry;
  private final Timer storeLatency;
  private final io.micrometer.core.instrument.Counter consentChecks;

  private final Runnable smsQueued;
  private final HelpService help;

  private final java.util.function.BooleanSupplier available;
  private volatile java.util.function.Consumer<CheckIn> recorded = c -> { };

  /** Told of every newly stored check-in (not duplicates), after its fan-out (safety-check answers). */
  public void onRecorded(java.util.function.Consumer<CheckIn> hook) {
    this.recorded = hook;
  }

  /**
   * {@code smsQueued} is told when a check-in queued SMS notifications; while {@code available} is
   * false (the node lost its cluster) check-ins are refused with 503 rather than acknowledged. Each
   * new check-in is emitted to {@code events} as a {@link DomainEvent.StatusChanged} for the
   * followers the store read in its commit. {@code log} records the check-in; {@code incidents}
   * tells whether the incident it names exists.
   */
  public CheckInService(CheckInLog log, IncidentRegistry incidents, EventSink events, Clock clock, MeterRegistry registry, Runnable smsQueued,
      HelpService help, java.util.function.BooleanSupplier available) {
    this.available = available;
    this.smsQueued = smsQueued;
    this.help = help;
    this.log = log;
    this.incidents = incidents;
    this.events = events;
    this.clock = clock;
    this.registry = registry;
    this.storeLatency = Timer.builder("hub.checkin.store.latency")
        .description("time from a check-in request to its durable commit")
        .publishPercentiles(0.5, 0.99).register(registry);
    this.consentChecks = io.micrometer.core.instrument.Counter.builder("hub.consent.checks")
        .description("follow edges whose consent the store read as active in a check-in's own commit"
            + " (one per recipient; a status frame goes only to these)")
        .register(registry);
  }

  /**
   * Records a check-in. Fails {@code invalid_request} when its {@code madeAt} is more than 5 minutes
   * ahead of the hub's clock or older than 24 hours, or when it names an incident that does not exist;
   * fails {@code unavailable} when the store (or cluster) could not be reached, in which case it may or
   * may not have been stored: a retry with the same key returns it if it was. A late check-in (see
   * {@link CheckIn#late()}) is delivered to the followers marked late, never coalesced with a newer
   * status.
   */
  public Future<CheckInResult> record(CheckInRequest request) {
    return record(request, now -> {
      Future<Void> known = request.incident() == null ? Future.succeededFuture()
          : incidents.incident(request.incident()).compose(i -> i.isPresent() ? Future.<Void>succeededFuture()
              : Future.failedFuture(org.crisishub.domain.HubException.invalid(
                  "incident " + request.incident() + " does not exist")));
      return known.compose(v -> log.recordCheckIn(request, now));
    }, true);
  }

  /**
   * As {@link #record(CheckInRequest)}, with the store write given: {@code write} is called once with
   * the hub's time and must store the check-in durably (a safety-check answer stores it in the
   * answer's own unit of work, for an incident it knows exists). {@code hooks}: false when the caller
   * does what {@link #onRecorded} hooks would (the answer is that hook's work), so it is not done twice.
   */
  public Future<CheckInResult> record(CheckInRequest request,
      java.util.function.Function<Instant, Future<CheckInResult>> write, boolean hooks) {
    if (!available.getAsBoolean()) {
      return io.vertx.core.Future.failedFuture(
          org.crisishub.domain.HubException.unavailable("this node lost its cluster: try again", null));
    }
    Instant now = clock.instant();
    try {
      request.checkMadeAt(now);
    } catch (org.crisishub.domain.HubException e) {
      return io.vertx.core.Future.failedFuture(e);
    }
    long start = System.nanoTime();
    return write.apply(now).andThen(ar -> {
      if (ar.succeeded() && !ar.result().duplicate()) {
        storeLatency.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        CheckIn c = ar.result().checkIn();
        registry.counter("hub.checkins", "channel", c.channel().wire(), "status", c.status().wire()).increment();
        consentChecks.increment(ar.result().recipients().size());
        notifyFollowers(c, ar.result().recipients());
        if (ar.result().recipients().stream().anyMatch(Follow::sms)) {
          smsQueued.run();
        }
        if (hooks) {
          recorded.accept(c);
        }
      }
    }).compose(r -> r.duplicate() ? Future.succeededFuture(r)
        // A call for help is matched against the watch terms (and its priority stored) before the ack,
        // so a queue read after the ack already shows it; announce never fails.
        : help.announce(r).map(r));
  }

  private void notifyFollowers(CheckIn c, List<Follow> recipients) {
    if (recipients.isEmpty()) {
      return;
    }
    List<String> phones = new ArrayList<>(recipients.size());
    for (Follow f : recipients) {
      phones.add(f.follower());
    }
    events.publish(new DomainEvent.StatusChanged(c, phones));
  }
}
