package org.crisishub.it;

import static org.crisishub.support.WsClient.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.websocket.WebSocketFrameImpl;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Strict input: one well-formed JSON object in well-formed UTF-8, exact status values, known incidents")
class StrictInputIT {
  static final String ADMIN = "strict-admin-token-0123456789";
  static final AtomicInteger NEXT = new AtomicInteger(100);
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static WebClient raw;
  static String responder;

  /** Bodies that must each be refused with 400 invalid_request, and why. */
  static final String[][] BAD_CHECKINS = {
      {"{\"status\":\"safe\"} {\"status\":\"need_help\"}", "trailing object"},
      {"{\"status\":\"safe\"}x", "trailing garbage"},
      {"{\"status\":\"safe\"},", "trailing comma"},
      {"{\"status\":\"safe\",\"status\":\"need_help\"}", "duplicate key"},
      {"{\"status\":\"safe\",\"location\":{\"lat\":1,\"lat\":2,\"lon\":3}}", "nested duplicate key"},
      {"{\"status\":\"SAFE\"}", "upper-case status"},
      {"{\"status\":\" safe \"}", "status with spaces"},
      {"{\"status\":\"Need_Help\"}", "mixed-case status"},
      {"{\"status\":\"safe\",\"note\":\"at\\u0000gym\"}", "NUL in a note"},
      {"{\"status\":\"safe\",\"note\":\"at \\udc00 gym\"}", "lone low surrogate in a note"},
      {"{\"status\":\"safe\",\"note\":\"at \\ud83d gym\"}", "lone high surrogate in a note"},
      {"{\"status\":\"safe\",\"note\":\"bell \\u0007\"}", "control character in a note"},
      {"{\"status\":\"safe\",\"note\\udc00\":\"x\"}", "lone surrogate in a key"},
      {"{\"status\":\"safe\",\"incident\":\"NOPE9\"}", "unknown incident"},
      {"[{\"status\":\"safe\"}]", "not an object"},
      {"\"safe\"", "not an object"}};

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir, Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_RATE_LIMITS", "off"));
    api = new Api(hub.vertx, hub.port());
    raw = WebClient.create(hub.vertx);
    responder = api.responder(ADMIN, "rita", "correct horse rita", "County EMS", "[\"publisher\",\"approver\"]");
    assertEquals(201, api.post("/api/v1/incidents", responder, "{\"code\":\"QUAKE3\",\"name\":\"Quake\"}").status());
  }

  @AfterAll
  static void stop() throws Exception {
    raw.close();
    api.close();
    hub.close();
  }

  static String newPhone() {
    return "+1555310" + String.format("%04d", NEXT.incrementAndGet());
  }

  /** Posts raw bytes, as a client with a broken encoder would. */
  static Api.Resp postBytes(String path, String token, byte[] body) {
    try {
      var r = raw.post(hub.port(), "127.0.0.1", path).putHeader("Authorization", "Bearer " + token)
          .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body)).await(15, TimeUnit.SECONDS);
      return new Api.Resp(r.statusCode(), Api.JSON.readTree(r.bodyAsString()), r.bodyAsString(), r.headers());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static byte[] concat(String a, byte[] middle, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] z = b.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[x.length + middle.length + z.length];
    System.arraycopy(x, 0, out, 0, x.length);
    System.arraycopy(middle, 0, out, x.length, middle.length);
    System.arraycopy(z, 0, out, x.length + middle.length, z.length);
    return out;
  }

  /** Bytes that are not UTF-8: a stray continuation byte, an encoded surrogate (CESU), an overlong slash, Latin-1. */
  static final byte[][] NOT_UTF8 = {
      {(byte) 0x80}, {(byte) 0xED, (byte) 0xB0, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE9},
      {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};

  @Test
  @DisplayName("REST: trailing data, duplicate keys, status not as written, NUL, lone surrogates, unknown incident, bad UTF-8: 400, nothing stored")
  void rest() {
    String a = newPhone();
    String ta = api.login(a);
    for (String[] bad : BAD_CHECKINS) {
      var r = api.post("/api/v1/checkins", ta, bad[0]);
      assertEquals(400, r.status(), bad[1] + ": " + r.text());
      assertEquals("invalid_request", r.errorCode(), bad[1]);
    }
    assertTrue(api.post("/api/v1/checkins", ta, "{\"status\":\"safe\",\"status\":\"safe\"}").json()
        .path("error").path("message").asText().contains("duplicate key \"status\""));
    assertTrue(api.post("/api/v1/checkins", ta, "{\"status\":\"safe\"}{}").json()
        .path("error").path("message").asText().contains("trailing"));
    for (byte[] b : NOT_UTF8) {
      var r = postBytes("/api/v1/checkins", ta, concat("{\"status\":\"safe\",\"note\":\"at ", b, " gym\"}"));
      assertEquals(400, r.status(), r.text());
      assertEquals("invalid_request", r.errorCode());
      assertTrue(r.json().path("error").path("message").asText().contains("UTF-8"), r.text());
    }
    assertEquals(400, api.post("/api/v1/follows", ta, "{\"phone\":\"+15551230001\",\"phone\":\"+15551230002\"}")
        .status(), "every route reads bodies strictly");
    assertEquals(0, api.get("/api/v1/people/" + a + "/checkins", ta).json().size(), "nothing was stored");

    // What is right still works: astral characters, U+2028, typographic punctuation, a known incident in any case.
    var ok = api.post("/api/v1/checkins", ta,
        "{\"status\":\"need_help\",\"note\":\"\\u201Cat gym\\u201D \\uD83D\\uDE4F \\u2028 \uD83D\uDE00\",\"incident\":\"quake3\"}");
    assertEquals(201, ok.status(), ok.text());
    JsonNode stored = api.get("/api/v1/people/" + a + "/checkins", ta).json().get(0);
    assertEquals("\u201Cat gym\u201D \uD83D\uDE4F \u2028 \uD83D\uDE00", stored.path("note").asText());
    assertEquals("QUAKE3", stored.path("incident").asText());
  }

  @Test
  @DisplayName("responder routes read bodies strictly too: a notice with a lone surrogate is refused, not signed")
  void responderRoutes() {
    var r = api.post("/api/v1/notices", responder, "{\"incident\":\"QUAKE3\",\"headline\":\"at \\udc00 gym\","
        + "\"body\":\"b\",\"severity\":\"Minor\",\"urgency\":\"Future\",\"certainty\":\"Likely\"}");
    assertEquals(400, r.status(), r.text());
    assertEquals("invalid_request", r.errorCode());
    var dup = api.post("/api/v1/incidents", responder, "{\"code\":\"DUP1\",\"name\":\"a\",\"name\":\"b\"}");
    assertEquals(400, dup.status(), dup.text());
    assertTrue(!api.get("/api/v1/incidents", null).text().contains("DUP1"), "nothing was created");
  }

  @Test
  @DisplayName("incident areas: a bowtie, a line and a point are refused with 400; a square is created")
  void areas() {
    String[] bad = {
        "[[38.0,-122.0],[38.1,-121.9],[38.0,-121.9],[38.1,-122.0]]",
        "[[0,0],[1,1],[2,2]]",
        "[[5,5],[5,5],[5,5],[5,5]]"};
    int i = 0;
    for (String points : bad) {
      var r = api.post("/api/v1/incidents", responder, "{\"code\":\"BAD" + i++ + "\",\"name\":\"x\","
          + "\"area\":{\"type\":\"polygon\",\"points\":" + points + "}}");
      assertEquals(400, r.status(), points + ": " + r.text());
      assertEquals("invalid_request", r.errorCode());
    }
    assertTrue(!api.get("/api/v1/incidents", null).text().contains("BAD"), "nothing was created");
    var ok = api.post("/api/v1/incidents", responder, "{\"code\":\"GOOD1\",\"name\":\"x\","
        + "\"area\":{\"type\":\"polygon\",\"points\":[[38.0,-122.0],[38.0,-121.9],[38.1,-121.9],[38.1,-122.0]]}}");
    assertEquals(201, ok.status(), ok.text());
  }

  @Test
  @DisplayName("WebSocket: the same frames get invalid_request errors and store nothing; the socket stays open")
  void webSocketFrames() {
    String a = newPhone();
    String ta = api.login(a);
    try (WsClient c = WsClient.authed(hub.vertx, hub.port(), ta)) {
      int i = 0;
      for (String[] bad : BAD_CHECKINS) {
        String body = bad[0];
        if (body.startsWith("{")) {
          body = "{\"type\":\"checkin\",\"ref\":\"r" + i++ + "\"," + body.substring(1);
        }
        c.sendRaw(body);
        JsonNode e = c.next();
        assertEquals("error", e.path("type").asText(), bad[1]);
        assertEquals("invalid_request", e.path("code").asText(), bad[1] + ": " + e);
        if (body.startsWith("{")) {
          assertEquals("r" + (i - 1), e.path("ref").asText(), "the error names the frame's ref (" + bad[1] + "): " + e);
        }
      }
      JsonNode ok = c.reply(c.send(frame("checkin").put("status", "safe").put("note", "\uD83D\uDE00 \u2028")));
      assertEquals("ack", ok.path("type").asText(), ok.toString());
      c.assertNothingElse();
    }
    assertEquals(1, api.get("/api/v1/people/" + a + "/checkins", ta).json().size());
  }

  @Test
  @DisplayName("WebSocket: a text frame that is not valid UTF-8 closes with 1007 and stores nothing")
  void webSocketBadUtf8() {
    String a = newPhone();
    String ta = api.login(a);
    for (byte[] b : NOT_UTF8) {
      try (WsClient c = WsClient.authed(hub.vertx, hub.port(), ta)) {
        byte[] frame = concat("{\"type\":\"checkin\",\"ref\":\"x\",\"status\":\"safe\",\"note\":\"at ", b, " gym\"}");
        c.ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, frame, true));
        JsonNode closed = c.next("_closed");
        assertEquals(1007, closed.path("code").asInt(), closed.toString());
      }
    }
    // A message split over frames is checked as a whole: a character split between two frames is fine.
    try (WsClient c = WsClient.authed(hub.vertx, hub.port(), ta)) {
      byte[] all = "{\"type\":\"ping\",\"ref\":\"split\",\"pad\":\"\uD83D\uDE00\"}".getBytes(StandardCharsets.UTF_8);
      int cut = new String(all, StandardCharsets.ISO_8859_1).indexOf('\u00F0') + 2;
      byte[] first = java.util.Arrays.copyOfRange(all, 0, cut);
      byte[] rest = java.util.Arrays.copyOfRange(all, cut, all.length);
      c.ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, first, false));
      c.ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.CONTINUATION, rest, true));
      assertEquals("pong", c.next().path("type").asText());
    }
    assertEquals(0, api.get("/api/v1/people/" + a + "/checkins", ta).json().size());
  }
}
