package org.crisishub.it;

import static org.crisishub.support.WsClient.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.support.Api;
import org.crisishub.support.RedisServer;
import org.crisishub.support.SseClient;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live streams and access, on both stores: revocation and disabled accounts close every stream at
 * once (4001); calls for help reach only responders of the incident's agencies; after {@code auth}
 * nothing comes before {@code ready} and {@code snapshot}.
 */
@DisplayName("Streams: revocation closes them, help frames stay within the incident's agencies, auth comes first")
class StreamAccessIT {
  static final String ADMIN = "stream-access-admin-token-0123456789";
  static final AtomicInteger SEQ = new AtomicInteger();

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @DisplayName("on the embedded store")
  class Embedded extends Cases {
    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
      begin(TestHub.start(dir, Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_RATE_LIMITS", "off")));
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @DisplayName("on Redis")
  class OnRedis extends Cases {
    RedisServer redis;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
      redis = RedisServer.startNew();
      Map<String, String> env = new HashMap<>(Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_RATE_LIMITS", "off",
          "HUB_STORE", "redis", "HUB_REDIS_URL", redis.url()));
      begin(TestHub.start(dir, env));
    }

    @AfterAll
    void stopRedis() throws Exception {
      redis.close();
    }
  }

  abstract static class Cases {
    TestHub hub;
    Api api;
    String code;

    void begin(TestHub h) {
      hub = h;
      api = new Api(hub.vertx, hub.port());
      responder("owner", "County EMS");
      code = "ST" + SEQ.incrementAndGet();
      assertEquals(201, api.post("/api/v1/incidents", login("owner"), "{\"code\":\"" + code + "\",\"name\":\"x\"}")
          .status());
    }

    @AfterAll
    void stop() throws Exception {
      api.close();
      hub.close();
    }

    void responder(String user, String agency) {
      api.createResponder(ADMIN, user, agency, "[\"publisher\",\"approver\"]");
    }

    String login(String user) {
      return api.responderLogin(user);
    }

    WsClient subscribed(String token) {
      WsClient ws = WsClient.authed(hub.vertx, hub.port(), token);
      assertEquals("ack", ws.reply(ws.send(frame("subscribe").put("incident", code))).path("type").asText());
      return ws;
    }

    String needHelp(String phone, String note) {
      String t = api.login(phone);
      var r = api.post("/api/v1/checkins", t, "{\"status\":\"need_help\",\"incident\":\"" + code + "\",\"note\":\""
          + note + "\"}");
      assertEquals(201, r.status(), r.text());
      return r.json().path("id").asText();
    }

    /** The next help frame whose call for help has {@code note}, skipping others (the queue, updates). */
    static JsonNode help(WsClient ws, String note) {
      while (true) {
        JsonNode n = ws.next("help");
        if (note.equals(n.path("checkin").path("note").asText())) {
          return n;
        }
      }
    }

    static void awaitClosed(SseClient sse) throws InterruptedException {
      JsonNode closed = sse.next("_closed");
      assertEquals(4001, closed.path("code").asInt(), closed.toString());
    }

    @Test
    @DisplayName("disabling a responder closes its WebSocket and SSE streams with 4001 at once; no call for help"
        + " reaches them after")
    void disabledAccountStreamsClose() throws Exception {
      String user = "leaver" + SEQ.incrementAndGet();
      responder(user, "County EMS");
      String t = login(user);
      try (WsClient ws = subscribed(t);
           SseClient sse = new SseClient(hub.vertx, hub.port(), "/api/v1/events?token=" + t + "&incident=" + code);
           WsClient colleague = subscribed(login("owner"))) {
        assertEquals("ready", sse.next().path("type").asText());
        assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/admin/responders/" + user, ADMIN, null).status());
        JsonNode closed = ws.next("_closed");
        assertEquals(4001, closed.path("code").asInt());
        awaitClosed(sse);
        needHelp("+1555720" + String.format("%04d", SEQ.incrementAndGet()), "after the disable");
        help(colleague, "after the disable"); // the enabled colleague still gets it
        assertEquals(401, api.get("/api/v1/incidents/" + code + "/help", t).status());
        WsClient again = WsClient.connect(hub.vertx, hub.port(), null);
        again.sendRaw("{\"type\":\"auth\",\"token\":\"" + t + "\"}");
        assertEquals("unauthorized", again.next("error").path("code").asText());
        again.close();
      }
    }

