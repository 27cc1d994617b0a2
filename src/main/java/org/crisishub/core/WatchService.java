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
import org.crisishub.store.Store;
import org.crisishub.store.TriageStore;

/**
 * Keyword watch (docs/triage.md): each incident's watch terms, compiled once into a
 * {@link WatchMatcher} and matched against what is already shared with the incident's responders —
 * the notes of {@code need_help} check-ins in its help queue and the messages the person writes in
 * the request's thread. Never against {@code safe} check-ins or anything else: callers hand only
 * those texts here.
 *
 * <p>The terms are read from the store on each use, so a change made on another node applies at
 * once; the compiled matcher is cached per incident and rebuilt only when the terms read differ
 * from the ones it was built from.
 *
 * <p>Compiling a list (up to 1,000 terms: 0.9 s of a blocked event loop on a loaded two-core machine)
 * and re-scoring a whole queue run on worker threads; matching one text runs where it is asked for
 * (microseconds: a trie walk over at most 280 code points).
 *
 * <p>Metrics: {@code hub.watch.matches{source}} counts matched items ({@code checkin}, {@code message},
 * {@code rescore}). Thread-safe.
 */
public final class WatchService {
  private final Store store;
  private final ConcurrentHashMap<String, WatchMatcher> compiled = new ConcurrentHashMap<>();
  private final Map<String, Counter> matches = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final io.vertx.core.Vertx vertx;

  public WatchService(io.vertx.core.Vertx vertx, Store store, MeterRegistry registry) {
    this.vertx = vertx;
    this.store = store;
    this.registry = registry;
    for (String source : List.of("checkin", "message", "report", "rescore")) {
      counter(source);
    }
  }

  private TriageStore triage() {
    return store.triage();
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

  /** The incident's compiled matcher: the cached one while the stored terms are the same. */
  public Future<WatchMatcher> matcher(String incident) {
    return triage().watchTerms(incident).compose(terms -> {
      WatchMatcher m = compiled.get(incident);
      if (m != null && m.terms().equals(terms)) {
        return Future.succeededFuture(m);
      }
      return vertx.executeBlocking(() -> WatchMatcher.compile(terms), false).map(fresh -> {
        compiled.put(incident, fresh);
        return fresh;
      });
    });
  }

  /**
   * Validates ({@link WatchMatcher#validate}: {@code invalid_request} otherwise), stores and compiles
   * new terms for the incident (the caller checked access); returns the stored terms.
   */
  public Future<WatchMatcher> setTerms(String incident, List<?> raw) {
    return vertx.executeBlocking(() -> WatchMatcher.compile(WatchMatcher.validate(raw)), false)
        .compose(m -> triage().setWatchTerms(incident, m.terms()).map(x -> {
          compiled.put(incident, m);
          return m;
        }));
  }

  /**
   * Matches the note of a new {@code need_help} check-in, filed in the help queues of
   * {@code incidents}, and records the matches. Returns the matched terms by incident (only
   * incidents with a match).
   */
  public Future<Map<String, List<String>>> scoreCheckIn(String checkinId, String note, List<String> incidents) {
    if (note == null || note.isBlank() || incidents.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    List<Future<WatchMatcher>> ms = incidents.stream().map(this::matcher).toList();
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
  public record Rescored(Store.HelpRequest request, List<String> before, List<String> after) {
  }

  /**
   * Re-scores the open (not resolved) help requests of {@code incident} against {@code m}: each
   * request's note and its person's thread messages. Stores the new matches and returns the requests
   * whose matches changed.
   */
  public Future<List<Rescored>> rescore(String incident, WatchMatcher m) {
    return Future.all(store.helpRequests(incident, true), triage().watchMatches(incident)).compose(both -> {
      List<Store.HelpRequest> open = both.resultAt(0);
      Map<String, List<String>> before = both.resultAt(1);
      List<Future<List<TriageStore.HelpMessage>>> threads = open.stream()
          .map(h -> triage().helpMessages(h.checkIn().id())).toList();
      return Future.all(threads).compose(y -> vertx.executeBlocking(() -> {
        Map<String, List<String>> changes = new LinkedHashMap<>();
        List<Rescored> changed = new ArrayList<>();
        for (int i = 0; i < open.size(); i++) {
          Store.HelpRequest h = open.get(i);
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
