package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.websocket.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import org.crisishub.auth.Limits;
import org.crisishub.auth.RateLimiter;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Status;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.OutFrame;

/**
 * The WebSocket protocol of {@code /api/v1/ws} for one connection: every client frame with a
 * {@code ref} gets exactly one {@code ack} or {@code error} with that {@code ref}. Runs on the
 * connection's event loop.
 */
final class WsSession extends ClientSession {
  /** Largest text message kept for the UTF-8 check; larger ones are closed with 1009 by Vert.x. */
  private static final int MAX_MESSAGE = 16 * 1024;
  private final ServerWebSocket ws;
  /** The connection's Netty channel (null if Vert.x does not expose it), for {@link #resetTransport()}. */
  private final io.netty.channel.Channel channel;
  private final EdgeContext edge;
  private final RateLimiter frameLimiter;
  private long lastHeardMs = System.currentTimeMillis();
  private boolean authenticating;
  private int inProgress;
  private short drainCode;
  private String drainReason;
  /** The bytes of the text message being received, while its frames arrive; null between messages. */
  private Buffer textBytes;

  WsSession(ServerWebSocket ws, io.netty.channel.Channel channel, Context context, EdgeContext edge) {
    super(context, edge.config().wsQueueFrames());
    this.ws = ws;
    this.channel = channel;
    this.edge = edge;
    this.frameLimiter = new RateLimiter(edge.config().rateLimits());
  }

  /**
   * Gathers this connection's writes per event-loop turn: a flush asked for outside a read (a
   * fan-out or an ack completed from the store writer's batch) is put off until the task that asked
   * for it ends, so the frames written to one socket in that turn leave in one {@code writev} instead
   * of one {@code send} each (issue 23: one {@code send} per delivered frame was a fifth of the hub's
   * CPU in a fan-out profile). Flushes inside a read already wait for the read's end; after 256
   * put-off flushes the next one goes through at once. Must be called once per channel.
   */
  static void gatherFlushes(io.netty.channel.Channel channel) {
    channel.pipeline().addFirst("ws-gather-flushes", new io.netty.handler.flush.FlushConsolidationHandler(
        io.netty.handler.flush.FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
  }

  void start() {
    if (channel != null && channel.pipeline().get("ws-gather-flushes") == null) {
      gatherFlushes(channel);
    }
    edge.fanOut().add(this);
    ws.frameHandler(this::onFrame);
    ws.binaryMessageHandler(b -> {
      heard();
      error(null, ErrorCode.INVALID_REQUEST, "frames must be JSON text");
    });
    ws.pongHandler(b -> heard());
    ws.closeHandler(v -> {
      transportClosed();
      edge.fanOut().remove(this);
    });
    ws.exceptionHandler(this::onProtocolError);
  }

  /**
   * Text messages are put together here from their frames and must be valid UTF-8 (RFC 6455 section
   * 8.1): one that is not closes the connection with 1007 and is not handled. (Vert.x's own text
   * handler would decode malformed bytes to U+FFFD silently.) Messages over 16 KiB are closed with
   * 1009 by Vert.x's aggregation, which the binary handler keeps on.
   */
  private void onFrame(io.vertx.core.http.WebSocketFrame f) {
    byte[] bytes;
    if (f.isText() && f.isFinal()) {
      // The common case, a message in one frame: decoded from the frame, not gathered first.
      textBytes = null;
      if (f.binaryData().length() > MAX_MESSAGE) {
        return;
      }
      bytes = f.binaryData().getBytes();
    } else {
      if (f.isText()) {
        textBytes = Buffer.buffer();
      } else if (!f.isContinuation() || textBytes == null) {
        return;
      }
      if (textBytes.length() + f.binaryData().length() > MAX_MESSAGE) {
        textBytes = null;
        return;
      }
      textBytes.appendBuffer(f.binaryData());
      if (!f.isFinal()) {
        return;
      }
      bytes = textBytes.getBytes();
      textBytes = null;
    }
    String text;
    try {
      text = RequestJson.utf8(bytes);
    } catch (HubException e) {
      heard();
      close((short) 1007, "text frame is not valid UTF-8");
      return;
    }
    if (!isClosed()) {
      onText(text);
    }
  }

  /** Frames or messages over 16 KiB close with 1009 (message too big); other violations with 1002. */
  private void onProtocolError(Throwable t) {
    if (isClosed()) {
      return;
    }
    if (t instanceof CorruptedWebSocketFrameException c) {
      close((short) c.closeStatus().code(), c.closeStatus().code() == 1009
          ? "message larger than 16 KiB" : "protocol error");
    } else if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).contains("max message size")) {
      close((short) 1009, "message larger than 16 KiB");
    } else {
      close((short) 1002, "protocol error");
    }
  }

  private void heard() {
    lastHeardMs = System.currentTimeMillis();
  }

  /** Pings the client, or closes the connection when nothing was heard for the idle timeout. */
  void keepAlive(long nowMs, long idleMs) {
    if (isClosed()) {
      return;
    }
    if (nowMs - lastHeardMs >= idleMs) {
      close(CLOSE_IDLE, "idle: nothing heard for " + idleMs / 1000 + " s");
    } else {
      ws.writePing(Buffer.buffer("hb"));
    }
  }

  @Override
  protected boolean writeQueueFull() {
    return ws.writeQueueFull();
  }

