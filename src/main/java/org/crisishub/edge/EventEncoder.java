package org.crisishub.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.crisishub.core.DomainEvent;
import org.crisishub.core.EventSink;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.OutFrame;
import org.crisishub.store.SafetyCheckStore;
import org.crisishub.store.HelpQueue;

/**
 * The one place where the core's {@link DomainEvent}s become wire frames: each event is encoded
 * once into an {@link OutFrame} (whose WebSocket and SSE bytes are in turn built once, see
 * {@link OutFrame}) and handed to the {@link FanOut}, which gives the same frame to every session of
 * the recipients the event names, on this node and through the cluster relay on the others.
 * Thread-safe.
 *
 * <p>A new kind of frame: add a record to {@link DomainEvent}, emit it from the service, and add its
 * encoding and its recipients here (the frame's JSON shape from {@link Wire}).
 */
public final class EventEncoder implements EventSink {
  private final FanOut fanOut;
  /** The last safety-check ask built: one check asks its audience page after page, with one frame. */
  private volatile Ask lastAsk;

  private record Ask(SafetyCheckStore.Check check, OutFrame frame) {
  }

  public EventEncoder(FanOut fanOut) {
    this.fanOut = fanOut;
  }

  @Override
  public int publish(DomainEvent event) {
    if (event instanceof DomainEvent.StatusChanged e) {
      return e.recipients().isEmpty() ? 0 : fanOut.deliverTo(e.recipients(), Wire.statusFrame(e.checkIn()));
    }
    if (event instanceof DomainEvent.FollowRequested e) {
      return fanOut.deliverTo(List.of(e.subject()), Wire.followRequestFrame(e.follower()));
    }
    if (event instanceof DomainEvent.FollowAnswered e) {
      return fanOut.deliverTo(List.of(e.follow().follower()), Wire.followUpdateFrame(e.follow()));
    }
    if (event instanceof DomainEvent.HelpShown e) {
      return fanOut.deliverToIncidentResponders(e.request().incident(), e.agencies(), helpFrame(e.request()));
    }
    if (event instanceof DomainEvent.HelpAnswered e) {
      return fanOut.deliverTo(List.of(e.request().checkIn().phone()), helpUpdateFrame(e.request()));
    }
    if (event instanceof DomainEvent.NoticePublished e) {
      return fanOut.deliverToIncident(e.incident(), noticeFrame(e.signedJson()));
    }
    if (event instanceof DomainEvent.SafetyCheckAsked e) {
      Ask a = lastAsk;
      if (a == null || a.check() != e.check()) {
        a = new Ask(e.check(), askFrame(e.check()));
        lastAsk = a;
      }
      return fanOut.deliverToEach(e.phones(), a.frame(), e.hadSession());
    }
    if (event instanceof DomainEvent.SafetyCheckTallied e) {
      ObjectNode f = Wire.object();
      f.put("type", "safety_check_tally").put("id", e.checkId()).set("tallies", Wire.tallies(e.tallies()));
      return fanOut.deliverToIncidentResponders(e.incident(), e.agencies(), OutFrame.of(f.toString()));
    }
    if (event instanceof DomainEvent.SafetyCheckUnanswered e) {
      ObjectNode f = Wire.object();
      f.put("type", "unanswered").put("check", e.checkId()).put("incident", e.incident()).put("phone", e.phone());
      return fanOut.deliverTo(e.followers(), OutFrame.of(f.toString()));
    }
    if (event instanceof DomainEvent.SafetyCheckReported e) {
      ObjectNode f = Wire.object();
      f.put("type", "reported").put("check", e.report().check()).put("status", e.report().status());
      return fanOut.deliverTo(List.of(e.report().phone()), OutFrame.of(f.toString()));
    }
    if (event instanceof DomainEvent.ReportedHelpShown e) {
      ObjectNode f = Wire.object();
      ObjectNode help = Wire.reportedHelp(e.report(), e.matched());
      f.put("type", "help").set("checkin", help);
      int n = fanOut.deliverToIncidentResponders(e.report().incident(), e.agencies(), OutFrame.of(f.toString()));
      if (!e.matched().isEmpty()) {
        // One watch_match per matched item, as for the person's own need_help (docs/triage.md).
        ObjectNode w = Wire.object();
        w.put("type", "watch_match").put("incident", e.report().incident());
        com.fasterxml.jackson.databind.node.ArrayNode terms = w.putArray("matched");
        e.matched().forEach(terms::add);
        w.set("checkin", help);
        fanOut.deliverToIncidentResponders(e.report().incident(), e.agencies(), OutFrame.of(w.toString()));
      }
      return n;
    }
    throw new IllegalArgumentException("no encoding for " + event.getClass().getSimpleName());
  }

  /** {@code {"type":"help","checkin":{…}}}: a call for help as the incident's responders see it. */
  public static OutFrame helpFrame(HelpQueue.HelpRequest h) {
    return helpFrame(h, java.util.List.of());
  }

  /** As {@link #helpFrame(HelpQueue.HelpRequest)}, with the watch terms the request matched. */
  public static OutFrame helpFrame(HelpQueue.HelpRequest h, java.util.List<String> matched) {
    ObjectNode f = Wire.object();
    f.put("type", "help");
    f.set("checkin", Wire.helpRequest(h, matched));
    return OutFrame.of(f.toString());
  }

  /** {@code {"type":"help_update","id","state","by"?,"at"}}: what the person who asked is told. */
  public static OutFrame helpUpdateFrame(HelpQueue.HelpRequest h) {
    ObjectNode update = Wire.object();
    update.put("type", "help_update");
    update.put("id", h.checkIn().id());
    update.put("state", h.state());
    if (h.byAgency() != null) {
      update.put("by", h.byAgency());
    }
    update.put("at", Wire.time(h.updatedAt()));
    return OutFrame.of(update.toString());
  }

  /** {@code {"type":"notice","notice":<the signed notice, verbatim>}}. */
  public static OutFrame noticeFrame(String signedJson) {
    return OutFrame.of("{\"type\":\"notice\",\"notice\":" + signedJson + "}");
  }

  /** The {@code safety_check} frame. */
  public static OutFrame askFrame(SafetyCheckStore.Check c) {
    ObjectNode f = Wire.object();
    f.put("type", "safety_check").put("id", c.id()).put("incident", c.incident()).put("question", c.question());
    return OutFrame.of(f.toString());
  }
}
