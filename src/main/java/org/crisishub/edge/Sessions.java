package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.util.List;
import org.crisishub.auth.TokenService;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.OutFrame;
import org.crisishub.core.FollowService;
import org.crisishub.core.HelpService;
import org.crisishub.core.SafetyCheckService;
import org.crisishub.fanout.FanOut;
import org.crisishub.notices.NoticeService;
import org.crisishub.notices.ResponderAuth;
import org.crisishub.store.Store;

/**
 * Starting an authenticated live session and subscribing it to an incident, the same for WebSocket
 * and SSE. Immutable and thread-safe: one instance serves every connection; the futures complete on
 * the caller's context.
 */
public final class Sessions {
  private final FanOut fanOut;
  private final FollowService follows;
  private final Store store;
  private final SafetyCheckService safety;
  private final NoticeService notices;
  private final HelpService help;
  private final ResponderAuth responders;

  /**
   * @param store tells whether a person's token was revoked while its session started
   * @param safety the running safety checks a person is asked in (null: none are asked)
   */
  public Sessions(FanOut fanOut, FollowService follows, Store store, SafetyCheckService safety, NoticeService notices,
      HelpService help, ResponderAuth responders) {
    this.fanOut = fanOut;
    this.follows = follows;
    this.store = store;
    this.safety = safety;
    this.notices = notices;
    this.help = help;
    this.responders = responders;
  }

  /**
   * Subscribes a session to an incident and returns the frames it is sent first: the incident's
   * current notices, and for a responder its open help requests. Fails {@code not_found} for an
   * unknown incident.
   */
  Future<List<OutFrame>> subscribe(ClientSession s, String code) {
    return notices.incident(code).compose(inc -> {
      fanOut.subscribe(s, inc.code());
      List<OutFrame> first = new java.util.ArrayList<>();
      return notices.current(inc.code()).compose(notices -> {
        for (ObjectNode n : notices) {
          first.add(EventEncoder.noticeFrame(n.toString()));
        }
        // Calls for help (people's data) only to responders of the agencies that serve the incident.
        if (s.responder() == null || !org.crisishub.core.IncidentAccess.seesPeople(inc, s.agency())) {
          return Future.succeededFuture(first);
        }
        return help.queue(inc.code()).compose(help -> safety.reportedHelp(inc.code()).map(reported -> {
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
  void beginResponder(ClientSession s, ResponderAuth.Session session) {
    beginResponder(s, session, null);
  }

  /** As {@link #beginResponder(ClientSession, ResponderAuth.Session)}; {@code ready} echoes {@code ref} (the auth frame's, or null). */
  void beginResponder(ClientSession s, ResponderAuth.Session session, JsonNode ref) {
    String username = session.responder().username();
    Future<Void> watched = fanOut.authenticateResponder(s, username, session.responder().agency(),
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
    watched.compose(v -> responders.stillValid(session.claims())).onComplete(ar -> {
      if (ar.succeeded() && !ar.result()) {
        s.context().runOnContext(v -> s.close(ClientSession.CLOSE_REVOKED, "session revoked"));
      }
    });
  }

  /**
   * Indexes the session under its person, then reads the snapshot and sends {@code ready} and
   * {@code snapshot} before any live frame that arrived meanwhile: nothing committed after the
   * snapshot read is missed, and nothing arrives before the snapshot.
   */
  Future<Void> begin(ClientSession s, TokenService.Claims claims) {
    return begin(s, claims, null);
  }

  /**
   * As {@link #begin(ClientSession, TokenService.Claims)}; {@code ready} is the reply to
   * the {@code auth} frame and echoes its {@code ref} (null: none).
   */
  Future<Void> begin(ClientSession s, TokenService.Claims claims, JsonNode ref) {
    s.hold();
    Future<Void> watched = fanOut.authenticate(s, claims.subject(), claims.tokenId());
    // As for responders: once a revocation from any node reaches this session, check once more.
    watched.compose(v -> store.isTokenRevoked(claims.tokenId())).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        s.context().runOnContext(v -> s.close(ClientSession.CLOSE_REVOKED, "session revoked"));
      }
    });
    // After ready and snapshot: a safety_check frame per running check the person has not answered.
    Future<List<OutFrame>> asks = safety == null ? Future.succeededFuture(List.of())
        : safety.pendingAsks(claims.subject()).map(l -> l.stream().map(EventEncoder::askFrame).toList());
    return follows.snapshot(claims.subject()).compose(latest -> asks.map(pending -> {
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
