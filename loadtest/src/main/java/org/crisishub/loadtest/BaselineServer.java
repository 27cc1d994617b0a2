package org.crisishub.loadtest;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ceiling the hub's fan-out is compared with: a minimal Vert.x WebSocket broadcast server
 * speaking the same frames (auth, follow, consent, checkin → ack + status to followers), with no
 * storage, no consent rules, no auth. One server per core, like the hub.
 *
 * <pre>java -cp loadtest/target/loadtest.jar org.crisishub.loadtest.BaselineServer PORT</pre>
 */
public final class BaselineServer extends VerticleBase {
  static final Map<String, Set<ServerWebSocket>> FOLLOWERS = new ConcurrentHashMap<>();
  static final Map<String, AtomicLong> SEQ = new ConcurrentHashMap<>();
  private final int port;

  BaselineServer(int port) {
    this.port = port;
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args.length > 0 ? args[0] : "8090");
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new BaselineServer(port),
        new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
        .onSuccess(id -> System.out.println("baseline listening on " + port))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
            .setPerFrameWebSocketCompressionSupported(false).setPerMessageWebSocketCompressionSupported(false))
        .webSocketHandler(this::connected).listen();
  }

  private void connected(ServerWebSocket ws) {
    String query = ws.query() == null ? "" : ws.query();
    String phone = java.net.URLDecoder.decode(query.replaceFirst(".*phone=", ""), java.nio.charset.StandardCharsets.UTF_8);
    ws.textMessageHandler(text -> {
      JsonObject m = new JsonObject(text);
      Object ref = m.getValue("ref");
      JsonObject ack = new JsonObject().put("type", "ack");
      if (ref != null) {
        ack.put("ref", ref);
      }
      switch (m.getString("type", "")) {
        case "auth" -> {
          ws.writeTextMessage(new JsonObject().put("type", "ready").put("phone", phone).encode());
          ws.writeTextMessage("{\"type\":\"snapshot\",\"people\":[]}");
        }
        case "follow" -> {
          FOLLOWERS.computeIfAbsent(m.getString("phone"), k -> ConcurrentHashMap.newKeySet()).add(ws);
          ws.writeTextMessage(ack.put("phone", m.getString("phone")).put("state", "pending").encode());
        }
        case "consent" -> ws.writeTextMessage(ack.put("phone", m.getString("phone")).put("state", "active").encode());
        case "checkin" -> {
          long seq = SEQ.computeIfAbsent(phone, k -> new AtomicLong()).incrementAndGet();
          JsonObject status = new JsonObject().put("type", "status").put("phone", phone)
              .put("status", m.getString("status")).put("seq", seq);
          if (m.getString("note") != null) {
            status.put("note", m.getString("note"));
          }
          String frame = status.put("channel", "ws").encode();
          Set<ServerWebSocket> followers = FOLLOWERS.getOrDefault(phone, Set.of());
          for (ServerWebSocket f : followers) {
            f.writeTextMessage(frame);
          }
          ws.writeTextMessage(ack.put("seq", seq).put("notified", followers.size()).encode());
        }
        case "ping" -> ws.writeTextMessage("{\"type\":\"pong\"}");
        default -> { }
      }
    });
    ws.closeHandler(v -> FOLLOWERS.values().forEach(s -> s.remove(ws)));
  }
}
