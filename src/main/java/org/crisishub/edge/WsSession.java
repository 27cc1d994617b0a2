package org.crisishub.edge;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.websocket.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import org.crisishub.domain.HubException;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.OutFrame;

/**
 * The WebSocket transport of one {@code /api/v1/ws} connection: text messages put together from
 * their frames and checked as UTF-8, protocol violations closed with their code, writes with
 * backpressure (the fan-out's queue rules, {@link ClientSession}), pings and the idle close, close
 * and reset, and the graceful drain. What the messages mean is the {@link Protocol}'s
 * ({@link WsProtocol}). Runs on the connection's event loop.
 */
final class WsSession extends ClientSession {
  /** What the transport hands up: each whole text message, and each binary one. */
  interface Protocol {
    /** A whole, valid UTF-8 text message (heard already). */
    void onText(String text);

    /** A binary message, which the protocol refuses. */
    void onBinary();

    /** True while no request read is still being answered (the drain waits for it). */
    boolean idle();
  }

  /** Largest text message kept for the UTF-8 check; larger ones are closed with 1009 by Vert.x. */
  private static final int MAX_MESSAGE = 16 * 1024;
  private final ServerWebSocket ws;
  /** The connection's Netty channel (null if Vert.x does not expose it), for {@link #resetTransport()}. */
  private final io.netty.channel.Channel channel;
  private final FanOut fanOut;
  private Protocol protocol;
  private long lastHeardMs = System.currentTimeMillis();
  private short drainCode;
  private String drainReason;
  /** The bytes of the text message being received, while its frames arrive; null between messages. */
  private Buffer textBytes;

  /**
   * @param queueFrames frames the session may queue before it is closed as slow ({@code HUB_WS_QUEUE_FRAMES})
   * @param fanOut the session joins it at {@link #start} and leaves it when the connection closes
   */
  WsSession(ServerWebSocket ws, io.netty.channel.Channel channel, Context context, int queueFrames, FanOut fanOut) {
    super(context, queueFrames);
    this.ws = ws;
    this.channel = channel;
    this.fanOut = fanOut;
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

  /** Joins the fan-out and starts reading; each message goes to {@code protocol}. */
  void start(Protocol protocol) {
    this.protocol = protocol;
    if (channel != null && channel.pipeline().get("ws-gather-flushes") == null) {
      gatherFlushes(channel);
    }
    fanOut.add(this);
    ws.frameHandler(this::onFrame);
    ws.binaryMessageHandler(b -> {
      heard();
      protocol.onBinary();
    });
    ws.pongHandler(b -> heard());
    ws.closeHandler(v -> {
      transportClosed();
      fanOut.remove(this);
    });
    ws.exceptionHandler(this::onProtocolError);
  }

  /** Stops reading messages (they wait in the socket's queue and TCP) until {@link #resume}. */
  void pause() {
    ws.pause();
  }

  /** Reads messages again, unless the session is draining or closed. */
  void resume() {
    if (drainReason == null && !isClosed()) {
      ws.resume();
    }
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
      heard();
      protocol.onText(text);
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

  @Override
  public void drain(short code, String reason, long maxMs) {
    if (isClosed() || drainReason != null) {
      return;
    }
    drainCode = code;
    drainReason = reason;
    ws.pause(); // no new requests; those read already finish and are answered
    org.crisishub.async.Waits.until(context().owner(), 20, maxMs, () -> isClosed() || protocol.idle() && backlog() == 0)
        .onComplete(x -> close(drainCode, drainReason));
  }
}
