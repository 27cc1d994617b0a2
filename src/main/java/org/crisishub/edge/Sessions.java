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
import org.crisishub.core.SafetyReports;
import org.crisishub.core.Subscriptions;
import org.crisishub.fanout.FanOut;
import org.crisishub.notices.ResponderAuth;
import org.crisishub.store.PersonAuthStore;

/**
 * Starting an authenticated live session and subscribing it to an incident, the same for WebSocket
 * and SSE. What a subscription gets is decided in {@link Subscriptions}; here it is only encoded into
 * frames and the session registered with the {@link FanOut}. Immutable and thread-safe: one instance
 * serves every connection; the futures complete on the caller's context.
 */
public final class Sessions {
  private final FanOut fanOut;
  private final FollowService follows;
  private final PersonAuthStore revocations;
  private final SafetyCheckService safety;
  private final Subscriptions subscriptions;
  private final ResponderAuth responders;

  /**
   * @param revocations tells whether a person's token was revoked while its session started
   * @param safety the running safety checks a person is asked in (null: none are asked)
   * @param subscriptions what a session subscribing to an incident is sent first
   */
  public Sessions(FanOut fanOut, FollowService follows, PersonAuthStore revocations, SafetyCheckService safety,
      Subscriptions subscriptions, ResponderAuth responders) {
    this.fanOut = fanOut;
    this.follows = follows;
    this.revocations = revocations;
    this.safety = safety;
    this.subscriptions = subscriptions;
    this.responders = responders;
  }

  /**
   * Subscribes a session to an incident and returns the frames it is sent first: the incident's
   * current notices, and for a responder of its agencies its open help requests and reported calls
   * for help ({@link Subscriptions#live}). Fails {@code not_found} for an unknown incident.
   */
  Future<List<OutFrame>> subscribe(ClientSession s, String code) {
    String agency = s.responder() == null ? null : s.agency();
    return subscriptions.live(code, agency, c -> fanOut.subscribe(s, c)).map(live -> {
      List<OutFrame> first = new java.util.ArrayList<>();
      for (String signedJson : live.notices()) {
        first.add(EventEncoder.noticeFrame(signedJson));
      }
      for (HelpService.Triaged t : live.help()) {
        first.add(EventEncoder.helpFrame(t.request(), t.matched()));
      }
      // Calls for help reported by followers in a safety check's escalation, marked reported.
      for (SafetyReports.ReportedHelp r : live.reported()) {
        ObjectNode f = Wire.object();
        f.put("type", "help").set("checkin", Wire.reportedHelp(r.report(), r.matched()));
        first.add(OutFrame.of(f.toString()));
      }
      return first;
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
    watched.compose(v -> revocations.isTokenRevoked(claims.tokenId())).onComplete(ar -> {
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