  @Override
  protected void write(OutFrame frame) {
    // The frame's UTF-8 bytes, encoded once for every WebSocket session (writeFinalTextFrame would
    // encode the text again for each); getByteBuf() is a slice that Netty's release leaves intact.
    ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT,
        ((BufferInternal) frame.ws()).getByteBuf(), true));
  }

  @Override
  protected void onDrain(Runnable onDrain) {
    ws.drainHandler(v -> {
      ws.drainHandler(null);
      onDrain.run();
    });
  }

  @Override
  protected void closeTransport(short code, String reason) {
    ws.close(code, reason);
  }

  @Override
  protected void resetTransport() {
    if (channel != null) {
      ConnectionGuard.reset(channel);
    } else {
      ws.close();
    }
  }

  private void onText(String text) {
    heard();
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
          send(OutFrame.of(pong.toString()));
          yield null;
        }
        case "auth" -> auth(msg);
        case "subscribe" -> subscribe(msg, true);
        case "unsubscribe" -> subscribe(msg, false);
        case "checkin", "follow", "unfollow", "consent", "answer" -> {
          if (phone() == null) {
            throw responder() != null ? new HubException(ErrorCode.FORBIDDEN, "a responder session cannot do this")
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
          if (phone() == null && responder() == null) {
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
          send(OutFrame.of(out.toString()));
        } else {
          HubException h = Errors.of(ar.cause());
          error(ref, h.code(), h.getMessage());
        }
      });
    }
  }

  @Override
  public void drain(short code, String reason, long maxMs) {
    if (isClosed() || drainReason != null) {
      return;
    }
    drainCode = code;
    drainReason = reason;
    ws.pause(); // no new requests; those read already finish and are answered
    org.crisishub.async.Waits.until(context().owner(), 20, maxMs, () -> isClosed() || inProgress == 0 && backlog() == 0)
        .onComplete(x -> close(drainCode, drainReason));
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
    send(OutFrame.of(e.toString()));
  }

  private static ObjectNode ack() {
    ObjectNode n = Wire.object();
    n.put("type", "ack");
    return n;
  }

  private Future<ObjectNode> auth(JsonNode msg) {
    if (phone() != null || responder() != null || authenticating) {
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
    ws.pause();
    Principal.of(edge, token)
        .compose(p -> {
          if (isClosed()) {
            return Future.<Void>succeededFuture();
          }
          if (p instanceof Principal.Person person) {
            return Sessions.begin(edge, this, person.claims(), ref);
          }
          if (p instanceof Principal.Responder r) {
            Sessions.beginResponder(edge, this, r.session(), ref);
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
          if (drainReason == null && !isClosed()) {
            ws.resume();
          }
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
      edge.fanOut().unsubscribe(this, code);
      ObjectNode a = ack();
      a.put("incident", code);
      return Future.succeededFuture(a);
    }
    hold();
    Sessions.subscribe(edge, this, code).onComplete(ar -> {
      if (ar.failed()) {
        release(java.util.List.of());
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
      release(first);
    });
    return null;
  }

  private Future<ObjectNode> checkIn(JsonNode msg) {
    return edge.limiter().charge(Limits.CHECKIN_PER_PHONE, phone(), System.currentTimeMillis(), () -> {
      CheckInRequest req = new CheckInRequest(phone(), Status.parse(Fields.requiredString(msg, "status")),
          Fields.optionalString(msg, "note"), Fields.optionalLocation(msg, "location"),
          Fields.optionalString(msg, "incident"), Channel.WS, Fields.optionalString(msg, "key"),
          Fields.optionalTime(msg, "madeAt"));
      return edge.checkIns().record(req);
    }).map(r -> Wire.checkInAck(ack(), r));
  }

  /** {"type":"answer","ref","check","status","note"?}: the person's answer to a safety check → ack. */
  private Future<ObjectNode> answer(JsonNode msg) {
    edge.limiter().acquire(Limits.CHECKIN_PER_PHONE, phone(), System.currentTimeMillis());
    String check = Fields.requiredString(msg, "check");
    Status status = Status.parse(Fields.requiredString(msg, "status"));
    String note = Fields.optionalString(msg, "note");
    if (note != null) {
      new CheckInRequest(phone(), status, note, null, null, Channel.WS, null);
    }
    return edge.safety().answer(phone(), check, status, note, Channel.WS, null).map(a -> {
      ObjectNode ack = ack();
      ack.put("check", a.check());
      ack.put("status", a.status());
      ack.put("at", Wire.time(a.at()));
      return ack;
    });
  }

  private Future<ObjectNode> follow(JsonNode msg) {
    return edge.limiter().charge(Limits.FOLLOW_PER_PHONE, phone(), System.currentTimeMillis(), () -> {
      String subject = edge.phones().normalise(Fields.requiredString(msg, "phone"));
      boolean sms = Fields.optionalBoolean(msg, "sms", false);
      return edge.follows().follow(phone(), subject, sms);
    }).map(f -> {
      ObjectNode a = ack();
      a.put("phone", f.subject());
      a.put("state", f.state().wire());
      return a;
    });
  }

  private Future<ObjectNode> unfollow(JsonNode msg) {
    String subject = edge.phones().normalise(Fields.requiredString(msg, "phone"));
    return edge.follows().unfollow(phone(), subject).map(x -> {
      ObjectNode a = ack();
      a.put("phone", subject);
      return a;
    });
  }

  private Future<ObjectNode> consent(JsonNode msg) {
    String follower = edge.phones().normalise(Fields.requiredString(msg, "phone"));
    boolean allow = Fields.requiredBoolean(msg, "allow");
    return edge.follows().answer(phone(), follower, allow).map(f -> {
      ObjectNode a = ack();
      a.put("phone", f.follower());
      a.put("state", f.state().wire());
      return a;
    });
  }
}

