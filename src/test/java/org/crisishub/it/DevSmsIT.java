package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Dev SMS: the simulator endpoints behave exactly like the Twilio webhook")
class DevSmsIT {
  @TempDir
  Path dir;

  static String say(Api api, String from, String body) {
    var r = api.post("/dev/sms/inbound", null, Api.JSON.createObjectNode().put("from", from).put("body", body).toString());
    assertEquals(200, r.status(), r.text());
    return r.json().path("reply").asText();
  }

  static JsonNode awaitMessage(Api api, String to, String containing) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      for (JsonNode m : api.get("/dev/sms/messages?to=" + to.replace("+", "%2B"), null).json()) {
        if (m.path("body").asText().contains(containing)) {
          return m;
        }
      }
      assertTrue(System.nanoTime() < deadline, "no SMS to " + to + " containing " + containing);
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  @Test
  @DisplayName("follow, consent and a check-in by simulated SMS reach the follower's (simulated) phone")
  void simulatedConversation() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_SMS_RATE", "20")); Api api = new Api(hub.vertx, hub.port())) {
      var page = api.get("/dev/sms", null);
      assertEquals(200, page.status());
      assertTrue(page.text().contains("SMS simulator"));
      String a = "+15558000001", b = "+15558000002";
      assertTrue(say(api, b, "FOLLOW " + a).contains("Asked " + a));
      awaitMessage(api, a, b + " asks to see your safety status");
      assertTrue(say(api, a, "YES").contains(b + " can now see your status"));
      assertTrue(say(api, a, "SAFE at the library").contains("Told 1 follower."));
      JsonNode m = awaitMessage(api, b, "at the library");
      assertTrue(m.path("at").asText().endsWith("Z"));
      assertEquals(400, api.post("/dev/sms/inbound", null, "{\"body\":\"SAFE\"}").status(), "from is required");
      assertEquals(400, api.post("/dev/sms/inbound", null, "{\"from\":\"nope\",\"body\":\"SAFE\"}").status());
      assertEquals(400, api.post("/dev/sms/inbound", null, "not json").status());
    }
  }

  static int[] statuses(Api api, String... headers) {
    return new int[] {
        api.call(io.vertx.core.http.HttpMethod.GET, "/dev/sms", null, null, headers).status(),
        api.call(io.vertx.core.http.HttpMethod.GET, "/dev/sms/messages", null, null, headers).status(),
        api.call(io.vertx.core.http.HttpMethod.POST, "/dev/sms/inbound", null,
            "{\"from\":\"+15558000009\",\"body\":\"HELP\"}", headers).status()};
  }

  @Test
  @DisplayName("the dev endpoints answer loopback clients only: X-Forwarded-For from an untrusted peer, or a remote"
      + " client behind a trusted proxy, gets 403")
  void loopbackOnly() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of()); Api api = new Api(hub.vertx, hub.port())) {
      assertEquals("[200, 200, 200]", java.util.Arrays.toString(statuses(api)), "a loopback client");
      assertEquals("[403, 403, 403]", java.util.Arrays.toString(statuses(api, "X-Forwarded-For", "127.0.0.1")),
          "X-Forwarded-For from a peer that is no trusted proxy: remote, whatever it says");
      var refused = api.call(io.vertx.core.http.HttpMethod.GET, "/dev/sms/messages", null, null,
          "X-Forwarded-For", "203.0.113.7");
      assertEquals("forbidden", refused.errorCode());
      assertTrue(refused.json().path("error").path("message").asText().contains("HUB_DEV_SMS_OPEN"));
      assertEquals(200, api.get("/health/live", null).status());
    }
  }

  @Test
  @DisplayName("behind a trusted proxy the forwarded client decides; HUB_DEV_SMS_OPEN=true opens the endpoints to all")
  void trustedProxyAndOpen() throws Exception {
    try (TestHub hub = TestHub.start(dir.resolve("proxy"), Map.of("HUB_TRUSTED_PROXIES", "127.0.0.1"));
         Api api = new Api(hub.vertx, hub.port())) {
      assertEquals("[403, 403, 403]", java.util.Arrays.toString(statuses(api, "X-Forwarded-For", "203.0.113.7")));
      assertEquals("[403, 403, 403]", java.util.Arrays.toString(statuses(api, "X-Forwarded-For",
          "127.0.0.1, 203.0.113.7")), "the right-most untrusted hop is the client");
      assertEquals("[200, 200, 200]", java.util.Arrays.toString(statuses(api, "X-Forwarded-For", "::1")));
      assertEquals("[200, 200, 200]", java.util.Arrays.toString(statuses(api)));
    }
    try (TestHub hub = TestHub.start(dir.resolve("open"), Map.of("HUB_DEV_SMS_OPEN", "true"));
         Api api = new Api(hub.vertx, hub.port())) {
      assertEquals("[200, 200, 200]", java.util.Arrays.toString(statuses(api, "X-Forwarded-For", "203.0.113.7")));
    }
  }
}
