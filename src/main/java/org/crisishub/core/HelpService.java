package org.crisishub.core;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
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

  /** A new check-in was recorded: show its call for help to the responders of its incidents. */
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
      frame.set("checkin", ci);
      fanOut.deliverToIncidentResponders(code, OutFrame.of(frame.toString()));
    }
  }

  /** Open and acknowledged help requests of an incident, oldest first. */
  public Future<ArrayNode> queue(String code) {
    return store.helpRequests(code, true).map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(h -> a.add(json(h)));
      return a;
    });
  }

  static ObjectNode json(Store.HelpRequest h) {
    ObjectNode n = Wire.checkIn(h.checkIn());
    n.put("incident", h.incident());
    n.put("state", h.state());
    if (h.byResponder() != null) {
      n.put("by", h.byResponder());
    }
    n.put("updatedAt", Wire.time(h.updatedAt()));
    return n;
  }

  /** Acknowledges ({@code acknowledged}) or resolves ({@code resolved}) a help request. */
  public Future<ObjectNode> set(Responder who, String checkinId, String state) {
    return store.setHelpState(checkinId, state, who.username(), clock.instant()).compose(o -> {
      if (o.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such help request"));
      }
      Store.HelpRequest h = o.get();
      counted(state).increment();
      ObjectNode update = Wire.object();
      update.put("type", "help_update");
      update.put("id", checkinId);
      update.put("state", state);
      fanOut.deliverTo(List.of(h.checkIn().phone()), OutFrame.of(update.toString()));
      ObjectNode forResponders = Wire.object();
      forResponders.put("type", "help");
      forResponders.set("checkin", json(h));
      fanOut.deliverToIncidentResponders(h.incident(), OutFrame.of(forResponders.toString()));
      Future<Void> sms = Future.succeededFuture();
      if (h.checkIn().channel() == Channel.SMS) {
        String text = "acknowledged".equals(state)
            ? "Crisis Hub: a responder has seen your call for help (#" + h.checkIn().seq() + ")."
            : "Crisis Hub: your call for help (#" + h.checkIn().seq() + ") was marked resolved.";
        sms = store.enqueueSms(h.checkIn().phone(), "help:" + checkinId, null,
            org.crisishub.domain.SmsText.fit(text, SmsReplies.NOTICE_SEGMENTS), clock.instant())
            .andThen(x -> smsQueued.run());
      }
      return sms.compose(x -> store.audit(who.username(), "help." + state, checkinId, "done", h.incident(),
          clock.instant())).map(json(h));
    });
  }
}
