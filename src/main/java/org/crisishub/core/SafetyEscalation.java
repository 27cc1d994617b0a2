package org.crisishub.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.Phones;
import org.crisishub.store.SafetyCheckStore;
import org.crisishub.store.SafetyCheckStore.Check;
import org.crisishub.store.SafetyCheckStore.Sms;
import org.crisishub.store.SafetyCheckStore.WaveBatch;
import org.crisishub.store.SafetyCheckStore.WaveClaim;
import org.crisishub.store.SafetyCheckStore.WaveItem;
import org.crisishub.store.FollowGraph;
import org.crisishub.store.Outbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the escalation waves of running safety checks (docs/safety-checks.md): at
 * {@code repeatAfterSeconds} the unanswered are asked once more by SMS; at
 * {@code followersAfterSeconds} each unanswered person's active followers get an
 * {@code unanswered} frame and, when they follow by SMS, an SMS.
 *
 * <p>Every node looks for due waves every {@code tickMs}; a wave is claimed through the store (a
 * lease with an owner and an expiry, renewed at every step), so one node runs it, and a node that
 * dies leaves it to another once the lease expires. A wave walks the audience in phone order, a
 * batch at a time: the batch's asks are queued in the outbox, its people marked done and the
 * cursor moved in one unit of work, so nobody is asked twice in a wave and a takeover resumes
 * where the last commit left off. A wave waits while the outbox holds more than {@code backlog}
 * messages, so a check of 100,000 people never floods it. Frames go out after the commit; the
 * commit records them as pending and the runner confirms them once handed to the fan-out, so a node
 * that dies between the two leaves them in the store and the node that takes the wave over sends
 * them first (at least once: a follower may get the same {@code unanswered} frame twice). All work
 * runs on the event loop in small asynchronous steps; thread-safe.
 */
final class SafetyEscalation {
  private static final Logger LOG = LoggerFactory.getLogger(SafetyEscalation.class);

  private final Vertx vertx;
  private final SafetyCheckStore checks;
  private final FollowGraph follows;
  private final Outbox outbox;
  private final EventSink events;
  private final Clock clock;
  private final Runnable smsQueued;
  private final Consumer<String> tally;
  private final String owner;
  private final Duration lease;
  private final int batch;
  private final int backlog;
  private final long tickMs;
  /** Checks whose wave this node is running now. */
  private final Set<String> running = ConcurrentHashMap.newKeySet();
  private long timer = -1;
  private volatile boolean stopped;

  /**
   * {@code checks} holds the waves and their leases; {@code follows} the followers a wave tells (and
   * their labels); {@code outbox} the backlog a wave waits for.
   */
  SafetyEscalation(Vertx vertx, SafetyCheckStore checks, FollowGraph follows, Outbox outbox, EventSink events,
      Clock clock, Runnable smsQueued, Consumer<String> tally, String owner, Duration lease, int batch, int backlog,
      long tickMs) {
    this.vertx = vertx;
    this.checks = checks;
    this.follows = follows;
    this.outbox = outbox;
    this.events = events;
    this.clock = clock;
    this.smsQueued = smsQueued;
    this.tally = tally;
    this.owner = owner;
    this.lease = lease;
    this.batch = batch;
    this.backlog = backlog;
    this.tickMs = tickMs;
  }

  /** The SMS of the repeat wave (English; the first ask's reply words work). */
  static String repeatText(String incident, String question) {
    return "Crisis Hub " + incident + " (reminder): " + question
        + " Reply SAFE or 1 if you are safe, SOS or 2 if you need help. Reply STOP to end.";
  }

  /** The text a follower gets about {@code phone}: their label for the person, else the number. */
  static String followerText(String label, String phone, String incident) {
    return (label == null || label.isBlank() ? phone : label) + " has not answered the " + incident
        + " safety check. Heard from them?";
  }

  void start() {
    timer = vertx.setPeriodic(tickMs, tickMs, t -> tick());
  }

  void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void tick() {
    if (stopped) {
      return;
    }
    checks.dueWaves(clock.instant(), 16).onSuccess(ids -> {
      for (String id : ids) {
        if (running.add(id)) {
          claim(id);
        }
      }
    }).onFailure(e -> LOG.warn("safety checks: looking for due waves failed: {}", e.toString()));
  }

  private void claim(String id) {
    checks.claimWave(id, owner, clock.instant(), lease).compose(c -> {
      if (c.isEmpty()) {
        return Future.succeededFuture();
      }
      LOG.info("safety check {}: {} wave claimed by {} (from {})", id, c.get().wave(), owner,
          c.get().cursor() == null ? "the start" : "a takeover's cursor");
      return checks.check(id).compose(k -> k.isEmpty() ? Future.succeededFuture()
          : resend(k.get()).compose(v -> step(c.get(), k.get())));
    }).onComplete(ar -> {
      running.remove(id);
      if (ar.failed()) {
        LOG.warn("safety check {}: a wave step failed ({}); it is continued after the lease", id, ar.cause().toString());
      }
    });
  }

  /**
   * Sends again the followers-wave frames a node committed but did not confirm sent (it died between
   * its commit and its frames, or before confirming them): at least once, so a follower may get an
   * {@code unanswered} frame about the same person twice. A batch at a time.
   */
  private Future<Void> resend(Check check) {
    return checks.pendingFrames(check.id(), batch).compose(items -> {
      if (items.isEmpty()) {
        return Future.succeededFuture();
      }
      LOG.info("safety check {}: sending {} followers-wave frames again after a takeover", check.id(), items.size());
      return framesOut(check, items).compose(v -> items.size() < batch ? Future.<Void>succeededFuture()
          : resend(check));
    });
  }

