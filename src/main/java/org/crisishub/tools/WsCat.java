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
import java.util.regex.Pattern;

/**
 * A tiny WebSocket console shipped with the hub, so the walk-through needs nothing but the JDK:
 * every line typed on standard input is sent as a text frame; every frame received is printed as
 * {@code < frame}. {@code mvn -q compile} (the README's start command) builds it into
 * {@code target/classes}; it uses the JDK alone. A
 * {@code checkin} frame typed without a {@code key} is sent with a fresh one (and shown); to retry a
 * check-in whose answer was lost, paste the shown frame again.
 *
 * <pre>java -cp target/classes org.crisishub.tools.WsCat [HUB] [--until TYPE]</pre>
 *
 * {@code HUB} is a port ({@code 8080}), the hub's base URL ({@code http://localhost:8080}) or the
 * WebSocket URL itself ({@code ws://localhost:8080/api/v1/ws}); default {@code 8080} on localhost.
 * After an {@code auth} frame it waits for the answer ({@code ready} or an error) before sending
 * the next line. When standard input ends, WsCat closes the socket; with {@code --until TYPE} it first waits (up
 * to 10 s) for a frame of that {@code type} to arrive, so a heredoc of frames shows their answers.
 * Exit status 1 when that frame never came or the socket failed.
 */
public final class WsCat {
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
  private static final Pattern AUTH = Pattern.compile("\"type\"\\s*:\\s*\"auth\"");
  private static final Pattern ANSWER_TO_AUTH = Pattern.compile("\"type\"\\s*:\\s*\"(ready|error)\"");

  private WsCat() {
  }

  /**
   * The line to send: a {@code checkin} frame without a {@code key} gets a fresh random one, so that a
   * check-in whose answer was lost (a 503 {@code unavailable}, a dropped connection) can be sent again
   * with the same key and is stored once (docs/api.md). Any other line is sent as typed. JDK only (the
   * console runs with {@code target/classes} alone on its class path): the line's top-level members
   * are read with a small scanner; a line that is not a JSON object is sent as typed.
   */
  static String withKey(String line) {
    String s = line.strip();
    if (!s.startsWith("{") || !s.endsWith("}")) {
      return line;
    }
    int depth = 0;
    boolean expectName = false;
    String name = null;
    String type = null;
    boolean hasKey = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        StringBuilder str = new StringBuilder();
        int j = i + 1;
        for (; j < s.length() && s.charAt(j) != '"'; j++) {
          if (s.charAt(j) == '\\') {
            j++;
          }
          if (j < s.length()) {
            str.append(s.charAt(j));
          }
        }
        if (j >= s.length()) {
          return line; // an unterminated string: not JSON, sent as typed
        }
        i = j;
        if (depth == 1 && expectName) {
          name = str.toString();
          expectName = false;
          hasKey |= name.equals("key");
        } else if (depth == 1 && "type".equals(name)) {
          type = str.toString();
        }
      } else if (c == '{' || c == '[') {
        depth++;
        expectName = depth == 1;
      } else if (c == '}' || c == ']') {
        depth--;
      } else if (c == ',' && depth == 1) {
        expectName = true;
        name = null;
      }
    }
    if (depth != 0 || !"checkin".equals(type) || hasKey) {
      return line;
    }
    return "{\"key\":\"" + java.util.UUID.randomUUID() + "\"," + s.substring(1);
  }

  /** The WebSocket URL for a port, a base URL ({@code http[s]://host:port}) or a {@code ws[s]://} URL. */
  static String url(String hub) {
    if (PORT.matcher(hub).matches()) {
      return "ws://localhost:" + hub + "/api/v1/ws";
    }
    String base = hub.replaceFirst("^http://", "ws://").replaceFirst("^https://", "wss://");
    if (!base.startsWith("ws://") && !base.startsWith("wss://")) {
      throw new IllegalArgumentException("not a port, http(s):// or ws(s):// URL: " + hub);
    }
    URI u = URI.create(base);
    return u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/")
        ? base.replaceFirst("/$", "") + "/api/v1/ws" : base;
  }

  public static void main(String[] args) throws Exception {
    String hub = "8080";
    String until = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--until") && i + 1 < args.length) {
        until = args[++i];
      } else if (args[i].startsWith("-")) {
        System.err.println("usage: WsCat [PORT | http://host:port | ws://host:port/api/v1/ws] [--until TYPE]");
        System.exit(2);
      } else {
        hub = args[i];
      }
    }
    String url = url(hub);
    CompletableFuture<Void> closed = new CompletableFuture<>();
    CompletableFuture<Void> awaited = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<Void>> authAnswered =
        new java.util.concurrent.atomic.AtomicReference<>(CompletableFuture.completedFuture(null));
    Pattern wanted = until == null ? null : Pattern.compile("\"type\"\\s*:\\s*\"" + Pattern.quote(until) + "\"");
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI.create(url), new WebSocket.Listener() {
          private final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              System.out.println("< " + text);
              if (wanted != null && wanted.matcher(text).find()) {
                awaited.complete(null);
              }
              if (ANSWER_TO_AUTH.matcher(text).find()) {
                authAnswered.get().complete(null);
              }
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
          boolean auth = AUTH.matcher(line).find();
          if (auth) {
            authAnswered.set(new CompletableFuture<>());
          }
          String frame = withKey(line);
          if (!frame.equals(line)) {
            System.out.println("> " + frame);
          }
          ws.sendText(frame, true).get(10, TimeUnit.SECONDS);
          if (auth) {
            // As a person would: the hub answers frames sent before its ready with "send auth first".
            CompletableFuture.anyOf(authAnswered.get(), closed).get(10, TimeUnit.SECONDS);
          }
        }
      }
    }
    boolean ok = true;
    if (wanted != null) {
      try {
        CompletableFuture.anyOf(awaited, closed).get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // reported below
      }
      ok = awaited.isDone();
      if (!ok) {
        System.out.println("no \"" + until + "\" frame arrived");
      }
    }
    if (!closed.isDone()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
      closed.get(5, TimeUnit.SECONDS);
    }
    System.exit(ok ? 0 : 1);
  }
}