    @Test
    @DisplayName("a responder logging out (DELETE /api/v1/sessions) closes that token's streams with 4001; its other"
        + " session stays")
    void responderLogoutClosesItsStreams() throws Exception {
      String user = "shift" + SEQ.incrementAndGet();
      responder(user, "County EMS");
      String t1 = login(user), t2 = login(user);
      try (WsClient ws1 = subscribed(t1); WsClient ws2 = subscribed(t2);
           SseClient sse1 = new SseClient(hub.vertx, hub.port(), "/api/v1/events?token=" + t1)) {
        assertEquals("ready", sse1.next().path("type").asText());
        assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/sessions", t1, null).status());
        assertEquals(4001, ws1.next("_closed").path("code").asInt());
        awaitClosed(sse1);
        ws2.sendRaw("{\"type\":\"ping\"}");
        ws2.next("pong");
        assertTrue(ws2.closeCode == null, "the other session of the same account stays open");
        assertEquals(401, api.call(HttpMethod.DELETE, "/api/v1/sessions", t1, null).status(), "revoked");
        assertEquals(200, api.get("/api/v1/incidents/" + code + "/help", t2).status());
      }
    }

    @Test
    @DisplayName("a person's revoked token closes its SSE stream too")
    void personLogoutClosesSse() throws Exception {
      String t = api.login("+1555721" + String.format("%04d", SEQ.incrementAndGet()));
      ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger)
          org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> errors =
          new ch.qos.logback.core.read.ListAppender<>();
      errors.start();
      root.addAppender(errors);
      try (SseClient sse = new SseClient(hub.vertx, hub.port(), "/api/v1/events?token=" + t)) {
        assertEquals("ready", sse.next().path("type").asText());
        assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/sessions", t, null).status());
        awaitClosed(sse);
        // The session's close grace runs out with the stream ended but its connection kept: the reset
        // check must not touch the ended response (it threw "Response has already been written").
        java.util.concurrent.CompletableFuture<Void> graceOver = new java.util.concurrent.CompletableFuture<>();
        hub.vertx.setTimer(org.crisishub.fanout.ClientSession.CLOSE_GRACE_MS + 1500, x -> graceOver.complete(null));
        graceOver.get(30, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        root.detachAppender(errors);
      }
      assertTrue(errors.list.stream().noneMatch(e -> e.getThrowableProxy() != null
              && e.getThrowableProxy().getClassName().equals(IllegalStateException.class.getName())),
          "no exception after the stream ended: " + errors.list.stream()
              .filter(e -> e.getThrowableProxy() != null).map(e -> e.getFormattedMessage()
                  + ": " + e.getThrowableProxy().getMessage()).toList());
    }

