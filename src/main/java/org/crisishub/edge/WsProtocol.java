package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import org.crisishub.auth.Limits;
import org.crisishub.auth.RateLimiter;
import org.crisishub.core.PersonCommands;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Phones;
import org.crisishub.domain.Status;
import org.crisishub.fanout.OutFrame;

/**
 * The WebSocket protocol of {@code /api/v1/ws} for one connection (docs/api.md): frame dispatch,
 * {@code auth}, {@code subscribe}, and the person's actions, translated between the wire and
 * {@link PersonCommands} (the same handlers as HTTP and SMS). Every client frame with a {@code ref}
 * gets exactly one {@code ack} or {@code error} with that {@code ref}. The transport (reading,
 * writing, pings, closing) is {@link WsSession}'s. Runs on the connection's event loop.
 */
public final class WsProtocol implements WsSession.Protocol {
  private final WsSession session;
  private final Uses uses;
  private final RateLimiter frameLimiter;
  private boolean authenticating;
  private int inProgress;

  /**
   * What the protocol uses. Every member is thread-safe.
   *
   * @param commands the person's actions, answers to safety checks included ({@code answer} frames)
   * @param rateLimits {@code HUB_RATE_LIMITS}: whether each connection's frames are limited ({@link Limits#WS_FRAMES})
   */
  public record Uses(Authenticator authenticator, Sessions sessions, PersonCommands commands, Phones phones,
      boolean rateLimits, org.crisishub.fanout.FanOut fanOut) {
  }

  WsProtocol(WsSession session, Uses uses) {
    this.session = session;
    this.uses = uses;
    this.frameLimiter = new RateLimiter(uses.rateLimits());
  }

  @Override
  public boolean idle() {
    return inProgress == 0;
  }

  @Override
  public void onBinary() {
    error(null, ErrorCode.INVALID_REQUEST, "frames must be JSON text");
  }

  @Override
  public void onText(String text) {
    JsonNode msg;
    try {
      msg = RequestJson.object(text);
    } catch (HubException e) {
      // A frame that carries a ref gets its error with that ref, also when the frame is refused whole.
      error(RequestJson.refOf(text), ErrorCode.INVALID_REQUEST, e.getMessage().replace("the body", "a frame"));
      return;
    }
    JsonNode ref = msg.get("ref");
    try {
      frameLimiter.acquire(Limits.WS_FRAMES, "conn", System.currentTimeMillis());
    } catch (HubException e) {
      error(ref, ErrorCode.RATE_LIMITED, e.getMessage());
      return;
    }
    JsonNode typeNode = msg.get("type");
    String type = typeNode != null && typeNode.isTextual() ? typeNode.textValue() : "";
    Future<ObjectNode> reply;
    try {
      reply = switch (type) {
        case "ping" -> {
          ObjectNode pong = Wire.object();
          pong.put("type", "pong");
          if (ref != null) {
            pong.set("ref", ref); // pong is the ping's reply: it echoes the ref like every reply
          }
          session.send(OutFrame.of(pong.toString()));
          yield null;
        }
        case "auth" -> auth(msg);
        case "subscribe" -> subscribe(msg, true);
        case "unsubscribe" -> subscribe(msg, false);
        case "checkin", "follow", "unfollow", "consent", "answer" -> {
          if (session.phone() == null) {
            throw session.responder() != null ? new HubException(ErrorCode.FORBIDDEN, "a responder session cannot do this")
                : HubException.unauthorized("send auth first");
          }
          yield switch (type) {
            case "checkin" -> checkIn(msg);
            case "follow" -> follow(msg);
            case "unfollow" -> unfollow(msg);
            case "answer" -> answer(msg);
            default -> consent(msg);
          };
        }
        default -> {
          if (session.phone() == null && session.responder() == null) {
            throw HubException.unauthorized("send auth first");
          }
          throw HubException.invalid("unknown type \"" + truncate(type) + "\"");
        }
      };
    } catch (HubException e) {
      error(ref, e.code(), e.getMessage());
      return;
    }
    if (reply != null) {
      inProgress++;
      reply.onComplete(ar -> {
        inProgress--;
        if (ar.succeeded()) {
          ObjectNode out = ar.result();
          if (ref != null) {
            out.set("ref", ref);
          }
          session.send(OutFrame.of(out.toString()));
        } else {
          HubException h = Errors.of(ar.cause());
          error(ref, h.code(), h.getMessage());
        }
      });
    }
  }

  private static String truncate(String s) {
    return s.length() > 32 ? s.substring(0, 32) + "..." : s;
  }

  private void error(JsonNode ref, ErrorCode code, String message) {
    ObjectNode e = Wire.object();
    e.put("type", "error");
    if (ref != null) {
      e.set("ref", ref);
    }
    e.put("code", code.wire());
    e.put("message", message);
    session.send(OutFrame.of(e.toString()));
  }

  private static ObjectNode ack() {
    ObjectNode n = Wire.object();
    n.put("type", "ack");
    return n;
  }

