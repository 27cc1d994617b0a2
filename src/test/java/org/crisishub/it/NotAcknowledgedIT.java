package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crisishub.support.Api;
import org.crisishub.support.FaultProxy;
import org.crisishub.support.RedisServer;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A check-in that was stored but whose acknowledgement was lost: the client saw no 201 (a 503, or a
 * broken connection), and the retry with the same Idempotency-Key returns the stored check-in, once.
 */
@DisplayName("Not acknowledged is not 'not stored': a retry with the same key returns the stored check-in")
class NotAcknowledgedIT {
  @TempDir
  Path dir;

  static Future<HttpResponse<Buffer>> checkIn(WebClient client, int port, String token, String key, String note) {
    return client.post(port, "127.0.0.1", "/api/v1/checkins").putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", key).sendBuffer(Buffer.buffer("{\"status\":\"need_help\",\"note\":\"" + note + "\"}"));
  }

  @Test
  @DisplayName("Redis killed after running the write, before its reply: 503 unavailable, and the retry returns the stored check-in")
  void redisKilledMidWrite() throws Exception {
    java.nio.file.Files.createDirectories(dir.resolve("redis"));
    java.nio.file.Files.createDirectories(dir.resolve("hub"));
    try (RedisServer redis = new RedisServer(dir.resolve("redis"))) {
      redis.start();
      try (FaultProxy proxy = new FaultProxy(redis.port())) {
        TestHub hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_STORE", "redis",
            "HUB_REDIS_URL", "redis://127.0.0.1:" + proxy.port(), "HUB_RATE_LIMITS", "off"));
        try (Api api = new Api(hub.vertx, hub.port())) {
          String a = "+15553400001";
          String token = api.login(a);
          assertEquals(201, api.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/checkins", token,
              "{\"status\":\"safe\",\"note\":\"warm-up\"}", "Idempotency-Key", "warm-up").status());

          String key = "lost-ack-7f3a9c";
          var lost = proxy.loseRepliesAfter(key);
          WebClient client = WebClient.create(hub.vertx);
          Future<HttpResponse<Buffer>> first = checkIn(client, hub.port(), token, key, "trapped, 2nd floor");
          assertTrue(lost.await(30, TimeUnit.SECONDS), "Redis ran the write and answered");
          redis.kill();
          HttpResponse<Buffer> r = first.await(60, TimeUnit.SECONDS);
          assertEquals(503, r.statusCode(), r.bodyAsString());
          assertEquals("unavailable", Api.JSON.readTree(r.bodyAsString()).path("error").path("code").asText());

          redis.start();
          Api.Resp retry = api.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/checkins", token,
              "{\"status\":\"need_help\",\"note\":\"trapped, 2nd floor\"}", "Idempotency-Key", key);
          for (int i = 0; i < 100 && retry.status() == 503; i++) {
            // The hub reconnects to the restarted Redis on demand; until then the retry is not acknowledged either.
            retry = api.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/checkins", token,
                "{\"status\":\"need_help\",\"note\":\"trapped, 2nd floor\"}", "Idempotency-Key", key);
          }
          assertEquals(201, retry.status(), retry.text());
          JsonNode history = api.get("/api/v1/people/" + a + "/checkins", token).json();
          assertEquals(2, history.size(), "stored once: " + history);
          assertEquals(history.get(1).path("id").asText(), retry.json().path("id").asText(),
              "the retry returns the check-in the lost write stored");
          assertEquals(2, retry.json().path("seq").asLong());
          assertEquals("trapped, 2nd floor", history.get(1).path("note").asText());
          client.close();
        } finally {
          hub.close();
        }
      }
    }
  }

  @Test
  @DisplayName("SQLite: the 201 is lost on the way and the hub restarts; the retry with the same key returns the stored check-in")
  void sqliteReplyLost() throws Exception {
    TestHub hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_RATE_LIMITS", "off"));
    String a = "+15553400002";
    String token;
    String key = "lost-ack-sqlite-51";
    try (Api api = new Api(hub.vertx, hub.port()); FaultProxy proxy = new FaultProxy(hub.port())) {
      token = api.login(a);
      var lost = proxy.loseRepliesAfter(key);
      WebClient client = WebClient.create(hub.vertx);
      Future<HttpResponse<Buffer>> first = checkIn(client, proxy.port(), token, key, "ankle hurt");
      assertTrue(lost.await(30, TimeUnit.SECONDS), "the hub stored it and answered");
      proxy.cut();
      assertTrue(first.toCompletionStage().toCompletableFuture().handle((ok, e) -> e != null).get(30, TimeUnit.SECONDS),
          "the client got no acknowledgement");
      client.close();
    } finally {
      hub.close();
    }
    hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_RATE_LIMITS", "off"));
    try (Api api = new Api(hub.vertx, hub.port())) {
      Api.Resp retry = api.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/checkins", token,
          "{\"status\":\"need_help\",\"note\":\"ankle hurt\"}", "Idempotency-Key", key);
      assertEquals(201, retry.status(), retry.text());
      JsonNode history = api.get("/api/v1/people/" + a + "/checkins", token).json();
      assertEquals(1, history.size(), "stored once: " + history);
      assertEquals(history.get(0).path("id").asText(), retry.json().path("id").asText());
      assertEquals(1, retry.json().path("seq").asLong());
    } finally {
      hub.close();
    }
  }
}
