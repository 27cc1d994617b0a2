package org.crisishub.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.crisishub.domain.WatchMatcher;
import org.crisishub.store.HelpQueue;
import org.crisishub.store.TriageStore;

/**
 * Keyword watch (docs/triage.md): each incident's watch terms, compiled once into a
 * {@link WatchMatcher} and matched against what is already shared with the incident's responders —
 * the notes of {@code need_help} check-ins in its help queue and the messages the person writes in
 * the request's thread. Never against {@code safe} check-ins or anything else: callers hand only
 * those texts here.
 *
 * <p>Each node caches one compiled matcher per incident with the stamp of the terms it was built
 * from ({@link TriageStore.WatchTerms#stamp}: the store raises it whenever the terms are set, on any
 * node). A new {@code need_help} check-in carries the stamp its commit read with the incident
 * ({@link org.crisishub.domain.CheckInResult#watchStamps}): while the cached matcher is that recent it
 * is used without another store read; otherwise the terms are read (with their stamp) and compiled
 * again, so a change made on another node applies from the next check-in committed after it. Other
 * uses (thread messages, reports) read the stamped terms and reuse the cached matcher when the stamp
 * is the same.
 *
 * <p>Compiling a list (up to 1,000 terms: 0.9 s of a blocked event loop on a loaded two-core machine)
 * and re-scoring a whole queue run on worker threads; matching one text runs where it is asked for
 * (microseconds: a trie walk over at most 280 code points).
 *
 * <p>Metrics: {@code hub.watch.matches{source}} counts matched items ({@code checkin}, {@code message},
 * {@code rescore}). Thread-safe.
 */
public final class WatchService {
  private final HelpQueue queue;
  private final TriageStore triage;
  private final ConcurrentHashMap<String, Compiled> compiled = new ConcurrentHashMap<>();
  private final Map<String, Counter> matches = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final io.vertx.core.Vertx vertx;

  /** {@code triage} holds the terms and matches; {@code queue} the open requests a change re-scores. */
  public WatchService(io.vertx.core.Vertx vertx, HelpQueue queue, TriageStore triage, MeterRegistry registry) {
    this.vertx = vertx;
    this.queue = queue;
    this.triage = triage;
    this.registry = registry;
    for (String source : List.of("checkin", "message", "report", "rescore")) {
      counter(source);
    }
  }

  private TriageStore triage() {
    return triage;
  }

  private Counter counter(String source) {
    return matches.computeIfAbsent(source, s -> Counter.builder("hub.watch.matches")
        .description("items (need_help check-ins, followers' need_help reports, thread messages from the person)"
            + " that matched an incident's"
            + " watch terms, by source; rescore: open requests newly matched after the terms changed")
        .tag("source", s).register(registry));
  }

  /** The incident's watch terms (the caller checked access). */
  public Future<List<String>> terms(String incident) {
    return triage().watchTerms(incident);
  }

  /** A matcher compiled from the terms of {@code stamp}. */
  private record Compiled(long stamp, WatchMatcher matcher) {
  }

  /** Caches {@code fresh} unless a matcher of newer terms is already cached (stamps only grow). */
  private WatchMatcher remember(String incident, long stamp, WatchMatcher fresh) {
    Compiled now = compiled.merge(incident, new Compiled(stamp, fresh),
        (old, neu) -> old.stamp() > neu.stamp() ? old : neu);
    return now.stamp() == stamp ? fresh : now.matcher();
  }

  /** The incident's compiled matcher, of the terms read now: the cached one while their stamp is the same. */
  public Future<WatchMatcher> matcher(String incident) {
    return triage().stampedWatchTerms(incident).compose(t -> {
      Compiled c = compiled.get(incident);
      if (c != null && c.stamp() >= t.stamp()) {
        return Future.succeededFuture(c.matcher());
      }
      return vertx.executeBlocking(() -> WatchMatcher.compile(t.terms()), false)
          .map(fresh -> remember(incident, t.stamp(), fresh));
    });
  }

  /**
   * The incident's compiled matcher for terms of at least {@code stamp} (read in the commit of a
   * check-in; null: unknown): the cached one, without a store read, when it is that recent;
   * otherwise as {@link #matcher(String)}.
   */
  public Future<WatchMatcher> matcher(String incident, Long stamp) {
    Compiled c = compiled.get(incident);
    if (stamp != null && c != null && c.stamp() >= stamp) {
      return Future.succeededFuture(c.matcher());
    }
    return matcher(incident);
  }

  /**
   * Validates ({@link WatchMatcher#validate}: {@code invalid_request} otherwise), stores and compiles
   * new terms for the incident (the caller checked access); returns the stored terms.
   */
  public Future<WatchMatcher> setTerms(String incident, List<?> raw) {
    return vertx.executeBlocking(() -> WatchMatcher.compile(WatchMatcher.validate(raw)), false)
        .compose(m -> triage().setWatchTerms(incident, m.terms()).map(stamp -> {
          remember(incident, stamp, m);
          return m;
        }));
  }

