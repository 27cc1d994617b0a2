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
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HelpService.class);
  private final Store store;
  private final FanOut fanOut;
  private final Clock clock;
  private final Runnable smsQueued;
  private final io.micrometer.core.instrument.MeterRegistry registry;
  private final WatchService watch;
  private final TriageEvents triageEvents;

  /**
   * {@code registry} gets {@code hub.help.requests{event}}: filed, acknowledged, resolved;
   * {@code watch} scores new requests against the incident's watch terms; {@code triageEvents} shows
   * requests (with their matches) and watch matches to the incident's responders.
   */
  public HelpService(Store store, FanOut fanOut, Clock clock, Runnable smsQueued,
      io.micrometer.core.instrument.MeterRegistry registry, WatchService watch, TriageEvents triageEvents) {
    this.watch = watch;
    this.triageEvents = triageEvents;
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
    return watch.scoreCheckIn(r.checkIn().id(), r.checkIn().note(), r.helpIncidents())
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
  public Future<ArrayNode> queue(String code) {
    return Future.all(store.helpRequests(code, true), store.triage().watchMatches(code)).map(both -> {
      List<Store.HelpRequest> list = both.resultAt(0);
      java.util.Map<String, List<String>> matched = both.resultAt(1);
      List<ObjectNode> all = new java.util.ArrayList<>();
      list.forEach(h -> all.add(json(h, matched.getOrDefault(h.checkIn().id(), List.of()))));
      return highFirst(all);
    });
  }

  /** Requests in queue order: {@code priority: "high"} first, the given (oldest-first) order kept within each. */
  static ArrayNode highFirst(List<ObjectNode> requests) {
    List<ObjectNode> ordered = new java.util.ArrayList<>(requests);
    ordered.sort(java.util.Comparator.comparing((ObjectNode n) -> !"high".equals(n.path("priority").asText())));
    ArrayNode a = Wire.array();
    ordered.forEach(a::add);
    return a;
  }

  /** A help request as responders see it, with the watch terms it matched (read now). */
  public Future<ObjectNode> requestJson(Store.HelpRequest h) {
    return store.triage().watchMatches(h.incident(), h.checkIn().id()).map(m -> json(h, m));
  }

  static ObjectNode json(Store.HelpRequest h) {
    return json(h, List.of());
  }

  /** A help request as responders see it (docs/api.md), with the watch terms it matched. */
  public static ObjectNode json(Store.HelpRequest h, List<String> matched) {
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
    return triage(n, matched);
  }

  /**
   * The triage fields every help request carries (docs/api.md): {@code priority} ({@code high} when
   * it matched a watch term of its incident, else {@code normal}), {@code matched} (those terms) and
   * {@code reported} (false: filed by the person themself).
   */
  static ObjectNode triage(ObjectNode n, List<String> matched) {
    n.put("priority", matched.isEmpty() ? "normal" : "high");
    com.fasterxml.jackson.databind.node.ArrayNode m = n.putArray("matched");
    matched.forEach(m::add);
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
  Future<Boolean> triages(Responder who, List<String> codes) {
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
      return sms.compose(x -> store.audit(who.username(), "help." + state, checkinId, "done", h.incident(),
          clock.instant())).compose(x -> requestJson(h));
    });
  }
}
