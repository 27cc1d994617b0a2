package org.crisishub.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A real Vert.x WebSocket client that queues every frame it receives, for tests. */
public final class WsClient implements AutoCloseable {
  public static final Duration WAIT = Duration.ofSeconds(10);

  private final WebSocketClient client;
  public final WebSocket ws;
  private final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final AtomicInteger refs = new AtomicInteger();
  public volatile Short closeCode;
  public volatile String closeReason;

  private WsClient(WebSocketClient client, WebSocket ws) {
    this.client = client;
    this.ws = ws;
    ws.textMessageHandler(t -> {
      try {
        frames.add(Api.JSON.readTree(t));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    ws.closeHandler(v -> {
      closeCode = ws.closeStatusCode();
      closeReason = ws.closeReason();
      ObjectNode closed = Api.JSON.createObjectNode();
      closed.put("type", "_closed");
      closed.put("code", ws.closeStatusCode() == null ? -1 : ws.closeStatusCode());
      frames.add(closed);
    });
  }

  public static WsClient connect(Vertx vertx, int port, String origin) {
    return connect(vertx, port, origin, new WebSocketClientOptions());
  }

  public static WsClient connect(Vertx vertx, int port, String origin, WebSocketClientOptions options) {
    WebSocketClient client = vertx.createWebSocketClient(options.setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20));
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/api/v1/ws");
    if (origin != null) {
      o.addHeader("Origin", origin);
    } else {
      o.setAllowOriginHeader(false); // like a non-browser client
    }
    try {
      return new WsClient(client, client.connect(o).await(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      client.close();
      throw new AssertionError("WebSocket connect failed: " + e, e);
    }
  }

  /** Connects and authenticates; consumes {@code ready} and returns the {@code snapshot} frame. */
  public static WsClient authed(Vertx vertx, int port, String token) {
    WsClient c = connect(vertx, port, null);
    c.sendRaw("{\"type\":\"auth\",\"token\":\"" + token + "\"}");
    assertEquals("ready", c.next().path("type").asText());
    c.snapshot = c.next();
    assertEquals("snapshot", c.snapshot.path("type").asText());
    return c;
  }

  public JsonNode snapshot;

  public void sendRaw(String text) {
    ws.writeTextMessage(text);
  }

  /** Sends {@code frame} with a fresh ref and returns the ref. */
  public String send(ObjectNode frame) {
    String ref = "r" + refs.incrementAndGet();
    frame.put("ref", ref);
    ws.writeTextMessage(frame.toString());
    return ref;
  }

  /** The next frame, failing the test if none arrives in time. */
  public JsonNode next() {
    try {
      JsonNode n = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(n, "no frame within " + WAIT);
      return n;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next frame of {@code type}, skipping others. */
  public JsonNode next(String type) {
    while (true) {
      JsonNode n = next();
      if (type.equals(n.path("type").asText())) {
        return n;
      }
    }
  }

  /** The reply to a request sent with {@link #send}: its ack or error. */
  public JsonNode reply(String ref) {
    while (true) {
      JsonNode n = next();
      if (ref.equals(n.path("ref").asText(null))) {
        return n;
      }
    }
  }

  /**
   * Proves nothing else is queued for this client: sends a ping and requires the very next frame
   * to be its pong (the hub handles a connection's frames in order, after earlier deliveries).
   */
  public void assertNothingElse() {
    sendRaw("{\"type\":\"ping\"}");
    JsonNode n = next();
    assertEquals("pong", n.path("type").asText(), "expected nothing before the pong, got " + n);
  }

  public static ObjectNode frame(String type) {
    ObjectNode n = Api.JSON.createObjectNode();
    n.put("type", type);
    return n;
  }

  @Override
  public void close() {
    try {
      ws.close().await(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // already closed by the server
    }
    client.close();
  }
}