  /**
   * Matches the note of a new {@code need_help} check-in, filed in the help queues of
   * {@code incidents}, and records the matches. {@code stamps}: the stamp of each incident's terms
   * read in the check-in's commit (a missing one is read now). Returns the matched terms by incident
   * (only incidents with a match).
   */
  public Future<Map<String, List<String>>> scoreCheckIn(String checkinId, String note, List<String> incidents,
      Map<String, Long> stamps) {
    if (note == null || note.isBlank() || incidents.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    List<Future<WatchMatcher>> ms = incidents.stream().map(i -> matcher(i, stamps.get(i))).toList();
    return Future.all(ms).compose(x -> {
      Map<String, List<String>> out = new LinkedHashMap<>();
      List<Future<Void>> writes = new ArrayList<>();
      for (int i = 0; i < incidents.size(); i++) {
        List<String> hit = ms.get(i).result().match(note);
        if (!hit.isEmpty()) {
          out.put(incidents.get(i), hit);
          writes.add(triage().setWatchMatches(incidents.get(i), Map.of(checkinId, hit)));
          counter("checkin").increment();
        }
      }
      return Future.all(writes).map(out);
    });
  }

  /**
   * The incident's watch terms a follower's reported {@code need_help} note matches ({@code []} for none
   * or no note). Reports are scored when shown, against the terms of that moment, so changed terms
   * re-score them by themselves. {@code count}: count a match in {@code hub_watch_matches_total{source="report"}}
   * (once, when the report is filed).
   */
  public Future<List<String>> scoreReport(String incident, String note, boolean count) {
    if (note == null || note.isBlank()) {
      return Future.succeededFuture(List.of());
    }
    return matcher(incident).map(m -> {
      List<String> hit = m.match(note);
      if (count && !hit.isEmpty()) {
        counter("report").increment();
      }
      return hit;
    });
  }

  /** What {@link #scoreMessage} found: the terms this message matched, and all the request matches now. */
  public record MessageScore(List<String> matched, List<String> all) {
  }

  /**
   * Matches a message the person wrote in the thread of help request {@code checkinId} of
   * {@code incident}; its terms join the request's matches.
   */
  public Future<MessageScore> scoreMessage(String incident, String checkinId, String text) {
    return matcher(incident).compose(m -> {
      List<String> hit = m.match(text);
      if (hit.isEmpty()) {
        return triage().watchMatches(incident, checkinId).map(all -> new MessageScore(List.of(), all));
      }
      counter("message").increment();
      return triage().watchMatches(incident, checkinId).compose(before -> {
        LinkedHashSet<String> union = new LinkedHashSet<>(before);
        union.addAll(hit);
        List<String> all = inTermOrder(m, union);
        return triage().setWatchMatches(incident, Map.of(checkinId, all)).map(new MessageScore(hit, all));
      });
    });
  }

  /** The terms of {@code set} that are still terms, in the matcher's order. */
  private static List<String> inTermOrder(WatchMatcher m, java.util.Set<String> set) {
    return m.terms().stream().filter(set::contains).toList();
  }

  /** A help request after re-scoring: its matches before and after. */
  public record Rescored(HelpQueue.HelpRequest request, List<String> before, List<String> after) {
  }

  /**
   * Re-scores the open (not resolved) help requests of {@code incident} against {@code m}: each
   * request's note and its person's thread messages. Stores the new matches and returns the requests
   * whose matches changed.
   */
  public Future<List<Rescored>> rescore(String incident, WatchMatcher m) {
    return Future.all(queue.helpRequests(incident, true), triage().watchMatches(incident)).compose(both -> {
      List<HelpQueue.HelpRequest> open = both.resultAt(0);
      Map<String, List<String>> before = both.resultAt(1);
      List<Future<List<TriageStore.HelpMessage>>> threads = open.stream()
          .map(h -> triage().helpMessages(h.checkIn().id())).toList();
      return Future.all(threads).compose(y -> vertx.executeBlocking(() -> {
        Map<String, List<String>> changes = new LinkedHashMap<>();
        List<Rescored> changed = new ArrayList<>();
        for (int i = 0; i < open.size(); i++) {
          HelpQueue.HelpRequest h = open.get(i);
          LinkedHashSet<String> hit = new LinkedHashSet<>(m.match(h.checkIn().note()));
          for (TriageStore.HelpMessage msg : threads.get(i).result()) {
            if ("person".equals(msg.from())) {
              hit.addAll(m.match(msg.text()));
            }
          }
          List<String> now = inTermOrder(m, hit);
          List<String> was = before.getOrDefault(h.checkIn().id(), List.of());
          if (!now.equals(was)) {
            changes.put(h.checkIn().id(), now);
            changed.add(new Rescored(h, was, now));
            if (!now.isEmpty() && !was.containsAll(now)) {
              counter("rescore").increment();
            }
          }
        }
        return Map.entry(changes, changed);
      }, false)).compose(r -> triage().setWatchMatches(incident, r.getKey()).map(r.getValue()));
    });
  }
}
