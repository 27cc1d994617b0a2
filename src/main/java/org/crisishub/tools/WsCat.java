package org.crisishub.tools;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A tiny WebSocket console shipped with the hub, so the walk-through needs nothing but the JDK:
 * every line typed on standard input is sent as a text frame; every frame received is printed. A
 * {@code checkin} frame typed without a {@code key} is sent with a fresh one (and shown); to retry a
 * check-in whose answer was lost, paste the shown frame again.
 *
 * <pre>java -cp target/crisis-hub.jar org.crisishub.tools.WsCat ws://localhost:8080/api/v1/ws</pre>
 */
public final class WsCat {
  private WsCat() {
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * The line to send: a {@code checkin} frame without a {@code key} gets a fresh random one, so that a
   * check-in whose answer was lost (a 503 {@code unavailable}, a dropped connection) can be sent again
   * with the same key and is stored once (docs/api.md). Any other line is sent as typed.
   */
  static String withKey(String line) {
    try {
      var n = JSON.readTree(line);
      if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o && "checkin".equals(o.path("type").asText())
          && !o.hasNonNull("key")) {
        o.put("key", java.util.UUID.randomUUID().toString());
        return o.toString();
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not JSON: sent as typed, the hub answers with an error frame
    }
    return line;
  }

  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "ws://localhost:8080/api/v1/ws";
    CompletableFuture<Void> closed = new CompletableFuture<>();
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI.create(url), new WebSocket.Listener() {
          private final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              System.out.println("< " + text);
              text.setLength(0);
            }
            w.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
            System.out.println("closed " + code + " " + reason);
            closed.complete(null);
            return null;
          }

          @Override
          public void onError(WebSocket w, Throwable error) {
            System.out.println("error " + error);
            closed.complete(null);
          }
        }).get(10, TimeUnit.SECONDS);
    System.out.println("connected to " + url + " - type JSON frames, one per line; Ctrl-D to quit");
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while (!closed.isDone() && (line = in.readLine()) != null) {
        if (!line.isBlank()) {
          String frame = withKey(line);
          if (!frame.equals(line)) {
            System.out.println("> " + frame);
          }
          ws.sendText(frame, true).get(10, TimeUnit.SECONDS);
        }
      }
    }
    if (!closed.isDone()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
      closed.get(5, TimeUnit.SECONDS);
    }
  }
}
