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
import org.crisishub.store.HelpQueue;
import org.crisishub.store.IncidentRegistry;
import org.crisishub.store.Outbox;
import org.crisishub.store.SafetyCheckStore;
import org.crisishub.store.TriageStore;

/**
 * Help triage: a {@code need_help} check-in that names an incident, or falls inside its area, is
 * shared with that incident's responders (its purpose), live and in the incident's queue. When a
 * responder acknowledges or resolves it, the person is told on their open sessions, and by SMS
 * when they asked for help by SMS. Live news goes out as {@link TriageEvents#helpShown} (to the
 * incident's responders) and {@link DomainEvent.HelpAnswered} (to the person).
 */
public final class HelpService {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HelpService.class);
  private final HelpQueue queue;
  private final IncidentRegistry incidents;
  private final TriageStore triage;
  private final SafetyCheckStore checks;
  private final Outbox outbox;
  private final EventSink events;
  private final Clock clock;
  private final Runnable smsQueued;
  private final io.micrometer.core.instrument.MeterRegistry registry;
  private final WatchService watch;
  private final TriageEvents triageEvents;

  /**
   * Five store concerns, because a help request is read and moved in the queue ({@code queue}), shown
   * to its incidents' agencies ({@code incidents}) with its watch matches ({@code triage}), may be a
   * follower's reported call for help ({@code checks}) and tells an SMS sender by SMS
   * ({@code outbox}); all may be the same store. {@code registry} gets
   * {@code hub.help.requests{event}}: filed, acknowledged, resolved; {@code watch} scores new requests
   * against the incident's watch terms; {@code triageEvents} shows requests (with the terms they
   * matched) and watch matches to the incident's responders.
   */
  public HelpService(HelpQueue queue, IncidentRegistry incidents, TriageStore triage, SafetyCheckStore checks,
      Outbox outbox, EventSink events, Clock clock, Runnable smsQueued,
      io.micrometer.core.instrument.MeterRegistry registry, WatchService watch, TriageEvents triageEvents) {
    this.watch = watch;
    this.triageEvents = triageEvents;
    this.queue = queue;
    this.incidents = incidents;
    this.triage = triage;
    this.checks = checks;
    this.outbox = outbox;
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

  /**
   * A help request with the watch terms of its incident it matched (none: {@code priority: "normal"});
   * {@code reported}: the follower's report when it is a reported call for help (then
   * {@code request} is its {@link SafetyReports#asHelpRequest} view), else null.
   */
  public record Triaged(HelpQueue.HelpRequest request, List<String> matched,
      SafetyCheckStore.Report reported) {
    public Triaged {
      matched = List.copyOf(matched);
    }

    public Triaged(HelpQueue.HelpRequest request, List<String> matched) {
      this(request, matched, null);
    }
  }

  private volatile SafetyReports reports;

  /** Reported calls for help (safety-check follower reports) are help requests too: read and moved here. */
  public void useReports(SafetyReports reports) {
    this.reports = reports;
  }

  /** The newest unresolved reported call for help {@code phone} filed (as a follower), as a help request. */
  Future<java.util.Optional<HelpQueue.HelpRequest>> newestReported(String phone) {
    SafetyReports r = reports;
    return r == null ? Future.succeededFuture(java.util.Optional.empty())
        : checks.newestOpenReported(phone).map(o -> o.map(SafetyReports::asHelpRequest));
  }

  /**
   * The reported call for help {@code id} (a follower's need_help report) as a help request when
   * {@code phone} (its reporter) or {@code responder} may see it; empty when {@code id} is none;
   * {@code forbidden} for anyone else.
   */
  Future<java.util.Optional<HelpQueue.HelpRequest>> reported(String phone, Responder responder, String id) {
    SafetyReports r = reports;
    return r == null ? Future.succeededFuture(java.util.Optional.empty())
        : r.readable(phone, responder, id).map(o -> o.map(SafetyReports::asHelpRequest));
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
            HelpQueue.HelpRequest filed = new HelpQueue.HelpRequest(r.checkIn(), code, "open", null, null, r.checkIn().at());
            List<String> hit = matched.getOrDefault(code, List.of());
            incidents.incident(code).onSuccess(inc -> inc.ifPresent(i -> {
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
    return Future.all(queue.helpRequests(code, !withResolved), triage.watchMatches(code)).map(both -> {
      List<HelpQueue.HelpRequest> list = both.resultAt(0);
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
  public Future<Triaged> triaged(HelpQueue.HelpRequest h) {
    return triage.watchMatches(h.incident(), h.checkIn().id()).map(m -> new Triaged(h, m));
  }

  /**
   * {@code GET /api/v1/help/{checkinId}}: the request (the edge shows its summary), for the person who asked
   * ({@code phone}) or a responder of the agencies of (one of) its incidents ({@code responder});
   * exactly one of the two is non-null. Fails {@code not_found} when there is none,
   * {@code forbidden} for anyone else.
   */
  public Future<HelpQueue.HelpRequest> read(String phone, Responder responder, String checkinId) {
    return queue.helpRequest(checkinId).compose(o -> {
      if (o.isEmpty()) {
        return reported(phone, responder, checkinId).compose(r -> r.isPresent() ? Future.succeededFuture(r.get())
            : Future.failedFuture(HubException.notFound("no such help request")));
      }
      HelpQueue.HelpRequest h = o.get();
      Future<Boolean> may = responder == null
          ? Future.succeededFuture(phone != null && phone.equals(h.checkIn().phone()))
          : queue.helpIncidents(checkinId).compose(codes -> triages(responder, codes));
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
    return queue.helpIncidents(checkinId).compose(codes -> {
      if (codes.isEmpty()) {
        // Not a check-in's: a follower's reported call for help, or nothing.
        SafetyReports r = reports;
        return r == null ? Future.failedFuture(HubException.notFound("no such help request"))
            : r.setState(who, checkinId, state);
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
    List<Future<java.util.Optional<org.crisishub.domain.Incident>>> reads = codes.stream().map(incidents::incident).toList();
    return Future.all(reads).map(x -> reads.stream().anyMatch(f -> f.result().isPresent()
        && IncidentAccess.allows(f.result().get(), Actor.of(who), IncidentAccess.Act.TRIAGE)));
  }

  private Future<Triaged> apply(Responder who, String checkinId, String state) {
    // Forward only (HelpQueue.HELP_STATES): a refused move (409) changed nothing and tells nobody; the
    // edge audits it as refused (edge.AuditedCall).
    return queue.setHelpState(checkinId, state, who.username(), who.agency(), clock.instant()).compose(o -> {
      if (o.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such help request"));
      }
      HelpQueue.HelpRequest h = o.get();
      counted(state).increment();
      events.publish(new DomainEvent.HelpAnswered(h));
      // Handed to the incident's agencies as they are now, before the change is answered.
      Future<Void> sms = triage.watchMatches(h.incident(), h.checkIn().id()).compose(matched ->
          incidents.incident(h.incident()).<Void>map(inc -> {
            inc.ifPresent(i -> triageEvents.helpShown(h, matched, i.agencies()));
            return null;
          })).recover(e -> Future.succeededFuture());
      if (h.checkIn().channel() == Channel.SMS) {
        String text = "acknowledged".equals(state)
            ? "Crisis Hub: a responder has seen your call for help (#" + h.checkIn().seq() + ")."
            : "Crisis Hub: your call for help (#" + h.checkIn().seq() + ") was marked resolved.";
        sms = sms.compose(y -> outbox.enqueueSms(h.checkIn().phone(), "help:" + checkinId, null,
            org.crisishub.domain.SmsText.fit(text, SmsReplies.NOTICE_SEGMENTS), clock.instant())
            .andThen(x -> smsQueued.run()));
      }
      return sms.compose(x -> triaged(h));
    });
  }
}
