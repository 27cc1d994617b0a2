package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.crisishub.support.Api;
import org.crisishub.support.HubProcess;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Acknowledged check-ins survive SIGKILL of the hub process")
class DurabilityIT {
  static final int SENT = 3000;
  static final int KILL_AFTER_ACKS = 1000;

  @TempDir
  Path dir;

  @Test
  @DisplayName("every check-in acknowledged before a SIGKILL is there after restarting on the same data folder")
  void killedRightAfterAcks() throws Exception {
    Map<String, String> env = Map.of("HUB_RATE_LIMITS", "off");
    Vertx vertx = Vertx.vertx();
    Map<Long, String> acked = new ConcurrentHashMap<>();
    String phone = "+15554000001";
    String token;
    try {
      try (HubProcess hub = HubProcess.start(dir, env); Api api = new Api(vertx, hub.port())) {
        token = api.login(phone);
        WsClient ws = WsClient.authed(vertx, hub.port(), token);
        CountDownLatch enough = new CountDownLatch(KILL_AFTER_ACKS);
        ws.ws.textMessageHandler(text -> {
          try {
            JsonNode n = Api.JSON.readTree(text);
            if ("ack".equals(n.path("type").asText())) {
              acked.put(n.path("seq").asLong(), n.path("id").asText());
              enough.countDown();
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        for (int i = 0; i < SENT; i++) {
          ws.sendRaw("{\"type\":\"checkin\",\"ref\":\"c" + i + "\",\"status\":\"safe\",\"note\":\"burst " + i + "\"}");
        }
        assertTrue(enough.await(60, TimeUnit.SECONDS), "acks seen: " + acked.size());
        hub.kill();
        ws.close();
      }
      int ackedAtKill = acked.size();
      assertTrue(ackedAtKill >= KILL_AFTER_ACKS);

      try (HubProcess again = HubProcess.start(dir, env); Api api = new Api(vertx, again.port())) {
        Map<Long, String> stored = new HashMap<>();
        long after = 0;
        while (true) {
          JsonNode page = api.get("/api/v1/people/%2B15554000001/checkins?limit=1000&afterSeq=" + after, token).json();
          if (page.size() == 0) {
            break;
          }
          for (JsonNode c : page) {
            stored.put(c.path("seq").asLong(), c.path("id").asText());
            after = c.path("seq").asLong();
          }
        }
        for (Map.Entry<Long, String> e : acked.entrySet()) {
          assertEquals(e.getValue(), stored.get(e.getKey()), "acknowledged check-in seq " + e.getKey() + " lost");
        }
        for (long s = 1; s <= stored.size(); s++) {
          assertTrue(stored.containsKey(s), "seq has a hole at " + s);
        }
        System.out.printf("durability: %d acknowledged before SIGKILL, %d stored after restart (of %d sent)%n",
            ackedAtKill, stored.size(), SENT);
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
