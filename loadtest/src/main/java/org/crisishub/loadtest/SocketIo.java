package org.crisishub.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The generator's Socket.IO client for the peer ({@code loadtest/peer/server.js}): the Engine.IO v4
 * / Socket.IO v5 wire protocol over the generator's own Vert.x WebSocket client, WebSocket
 * transport only, default namespace. It is small because the generator needs so little of it:
 *
 * <ul>
 *   <li>{@code GET /socket.io/?EIO=4&transport=websocket} upgrades at once (no long-polling first);
 *   <li>the server's Engine.IO open packet {@code 0{"sid":…,"pingInterval":…}} is answered with
 *       the Socket.IO namespace connect {@code 40}; the server's {@code 40{"sid":…}} makes the socket
 *       ready;
 *   <li>an Engine.IO ping {@code 2} is answered with a pong {@code 3} (the peer closes a socket that
 *       misses one);
 *   <li>an event is {@code 42["name",arg]}, with an acknowledgement id {@code 42<id>["name",arg]},
 *       whose reply is {@code 43<id>[reply]}.
 * </ul>
 *
 * <p>Why not {@code io.socket:socket.io-client}: it runs every socket's reads on OkHttp threads of
 * its own (one reader thread per WebSocket, 1,100 of them on the generator's one core) and decodes
 * every packet into {@code org.json} objects; the generator's Vert.x client reads all 1,100 sockets
 * on its two event loops and finds the send time in the text, exactly as it does for the hub, so
 * the client side of hub and peer costs the same.
 */
final class SocketIo {
  private SocketIo() {
  }

  /** Connects to the peer as {@code phone}; {@code onText} sees every Socket.IO packet after the namespace connect. */
  static Future<WebSocket> connect(WebSocketClient client, URI node, String phone, Consumer<String> onText) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(node.getHost()).setPort(node.getPort())
        .setURI("/socket.io/?EIO=4&transport=websocket&phone=" + URLEncoder.encode(phone, StandardCharsets.UTF_8))
        .setAllowOriginHeader(false);
    return client.connect(o).compose(ws -> {
      Promise<WebSocket> ready = Promise.promise();
      ws.textMessageHandler(t -> {
        if (t.equals("2")) {
          ws.writeTextMessage("3");
          return;
        }
        if (!ready.future().isComplete()) {
          if (t.startsWith("0{")) {
            ws.writeTextMessage("40");
          } else if (t.startsWith("40")) {
            ready.tryComplete(ws);
          } else if (t.startsWith("44") || t.startsWith("1")) {
            ready.tryFail("the peer refused the connection: " + t);
          }
          return;
        }
        onText.accept(t);
      });
      ws.closeHandler(v -> ready.tryFail("closed before the namespace connect"));
      return ready.future();
    });
  }

  /** An event packet with an acknowledgement id: {@code 42<id>["name",<json>]}; {@code json} is raw JSON. */
  static String event(long ackId, String name, String json) {
    return "42" + ackId + "[\"" + name + "\"," + json + "]";
  }

  /** True for the broadcast status event {@code 42["status",{…}]}. */
  static boolean isStatus(String packet) {
    return packet.startsWith("42[\"status\"");
  }

  /** True for the reply to an event with an acknowledgement id ({@code 43<id>[…]}). */
  static boolean isAck(String packet) {
    return packet.startsWith("43");
  }
}
