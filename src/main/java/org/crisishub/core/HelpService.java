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
 * when they asked for help by SMS. Live news goes out as {@link DomainEvent.HelpShown} (to the
 * incident's responders) and {@link DomainEvent.HelpAnswered} (to the person).
 */
public final class HelpService {
  private final Store store;
  private final EventSink events;
  private final Clock clock;
  private final Runnable smsQueued;
  private final io.micrometer.core.instrument.MeterRegistry registry;

  /** {@code registry} gets {@code hub.help.requests{event}}: filed, acknowledged, resolved. */
  public HelpService(Store store, EventSink events, Clock clock, Runnable smsQueued,
      io.micrometer.core.instrument.MeterRegistry registry) {
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

  /**
   * A new check-in was recorded: show its call for help to the responders of its incidents'
   * agencies (owner and partners, read now), and to nobody else.
   */
  public void announce(CheckInResult r) {
    if (!r.helpIncidents().isEmpty()) {
      counted("filed").increment();
    }
    for (String code : r.helpIncidents()) {
      // A new request in the queue: open, by nobody yet, changed when it was filed.
      Store.HelpRequest filed = new Store.HelpRequest(r.checkIn(), code, "open", null, null, r.checkIn().at());
      store.incident(code).onSuccess(inc -> inc.ifPresent(i ->
          events.publish(new DomainEvent.HelpShown(filed, i.agencies()))));
    }
  }

  /** Open and acknowledged help requests of an incident, oldest first (the caller checked access). */
  public Future<List<Store.HelpRequest>> queue(String code) {
    return store.helpRequests(code, true);
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
  public Future<Store.HelpRequest> set(Responder who, String checkinId, String state) {
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
  private Future<Boolean> triages(Responder who, List<String> codes) {
    List<Future<java.util.Optional<org.crisishub.domain.Incident>>> reads = codes.stream().map(store::incident).toList();
    return Future.all(reads).map(x -> reads.stream().anyMatch(f -> f.result().isPresent()
        && IncidentAccess.allows(f.result().get(), Actor.of(who), IncidentAccess.Act.TRIAGE)));
  }

  private Future<Store.HelpRequest> apply(Responder who, String checkinId, String state) {
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
      Future<Void> sms = store.incident(h.incident()).<Void>map(inc -> {
        inc.ifPresent(i -> events.publish(new DomainEvent.HelpShown(h, i.agencies())));
        return null;
      }).recover(e -> Future.succeededFuture());
      if (h.checkIn().channel() == Channel.SMS) {
        String text = "acknowledged".equals(state)
            ? "Crisis Hub: a responder has seen your call for help (#" + h.checkIn().seq() + ")."
            : "Crisis Hub: your call for help (#" + h.checkIn().seq() + ") was marked resolved.";
        sms = sms.compose(y -> store.enqueueSms(h.checkIn().phone(), "help:" + checkinId, null,
            org.crisishub.domain.SmsText.fit(text, SmsReplies.NOTICE_SEGMENTS), clock.instant())
            .andThen(x -> smsQueued.run()));
      }
      return sms.map(h);
    });
  }
}