  /** Hands the {@code unanswered} frames of {@code items} to the fan-out, then confirms them in the store. */
  private Future<Void> framesOut(Check check, List<WaveItem> items) {
    List<String> phones = new ArrayList<>();
    for (WaveItem i : items) {
      if (!i.reached().isEmpty()) {
        events.publish(new DomainEvent.SafetyCheckUnanswered(check.id(), check.incident(), i.phone(), i.reached()));
      }
      phones.add(i.phone());
    }
    return checks.framesSent(check.id(), phones);
  }

  /** One batch of the claimed wave, then the next (waiting while the outbox is too full). */
  private Future<Void> step(WaveClaim claim, Check check) {
    if (stopped) {
      return Future.succeededFuture();
    }
    return outbox.outboxStats(clock.instant()).compose(stats -> {
      if (stats.waiting() > backlog) {
        // Keep the lease while waiting: claiming again as its owner renews it.
        return checks.claimWave(claim.id(), owner, clock.instant(), lease).compose(again -> again.isEmpty()
            || !again.get().wave().equals(claim.wave()) ? Future.<Void>succeededFuture()
            : later().compose(v -> step(claim, check)));
      }
      return checks.waveBatch(claim.id(), claim.wave(), owner, clock.instant(), lease, batch).compose(b -> {
        if (b.isEmpty()) {
          LOG.info("safety check {}: lost the {} wave's lease", claim.id(), claim.wave());
          return Future.succeededFuture();
        }
        return items(claim, check, b.get()).compose(items -> checks.waveCommit(claim.id(), claim.wave(), owner,
            clock.instant(), lease, b.get().cursor(), items)).compose(done -> {
              if (done.isEmpty()) {
                LOG.info("safety check {}: lost the {} wave's lease", claim.id(), claim.wave());
                return Future.succeededFuture();
              }
              return sent(claim, check, done.get()).recover(e -> {
                // The frames went out; only their confirmation failed: a takeover may send them again.
                LOG.warn("safety check {}: confirming frames sent failed: {}", claim.id(), e.toString());
                return Future.succeededFuture();
              }).compose(v -> next(claim, check, b.get()));
            });
      });
    });
  }

  /** After a batch: the next one, or the wave's end. */
  private Future<Void> next(WaveClaim claim, Check check, WaveBatch b) {
    if (!b.end()) {
      return step(claim, check);
    }
    return checks.finishWave(claim.id(), claim.wave(), owner, clock.instant()).map(ok -> {
      if (ok) {
        LOG.info("safety check {}: {} wave finished by {}", claim.id(), claim.wave(), owner);
      }
      return (Void) null;
    });
  }

  private Future<Void> later() {
    io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
    vertx.setTimer(tickMs, t -> p.complete());
    return p.future();
  }

  /** What the batch's people get: a repeat ask, or their active followers told. */
  private Future<List<WaveItem>> items(WaveClaim claim, Check check, WaveBatch b) {
    if (SafetyCheckStore.REPEAT.equals(claim.wave())) {
      String text = repeatText(check.incident(), check.question());
      List<WaveItem> out = new ArrayList<>();
      b.phones().forEach(p -> out.add(new WaveItem(p, List.of(new Sms(p, null, text)), List.of())));
      return Future.succeededFuture(out);
    }
    List<Future<WaveItem>> all = new ArrayList<>();
    for (String p : b.phones()) {
      all.add(follows.followers(p).compose(fs -> {
        List<Follow> active = fs.stream().filter(f -> f.state() == FollowState.ACTIVE).toList();
        List<Future<Sms>> sms = new ArrayList<>();
        for (Follow f : active) {
          if (f.sms()) {
            sms.add(follows.followLabels(f.follower()).map(labels ->
                new Sms(f.follower(), p, followerText(labels.get(p), p, check.incident()))));
          }
        }
        return Future.all(sms).map(x -> {
          List<Sms> texts = new ArrayList<>();
          sms.forEach(s -> texts.add(s.result()));
          return new WaveItem(p, texts, active.stream().map(Follow::follower).toList());
        });
      }));
    }
    return Future.all(all).map(x -> {
      List<WaveItem> out = new ArrayList<>();
      all.forEach(f -> out.add(f.result()));
      return out;
    });
  }

  /**
   * After a commit: wakes the outbox; in a followers wave, tells the followers' open sessions and
   * confirms those frames in the store (until then they are pending: a takeover sends them again).
   */
  private Future<Void> sent(WaveClaim claim, Check check, List<WaveItem> done) {
    boolean sms = done.stream().anyMatch(i -> !i.sms().isEmpty());
    if (sms) {
      smsQueued.run();
    }
    if (!done.isEmpty()) {
      LOG.debug("safety check {}: {} wave reached {} people (e.g. {})", check.id(), claim.wave(), done.size(),
          Phones.mask(done.get(0).phone()));
      tally.accept(check.id());
    }
    return SafetyCheckStore.FOLLOWERS.equals(claim.wave()) && !done.isEmpty() ? framesOut(check, done)
        : Future.succeededFuture();
  }
}
