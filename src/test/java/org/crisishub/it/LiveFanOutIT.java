package org.crisishub.it;

import static org.crisishub.support.WsClient.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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

@DisplayName("Live fan-out with consent, over real WebSocket and HTTP clients")
class LiveFanOutIT {
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static final AtomicInteger NEXT = new AtomicInteger(100);

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir, Map.of());
    api = new Api(hub.vertx, hub.port());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  static String newPhone() {
    return "+1555200" + String.format("%04d", NEXT.incrementAndGet());
  }

  static JsonNode checkIn(WsClient c, String status, String note) {
    var f = frame("checkin").put("status", status);
    if (note != null) {
      f.put("note", note);
    }
    JsonNode ack = c.reply(c.send(f));
    assertEquals("ack", ack.path("type").asText(), ack.toString());
    return ack;
  }

  /** B follows A and A consents over REST. */
  static void activeFollow(String bToken, String aToken, String a, String b) {
    assertEquals(201, api.post("/api/v1/follows", bToken, "{\"phone\":\"" + a + "\"}").status());
    var r = api.post("/api/v1/followers/" + b, aToken, "{\"allow\":true}");
    assertEquals(200, r.status(), r.toString());
    assertEquals("active", r.json().path("state").asText());
  }

  @Test
  @DisplayName("a check-in by A is pushed live to active follower B, seq increasing by one; C gets nothing and 403")
  void activeFollowerReceivesAndStrangerDoesNot() {
    String a = newPhone(), b = newPhone(), c = newPhone();
    String ta = api.login(a), tb = api.login(b), tc = api.login(c);
    activeFollow(tb, ta, a, b);
    try (WsClient wa = WsClient.authed(hub.vertx, hub.port(), ta);
         WsClient wb = WsClient.authed(hub.vertx, hub.port(), tb);
         WsClient wc = WsClient.authed(hub.vertx, hub.port(), tc)) {
      JsonNode ack1 = checkIn(wa, "safe", "at the school");
      // Pushed live: B asked for nothing, the frame simply arrives (next() waits for it as an event).
      JsonNode s1 = wb.next("status");
      assertEquals(a, s1.path("phone").asText());
      assertEquals("safe", s1.path("status").asText());
      assertEquals("at the school", s1.path("note").asText());
      assertEquals(ack1.path("seq").asLong(), s1.path("seq").asLong());
      assertEquals("ws", s1.path("channel").asText());
      assertEquals(1, ack1.path("notified").asInt());

      JsonNode ack2 = checkIn(wa, "need_help", null);
      JsonNode s2 = wb.next("status");
      assertEquals(s1.path("seq").asLong() + 1, s2.path("seq").asLong());
      assertEquals(ack2.path("seq").asLong(), s2.path("seq").asLong());
      assertTrue(s2.path("note").isMissingNode(), "absent note is omitted, not null");

      wc.assertNothingElse();
      var forbidden = api.get("/api/v1/people/" + a + "/status", tc);
      assertEquals(403, forbidden.status());
      assertEquals("forbidden", forbidden.errorCode());
      assertEquals(403, api.get("/api/v1/people/" + a + "/checkins", tc).status());
      assertEquals(200, api.get("/api/v1/people/" + a.replace("+", "%2B") + "/status", tb).status());
    }
  }

  @Test
  @DisplayName("a pending follow receives nothing until A consents, and nothing after A revokes")
  void pendingThenConsentThenRevoke() {
    String a = newPhone(), b = newPhone();
    String ta = api.login(a), tb = api.login(b);
    try (WsClient wa = WsClient.authed(hub.vertx, hub.port(), ta);
         WsClient wb = WsClient.authed(hub.vertx, hub.port(), tb)) {
      JsonNode followAck = wb.reply(wb.send(frame("follow").put("phone", a)));
      assertEquals("pending", followAck.path("state").asText());
      assertEquals(b, wa.next("follow_request").path("from").asText());

      checkIn(wa, "safe", "pending test");
      wb.assertNothingElse();
      assertEquals(403, api.get("/api/v1/people/" + a + "/status", tb).status());

      JsonNode consent = wa.reply(wa.send(frame("consent").put("phone", b).put("allow", true)));
      assertEquals("active", consent.path("state").asText());
      // On consent the follower is sent the latest status at once.
      assertEquals("pending test", wb.next("status").path("note").asText());
      checkIn(wa, "safe", "now visible");
      assertEquals("now visible", wb.next("status").path("note").asText());

      var revoke = api.post("/api/v1/followers/" + b, ta, "{\"allow\":false}");
      assertEquals("revoked", revoke.json().path("state").asText());
      // The follower is told (follow_update), and then receives nothing more of A.
      JsonNode update = wb.next("follow_update");
      assertEquals(a, update.path("phone").asText());
      assertEquals("revoked", update.path("state").asText());
      JsonNode ack = checkIn(wa, "need_help", "after revoke");
      assertEquals(0, ack.path("notified").asInt());
      wb.assertNothingElse();
      assertEquals(403, api.get("/api/v1/people/" + a + "/status", tb).status());
    }
  }

  @Test
  @DisplayName("a trusted contact's follow is active at once")
  void trustedContactIsPreApproved() {
    String a = newPhone(), b = newPhone();
    String ta = api.login(a), tb = api.login(b);
    assertEquals(200, api.call(io.vertx.core.http.HttpMethod.PUT, "/api/v1/contacts/" + b, ta, null).status());
    var f = api.post("/api/v1/follows", tb, "{\"phone\":\"" + a + "\"}");
    assertEquals(201, f.status());
    assertEquals("active", f.json().path("state").asText());
  }

  @Test
  @DisplayName("a reconnecting follower gets a snapshot and fetches what it missed by afterSeq")
  void reconnectSnapshotAndHistory() {
    String a = newPhone(), b = newPhone();
    String ta = api.login(a), tb = api.login(b);
    activeFollow(tb, ta, a, b);
    long lastSeen;
    try (WsClient wa = WsClient.authed(hub.vertx, hub.port(), ta)) {
      try (WsClient wb = WsClient.authed(hub.vertx, hub.port(), tb)) {
        checkIn(wa, "safe", "one");
        lastSeen = wb.next("status").path("seq").asLong();
      }
      checkIn(wa, "need_help", "two");
      checkIn(wa, "safe", "three");
    }
    try (WsClient wb = WsClient.authed(hub.vertx, hub.port(), tb)) {
      JsonNode people = wb.snapshot.path("people");
      assertEquals(1, people.size());
      assertEquals(a, people.get(0).path("phone").asText());
      assertEquals("three", people.get(0).path("note").asText());
      assertEquals(lastSeen + 2, people.get(0).path("seq").asLong());
      var missed = api.get("/api/v1/people/" + a + "/checkins?afterSeq=" + lastSeen, tb);
      assertEquals(200, missed.status());
      assertEquals(2, missed.json().size());
      assertEquals("two", missed.json().get(0).path("note").asText());
      assertEquals(lastSeen + 1, missed.json().get(0).path("seq").asLong());
      assertEquals("three", missed.json().get(1).path("note").asText());
      var limited = api.get("/api/v1/people/" + a + "/checkins?afterSeq=0&limit=1", tb);
      assertEquals(1, limited.json().size());
      assertEquals(1, limited.json().get(0).path("seq").asLong());
    }
  }

  @Test
  @DisplayName("the same idempotency key returns the first check-in instead of a second one")
  void idempotentRetries() {
    String a = newPhone();
    String ta = api.login(a);
    var first = api.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/checkins", ta,
        "{\"status\":\"safe\"}", "Idempotency-Key", "retry-1");
    var again = api.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/checkins", ta,
        "{\"status\":\"safe\"}", "Idempotency-Key", "retry-1");
    assertEquals(201, first.status());
    assertEquals(first.json(), again.json());
    try (WsClient wa = WsClient.authed(hub.vertx, hub.port(), ta)) {
      JsonNode k1 = wa.reply(wa.send(frame("checkin").put("status", "safe").put("key", "ws-1")));
      JsonNode k2 = wa.reply(wa.send(frame("checkin").put("status", "safe").put("key", "ws-1")));
      assertEquals(k1.path("id"), k2.path("id"));
      assertEquals(2, k1.path("seq").asLong());
    }
    assertEquals(2, api.get("/api/v1/people/" + a + "/checkins", ta).json().size());
  }

  @Test
  @DisplayName("the SSE mirror streams ready, snapshot and live status frames")
  void sseMirror() throws Exception {
    String a = newPhone(), b = newPhone();
    String ta = api.login(a), tb = api.login(b);
    activeFollow(tb, ta, a, b);
    try (var sse = new org.crisishub.support.SseClient(hub.vertx, hub.port(), "/api/v1/events?token=" + tb)) {
      assertEquals(200, sse.response.statusCode());
      assertTrue(sse.response.getHeader("Content-Type").startsWith("text/event-stream"));
      assertEquals("ready", sse.next().path("type").asText());
      assertEquals("snapshot", sse.next().path("type").asText());
      assertEquals(201, api.post("/api/v1/checkins", ta, "{\"status\":\"safe\",\"note\":\"sse\"}").status());
      JsonNode status = sse.next();
      assertEquals("status", status.path("type").asText());
      assertEquals("sse", status.path("note").asText());
      assertEquals("web", status.path("channel").asText());
    }
  }
}
