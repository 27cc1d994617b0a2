package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crisishub.support.Api;
import org.crisishub.support.HubProcess;
import org.crisishub.support.RedisServer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node SIGKILLed between a change and its chaining (Redis): the change was acknowledged once its
 * audit intent was durable; after the restart the intent is chained, exactly once.
 */
@DisplayName("Audit on Redis: a node killed between a change and its chaining leaves the entry chained once")
class AuditCrashIT {
  static final String ADMIN = "audit-crash-admin-token-0123456789";
  @TempDir
  Path dir;

  @Test
  @DisplayName("the acknowledged change's intent survives SIGKILL and is chained once after the restart")
  void killedBeforeChaining() throws Exception {
    for (String d : new String[] {"a", "b", "c"}) {
      java.nio.file.Files.createDirectories(dir.resolve(d));
    }
    Vertx vertx = Vertx.vertx();
    try (RedisServer redis = RedisServer.startNew()) {
      Map<String, String> env = new HashMap<>(Map.of("HUB_STORE", "redis", "HUB_REDIS_URL", redis.url(),
          "HUB_ADMIN_TOKEN", ADMIN));
      // This node leaves intents for the hourly chainer: it is killed long before that.
      env.put("HUB_AUDIT_CHAIN_DELAY_MS", "3600000");
      Redis client = Redis.createClient(vertx, redis.url());
      try (HubProcess node = HubProcess.start(dir.resolve("a"), env)) {
        try (Api api = new Api(vertx, node.port())) {
          Api.Resp r = api.post("/api/v1/admin/agencies/County%20EMS/keys/rotate", ADMIN, null);
          assertEquals(201, r.status(), r.text());
        }
        assertEquals(1, count(client, "{g}:audit:intents"), "the acknowledged change left a durable intent");
        assertEquals(0, count(client, "{g}:audit:chain"), "not chained yet");
        node.kill();
      }
      env.remove("HUB_AUDIT_CHAIN_DELAY_MS");
      try (HubProcess node = HubProcess.start(dir.resolve("b"), env); Api api = new Api(vertx, node.port())) {
        JsonNode page = api.get("/api/v1/admin/audit", ADMIN).json();
        assertEquals(1, page.path("entries").size(), page.toString());
        JsonNode e = page.path("entries").get(0);
        assertEquals("agency.key.rotate", e.path("action").asText());
        assertEquals("admin", e.path("actor").asText());
        assertEquals("County EMS", e.path("subject").asText());
        assertEquals(0, count(client, "{g}:audit:intents"));
        // A second restart chains nothing again.
        assertTrue(api.get("/api/v1/admin/audit/verify", ADMIN).json().path("ok").asBoolean());
      }
      try (HubProcess node = HubProcess.start(dir.resolve("c"), env); Api api = new Api(vertx, node.port())) {
        JsonNode v = api.get("/api/v1/admin/audit/verify", ADMIN).json();
        assertTrue(v.path("ok").asBoolean(), v.toString());
        assertEquals(1, v.path("entries").asInt(), "chained exactly once");
      }
      client.close();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static int count(Redis client, String key) throws Exception {
    return client.send(Request.cmd(Command.ZCARD).arg(key)).await(10, TimeUnit.SECONDS).toInteger();
  }
}
