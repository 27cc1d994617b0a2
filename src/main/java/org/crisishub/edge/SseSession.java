package org.crisishub.edge;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.OutFrame;

/**
 * The SSE mirror of the WebSocket stream ({@code GET /api/v1/events}): the same server frames, one
 * {@code data:} event each, under the same queue rules. A closing reason is sent as an
 * {@code event: close} before the stream ends.
 */
final class SseSession extends ClientSession {
  private final HttpServerResponse response;
  private final io.vertx.core.http.HttpConnection connection;

  SseSession(HttpServerResponse response, io.vertx.core.http.HttpConnection connection, Context context,
      int maxFrames) {
    super(context, maxFrames);
    this.response = response;
    this.connection = connection;
  }

  @Override
  protected boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  @Override
  protected void write(OutFrame frame) {
    // the same buffer for every SSE session: Vert.x writes a slice of it
    response.write(frame.sse());
  }

  @Override
  protected void onDrain(Runnable onDrain) {
    response.drainHandler(v -> {
      response.drainHandler(null);
      onDrain.run();
    });
  }

  @Override
  protected void closeTransport(short code, String reason) {
    if (!response.ended() && !response.closed()) {
      String json = "{\"code\":" + code + ",\"reason\":" + Wire.JSON.valueToTree(reason) + "}";
      response.end("event: close\ndata: " + json + "\n\n");
    }
  }

  /**
   * Resets the connection only while the end of the stream is still stuck behind unread data: a
   * client that read it may keep its connection for more requests.
   */
  @Override
  protected void resetTransport() {
    if (response.closed()) {
      return;
    }
    io.netty.channel.Channel ch = ConnectionGuard.channel(connection);
    // After end() the response refuses writeQueueFull() (IllegalStateException), so an ended stream
    // is judged by its connection's outbound buffer.
    boolean stuck = ch != null ? ch.isActive() && !ch.isWritable()
        : !response.ended() && response.writeQueueFull();
    if (stuck) {
      if (ch != null) {
        ConnectionGuard.reset(ch);
      } else {
        connection.close();
      }
    }
  }

  /** The client went away. */
  void clientLeft() {
    transportClosed();
  }

  /** A comment line that keeps proxies from closing a quiet stream. */
  void keepAlive() {
    if (!isClosed() && !response.ended() && !response.closed() && !writeQueueFull()) {
      response.write(": keep-alive\n\n");
    }
  }
}
