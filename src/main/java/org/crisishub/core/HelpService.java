package org.crisishub.core;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
import org.crisishub.domain.Actor;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsReplies;
import org.crisishub.edge.Wire;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.OutFrame;
import org.crisishub.store.Store;

/**
 * Help triage: a {@code need_help} check-in that names an incident, or falls inside its area, is
 * shared with that incident's responders (its purpose), live and in the incident's queue. When a
 * responder acknowledges or resolves it, the person is told on their open sessions, and by SMS
 * when they asked for help by SMS.
 */
public final class HelpService {
  private final Store store;
  private final FanOut fanOut;
  private final Clock clock;
  private final Runnable smsQueued;
  private final io.micrometer.core.instrument.MeterRegistry registry;

  /** {@code registry} gets {@code hub.help.requests{event}}: filed, acknowledged, resolved. */
  public HelpService(Store store, FanOut fanOut, Clock clock, Runnable smsQueued,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.store = store;
    this.fanOut = fanOut;
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
      ObjectNode frame = Wire.object();
      frame.put("type", "help");
      ObjectNode ci = Wire.checkIn(r.checkIn());
      ci.put("incident", code);
      ci.put("state", "open");
      ci.put("updatedAt", Wire.time(r.checkIn().at()));
      triage(ci);
      frame.set("checkin", ci);
      OutFrame out = OutFrame.of(frame.toString());
      store.incident(code).onSuccess(inc -> inc.ifPresent(i ->
          fanOut.deliverToIncidentResponders(code, i.agencies(), out)));
    }
  }

  private volatile java.util.function.Function<String, Future<List<ObjectNode>>> reported =
      code -> Future.succeededFuture(List.of());

  /**
   * Where the queue finds an incident's calls for help reported by others (a follower's report in a
   * safety check's escalation), each already a help request with {@code reported: true}.
   */
  public void reportedBy(java.util.function.Function<String, Future<List<ObjectNode>>> source) {
    this.reported = source;
  }

  /**
   * Open and acknowledged help requests of an incident, oldest first, with the open reported ones
   * (the caller checked access).
   */
  public Future<ArrayNode> queue(String code) {
    return store.helpRequests(code, true).compose(list -> reported.apply(code).map(more -> {
      List<ObjectNode> all = new java.util.ArrayList<>();
      list.forEach(h -> all.add(json(h)));
      if (!more.isEmpty()) {
        all.addAll(more);
        all.sort(java.util.Comparator.comparing((ObjectNode n) -> java.time.Instant.parse(n.path("at").asText())));
      }
      ArrayNode a = Wire.array();
      all.forEach(a::add);
      return a;
    }));
  }

  static ObjectNode json(Store.HelpRequest h) {
    ObjectNode n = Wire.checkIn(h.checkIn());
    n.put("incident", h.incident());
    n.put("state", h.state());
    if (h.byAgency() != null) {
      n.put("by", h.byAgency());
    }
    if (h.byResponder() != null) {
      n.put("byResponder", h.byResponder());
    }
    n.put("updatedAt", Wire.time(h.updatedAt()));
    return triage(n);
  }

  /**
   * The triage fields every help request carries (docs/api.md): {@code priority} ({@code normal}:
   * no watch term raises one yet), {@code matched} (the watch terms it matched: none) and
   * {@code reported} (false: filed by the person themself).
   */
  static ObjectNode triage(ObjectNode n) {
    n.put("priority", "normal");
    n.putArray("matched");
    n.put("reported", false);
    return n;
  }

  /**
   * What the person who asked sees of their request: {@code {id, incident, state, by?, at}} with
   * {@code by} the agency that last acted and {@code at} when the state last changed.
   */
  static ObjectNode summary(Store.HelpRequest h) {
    ObjectNode n = Wire.object();
    n.put("id", h.checkIn().id());
    n.put("incident", h.incident());
    n.put("state", h.state());
    if (h.byAgency() != null) {
      n.put("by", h.byAgency());
    }
    n.put("at", Wire.time(h.updatedAt()));
    return n;
  }

  /**
   * {@code GET /api/v1/help/{checkinId}}: the request's {@link #summary}, for the person who asked
   * ({@code phone}) or a responder of the agencies of (one of) its incidents ({@code responder});
   * exactly one of the two is non-null. Fails {@code not_found} when there is none,
   * {@code forbidden} for anyone else.
   */
  public Future<ObjectNode> read(String phone, Responder responder, String checkinId) {
    return store.helpRequest(checkinId).compose(o -> {
      if (o.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such help request"));
      }
      Store.HelpRequest h = o.get();
      Future<Boolean> may = responder == null
          ? Future.succeededFuture(phone != null && phone.equals(h.checkIn().phone()))
          : store.helpIncidents(checkinId).compose(codes -> triages(responder, codes));
      return may.compose(ok -> ok ? Future.succeededFuture(summary(h))
          : Future.failedFuture(HubException.forbidden()));
    });
  }

  /**
   * Acknowledges ({@code acknowledged}) or resolves ({@code resolved}) a help request: a responder
   * of the agencies of (one of) the incidents whose queue holds it; {@code not_found} when it is no
   * help request, {@code forbidden} for anyone else.
   */
  public Future<ObjectNode> set(Responder who, String checkinId, String state) {
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
        return store.audit(who.username(), "help." + state, checkinId, "refused", no.code().wire(), clock.instant())
            .transform(y -> Future.failedFuture(no));
      });
    });
  }

  /** True when {@code who} may triage the help queue of one of the incidents {@code codes}. */
  private Future<Boolean> triages(Responder who, List<String> codes) {
    List<Future<java.util.Optional<org.crisishub.domain.Incident>>> reads = codes.stream().map(store::incident).toList();
    return Future.all(reads).map(x -> reads.stream().anyMatch(f -> f.result().isPresent()
        && IncidentAccess.allows(f.result().get(), Actor.of(who), IncidentAccess.Act.TRIAGE)));
  }

  private Future<ObjectNode> apply(Responder who, String checkinId, String state) {
    return store.setHelpState(checkinId, state, who.username(), who.agency(), clock.instant()).compose(o -> {
      if (o.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such help request"));
      }
      Store.HelpRequest h = o.get();
      counted(state).increment();
      ObjectNode update = Wire.object();
      update.put("type", "help_update");
      update.put("id", checkinId);
      update.put("state", state);
      if (h.byAgency() != null) {
        update.put("by", h.byAgency());
      }
      update.put("at", Wire.time(h.updatedAt()));
      fanOut.deliverTo(List.of(h.checkIn().phone()), OutFrame.of(update.toString()));
      ObjectNode forResponders = Wire.object();
      forResponders.put("type", "help");
      forResponders.set("checkin", json(h));
      OutFrame out = OutFrame.of(forResponders.toString());
      // Handed to the incident's agencies as they are now, before the change is answered.
      Future<Void> sms = store.incident(h.incident()).<Void>map(inc -> {
        inc.ifPresent(i -> fanOut.deliverToIncidentResponders(h.incident(), i.agencies(), out));
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
      return sms.compose(x -> store.audit(who.username(), "help." + state, checkinId, "done", h.incident(),
          clock.instant())).map(json(h));
    });
  }
}
