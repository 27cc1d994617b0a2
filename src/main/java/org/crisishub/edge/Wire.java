package org.crisishub.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.Follow;
import org.crisishub.domain.Location;
import org.crisishub.domain.Rfc3339;
import org.crisishub.store.SafetyCheckStore;
import org.crisishub.store.HelpQueue;
import org.crisishub.fanout.OutFrame;

/**
 * Domain records to wire JSON, in one place: RFC 3339 UTC times with seconds, absent optional
 * fields omitted (never null). Thread-safe.
 */
public final class Wire {
  public static final ObjectMapper JSON = new ObjectMapper();

  private Wire() {
  }

  /** {@code 2026-11-22T14:05:09Z}. */
  public static String time(Instant t) {
    return Rfc3339.seconds(t);
  }

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  public static ArrayNode array() {
    return JSON.createArrayNode();
  }

  /** The full check-in object of the contract. */
  public static ObjectNode checkIn(CheckIn c) {
    ObjectNode n = object();
    n.put("id", c.id());
    n.put("phone", c.phone());
    n.put("status", c.status().wire());
    if (c.note() != null) {
      n.put("note", c.note());
    }
    if (c.location() != null) {
      n.set("location", location(c.location()));
    }
    if (c.incident() != null) {
      n.put("incident", c.incident());
    }
    n.put("channel", c.channel().wire());
    n.put("at", time(c.at()));
    n.put("seq", c.seq());
    madeAtAndLate(n, c);
    return n;
  }

  /** {@code madeAt} (when the client gave one) and {@code late}, on every rendering of a check-in. */
  public static ObjectNode madeAtAndLate(ObjectNode n, CheckIn c) {
    if (c.madeAt() != null) {
      n.put("madeAt", time(c.madeAt()));
    }
    n.put("late", c.late());
    return n;
  }

  /** A person's latest status, as in {@code GET .../status}, snapshots and status frames. */
  public static ObjectNode status(CheckIn c) {
    ObjectNode n = object();
    n.put("phone", c.phone());
    n.put("status", c.status().wire());
    if (c.note() != null) {
      n.put("note", c.note());
    }
    if (c.location() != null) {
      n.set("location", location(c.location()));
    }
    n.put("at", time(c.at()));
    n.put("seq", c.seq());
    n.put("channel", c.channel().wire());
    madeAtAndLate(n, c);
    return n;
  }

  public static ObjectNode location(Location l) {
    ObjectNode n = object();
    n.put("lat", l.lat());
    n.put("lon", l.lon());
    if (l.accuracyM() != null) {
      n.put("accuracyM", l.accuracyM());
    }
    return n;
  }

  /**
   * A status frame; frames about the same person coalesce in a full queue, except a late one (older
   * than the person's status): it neither replaces a waiting frame nor is replaced.
   */
  public static OutFrame statusFrame(CheckIn c) {
    ObjectNode n = object();
    n.put("type", "status");
    n.setAll(status(c));
    return new OutFrame(n.toString(), c.late() ? null : "status:" + c.phone());
  }

  /** The reply to a check-in (REST body, WebSocket ack fields): {@code id, seq, at, notified, madeAt?, late}. */
  public static ObjectNode checkInAck(ObjectNode n, org.crisishub.domain.CheckInResult r) {
    n.put("id", r.checkIn().id());
    n.put("seq", r.checkIn().seq());
    n.put("at", time(r.checkIn().at()));
    n.put("notified", r.notified());
    if (!r.helpIncidents().isEmpty()) {
      // Who else was told: the incidents whose responders got the help request.
      ArrayNode h = n.putArray("helpIncidents");
      r.helpIncidents().forEach(h::add);
    }
    return madeAtAndLate(n, r.checkIn());
  }

  /** {@code {"type":"follow_update","phone":subject,"state":…}}: what a follower is told when the subject answers. */
  public static OutFrame followUpdateFrame(Follow f) {
    ObjectNode n = object();
    n.put("type", "follow_update");
    n.put("phone", f.subject());
    n.put("state", f.state().wire());
    return OutFrame.of(n.toString());
  }

  public static OutFrame snapshotFrame(List<CheckIn> latest) {
    ObjectNode n = object();
    n.put("type", "snapshot");
    ArrayNode people = n.putArray("people");
    for (CheckIn c : latest) {
      people.add(status(c));
    }
    return OutFrame.of(n.toString());
  }

  public static OutFrame followRequestFrame(String from) {
    ObjectNode n = object();
    n.put("type", "follow_request");
    n.put("from", from);
    return OutFrame.of(n.toString());
  }

  /** A follow as its follower sees it: whom, in which state, by SMS too or not. */
  public static ObjectNode followAsFollower(Follow f) {
    return followAsFollower(f, null);
  }

  /** A follow as its follower sees it, with the follower's own label of the person when there is one. */
  public static ObjectNode followAsFollower(Follow f, String label) {
    ObjectNode n = object();
    n.put("phone", f.subject());
    n.put("state", f.state().wire());
    n.put("sms", f.sms());
    if (label != null) {
      n.put("label", label);
    }
    return n;
  }

