package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Only accepted work counts against a number's rate limits")
class RefusedWorkIT {
  /** {@code Limits.CHECKIN_PER_PHONE}'s burst. */
  static final int CHECKIN_BURST = 20;

  @TempDir
  Path dir;

  Vertx clients;

  @AfterEach
  void close() {
    if (clients != null) {
      clients.close().await();
    }
  }

  @Test
  @DisplayName("check-ins refused with 400, over REST or WebSocket, leave the number's whole check-in budget")
  void refusedCheckInsAreFree() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of())) {
      clients = Vertx.vertx();
      Api api = new Api(clients, hub.port());
      String rest = api.login("+15555000011");
      for (int i = 0; i < 25; i++) {
        assertEquals(400, api.post("/api/v1/checkins", rest, "{\"status\":\"maybe\"}").status());
      }
      for (int i = 0; i < CHECKIN_BURST; i++) {
        assertEquals(201, api.post("/api/v1/checkins", rest, "{\"status\":\"safe\"}").status(), "check-in " + i);
      }
      Api.Resp limited = api.post("/api/v1/checkins", rest, "{\"status\":\"safe\"}");
      assertEquals(429, limited.status(), "accepted check-ins still count");

      String ws = api.login("+15555000012");
      try (WsClient c = WsClient.authed(clients, hub.port(), ws)) {
        for (int i = 0; i < 25; i++) {
          c.sendRaw("{\"type\":\"checkin\",\"ref\":" + i + ",\"status\":\"SAFE!\"}");
          JsonNode r = c.next();
          assertEquals("error", r.path("type").asText());
          assertEquals("invalid_request", r.path("code").asText());
        }
        for (int i = 0; i < CHECKIN_BURST; i++) {
          c.sendRaw("{\"type\":\"checkin\",\"ref\":" + (100 + i) + ",\"status\":\"need_help\"}");
          JsonNode r;
          do {
            r = c.next();
          } while (!r.has("ref")); // skip live frames (the person's own status)
          assertEquals("ack", r.path("type").asText(), r.toString());
        }
        c.sendRaw("{\"type\":\"checkin\",\"ref\":999,\"status\":\"safe\"}");
        JsonNode r;
        do {
          r = c.next();
        } while (!r.has("ref"));
        assertEquals("rate_limited", r.path("code").asText(), r.toString());
      }
      api.close();
    }
  }

  @Test
  @DisplayName("safety-check answers share the check-in budget on REST and WebSocket; refused ones are free")
  void answersShareTheCheckInBudget() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of())) {
      clients = Vertx.vertx();
      Api api = new Api(clients, hub.port());
      String rest = api.login("+15555000021");
      String answer = "/api/v1/safety-checks/no-such-check/answers";
      try (WsClient c = WsClient.authed(clients, hub.port(), rest)) {
        for (int i = 0; i < 25; i++) {
          assertEquals(404, api.post(answer, rest, "{\"status\":\"safe\"}").status(), "unknown check");
          c.sendRaw("{\"type\":\"answer\",\"ref\":" + i + ",\"check\":\"no-such-check\",\"status\":\"safe\"}");
          JsonNode r;
          do {
            r = c.next();
          } while (!r.has("ref"));
          assertEquals("not_found", r.path("code").asText(), r.toString());
        }
        for (int i = 0; i < CHECKIN_BURST; i++) {
          assertEquals(201, api.post("/api/v1/checkins", rest, "{\"status\":\"safe\"}").status(), "check-in " + i);
        }
        // The bucket the check-ins emptied is the answers' one, on both channels.
        assertEquals(429, api.post(answer, rest, "{\"status\":\"safe\"}").status());
        c.sendRaw("{\"type\":\"answer\",\"ref\":999,\"check\":\"no-such-check\",\"status\":\"safe\"}");
        JsonNode r;
        do {
          r = c.next();
        } while (!r.has("ref"));
        assertEquals("rate_limited", r.path("code").asText(), r.toString());
      }
      api.close();
    }
  }
}
