package org.crisishub.it;

import static org.crisishub.support.WsClient.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server side of the offline-first pages: {@code madeAt} and late check-ins, {@code follow_update},
 * {@code help_update} and {@code GET /api/v1/help/{id}}, the public config with {@code HUB_SMS_NUMBER}.
 */
@DisplayName("Offline-first API: madeAt and late check-ins, follow_update, help state, public config")
class OfflineFirstIT {
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static final AtomicInteger NEXT = new AtomicInteger(300);
  static final String ADMIN = "admin-token-for-tests-0123456789";

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir, Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_SMS_NUMBER", "+15550009999"));
    api = new Api(hub.vertx, hub.port());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  static String newPhone() {
    return "+1555300" + String.format("%04d", NEXT.incrementAndGet());
  }

  static String ago(long seconds) {
    return Instant.now().minusSeconds(seconds).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  static void activeFollow(String bToken, String aToken, String a, String b) {
    assertEquals(201, api.post("/api/v1/follows", bToken, "{\"phone\":\"" + a + "\"}").status());
    assertEquals(200, api.post("/api/v1/followers/" + b, aToken, "{\"allow\":true}").status());
  }

  static Api.Resp checkIn(String token, String body, String key) {
    return api.call(HttpMethod.POST, "/api/v1/checkins", token, body, "Idempotency-Key", key);
  }

  @Test
  @DisplayName("madeAt more than 5 min ahead or older than 24 h is 400 over REST and WebSocket, and stores nothing")
  void madeAtBounds() {
    String a = newPhone();
    String ta = api.login(a);
    String future = Instant.now().plusSeconds(600).truncatedTo(ChronoUnit.SECONDS).toString();
    var r = checkIn(ta, "{\"status\":\"safe\",\"madeAt\":\"" + future + "\"}", "k-future");
    assertEquals(400, r.status(), r.text());
    assertEquals("invalid_request", r.errorCode());
    r = checkIn(ta, "{\"status\":\"safe\",\"madeAt\":\"" + ago(25 * 3600) + "\"}", "k-old");
    assertEquals(400, r.status(), r.text());
    r = checkIn(ta, "{\"status\":\"safe\",\"madeAt\":\"yesterday\"}", "k-garbage");
    assertEquals(400, r.status(), r.text());
    try (WsClient w = WsClient.authed(hub.vertx, hub.port(), ta)) {
      JsonNode err = w.reply(w.send(frame("checkin").put("status", "safe").put("madeAt", future)));
      assertEquals("error", err.path("type").asText());
      assertEquals("invalid_request", err.path("code").asText());
    }
    assertEquals(404, api.get("/api/v1/people/" + a + "/status", ta).status(), "nothing stored");
    // Two minutes ahead (a phone's clock a little fast) is fine.
    String ahead = Instant.now().plusSeconds(120).truncatedTo(ChronoUnit.SECONDS).toString();
    r = checkIn(ta, "{\"status\":\"safe\",\"madeAt\":\"" + ahead + "\"}", "k-ahead");
    assertEquals(201, r.status(), r.text());
    assertEquals(ahead, r.json().path("madeAt").asText());
    assertFalse(r.json().path("late").asBoolean(true));
  }

  @Test
  @DisplayName("a check-in made before the latest status arrives late: seq, late in ack, frame and history; status unchanged")
  void lateCheckIn() {
    String a = newPhone(), b = newPhone();
    String ta = api.login(a), tb = api.login(b);
    activeFollow(tb, ta, a, b);
    try (WsClient wb = WsClient.authed(hub.vertx, hub.port(), tb)) {
      var now = checkIn(ta, "{\"status\":\"safe\",\"note\":\"home now\"}", "k1");
      assertEquals(201, now.status(), now.text());
      assertFalse(now.json().path("late").asBoolean(true));
      assertEquals("home now", wb.next("status").path("note").asText());

      String madeAt = ago(1800);
      var late = checkIn(ta, "{\"status\":\"need_help\",\"note\":\"from the queue\",\"madeAt\":\"" + madeAt + "\"}",
          "k2");
      assertEquals(201, late.status(), late.text());
      assertTrue(late.json().path("late").asBoolean(), late.text());
      assertEquals(madeAt, late.json().path("madeAt").asText());
      assertEquals(now.json().path("seq").asLong() + 1, late.json().path("seq").asLong());
      JsonNode frame = wb.next("status");
      assertTrue(frame.path("late").asBoolean(), frame.toString());
      assertEquals(madeAt, frame.path("madeAt").asText());
      assertEquals("from the queue", frame.path("note").asText());

      // The same key again: the first answer, still late.
      var again = checkIn(ta, "{\"status\":\"need_help\",\"note\":\"from the queue\",\"madeAt\":\"" + madeAt + "\"}",
          "k2");
      assertEquals(late.json(), again.json());

      JsonNode status = api.get("/api/v1/people/" + a + "/status", tb).json();
      assertEquals("home now", status.path("note").asText(), "a late check-in does not replace the status");
      assertEquals(now.json().path("seq").asLong(), status.path("seq").asLong());
      JsonNode hist = api.get("/api/v1/people/" + a + "/checkins", tb).json();
      assertEquals(2, hist.size());
      assertTrue(hist.get(1).path("late").asBoolean());
      assertEquals(madeAt, hist.get(1).path("madeAt").asText());
      assertFalse(hist.get(0).path("late").asBoolean(true));
    }
    try (WsClient wb2 = WsClient.authed(hub.vertx, hub.port(), tb)) {
      assertEquals("home now", wb2.snapshot.path("people").get(0).path("note").asText(), "snapshot keeps the status");
    }
  }

  @Test
  @DisplayName("the follower's open sessions get follow_update when the subject approves, and again when it revokes")
  void followUpdate() {
    String a = newPhone(), b = newPhone();
    String ta = api.login(a), tb = api.login(b);
    try (WsClient wb = WsClient.authed(hub.vertx, hub.port(), tb)) {
      assertEquals(201, api.post("/api/v1/follows", tb, "{\"phone\":\"" + a + "\"}").status());
      assertEquals(200, api.post("/api/v1/followers/" + b, ta, "{\"allow\":true}").status());
      JsonNode up = wb.next("follow_update");
      assertEquals(a, up.path("phone").asText());
      assertEquals("active", up.path("state").asText());
      assertEquals(200, api.post("/api/v1/followers/" + b, ta, "{\"allow\":false}").status());
      JsonNode down = wb.next("follow_update");
      assertEquals(a, down.path("phone").asText());
      assertEquals("revoked", down.path("state").asText());
    }
  }

  @Test
  @DisplayName("help: acknowledging tells the person (help_update with agency and time); GET /help/{id} for them and responders only")
  void helpState() {
    String rita = api.responder(ADMIN, "rita", "correct horse rita", "Red Cross", "[\"publisher\"]");
    assertEquals(201, api.post("/api/v1/incidents", rita, "{\"code\":\"HELP9\",\"name\":\"Help test\"}").status());
    String a = newPhone(), c = newPhone();
    String ta = api.login(a), tc = api.login(c);
    var ci = checkIn(ta, "{\"status\":\"need_help\",\"note\":\"roof\",\"incident\":\"help9\"}", "h1");
    assertEquals(201, ci.status(), ci.text());
    String id = ci.json().path("id").asText();

    JsonNode open = api.get("/api/v1/help/" + id, ta).json();
    assertEquals(id, open.path("id").asText());
    assertEquals("HELP9", open.path("incident").asText());
    assertEquals("open", open.path("state").asText());
    assertTrue(open.path("by").isMissingNode());
    assertTrue(open.has("at"));

    try (WsClient wa = WsClient.authed(hub.vertx, hub.port(), ta)) {
      var ack = api.post("/api/v1/help/" + id + "/ack", rita, null);
      assertEquals(200, ack.status(), ack.text());
      assertEquals("Red Cross", ack.json().path("by").asText());
      assertEquals("rita", ack.json().path("byResponder").asText());
      JsonNode up = wa.next("help_update");
      assertEquals(id, up.path("id").asText());
      assertEquals("acknowledged", up.path("state").asText());
      assertEquals("Red Cross", up.path("by").asText());
      assertTrue(up.path("at").asText().endsWith("Z"), up.toString());
    }
    JsonNode seen = api.get("/api/v1/help/" + id, ta).json();
    assertEquals("acknowledged", seen.path("state").asText());
    assertEquals("Red Cross", seen.path("by").asText());
    assertFalse(seen.has("note") || seen.has("phone"), "only the request's state: " + seen);
    assertEquals(200, api.get("/api/v1/help/" + id, rita).status());
    assertEquals(403, api.get("/api/v1/help/" + id, tc).status(), "someone else's request");
    assertEquals(401, api.get("/api/v1/help/" + id, null).status());
    assertEquals(404, api.get("/api/v1/help/no-such-id", ta).status());

    // States only go forward: acknowledging again, or after resolving, is 409, changes nothing, tells nobody.
    try (WsClient wa = WsClient.authed(hub.vertx, hub.port(), ta);
        WsClient wr = WsClient.authed(hub.vertx, hub.port(), rita)) {
      assertEquals("ack", wr.reply(wr.send(frame("subscribe").put("incident", "HELP9"))).path("type").asText());
      wr.next("help"); // the open queue on subscribing
      var twice = api.post("/api/v1/help/" + id + "/ack", rita, null);
      assertEquals(409, twice.status(), twice.text());
      assertEquals("conflict", twice.errorCode());
      assertEquals(200, api.post("/api/v1/help/" + id + "/resolve", rita, null).status());
      assertEquals("resolved", wa.next("help_update").path("state").asText());
      assertEquals("resolved", wr.next("help").path("checkin").path("state").asText());
      for (String again : List.of("ack", "resolve")) {
        var refused = api.post("/api/v1/help/" + id + "/" + again, rita, null);
        assertEquals(409, refused.status(), again + ": " + refused.text());
        assertEquals("conflict", refused.errorCode());
      }
      wa.assertNothingElse();
      wr.assertNothingElse();
    }
    JsonNode after = api.get("/api/v1/help/" + id, ta).json();
    assertEquals("resolved", after.path("state").asText(), "not reopened");
    assertTrue(api.get("/api/v1/incidents/HELP9/help", rita).json().isEmpty(), "not back in the open queue");
  }

  @Test
  @DisplayName("pages name assets by version; assets cache for a year with ETags and 304s; /sw.js and the manifest are served; the API stays no-store")
  void cachingAndServiceWorker() {
    var page = api.get("/", null);
    assertEquals(200, page.status());
    assertEquals("no-cache", page.headers().get("Cache-Control"));
    String etag = page.headers().get("ETag");
    assertTrue(etag != null && etag.startsWith("\""), "ETag " + etag);
    assertEquals(304, api.call(HttpMethod.GET, "/", null, null, "If-None-Match", etag).status());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("/assets/hub\\.js\\?v=([0-9a-f]{12})").matcher(page.text());
    assertTrue(m.find(), "versioned asset in " + page.text());
    var asset = api.get(m.group(), null);
    assertEquals(200, asset.status());
    assertEquals("public, max-age=31536000, immutable", asset.headers().get("Cache-Control"));
    assertEquals("\"" + m.group(1) + "\"", asset.headers().get("ETag"));
    assertEquals(304, api.call(HttpMethod.GET, m.group(), null, null, "If-None-Match", asset.headers().get("ETag")).status());
    assertEquals("no-cache", api.get("/assets/hub.js", null).headers().get("Cache-Control"), "unversioned: revalidate");
    assertEquals("no-cache", api.get("/assets/hub.js?v=000000000000", null).headers().get("Cache-Control"));
    assertEquals(404, api.get("/assets/nope.js", null).status());

    var sw = api.get("/sw.js", null);
    assertEquals(200, sw.status());
    assertTrue(sw.headers().get("Content-Type").startsWith("text/javascript"));
    assertTrue(!sw.text().contains("__VERSION__") && !sw.text().contains("__PRECACHE__"), "filled in");
    assertTrue(sw.text().contains(m.group()), "precaches the versioned assets");
    var manifest = api.get("/manifest.webmanifest", null);
    assertEquals(200, manifest.status());
    assertTrue(manifest.headers().get("Content-Type").startsWith("application/manifest+json"));
    JsonNode mj = manifest.json();
    assertEquals("/", mj.path("start_url").asText());
    assertTrue(mj.path("icons").size() >= 2);
    for (JsonNode icon : mj.path("icons")) {
      assertEquals(200, api.get(icon.path("src").asText(), null).status(), icon.toString());
    }
    assertEquals("no-store", api.get("/api/v1/incidents", null).headers().get("Cache-Control"));
  }

  @Test
  @DisplayName("GET /api/v1/config names the SMS number for the pages' sms: fallback")
  void publicConfig() {
    var r = api.get("/api/v1/config", null);
    assertEquals(200, r.status());
    assertEquals("+15550009999", r.json().path("smsNumber").asText());
    assertEquals("no-store", r.headers().get("Cache-Control"));
  }

  /** One raw HTTP/1.1 exchange on a fresh connection: {@code requests} as sent, everything read until the hub closes. */
  static String exchange(String requests) throws java.io.IOException {
    try (org.crisishub.support.RawHttp c = org.crisishub.support.RawHttp.connect("127.0.0.1", hub.port())) {
      c.send(requests);
      return new String(c.socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  /** A response head's headers, lower-case names, without the ones that differ per response or connection. */
  static Map<String, String> headers(String head) {
    Map<String, String> h = new java.util.TreeMap<>();
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      String name = colon < 0 ? "" : line.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT);
      if (colon > 0 && !java.util.Set.of("date", "x-request-id", "connection").contains(name)) {
        h.put(name, line.substring(colon + 1).strip());
      }
    }
    return h;
  }

  @Test
  @DisplayName("HEAD on every GET route answers as GET would, same status and headers, without a body")
  void headIsGetWithoutBody() throws Exception {
    String hana = api.responder(ADMIN, "hana", "correct horse hana", "Head Agency", "[\"publisher\"]");
    assertEquals(201, api.post("/api/v1/incidents", hana, "{\"code\":\"HEAD1\",\"name\":\"Head test\"}").status());
    String person = api.login(newPhone());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("/assets/hub\\.js\\?v=[0-9a-f]{12}")
        .matcher(api.get("/", null).text());
    assertTrue(m.find());
    String auth = "Authorization: Bearer " + person + "\r\n";
    record Case(String path, String extra, int status) {
    }
    var cases = java.util.List.of(new Case("/", "", 200), new Case("/follow", "", 200), new Case("/responder", "", 200),
        new Case("/incidents/HEAD1", "", 200), new Case(m.group(), "", 200), new Case("/assets/hub.js", "", 200),
        new Case("/assets/nope.js", "", 404), new Case("/sw.js", "", 200), new Case("/manifest.webmanifest", "", 200),
        new Case("/health/live", "", 200), new Case("/health/ready", "", 200), new Case("/api/v1/config", "", 200),
        new Case("/api/v1/incidents", "", 200), new Case("/api/v1/incidents/HEAD1/notices", "", 200),
        new Case("/api/v1/incidents/HEAD1/notices.atom", "", 200), new Case("/api/v1/keys", "", 200),
        new Case("/api/v1/follows", auth, 200), new Case("/api/v1/follows", "", 401),
        new Case("/api/v1/incidents/HEAD1/help", auth, 403), new Case("/no/such/page", "", 404),
        new Case("/api/v1/otp", "", 405));
    for (Case c : cases) {
      String get = exchange("GET " + c.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + c.extra + "Connection: close\r\n\r\n");
      int getEnd = get.indexOf("\r\n\r\n") + 4;
      // HEAD then, on the same connection, another request: its response must follow the HEAD's head at once.
      String head = exchange("HEAD " + c.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + c.extra + "\r\n"
          + "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      int headEnd = head.indexOf("\r\n\r\n") + 4;
      assertTrue(get.startsWith("HTTP/1.1 " + c.status + " "), c.path + ": " + get.lines().findFirst().orElse(""));
      assertEquals(get.substring(0, get.indexOf("\r\n")), head.substring(0, head.indexOf("\r\n")), c.path + ": status");
      assertTrue(head.startsWith("HTTP/1.1 200 ", headEnd), c.path + ": HEAD sent a body: " + head.substring(headEnd));
      Map<String, String> getHeaders = headers(get.substring(0, getEnd));
      assertEquals(String.valueOf(get.length() - getEnd), getHeaders.get("content-length"), c.path + ": GET's own length");
      assertEquals(getHeaders, headers(head.substring(0, headEnd)), c.path + ": headers");
    }
    // The SSE stream: HEAD gets the stream's status and type, and ends there.
    String sse = exchange("HEAD /api/v1/events?incident=HEAD1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        + "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    int sseEnd = sse.indexOf("\r\n\r\n") + 4;
    assertTrue(sse.startsWith("HTTP/1.1 200 "), sse);
    assertTrue(headers(sse.substring(0, sseEnd)).get("content-type").startsWith("text/event-stream"), sse);
    assertTrue(sse.startsWith("HTTP/1.1 200 ", sseEnd), "no stream after the head: " + sse.substring(sseEnd));
    assertTrue(exchange("HEAD /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .startsWith("HTTP/1.1 401 "), "as GET: a token or an incident is required");
  }
}