  /** A follow as its subject sees it: who, in which state. */
  public static ObjectNode followAsSubject(Follow f) {
    ObjectNode n = object();
    n.put("phone", f.follower());
    n.put("state", f.state().wire());
    n.put("since", time(f.updatedAt()));
    return n;
  }

  /** A help request as its incident's responders see it: the check-in, its queue state, who acted, triage. */
  public static ObjectNode helpRequest(HelpQueue.HelpRequest h) {
    return helpRequest(h, List.of());
  }

  /** A help request with the watch terms it matched ({@code priority: "high"} when there are some). */
  public static ObjectNode helpRequest(org.crisishub.core.HelpService.Triaged t) {
    return t.reported() != null ? reportedHelp(t.reported(), t.matched()) : helpRequest(t.request(), t.matched());
  }

  /** As {@link #helpRequest(HelpQueue.HelpRequest)}, with the watch terms it matched. */
  public static ObjectNode helpRequest(HelpQueue.HelpRequest h, List<String> matched) {
    ObjectNode n = checkIn(h.checkIn());
    n.put("incident", h.incident());
    n.put("state", h.state());
    if (h.byAgency() != null) {
      n.put("by", h.byAgency());
    }
    if (h.byResponder() != null) {
      n.put("byResponder", h.byResponder());
    }
    n.put("updatedAt", time(h.updatedAt()));
    return triage(n, matched);
  }

  /**
   * A follower's reported {@code need_help} as a help request (for the incident's responders only):
   * the person's number, the reporter's note and number, never a location; {@code reported: true}.
   */
  public static ObjectNode reportedHelp(SafetyCheckStore.Report r, List<String> matched) {
    ObjectNode n = object();
    n.put("id", r.id()).put("phone", r.phone()).put("status", "need_help");
    if (r.note() != null) {
      n.put("note", r.note());
    }
    n.put("at", time(r.at())).put("channel", "report").put("incident", r.incident())
        .put("state", r.helpState() == null ? "open" : r.helpState());
    if (r.byAgency() != null) {
      n.put("by", r.byAgency());
    }
    if (r.byResponder() != null) {
      n.put("byResponder", r.byResponder());
    }
    n.put("updatedAt", time(r.updatedAt())).put("priority", matched.isEmpty() ? "normal" : "high");
    ArrayNode terms = n.putArray("matched");
    matched.forEach(terms::add);
    n.put("reported", true).put("reportedBy", r.follower()).put("check", r.check());
    return n;
  }

  /**
   * Help requests and the ones followers reported in a safety check's escalation, together in queue
   * order: {@code high} priority first, then oldest first.
   */
  public static ArrayNode helpRequests(List<org.crisishub.core.HelpService.Triaged> list,
      List<org.crisishub.core.SafetyReports.ReportedHelp> reported) {
    if (reported.isEmpty()) {
      return helpRequests(list);
    }
    List<ObjectNode> all = new java.util.ArrayList<>();
    list.forEach(t -> all.add(helpRequest(t)));
    reported.forEach(r -> all.add(reportedHelp(r.report(), r.matched())));
    all.sort(java.util.Comparator.comparing((ObjectNode n) -> !"high".equals(n.path("priority").asText()))
        .thenComparing(n -> Instant.parse(n.path("at").asText())));
    ArrayNode a = array();
    all.forEach(a::add);
    return a;
  }

  /** Help requests, in the given order. */
  public static ArrayNode helpRequests(List<org.crisishub.core.HelpService.Triaged> list) {
    ArrayNode a = array();
    list.forEach(t -> a.add(helpRequest(t)));
    return a;
  }

  /**
   * The triage fields every help request carries (docs/api.md): {@code priority} ({@code high} when
   * it matched a watch term of its incident, else {@code normal}), {@code matched} (those terms, as
   * the responder wrote them) and {@code reported} (false: filed by the person themself).
   */
  static ObjectNode triage(ObjectNode n, List<String> matched) {
    n.put("priority", matched.isEmpty() ? "normal" : "high");
    ArrayNode m = n.putArray("matched");
    matched.forEach(m::add);
    n.put("reported", false);
    return n;
  }

  /**
   * What the person who asked sees of their request: {@code {id, incident, state, by?, at}} with
   * {@code by} the agency that last acted and {@code at} when the state last changed.
   */
  public static ObjectNode helpSummary(HelpQueue.HelpRequest h) {
    ObjectNode n = object();
    n.put("id", h.checkIn().id());
    n.put("incident", h.incident());
    n.put("state", h.state());
    if (h.byAgency() != null) {
      n.put("by", h.byAgency());
    }
    n.put("at", time(h.updatedAt()));
    return n;
  }

  /** A safety check's {@code tallies} object. */
  public static ObjectNode tallies(SafetyCheckStore.Tallies t) {
    ObjectNode n = object();
    n.put("asked", t.asked()).put("delivered", t.delivered()).put("safe", t.safe()).put("needHelp", t.needHelp())
        .put("noAnswer", t.noAnswer()).put("unreachable", t.unreachable()).put("reportedSafe", t.reportedSafe())
        .put("reportedNeedHelp", t.reportedNeedHelp());
    return n;
  }
}
