package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.crisishub.support.Api;
import org.crisishub.support.FakeTwilio;
import org.crisishub.support.HubProcess;
import org.crisishub.support.TwilioWebhook;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The SMS outbox survives SIGKILL: queued notifications are sent after restart, none twice once confirmed")
class SmsCrashIT {
  @TempDir
  Path dir;

  static void await(String what, BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!cond.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  /** The outbox depth the node reports (-1 before its first reading). */
  static double outboxDepth(Api api) {
    String metrics = api.get("/metrics", null).text();
    for (String line : metrics.split("\n")) {
      if (line.startsWith("hub_sms_outbox_depth ")) {
        return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
      }
    }
    throw new AssertionError("no hub_sms_outbox_depth in /metrics");
  }

  @Test
  @DisplayName("killed with notifications queued and one in flight: all are sent after restart; a third start sends nothing")
  void outboxSurvivesKill() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (FakeTwilio twilio = FakeTwilio.start()) {
      Map<String, String> env = new java.util.HashMap<>(SmsIT.env(twilio, "1"));
      env.put("HUB_TWILIO_TIMEOUT_MS", "60000");
      String a = "+15557000001", b = "+15557000002", c = "+15557000003";
      try (HubProcess first = HubProcess.start(dir, env);
           TwilioWebhook w = new TwilioWebhook(vertx, first.port(), SmsIT.PUBLIC, SmsIT.TOKEN)) {
        SmsIT.smsFollow(w, a, b);
        SmsIT.smsFollow(w, a, c);
        await("the follow requests to A", () -> twilio.acceptedTo(a).size() == 2);
        twilio.hold(true);
        assertTrue(SmsIT.text(w, a, "SAFE crash test").contains("Told 2 followers"));
        await("one notification in flight", () -> twilio.requests().stream().anyMatch(r -> r.answered() == 0));
        first.kill();
      }
      long heldBeforeKill = twilio.requests().stream().filter(r -> r.answered() == 0).count();
      assertTrue(heldBeforeKill >= 1, "at least one notification was in flight at the kill");
      twilio.hold(false);

      try (HubProcess second = HubProcess.start(dir, env); Api api = new Api(vertx, second.port())) {
        await("both notifications accepted", () -> twilio.acceptedTo(b).size() == 1 && twilio.acceptedTo(c).size() == 1);
        await("the node to record both as sent", () -> outboxDepth(api) == 0);
        second.kill();
      }
      int acceptedAfterSecond = twilio.accepted().size();

      try (HubProcess third = HubProcess.start(dir, env); Api api = new Api(vertx, third.port())) {
        await("the third node to read its outbox", () -> outboxDepth(api) >= 0);
        assertEquals(0, outboxDepth(api), "nothing left to send");
      }
      assertEquals(acceptedAfterSecond, twilio.accepted().size(), "nothing was sent again");
      assertTrue(twilio.acceptedTo(b).get(0).body().contains("crash test"));
      assertTrue(twilio.acceptedTo(c).get(0).body().contains("crash test"));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
