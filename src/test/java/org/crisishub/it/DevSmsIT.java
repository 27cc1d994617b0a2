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
}