  private Future<ObjectNode> auth(JsonNode msg) {
    if (session.phone() != null || session.responder() != null || authenticating) {
      throw new HubException(ErrorCode.CONFLICT, "already authenticated");
    }
    String token = Fields.optionalString(msg, "token");
    if (token == null) {
      throw HubException.unauthorized("token is required");
    }
    authenticating = true;
    JsonNode ref = msg.get("ref");
    // Nothing sent after auth is read until ready and snapshot are queued: the replies to frames
    // sent meanwhile (subscribe, checkin...) and live frames they cause follow them. Frames wait in
    // the socket's inbound queue (and TCP) meanwhile.
    session.pause();
    uses.authenticator().of(token)
        .compose(p -> {
          if (session.isClosed()) {
            return Future.<Void>succeededFuture();
          }
          if (p instanceof Principal.Person person) {
            return uses.sessions().begin(session, person.claims(), ref);
          }
          if (p instanceof Principal.Responder r) {
            uses.sessions().beginResponder(session, r.session(), ref);
            return Future.<Void>succeededFuture();
          }
          return Future.<Void>failedFuture(HubException.unauthorized("not a person's or a responder's token"));
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            authenticating = false;
            HubException h = Errors.of(ar.cause());
            error(ref, h.code(), h.getMessage());
          }
          session.resume();
        });
    return null;
  }

  /**
   * Subscribes to an incident's notices (and, for a responder, its help requests). The ack comes
   * first, then the incident's current notices (and open help requests), then live ones; a notice
   * published during the subscription may arrive twice (same id).
   */
  private Future<ObjectNode> subscribe(JsonNode msg, boolean on) {
    String code = CheckInRequest.normaliseIncident(Fields.requiredString(msg, "incident"));
    JsonNode ref = msg.get("ref");
    if (!on) {
      uses.fanOut().unsubscribe(session, code);
      ObjectNode a = ack();
      a.put("incident", code);
      return Future.succeededFuture(a);
    }
    session.hold();
    uses.sessions().subscribe(session, code).onComplete(ar -> {
      if (ar.failed()) {
        session.release(java.util.List.of());
        HubException h = Errors.of(ar.cause());
        error(ref, h.code(), h.getMessage());
        return;
      }
      ObjectNode a = ack();
      if (ref != null) {
        a.set("ref", ref);
      }
      a.put("incident", code);
      java.util.List<OutFrame> first = new java.util.ArrayList<>();
      first.add(OutFrame.of(a.toString()));
      first.addAll(ar.result());
      session.release(first);
    });
    return null;
  }

  private Future<ObjectNode> checkIn(JsonNode msg) {
    String phone = session.phone();
    return uses.commands().checkIn(phone, () -> Future.succeededFuture(new CheckInRequest(phone,
        Status.parse(Fields.requiredString(msg, "status")), Fields.optionalString(msg, "note"),
        Fields.optionalLocation(msg, "location"), Fields.optionalString(msg, "incident"), Channel.WS,
        Fields.optionalString(msg, "key"), Fields.optionalTime(msg, "madeAt"))))
        .map(r -> Wire.checkInAck(ack(), r));
  }

  /** {"type":"answer","ref","check","status","note"?}: the person's answer to a safety check → ack. */
  private Future<ObjectNode> answer(JsonNode msg) {
    if (msg.has("phone")) {
      // Not the person's own answer: a follower's report, which the contract takes only over REST. Refused
      // rather than recorded as the sender's own answer to the check.
      throw HubException.invalid("an answer frame is your own answer; report on someone else with "
          + "POST /api/v1/safety-checks/{id}/answers {phone, status}");
    }
    return uses.commands().answer(session.phone(), Channel.WS, null, () -> new PersonCommands.SafetyAnswer(
        Fields.requiredString(msg, "check"), Status.parse(Fields.requiredString(msg, "status")),
        Fields.optionalString(msg, "note"))).map(a -> {
          ObjectNode ack = ack();
          ack.put("check", a.check());
          ack.put("status", a.status());
          ack.put("at", Wire.time(a.at()));
          return ack;
        });
  }

  private Future<ObjectNode> follow(JsonNode msg) {
    return uses.commands().follow(session.phone(), () -> new PersonCommands.FollowRequest(
        uses.phones().normalise(Fields.requiredString(msg, "phone")), Fields.optionalBoolean(msg, "sms", false)))
        .map(f -> {
          ObjectNode a = ack();
          a.put("phone", f.subject());
          a.put("state", f.state().wire());
          return a;
        });
  }

  private Future<ObjectNode> unfollow(JsonNode msg) {
    String subject = uses.phones().normalise(Fields.requiredString(msg, "phone"));
    return uses.commands().unfollow(session.phone(), subject).map(x -> {
      ObjectNode a = ack();
      a.put("phone", subject);
      return a;
    });
  }

  private Future<ObjectNode> consent(JsonNode msg) {
    String follower = uses.phones().normalise(Fields.requiredString(msg, "phone"));
    boolean allow = Fields.requiredBoolean(msg, "allow");
    return uses.commands().consent(session.phone(), follower, allow).map(f -> {
      ObjectNode a = ack();
      a.put("phone", f.follower());
      a.put("state", f.state().wire());
      return a;
    });
  }
}
