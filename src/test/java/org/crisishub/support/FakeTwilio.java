package org.crisishub.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake Twilio REST API on loopback: records every Messages.json request and answers with the
 * scripted statuses (201 once the script is empty), or holds requests unanswered ("hold").
 */
public final class FakeTwilio implements AutoCloseable {
  public static final String ACCOUNT = "AC00000000000000000000000000000001";

  /** One recorded request, and the answer it got ({@code 0} when held). */
  public record Req(String to, String from, String body, String statusCallback, long atNanos, int answered,
      String sid) {
    public Req(String to, String from, String body, String statusCallback, long atNanos, int answered) {
      this(to, from, body, statusCallback, atNanos, answered, null);
    }
  }

  private final Vertx vertx;
  private final HttpServer server;
  private final List<Req> requests = new CopyOnWriteArrayList<>();
  private final Deque<Integer> script = new ArrayDeque<>();
  private final AtomicInteger sids = new AtomicInteger();
  private volatile boolean hold;

  private FakeTwilio(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  public static FakeTwilio start() throws Exception {
    Vertx vertx = Vertx.vertx();
    FakeTwilio[] self = new FakeTwilio[1];
    HttpServer server = vertx.createHttpServer().requestHandler(req -> self[0].handle(req));
    self[0] = new FakeTwilio(vertx, server);
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    return self[0];
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** Twilio's error for a recipient that replied STOP: HTTP 400 with code 21610. */
  public static final int UNSUBSCRIBED = 21610;

  /**
   * The next answers, in order (e.g. 429, 500); afterwards 201. {@link #UNSUBSCRIBED} answers 400
   * with error code 21610, as Twilio does for a number that replied STOP.
   */
  public synchronized void script(Integer... statuses) {
    script.addAll(List.of(statuses));
  }

  /** While on, requests are recorded but never answered. */
  public void hold(boolean on) {
    hold = on;
  }

  public List<Req> requests() {
    return List.copyOf(requests);
  }

  /** Requests that were answered 201 (accepted). */
  public List<Req> accepted() {
    return requests.stream().filter(r -> r.answered() == 201).toList();
  }

  public List<Req> acceptedTo(String to) {
    return accepted().stream().filter(r -> r.to().equals(to)).toList();
  }

  private synchronized int nextStatus() {
    Integer s = script.pollFirst();
    return s == null ? 201 : s;
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(buf -> {
      Map<String, String> form = parse(buf.toString());
      boolean messages = req.method().name().equals("POST") && req.path().equals(
          "/2010-04-01/Accounts/" + ACCOUNT + "/Messages.json");
      if (!messages) {
        req.response().setStatusCode(404).end("{\"code\":20404,\"message\":\"not found\",\"status\":404}");
        return;
      }
      if (hold) {
        requests.add(new Req(form.get("To"), form.get("From"), form.get("Body"), form.get("StatusCallback"),
            System.nanoTime(), 0));
        return;
      }
      int scripted = nextStatus();
      int status = scripted == UNSUBSCRIBED ? 400 : scripted;
      String sid = status == 201 ? String.format("SM%032d", sids.incrementAndGet()) : null;
      requests.add(new Req(form.get("To"), form.get("From"), form.get("Body"), form.get("StatusCallback"),
          System.nanoTime(), status, sid));
      JsonObject body;
      if (status == 201) {
        body = new JsonObject().put("sid", sid)
            .put("account_sid", ACCOUNT).put("to", form.get("To")).put("from", form.get("From"))
            .put("body", form.get("Body")).put("status", "queued");
      } else {
        int code = scripted == UNSUBSCRIBED ? UNSUBSCRIBED : status == 429 ? 20429 : status == 400 ? 21211 : 20500;
        body = new JsonObject().put("code", code).put("message", "scripted " + status).put("status", status)
            .put("more_info", "https://www.twilio.com/docs/errors/" + code);
      }
      req.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    });
  }

  private static Map<String, String> parse(String form) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String pair : form.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      m.put(k, v);
    }
    return m;
  }

  @Override
  public void close() throws java.util.concurrent.TimeoutException {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
