package org.crisishub.it;

import static org.crisishub.support.WsClient.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClientOptions;
import java.nio.file.Path;
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

@DisplayName("Bad input gets the documented error, changes nothing, and keeps the connection where sensible")
class ProtocolErrorsIT {
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static final AtomicInteger NEXT = new AtomicInteger(100);
  static final String ADMIN = "protocol-errors-admin-token-0123456789";

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir, Map.of("HUB_ALLOWED_ORIGINS", "https://family.example.org", "HUB_ADMIN_TOKEN", ADMIN));
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

  @Test
  @DisplayName("before auth: frames other than auth, ping and subscribe get unauthorized and the socket stays open")
  void beforeAuth() {
    try (WsClient c = WsClient.connect(hub.vertx, hub.port(), null)) {
      JsonNode e = c.reply(c.send(frame("checkin").put("status", "safe")));
      assertEquals("error", e.path("type").asText());
      assertEquals("unauthorized", e.path("code").asText());
      JsonNode e2 = c.reply(c.send(frame("bogus")));
      assertEquals("unauthorized", e2.path("code").asText());
      JsonNode sub = c.reply(c.send(frame("subscribe").put("incident", "flood7")));
      assertEquals("error", sub.path("type").asText(), "allowed without auth, but there is no such incident");
      assertEquals("not_found", sub.path("code").asText());
      c.assertNothingElse();
      JsonNode bad = c.reply(c.send(frame("auth").put("token", "not.a-token")));
      assertEquals("unauthorized", bad.path("code").asText());
      c.assertNothingElse();
    }
  }

  @Test
  @DisplayName("every reply to a frame with a ref echoes it: ready for a person's or a responder's auth, pong, errors")
  void repliesEchoRef() {
    try (WsClient c = WsClient.connect(hub.vertx, hub.port(), null)) {
      String ping = c.send(frame("ping"));
      JsonNode pong = c.next();
      assertEquals("pong", pong.path("type").asText());
      assertEquals(ping, pong.path("ref").asText(null));
      c.sendRaw("{\"type\":\"ping\",\"ref\":{\"n\":[1,2]}}");
      assertEquals("{\"n\":[1,2]}", c.next().path("ref").toString(), "any JSON value, echoed as given");
      String bad = c.send(frame("auth").put("token", "not.a-token"));
      JsonNode e = c.next();
      assertEquals("error", e.path("type").asText());
      assertEquals(bad, e.path("ref").asText(null));
      String auth = c.send(frame("auth").put("token", api.login(newPhone())));
      JsonNode ready = c.next();
      assertEquals("ready", ready.path("type").asText());
      assertEquals(auth, ready.path("ref").asText(null));
      assertEquals("snapshot", c.next().path("type").asText());
      String again = c.send(frame("auth").put("token", "x"));
      JsonNode conflict = c.next();
      assertEquals("conflict", conflict.path("code").asText());
      assertEquals(again, conflict.path("ref").asText(null));
      c.assertNothingElse();
    }
    api.createResponder(ADMIN, "refecho", "Ref Agency", "[\"publisher\"]");
    try (WsClient c = WsClient.connect(hub.vertx, hub.port(), null)) {
      String auth = c.send(frame("auth").put("token", api.responderLogin("refecho")));
      JsonNode ready = c.next();
      assertEquals("refecho", ready.path("responder").asText());
      assertEquals(auth, ready.path("ref").asText(null));
      assertEquals("snapshot", c.next().path("type").asText());
      c.assertNothingElse();
    }
    try (WsClient c = WsClient.connect(hub.vertx, hub.port(), null)) {
      c.sendRaw("{\"type\":\"auth\",\"token\":\"" + api.login(newPhone()) + "\"}");
      assertTrue(c.next().path("ref").isMissingNode(), "no ref sent, none echoed");
    }
  }

  @Test
  @DisplayName("malformed JSON, unknown types, wrong fields and over-long notes are refused; nothing is stored")
  void malformedFrames() {
    String a = newPhone();
    String ta = api.login(a);
    try (WsClient c = WsClient.authed(hub.vertx, hub.port(), ta)) {
      c.sendRaw("{not json");
      JsonNode e = c.next();
      assertEquals("error", e.path("type").asText());
      assertEquals("invalid_request", e.path("code").asText());
      c.sendRaw("[1,2]");
      assertEquals("invalid_request", c.next().path("code").asText());
      assertEquals("invalid_request", c.reply(c.send(frame("teleport"))).path("code").asText());
      assertEquals("invalid_request", c.reply(c.send(frame("checkin").put("status", "fine"))).path("code").asText());
      assertEquals("invalid_request",
          c.reply(c.send(frame("checkin").put("status", "safe").put("note", "x".repeat(281)))).path("code").asText());
      assertEquals("invalid_request", c.reply(c.send(frame("checkin").put("status", "safe")
          .set("location", Api.JSON.createObjectNode().put("lat", 91).put("lon", 0)))).path("code").asText());
      assertEquals("invalid_request", c.reply(c.send(frame("checkin").put("status", 5))).path("code").asText());
      assertEquals("invalid_request", c.reply(c.send(frame("follow").put("phone", "call me"))).path("code").asText());
      assertEquals("invalid_request", c.reply(c.send(frame("follow").put("phone", a))).path("code").asText());
      assertEquals("not_found", c.reply(c.send(frame("consent").put("phone", newPhone()).put("allow", true)))
          .path("code").asText());
      // 280 code points of emoji are fine: the limit counts code points, not UTF-16 units.
      JsonNode ok = c.reply(c.send(frame("checkin").put("status", "safe").put("note", "\uD83D\uDE00".repeat(280))));
      assertEquals("ack", ok.path("type").asText());
      assertEquals(1, ok.path("seq").asLong());
      c.assertNothingElse();
    }
    assertEquals(1, api.get("/api/v1/people/" + a + "/checkins", ta).json().size());
  }

  @Test
  @DisplayName("a frame over 16 KiB closes the connection with 1009")
  void oversizedFrame() {
    try (WsClient c = WsClient.connect(hub.vertx, hub.port(), null)) {
      c.sendRaw("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(17 * 1024) + "\"}");
      JsonNode closed = c.next("_closed");
      assertEquals(1009, closed.path("code").asInt());
    }
  }

  @Test
  @DisplayName("the WebSocket handshake checks Origin and offers no compression")
  void handshake() {
    var refused = api.call(HttpMethod.GET, "/api/v1/ws", null, null, "Origin", "https://evil.example.com",
        "Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13",
        "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    assertEquals(403, refused.status());
    assertThrows(AssertionError.class, () -> WsClient.connect(hub.vertx, hub.port(), "https://evil.example.com"));
    try (WsClient ok = WsClient.connect(hub.vertx, hub.port(), "https://family.example.org",
        new WebSocketClientOptions().setTryUsePerMessageCompression(true).setTryUsePerFrameCompression(true))) {
      assertNull(ok.ws.headers().get("Sec-WebSocket-Extensions"), "no permessage-deflate");
      ok.assertNothingElse();
    }
  }

  @Test
  @DisplayName("REST: malformed JSON 400, too large 413, no or forged token 401, strangers 403, unknown 404")
  void restErrors() {
    String a = newPhone();
    String ta = api.login(a);
    var malformed = api.post("/api/v1/checkins", ta, "{\"status\":");
    assertEquals(400, malformed.status());
    assertEquals("invalid_request", malformed.errorCode());
    assertNotNull(malformed.json().path("error").path("message").asText(null));
    var big = api.post("/api/v1/checkins", ta, "{\"status\":\"safe\",\"note\":\"" + "x".repeat(20_000) + "\"}");
    assertEquals(413, big.status());
    assertEquals("too_large", big.errorCode());
    assertEquals(401, api.post("/api/v1/checkins", null, "{\"status\":\"safe\"}").status());
    String forged = ta.substring(0, ta.length() - 3) + (ta.endsWith("AAA") ? "BBB" : "AAA");
    var f = api.post("/api/v1/checkins", forged, "{\"status\":\"safe\"}");
    assertEquals(401, f.status());
    assertEquals("unauthorized", f.errorCode());
    assertEquals(400, api.post("/api/v1/checkins", ta, "{\"status\":\"safe\",\"note\":\"" + "y".repeat(281) + "\"}").status());
    assertEquals(400, api.get("/api/v1/people/" + a + "/checkins?afterSeq=-1", ta).status());
    assertEquals(400, api.get("/api/v1/people/not-a-number/status", ta).status());
    assertEquals(403, api.get("/api/v1/people/%2B15559990000/status", ta).status());
    assertEquals(404, api.get("/api/v1/people/" + a + "/status", ta).status(), "no check-in yet");
    assertEquals(404, api.get("/api/v1/nothing-here", ta).status());
    assertEquals(0, api.get("/api/v1/people/" + a + "/checkins", ta).json().size(), "nothing was stored");
    assertEquals(400, api.post("/api/v1/follows", ta, "{\"phone\":\"" + a + "\"}").status(), "following yourself");
    assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/follows/%2B15559990001", ta, null).status());
    assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/follows/%2B15559990001", ta, null).status());
  }

  @Test
  @DisplayName("codes: wrong codes are refused and a code dies after five wrong tries; sends are limited per number")
  void otpLimits() {
    String a = newPhone();
    assertEquals(202, api.post("/api/v1/otp", null, "{\"phone\":\"" + a + "\"}").status());
    var msgs = api.get("/dev/sms/messages?to=" + a.replace("+", "%2B"), null);
    String code = msgs.json().get(0).path("body").asText().replaceAll("(?s).*code: ([0-9]{6}).*", "$1");
    String wrong = code.equals("000000") ? "111111" : "000000";
    for (int i = 0; i < 5; i++) {
      var r = api.post("/api/v1/sessions", null, "{\"phone\":\"" + a + "\",\"code\":\"" + wrong + "\"}");
      assertEquals(403, r.status());
      assertEquals("forbidden", r.errorCode());
    }
    assertEquals(403, api.post("/api/v1/sessions", null, "{\"phone\":\"" + a + "\",\"code\":\"" + code + "\"}").status(),
        "the right code after five wrong tries no longer works");
    assertEquals(202, api.post("/api/v1/otp", null, "{\"phone\":\"" + a + "\"}").status());
    assertEquals(202, api.post("/api/v1/otp", null, "{\"phone\":\"" + a + "\"}").status());
    var limited = api.post("/api/v1/otp", null, "{\"phone\":\"" + a + "\"}");
    assertEquals(429, limited.status());
    assertEquals("rate_limited", limited.errorCode());
    assertTrue(Long.parseLong(limited.headers().get("Retry-After")) > 0);
    assertEquals(403, api.post("/api/v1/sessions", null, "{\"phone\":\"+15559990002\",\"code\":\"123456\"}").status(),
        "a number that never asked for a code: same answer as a wrong code");
  }

  @Test
  @DisplayName("a revoked session token stops working on REST and closes its WebSocket")
  void revokedToken() {
    String a = newPhone();
    String ta = api.login(a);
    try (WsClient c = WsClient.authed(hub.vertx, hub.port(), ta)) {
      assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/sessions", ta, null).status());
      assertEquals(4001, c.next("_closed").path("code").asInt());
    }
    assertEquals(401, api.get("/api/v1/follows", ta).status());
    try (WsClient c = WsClient.connect(hub.vertx, hub.port(), null)) {
      assertEquals("unauthorized", c.reply(c.send(frame("auth").put("token", ta))).path("code").asText());
    }
  }

  @Test
  @DisplayName("a client that floods frames is rate limited with an error per frame, not disconnected")
  void frameFlood() {
    try (WsClient c = WsClient.connect(hub.vertx, hub.port(), null)) {
      int limited = 0;
      for (int i = 0; i < 100; i++) {
        c.sendRaw("{\"type\":\"ping\",\"ref\":\"p" + i + "\"}");
      }
      for (int i = 0; i < 100; i++) {
        JsonNode n = c.next();
        if ("error".equals(n.path("type").asText())) {
          assertEquals("rate_limited", n.path("code").asText());
          limited++;
        }
      }
      assertTrue(limited >= 30, "limited " + limited);
    }
  }
}
