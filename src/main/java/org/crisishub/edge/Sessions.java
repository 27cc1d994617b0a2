package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.util.List;
import org.crisishub.auth.TokenService;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.OutFrame;
import org.crisishub.notices.ResponderAuth;

/** Starting an authenticated live session, the same for WebSocket and SSE. */
final class Sessions {
  private Sessions() {
  }

  /**
   * Indexes the session under its person, then reads the snapshot and sends {@code ready} and
   * {@code snapshot} before any live frame that arrived meanwhile: nothing committed after the
   * snapshot read is missed, and nothing arrives before the snapshot.
   */
  /**
   * Subscribes a session to an incident and returns the frames it is sent first: the incident's
   * current notices, and for a responder its open help requests. Fails {@code not_found} for an
   * unknown incident.
   */
  static Future<List<OutFrame>> subscribe(EdgeContext edge, ClientSession s, String code) {
    return edge.notices().incident(code).compose(inc -> {
      edge.fanOut().subscribe(s, inc.code());
      List<OutFrame> first = new java.util.ArrayList<>();
      return edge.notices().current(inc.code()).compose(notices -> {
        for (ObjectNode n : notices) {
          first.add(EventEncoder.noticeFrame(n.toString()));
        }
        // Calls for help (people's data) only to responders of the agencies that serve the incident.
        if (s.responder() == null || !org.crisishub.core.IncidentAccess.seesPeople(inc, s.agency())) {
          return Future.succeededFuture(first);
        }
        return edge.help().queue(inc.code()).compose(help -> edge.safety().reportedHelp(inc.code()).map(reported -> {
          for (org.crisishub.core.HelpService.Triaged t : help) {
            first.add(EventEncoder.helpFrame(t.request(), t.matched()));
          }
          // Calls for help reported by followers in a safety check's escalation, marked reported.
          for (org.crisishub.core.SafetyReports.ReportedHelp r : reported) {
            ObjectNode f = Wire.object();
            f.put("type", "help").set("checkin", Wire.reportedHelp(r.report(), r.matched()));
            first.add(org.crisishub.fanout.OutFrame.of(f.toString()));
          }
          return first;
        }));
      });
    });
  }

  /**
   * Starts a responder's session: {@code ready} with the username, then an empty snapshot. The
   * session is indexed first and the account and token are checked once more after that, so a
   * disable or revocation that raced with this login still closes it (4001).
   */
  static void beginResponder(EdgeContext edge, ClientSession s, org.crisishub.notices.ResponderAuth.Session session) {
    beginResponder(edge, s, session, null);
  }

  /** As {@link #beginResponder(EdgeContext, ClientSession, ResponderAuth.Session)}; {@code ready} echoes {@code ref} (the auth frame's, or null). */
  static void beginResponder(EdgeContext edge, ClientSession s, org.crisishub.notices.ResponderAuth.Session session,
      JsonNode ref) {
    String username = session.responder().username();
    Future<Void> watched = edge.fanOut().authenticateResponder(s, username, session.responder().agency(),
        session.claims().tokenId());
    ObjectNode ready = Wire.object();
    ready.put("type", "ready");
    ready.put("responder", username);
    if (ref != null) {
      ready.set("ref", ref);
    }
    s.send(OutFrame.of(ready.toString()));
    s.send(Wire.snapshotFrame(List.of()));
    // Once a close sent by any node reaches this session, check once more: a disable or logout
    // made in between would otherwise have been missed.
    watched.compose(v -> edge.responders().stillValid(session.claims())).onComplete(ar -> {
      if (ar.succeeded() && !ar.result()) {
        s.context().runOnContext(v -> s.close(ClientSession.CLOSE_REVOKED, "session revoked"));
      }
    });
  }

  static Future<Void> begin(EdgeContext edge, ClientSession s, TokenService.Claims claims) {
    return begin(edge, s, claims, null);
  }

  /**
   * As {@link #begin(EdgeContext, ClientSession, TokenService.Claims)}; {@code ready} is the reply to
   * the {@code auth} frame and echoes its {@code ref} (null: none).
   */
  static Future<Void> begin(EdgeContext edge, ClientSession s, TokenService.Claims claims, JsonNode ref) {
    s.hold();
    Future<Void> watched = edge.fanOut().authenticate(s, claims.subject(), claims.tokenId());
    // As for responders: once a revocation from any node reaches this session, check once more.
    watched.compose(v -> edge.store().isTokenRevoked(claims.tokenId())).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        s.context().runOnContext(v -> s.close(ClientSession.CLOSE_REVOKED, "session revoked"));
      }
    });
    // After ready and snapshot: a safety_check frame per running check the person has not answered.
    Future<List<OutFrame>> asks = edge.safety() == null ? Future.succeededFuture(List.of())
        : edge.safety().pendingAsks(claims.subject()).map(l -> l.stream().map(EventEncoder::askFrame).toList());
    return edge.follows().snapshot(claims.subject()).compose(latest -> asks.map(pending -> {
      ObjectNode ready = Wire.object();
      ready.put("type", "ready");
      ready.put("phone", claims.subject());
      if (ref != null) {
        ready.set("ref", ref);
      }
      List<OutFrame> first = new java.util.ArrayList<>();
      first.add(OutFrame.of(ready.toString()));
      first.add(Wire.snapshotFrame(latest));
      first.addAll(pending);
      s.release(first);
      return null;
    }));
  }
}
