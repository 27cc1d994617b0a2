package org.crisishub.edge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.List;
import org.crisishub.core.TriageEvents;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.OutFrame;
import org.crisishub.store.HelpQueue;
import org.crisishub.store.TriageStore;

/**
 * {@link TriageEvents} as frames (docs/api.md, docs/triage.md): each event is encoded once per audience and
 * handed to the fan-out, which reaches this node's sessions and the other nodes'. People's data goes to
 * the responders of the named agencies subscribed to the incident, and to the person who asked; to
 * nobody else. Thread-safe.
 */
public final class TriageFrames implements TriageEvents {
  private final FanOut fanOut;

  public TriageFrames(FanOut fanOut) {
    this.fanOut = fanOut;
  }

  @Override
  public void helpShown(HelpQueue.HelpRequest request, List<String> matched, Collection<String> agencies) {
    fanOut.deliverToIncidentResponders(request.incident(), agencies, EventEncoder.helpFrame(request, matched));
  }

  @Override
  public void watchMatched(HelpQueue.HelpRequest request, List<String> matched, List<String> all,
      TriageStore.HelpMessage message, Collection<String> agencies) {
    ObjectNode f = Wire.object();
    f.put("type", "watch_match");
    f.put("incident", request.incident());
    ArrayNode terms = f.putArray("matched");
    matched.forEach(terms::add);
    f.set("checkin", Wire.helpRequest(request, all));
    if (message != null) {
      f.set("message", message(message, true));
    }
    fanOut.deliverToIncidentResponders(request.incident(), agencies, OutFrame.of(f.toString()));
  }

  @Override
  public int messagePosted(HelpQueue.HelpRequest request, TriageStore.HelpMessage message, Collection<String> agencies) {
    fanOut.deliverToIncidentResponders(request.incident(), agencies,
        OutFrame.of(frame(request.checkIn().id(), message(message, true)).toString()));
    return fanOut.deliverTo(List.of(request.checkIn().phone()),
        OutFrame.of(frame(request.checkIn().id(), message(message, false)).toString()));
  }

  private static ObjectNode frame(String checkinId, ObjectNode message) {
    ObjectNode f = Wire.object();
    f.put("type", "help_message");
    f.put("checkin", checkinId);
    f.set("message", message);
    return f;
  }

  /**
   * A thread message on the wire: {@code {id, from, by?, text, at}}, {@code by} the responder's agency;
   * {@code forResponders} adds {@code byResponder} (the username), which the person is not shown.
   */
  public static ObjectNode message(TriageStore.HelpMessage m, boolean forResponders) {
    ObjectNode n = Wire.object();
    n.put("id", m.id());
    n.put("from", m.from());
    if (m.agency() != null) {
      n.put("by", m.agency());
    }
    if (forResponders && m.by() != null) {
      n.put("byResponder", m.by());
    }
    n.put("text", m.text());
    n.put("at", Wire.time(m.at()));
    return n;
  }

  /** {@code {"terms": [...]}}. */
  public static ObjectNode terms(List<String> terms) {
    ObjectNode n = Wire.object();
    ArrayNode a = n.putArray("terms");
    terms.forEach(a::add);
    return n;
  }

  /** A thread as a JSON array, oldest first. */
  public static ArrayNode thread(List<TriageStore.HelpMessage> messages, boolean forResponders) {
    ArrayNode a = Wire.array();
    messages.forEach(m -> a.add(message(m, forResponders)));
    return a;
  }
}
