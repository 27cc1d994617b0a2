package org.crisishub.core;

import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
import org.crisishub.domain.Actor;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsReplies;
import org.crisishub.store.Store;

/**
 * Help triage: a {@code need_help} check-in that names an incident, or falls inside its area, is
 * shared with that incident's responders (its purpose), live and in the incident's queue. When a
 * responder acknowledges or resolves it, the person is told on their open sessions, and by SMS
 * when they asked for help by SMS. Live news goes out as {@link TriageEvents#helpShown} (to the
 * incident's responders) and {@link DomainEvent.HelpAnswered} (to the person).
 */
public final class HelpService {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HelpService.class);
  private final Store store;
  private final EventSink events;
  private final Clock clock;
  private final Runnable smsQueued;
  private final io.micrometer.core.instrument.MeterRegistry registry;
  private final WatchService watch;
  private final TriageEvents triageEvents;

  /**
   * {@code registry} gets {@code hub.help.requests{event}}: filed, acknowledged, resolved;
   * {@code watch} scores new requests against the incident's watch terms; {@code triageEvents} shows
   * requests (with the terms they matched) and watch matches to the incident's responders.
   */
  public HelpService(Store store, EventSink events, Clock clock, Runnable smsQueued,
      io.micrometer.core.instrument.MeterRegistry registry, WatchService watch, TriageEvents triageEvents) {
    this.watch = watch;
    this.triageEvents = triageEvents;
    this.store = store;
    this.events = events;
    this.clock = clock;
    this.smsQueued = smsQueued;
    this.registry = registry;
    for (String event : List.of("filed", "acknowledged", "resolved")) {
      counted(event);
    }
  }

  private io.micrometer.core.instrument.Counter counted(String event) {
    return io.micrometer.core.instrument.Counter.builder("hub.help.requests")
        .description("help requests by event: filed (a need_help check-in inside an open incident),"
            + " acknowledged and resolved by a responder")
        .tag("event", event).register(registry);
  }

  /** A help request with the watch terms of its incident it matched (none: {@code priority: "normal"}). */
  public record Triaged(Store.HelpRequest request, List<String> matched) {
    public Triaged {
      matched = List.copyOf(matched);
    }
  }

  /**
   * A new check-in was recorded: show its call for help to the responders of its incidents'
   * agencies (owner and partners, read now), and to nobody else. Its note is first matched against
   * each incident's watch terms: a match makes it {@code priority: "high"} (stored before the frames
   * go), and those responders also get one {@code watch_match} frame. The future completes once that
   * is done; it never fails (a failed match is logged, the call for help still goes out).
   */
  public Future<Void> announce(CheckInResult r) {
    if (r.helpIncidents().isEmpty()) {
      return Future.succeededFuture();
    }
    counted("filed").increment();
    return watch.scoreCheckIn(r.checkIn().id(), r.checkIn().note(), r.helpIncidents(), r.watchStamps())
        .recover(e -> {
          LOG.warn("matching watch terms failed: {}", e.toString());
          return Future.succeededFuture(java.util.Map.of());
        })
        .map(matched -> {
          for (String code : r.helpIncidents()) {
            // A new request in the queue: open, by nobody yet, changed when it was filed.
            Store.HelpRequest filed = new Store.HelpRequest(r.checkIn(), code, "open", null, null, r.checkIn().at());
            List<String> hit = matched.getOrDefault(code, List.of());
            store.incident(code).onSuccess(inc -> inc.ifPresent(i -> {
              triageEvents.helpShown(filed, hit, i.agencies());
              if (!hit.isEmpty()) {
                triageEvents.watchMatched(filed, hit, hit, null, i.agencies());
              }
            }));
          }
          return null;
        });
  }

  /**
   * Open and acknowledged help requests of an incident (the caller checked access): those that
   * matched a watch term ({@code priority: "high"}) first, then oldest first.
   */
  public Future<List<Triaged>> queue(String code) {
    return queue(code, false);
  }

  /**
   * The help requests of an incident (the caller checked access) in queue order; with
   * {@code withResolved} also the resolved ones (the responder desk counts and maps them).
   */
  public Future<List<Triaged>> queue(String code, boolean withResolved) {
    return Future.all(store.helpRequests(code, !withResolved), store.triage().watchMatches(code)).map(both -> {
      List<Store.HelpRequest> list = both.resultAt(0);
      java.util.Map<String, List<String>> matched = both.resultAt(1);
      List<Triaged> all = new java.util.ArrayList<>();
      list.forEach(h -> all.add(new Triaged(h, matched.getOrDefault(h.checkIn().id(), List.of()))));
      return highFirst(all);
    });
  }

  /** Requests in queue order: matched ones first, the given (oldest-first) order kept within each. */
  static List<Triaged> highFirst(List<Triaged> requests) {
    List<Triaged> ordered = new java.util.ArrayList<>(requests);
    ordered.sort(java.util.Comparator.comparing((Triaged t) -> t.matched().isEmpty()));
    return ordered;
  }

  /** A help request with the watch terms it matched (read now). */
  public Future<Triaged> triaged(Store.HelpRequest h) {
    return store.triage().watchMatches(h.incident(), h.checkIn().id()).map(m -> new Triaged(h, m));
  }

  /**
   * {@code GET /api/v1/help/{checkinId}}: the request (the edge shows its summary), for the person who asked
   * ({@code phone}) or a responder of the agencies of (one of) its incidents ({@code responder});
   * exactly one of the two is non-null. Fails {@code not_found} when there is none,
   * {@code forbidden} for anyone else.
   */
  public Future<Store.HelpRequest> read(String phone, Responder responder, String checkinId) {
    return store.helpRequest(checkinId).compose(o -> {
      if (o.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such help request"));
      }
      Store.HelpRequest h = o.get();
      Future<Boolean> may = responder == null
          ? Future.succeededFuture(phone != null && phone.equals(h.checkIn().phone()))
          : store.helpIncidents(checkinId).compose(codes -> triages(responder, codes));
      return may.compose(ok -> ok ? Future.succeededFuture(h)
          : Future.failedFuture(HubException.forbidden()));
    });
  }

  /**
   * Acknowledges ({@code acknowledged}) or resolves ({@code resolved}) a help request: a responder
   * of the agencies of (one of) the incidents whose queue holds it; {@code not_found} when it is no
   * help request, {@code forbidden} for anyone else, {@code conflict} (nothing changes, nobody is
   * told) when the request is already in that state or past it (states only go forward). Returns the
   * request as it now is.
   */
  public Future<Triaged> set(Responder who, String checkinId, String state) {
    return store.helpIncidents(checkinId).compose(codes -> {
      if (codes.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such help request"));
      }
      return triages(who, codes).compose(ok -> {
        if (ok) {
          return apply(who, checkinId, state);
        }
        HubException no = new HubException(org.crisishub.domain.ErrorCode.FORBIDDEN,
            "this call for help belongs to an incident your agency does not serve");
        return Future.failedFuture(no);
      });
    });
  }

  /** True when {@code who} may triage the help queue of one of the incidents {@code codes}. */
  Future<Boolean> triages(Responder who, List<String> codes) {
    List<Future<java.util.Optional<org.crisishub.domain.Incident>>> reads = codes.stream().map(store::incident).toList();
    return Future.all(reads).map(x -> reads.stream().anyMatch(f -> f.result().isPresent()
        && IncidentAccess.allows(f.result().get(), Actor.of(who), IncidentAccess.Act.TRIAGE)));
  }

  private Future<Triaged> apply(Responder who, String checkinId, String state) {
    // Forward only (Store.HELP_STATES): a refused move (409) changed nothing and tells nobody; the
    // edge audits it as refused (edge.AuditedCall).
    return store.setHelpState(checkinId, state, who.username(), who.agency(), clock.instant()).compose(o -> {
      if (o.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such help request"));
      }
      Store.HelpRequest h = o.get();
      counted(state).increment();
      events.publish(new DomainEvent.HelpAnswered(h));
      // Handed to the incident's agencies as they are now, before the change is answered.
      Future<Void> sms = store.triage().watchMatches(h.incident(), h.checkIn().id()).compose(matched ->
          store.incident(h.incident()).<Void>map(inc -> {
            inc.ifPresent(i -> triageEvents.helpShown(h, matched, i.agencies()));
            return null;
          })).recover(e -> Future.succeededFuture());
      if (h.checkIn().channel() == Channel.SMS) {
        String text = "acknowledged".equals(state)
            ? "Crisis Hub: a responder has seen your call for help (#" + h.checkIn().seq() + ")."
            : "Crisis Hub: your call for help (#" + h.checkIn().seq() + ") was marked resolved.";
        sms = sms.compose(y -> store.enqueueSms(h.checkIn().phone(), "help:" + checkinId, null,
            org.crisishub.domain.SmsText.fit(text, SmsReplies.NOTICE_SEGMENTS), clock.instant())
            .andThen(x -> smsQueued.run()));
      }
      return sms.compose(x -> triaged(h));
    });
  }
}
