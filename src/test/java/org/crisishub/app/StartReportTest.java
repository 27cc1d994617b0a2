package org.crisishub.app;

import org.crisishub.config.HubConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The start block")
class StartReportTest {
  private static String describe(Map<String, String> env) {
    return StartReport.describe(HubConfig.load(env), new StartReport.Runtime(8123, "node-1", true, 3));
  }

  @Test
  @DisplayName("on the defaults it names the version, store, cluster, SMS, dev endpoints, admin, limits and address")
  void defaults() {
    String block = describe(Map.of("HUB_HTTP_HOST", "127.0.0.1"));
    String[] lines = block.split("\n");
    assertEquals("Crisis Hub listening on http://127.0.0.1:8123 (store embedded, SMS dev, node node-1)", lines[0]);
    assertTrue(block.contains("\n  version: " + StartReport.version() + "\n"), block);
    assertFalse(StartReport.version().equals("unknown"), "the version file is filtered by Maven");
    assertTrue(block.contains("\n  store: embedded SQLite in "), block);
    assertTrue(block.contains("\n  cluster: off"), block);
    assertTrue(block.contains("\n  sms: dev "), block);
    assertTrue(block.contains("\n  dev endpoints: loopback only\n"), block);
    assertTrue(block.contains("\n  admin: off"), block);
    assertTrue(block.contains("\n  rate limits: on\n"), block);
    assertTrue(block.contains("\n  connections: at most "), block);
    assertTrue(block.contains(" streams per client address (HUB_MAX_CONNECTIONS_PER_IP), headers within 10 s"), block);
    assertTrue(block.contains("\n  network transport: native (epoll)"), block);
    for (int i = 1; i < lines.length; i++) {
      assertTrue(lines[i].matches("  [a-z ]+: .+"), "not a \"  name: value\" line: " + lines[i]);
    }
  }

  @Test
  @DisplayName("in cluster mode with Twilio, an admin token and no rate limits it says so, and shows no secret")
  void clustered() {
    Map<String, String> env = new HashMap<>();
    env.put("HUB_STORE", "redis");
    env.put("HUB_REDIS_URL", "redis://:redis-password@10.0.0.5:6380");
    env.put("HUB_CLUSTER", "true");
    env.put("HUB_TOKEN_SECRET", "a-token-secret-of-at-least-32-characters");
    env.put("HUB_SMS", "twilio");
    env.put("HUB_TWILIO_ACCOUNT_SID", "AC123");
    env.put("HUB_TWILIO_AUTH_TOKEN", "twilio-auth-secret");
    env.put("HUB_TWILIO_FROM", "+15550001111");
    env.put("HUB_ADMIN_TOKEN", "admin-token-long-enough");
    env.put("HUB_RATE_LIMITS", "off");
    String block = describe(env);
    assertTrue(block.contains("\n  store: redis at redis://10.0.0.5:6380 (durability always)"), block);
    assertTrue(block.contains("\n  cluster: on, 3 node(s)"), block);
    assertTrue(block.contains("\n  sms: twilio"), block);
    assertTrue(block.contains("\n  dev endpoints: off\n"), block);
    assertTrue(block.contains("\n  admin: on"), block);
    assertTrue(block.contains("\n  rate limits: OFF"), block);
    for (String secret : new String[] {"redis-password", "a-token-secret", "twilio-auth-secret", "admin-token-long"}) {
      assertFalse(block.contains(secret), "the start block shows a secret: " + block);
    }
  }
}