    @Test
    @DisplayName("help frames reach only responders of the incident's agencies, also when others subscribe; a partner"
        + " gets them once added and no longer once removed")
    void helpStaysWithinAgencies() throws Exception {
      String outsider = "outsider" + SEQ.incrementAndGet();
      responder(outsider, "Fire Dept");
      String ot = login(outsider);
      String first = needHelp("+1555722" + String.format("%04d", SEQ.incrementAndGet()), "queued before");
      try (WsClient owner = subscribed(login("owner")); WsClient other = WsClient.authed(hub.vertx, hub.port(), ot);
           SseClient otherSse = new SseClient(hub.vertx, hub.port(), "/api/v1/events?token=" + ot + "&incident="
               + code)) {
        assertEquals("ack", other.reply(other.send(frame("subscribe").put("incident", code))).path("type").asText());
        other.assertNothingElse(); // no help queue on subscribe for another agency
        assertEquals("ready", otherSse.next().path("type").asText());
        assertEquals("snapshot", otherSse.next().path("type").asText());
        needHelp("+1555722" + String.format("%04d", SEQ.incrementAndGet()), "roof");
        help(owner, "roof");
        other.assertNothingElse();
        assertEquals(403, api.get("/api/v1/incidents/" + code + "/help", ot).status());
        assertEquals(403, api.post("/api/v1/help/" + first + "/ack", ot, null).status());

        var added = api.post("/api/v1/incidents/" + code + "/partners", login("owner"), "{\"agency\":\"Fire Dept\"}");
        assertEquals(200, added.status(), added.text());
        needHelp("+1555722" + String.format("%04d", SEQ.incrementAndGet()), "cellar");
        assertEquals("cellar", other.next("help").path("checkin").path("note").asText(), "a partner now");
        JsonNode viaSse = otherSse.next("help");
        assertEquals("cellar", viaSse.path("checkin").path("note").asText(), "and on its SSE stream");
        assertEquals(200, api.post("/api/v1/help/" + first + "/ack", ot, null).status());

        var removed = api.call(HttpMethod.DELETE, "/api/v1/incidents/" + code + "/partners/Fire%20Dept", ADMIN, null);
        assertEquals(200, removed.status(), removed.text());
        assertEquals(0, removed.json().path("partners").size());
        other.next("help"); // the acknowledgement's update, sent while Fire Dept was a partner
        needHelp("+1555722" + String.format("%04d", SEQ.incrementAndGet()), "attic");
        help(owner, "attic");
        other.assertNothingElse();
        assertEquals(403, api.get("/api/v1/incidents/" + code + "/help", ot).status());
      }
    }

    @Test
    @DisplayName("auth, subscribe and checkin sent back to back: ready and snapshot come first, then the replies in order")
    void authComesFirst() throws Exception {
      for (int round = 0; round < 5; round++) {
        String t = api.login("+1555723" + String.format("%04d", SEQ.incrementAndGet()));
        try (WsClient ws = WsClient.connect(hub.vertx, hub.port(), null)) {
          ws.sendRaw("{\"type\":\"auth\",\"token\":\"" + t + "\"}");
          ws.sendRaw("{\"type\":\"subscribe\",\"ref\":\"s\",\"incident\":\"" + code + "\"}");
          ws.sendRaw("{\"type\":\"checkin\",\"ref\":\"c\",\"status\":\"need_help\",\"incident\":\"" + code + "\"}");
          assertEquals("ready", ws.next().path("type").asText());
          assertEquals("snapshot", ws.next().path("type").asText());
          JsonNode sub = ws.next();
          assertEquals("ack", sub.path("type").asText(), sub.toString());
          assertEquals("s", sub.path("ref").asText());
          JsonNode ci = ws.next("ack");
          assertEquals("c", ci.path("ref").asText(), "the checkin was applied after auth, not refused");
        }
      }
      try (WsClient ws = WsClient.connect(hub.vertx, hub.port(), null)) {
        ws.sendRaw("{\"type\":\"auth\",\"token\":\"" + login("owner") + "\"}");
        ws.sendRaw("{\"type\":\"subscribe\",\"ref\":\"s\",\"incident\":\"" + code + "\"}");
        ws.sendRaw("{\"type\":\"ping\"}");
        assertEquals("ready", ws.next().path("type").asText());
        assertEquals("snapshot", ws.next().path("type").asText());
        assertEquals("s", ws.next().path("ref").asText());
        JsonNode n;
        boolean sawHelp = false;
        while (!"pong".equals((n = ws.next()).path("type").asText())) {
          assertTrue(Map.of("notice", 1, "help", 1).containsKey(n.path("type").asText()), n.toString());
          sawHelp |= "help".equals(n.path("type").asText());
        }
        assertTrue(sawHelp, "the open calls for help come with the subscription");
      }
      try (WsClient ws = WsClient.connect(hub.vertx, hub.port(), null)) {
        ws.sendRaw("{\"type\":\"auth\",\"token\":\"forged.AAAA\"}");
        ws.sendRaw("{\"type\":\"checkin\",\"ref\":\"c\",\"status\":\"safe\"}");
        assertEquals("unauthorized", ws.next().path("code").asText());
        JsonNode second = ws.next();
        assertEquals("c", second.path("ref").asText());
        assertEquals("unauthorized", second.path("code").asText());
        assertFalse(ws.closeCode != null, "a bad token leaves the connection open");
      }
    }
  }
}
