package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.crisishub.domain.CheckIn;
import org.crisishub.support.FakeTwilio;
import org.crisishub.support.TestHub;
import org.crisishub.support.TwilioWebhook;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("SMS through the real Twilio SDK against a fake Twilio server")
class SmsIT {
  public static final String TOKEN = "test-auth-token-0123456789";
  public static final String PUBLIC = "https://hub.example.org";
  static final AtomicInteger NEXT = new AtomicInteger(100);
  static final AtomicInteger SIDS = new AtomicInteger();

  @TempDir
  static Path dir;
  static FakeTwilio twilio;
  static TestHub hub;
  static TwilioWebhook webhook;

  public static Map<String, String> env(FakeTwilio twilio, String rate) {
    Map<String, String> env = new HashMap<>();
    env.put("HUB_SMS", "twilio");
    env.put("HUB_TWILIO_ACCOUNT_SID", FakeTwilio.ACCOUNT);
    env.put("HUB_TWILIO_AUTH_TOKEN", TOKEN);
    env.put("HUB_TWILIO_FROM", "+15550009999");
    env.put("HUB_TWILIO_API_BASE", twilio.baseUrl());
    env.put("HUB_PUBLIC_URL", PUBLIC);
    env.put("HUB_SMS_RATE", rate);
    env.put("HUB_SMS_RETRY_BASE_MS", "200");
    env.put("HUB_ADMIN_TOKEN", "sms-test-admin-token-0123456789");
    return env;
  }

  @BeforeAll
  static void start() throws Exception {
    twilio = FakeTwilio.start();
    hub = TestHub.start(dir, env(twilio, "50"));
    webhook = new TwilioWebhook(hub.vertx, hub.port(), PUBLIC, TOKEN);
  }

  @AfterAll
  static void stop() throws Exception {
    webhook.close();
    hub.close();
    twilio.close();
  }

  static String newPhone() {
    return "+1555600" + String.format("%04d", NEXT.incrementAndGet());
  }

  static String sid() {
    return String.format("SM%032d", SIDS.incrementAndGet());
  }

  /** Texts {@code body} from {@code from}; returns the TwiML reply. */
  public static String text(TwilioWebhook w, String from, String body) {
    var r = w.sms(from, body, sid());
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertTrue(r.getHeader("Content-Type").startsWith("text/xml"));
    return r.bodyAsString();
  }

  static void await(String what, BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!cond.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  static void awaitOutboxEmpty(TestHub h) throws Exception {
    await("an empty outbox", () -> {
      try {
        return h.hub.store().outboxStats(java.time.Instant.now()).await(5, TimeUnit.SECONDS).waiting() == 0;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  /** B follows A by SMS and A says YES. */
  public static void smsFollow(TwilioWebhook w, String a, String b) {
    assertTrue(text(w, b, "follow " + a).contains("Asked"));
    assertTrue(text(w, a, "yes").contains("can now see your status"));
  }

  @Test
  @DisplayName("A texts SAFE at the school: A's SMS follower B gets exactly one SMS with that note")
  void safeReachesSmsFollower() throws Exception {
    String a = newPhone(), b = newPhone();
    smsFollow(webhook, a, b);
    String reply = text(webhook, a, "SAFE at the school");
    assertTrue(reply.contains("Recorded: you are SAFE (#1). Told 1 follower."), reply);
    await("B's SMS", () -> !twilio.acceptedTo(b).isEmpty());
    awaitOutboxEmpty(hub);
    List<FakeTwilio.Req> toB = twilio.acceptedTo(b).stream().filter(r -> r.body().contains("at the school")).toList();
    assertEquals(1, toB.size(), twilio.acceptedTo(b).toString());
    assertTrue(toB.get(0).body().contains(a + " is SAFE: at the school"), toB.get(0).body());
    assertEquals("+15550009999", toB.get(0).from());
    assertEquals(PUBLIC + "/sms/status", toB.get(0).statusCallback());
    assertTrue(twilio.acceptedTo(a).stream().anyMatch(r -> r.body().contains(b + " asks to see your safety status")),
        "A was asked by SMS");
  }

  @Test
  @DisplayName("an unsigned or wrongly signed webhook gets 403 and changes nothing")
  void unsignedIsRefused() throws Exception {
    String a = newPhone();
    Map<String, String> params = Map.of("From", a, "Body", "SAFE forged", "MessageSid", sid());
    assertEquals(403, webhook.post("/sms/inbound", params, "").statusCode());
    assertEquals(403, webhook.post("/sms/inbound", params, "bm90IGEgc2lnbmF0dXJl").statusCode());
    String otherUrl = TwilioWebhook.sign(TOKEN, "https://evil.example.com/sms/inbound", params);
    assertEquals(403, webhook.post("/sms/inbound", params, otherUrl).statusCode());
    String otherToken = TwilioWebhook.sign("another-token", PUBLIC + "/sms/inbound", params);
    assertEquals(403, webhook.post("/sms/inbound", params, otherToken).statusCode());
    assertTrue(hub.hub.store().latest(a).await(5, TimeUnit.SECONDS).isEmpty(), "nothing stored");
    assertTrue(hub.hub.store().inboundReply(params.get("MessageSid")).await(5, TimeUnit.SECONDS).isEmpty());
  }

  @Test
  @DisplayName("the same MessageSid twice is answered twice but makes one check-in")
  void repeatedMessageSid() throws Exception {
    String a = newPhone();
    String dup = sid();
    var first = webhook.sms(a, "SOS stuck on the roof", dup);
    var second = webhook.sms(a, "SOS stuck on the roof", dup);
    assertEquals(200, second.statusCode());
    assertEquals(first.bodyAsString(), second.bodyAsString());
    List<CheckIn> all = hub.hub.store().history(a, 0, 10).await(5, TimeUnit.SECONDS);
    assertEquals(1, all.size());
    assertEquals("stuck on the roof", all.get(0).note());
    assertEquals("sms", all.get(0).channel().wire());
  }

  @Test
  @DisplayName("429 then 201: the SMS is sent once, after a backoff")
  void retriedAfter429() throws Exception {
    String a = newPhone(), b = newPhone();
    smsFollow(webhook, a, b);
    awaitOutboxEmpty(hub);
    int before = twilio.requests().size();
    twilio.script(429);
    text(webhook, a, "SAFE after 429");
    await("B's SMS", () -> twilio.acceptedTo(b).stream().anyMatch(r -> r.body().contains("after 429")));
    awaitOutboxEmpty(hub);
    List<FakeTwilio.Req> attempts = twilio.requests().subList(before, twilio.requests().size()).stream()
        .filter(r -> r.body().contains("after 429")).toList();
    assertEquals(2, attempts.size(), attempts.toString());
    assertEquals(429, attempts.get(0).answered());
    assertEquals(201, attempts.get(1).answered());
    assertTrue(attempts.get(1).atNanos() - attempts.get(0).atNanos() >= TimeUnit.MILLISECONDS.toNanos(100),
        "waited before retrying");
    assertTrue(hub.hub.registry().find("hub.sms.rate_limited").counter().count() >= 1);
  }

  @Test
  @DisplayName("500 then 201: exactly two attempts (the SDK does not retry by itself), sent once")
  void retriedAfter500() throws Exception {
    String a = newPhone(), b = newPhone();
    smsFollow(webhook, a, b);
    awaitOutboxEmpty(hub);
    twilio.script(500);
    text(webhook, a, "SAFE after 500");
    await("B's SMS", () -> twilio.acceptedTo(b).stream().anyMatch(r -> r.body().contains("after 500")));
    awaitOutboxEmpty(hub);
    List<FakeTwilio.Req> attempts = twilio.requests().stream().filter(r -> r.body().contains("after 500")).toList();
    assertEquals(List.of(500, 201), attempts.stream().map(FakeTwilio.Req::answered).toList());
  }

  @Test
  @DisplayName("an invalid number (400, error 21211) is not retried")
  void permanentFailure() throws Exception {
    String a = newPhone(), b = newPhone();
    smsFollow(webhook, a, b);
    awaitOutboxEmpty(hub);
    double failed = outcome("failed");
    twilio.script(400);
    text(webhook, a, "SAFE to a bad number");
    awaitOutboxEmpty(hub);
    assertEquals(1, twilio.requests().stream().filter(r -> r.body().contains("to a bad number")).count());
    assertEquals(failed + 1, outcome("failed"), "hub_sms_outcomes_total{outcome=failed}");
  }

  @Test
  @DisplayName("Twilio refuses an unsubscribed number (21610): counted as opted out, and not sent to again")
  void unsubscribedAtTwilio() throws Exception {
    String a = newPhone(), b = newPhone();
    smsFollow(webhook, a, b);
    awaitOutboxEmpty(hub);
    double optedOut = outcome("opted_out");
    double sent = outcome("sent");
    twilio.script(FakeTwilio.UNSUBSCRIBED);
    text(webhook, a, "SAFE to an unsubscribed number");
    awaitOutboxEmpty(hub);
    assertEquals(optedOut + 1, outcome("opted_out"), "hub_sms_outcomes_total{outcome=opted_out}");
    assertEquals(sent, outcome("sent"));
    text(webhook, a, "SAFE after 21610");
    awaitOutboxEmpty(hub);
    assertFalse(twilio.requests().stream().anyMatch(r -> r.to().equals(b) && r.body().contains("after 21610")),
        "the opt-out Twilio reported is remembered");
  }

  @Test
  @DisplayName("STOP: no further SMS to that number, no replies until START")
  void stopAndStart() throws Exception {
    String a = newPhone(), b = newPhone();
    smsFollow(webhook, a, b);
    assertTrue(text(webhook, b, "stop").contains("no more messages"));
    awaitOutboxEmpty(hub);
    double optedOut = outcome("opted_out");
    text(webhook, a, "SAFE while b opted out");
    assertEquals("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>", text(webhook, b, "STATUS " + a),
        "no reply while opted out");
    awaitOutboxEmpty(hub);
    assertFalse(twilio.requests().stream().anyMatch(r -> r.to().equals(b) && r.body().contains("opted out")));
    assertEquals(optedOut + 1, outcome("opted_out"), "the status SMS withheld from b counts as opted_out");
    assertTrue(text(webhook, b, "START").contains("messages are on again"));
    text(webhook, a, "SAFE after start");
    await("B's SMS after START", () -> twilio.acceptedTo(b).stream().anyMatch(r -> r.body().contains("after start")));
  }

  static int codeRequest(String phone) {
    try (org.crisishub.support.Api api = new org.crisishub.support.Api(hub.vertx, hub.port())) {
      return api.post("/api/v1/otp", null, "{\"phone\":\"" + phone + "\"}").status();
    }
  }

  static long requestsTo(String phone) {
    return twilio.requests().stream().filter(r -> r.to().equals(phone)).count();
  }

  @Test
  @DisplayName("opt-out: no one-time code to a number that sent STOP (202 as usual); HELP is still answered")
  void noCodeAfterStop() throws Exception {
    String a = newPhone();
    assertTrue(text(webhook, a, "STOP").contains("no more messages"));
    double optedOut = outcome("opted_out");
    assertEquals(202, codeRequest(a), "the same answer as for any number: no enumeration");
    assertEquals(0, requestsTo(a), "nothing was texted to the opted-out number");
    assertEquals(optedOut + 1, outcome("opted_out"), "the code withheld counts as opted_out");
    assertTrue(text(webhook, a, "HELP").contains("SAFE"), "carrier rules: HELP is answered even when opted out");
    assertEquals("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>", text(webhook, a, "SAFE"));
    assertTrue(text(webhook, a, "START").contains("messages are on again"));
    assertEquals(202, codeRequest(a));
    assertEquals(1, twilio.acceptedTo(a).size(), "after START codes are sent again");
  }

  @Test
  @DisplayName("opt-out: a Twilio 21610 on a code send or an outbox send records the opt-out; nothing is texted after")
  void unsubscribedAnswerIsRecorded() throws Exception {
    awaitOutboxEmpty(hub);
    String b = newPhone();
    twilio.script(FakeTwilio.UNSUBSCRIBED);
    assertEquals(202, codeRequest(b), "a refused code send still answers 202");
    assertEquals(1, requestsTo(b));
    assertEquals(202, codeRequest(b));
    assertEquals(1, requestsTo(b), "the 21610 was recorded: no second try");

    String a = newPhone(), d = newPhone();
    smsFollow(webhook, a, d);
    awaitOutboxEmpty(hub);
    long before = requestsTo(d);
    twilio.script(FakeTwilio.UNSUBSCRIBED);
    text(webhook, a, "SAFE first");
    awaitOutboxEmpty(hub);
    assertEquals(before + 1, requestsTo(d), "one refused attempt, not retried");
    text(webhook, a, "SAFE second");
    assertEquals(202, codeRequest(d));
    awaitOutboxEmpty(hub);
    assertEquals(before + 1, requestsTo(d), "nothing more texted to d: not the notification, not a code");
    assertTrue(hub.hub.store().isSmsOptedOut(d).await(5, TimeUnit.SECONDS));

    // A 21610 that comes later, in a delivery report, records the opt-out too.
    String e = newPhone();
    var report = webhook.post("/sms/status", Map.of("MessageSid", sid(), "MessageStatus", "undelivered",
        "ErrorCode", "21610", "To", e, "From", "+15550009999"), null);
    assertEquals(200, report.statusCode(), report.bodyAsString());
    assertTrue(hub.hub.store().isSmsOptedOut(e).await(5, TimeUnit.SECONDS));
    assertEquals(202, codeRequest(e));
    assertEquals(0, requestsTo(e));
  }

  @Test
  @DisplayName("commands are forgiving and answered in Spanish for Spanish keywords")
  void grammar() {
    String a = newPhone(), b = newPhone();
    assertTrue(text(webhook, a, "  bien, en casa ").contains("Registrado: estas A SALVO"));
    assertTrue(text(webhook, a, "Socorro!").contains("NECESITAS AYUDA"));
    assertTrue(text(webhook, a, "ayuda").contains("BIEN nota"));
    assertTrue(text(webhook, a, "what?").contains("SAFE note"));
    String national = "(" + b.substring(2, 5) + ") " + b.substring(5, 8) + "-" + b.substring(8);
    assertTrue(text(webhook, a, "Follow: " + national).contains("Asked " + b));
    assertTrue(text(webhook, a, "FOLLOW").contains("Add a phone number"));
    assertTrue(text(webhook, a, "FOLLOW banana").contains("not understood"));
    assertTrue(text(webhook, a, "status " + b).contains("No status of " + b));
    assertTrue(text(webhook, b, "NO").contains(a + " cannot see your status"));
    assertTrue(text(webhook, a, "join flood7").contains("FLOOD7"));
    assertTrue(text(webhook, a, "LEAVE FLOOD7").contains("No more notices for FLOOD7"));
  }

  @Test
  @DisplayName("several pending requests: a bare YES lists them; YES <number> answers one")
  void severalPending() {
    String a = newPhone(), b = newPhone(), c = newPhone();
    text(webhook, b, "FOLLOW " + a);
    text(webhook, c, "FOLLOW " + a);
    String list = text(webhook, a, "YES");
    assertTrue(list.contains(b) && list.contains(c), list);
    assertTrue(text(webhook, a, "YES " + c).contains(c + " can now see your status"));
    assertTrue(text(webhook, a, "yes").contains(b + " can now see your status"));
    assertTrue(text(webhook, c, "STATUS " + a).contains("No status of"), "no check-in yet");
  }

  @Test
  @DisplayName("the dev SMS endpoints do not exist when HUB_SMS=twilio")
  void noDevEndpoints() {
    try (org.crisishub.support.Api api = new org.crisishub.support.Api(hub.vertx, hub.port())) {
      assertEquals(404, api.get("/dev/sms", null).status());
      assertEquals(404, api.get("/dev/sms/messages", null).status());
      assertEquals(404, api.post("/dev/sms/inbound", null, "{}").status());
    }
  }

  @Test
  @DisplayName("JOIN: a published notice reaches joined numbers through Twilio (not the STOPped one); SOS goes to triage")
  void joinNoticesAndTriage() throws Exception {
    try (org.crisishub.support.Api api = new org.crisishub.support.Api(hub.vertx, hub.port())) {
      String admin = "sms-test-admin-token-0123456789";
      assertEquals(201, api.post("/api/v1/admin/responders", admin, "{\"username\":\"dispatch\",\"password\":"
          + "\"long enough password\",\"agency\":\"City OEM\",\"roles\":[\"publisher\",\"approver\"]}").status());
      String token = api.post("/api/v1/responders/sessions", null,
          "{\"username\":\"dispatch\",\"password\":\"long enough password\"}").json().path("token").asText();
      assertEquals(201, api.post("/api/v1/incidents", token, "{\"code\":\"QUAKE3\",\"name\":\"Quake\"}").status());
      String joined = newPhone(), stopped = newPhone();
      String typo = text(webhook, joined, "JOIN QUAKE33");
      assertTrue(typo.contains("no open incident QUAKE33"), "a code that names no incident is not promised: " + typo);
      assertTrue(text(webhook, joined, "UNIRSE NADA1").contains("No hay un incidente abierto NADA1"));
      assertTrue(text(webhook, joined, "JOIN quake3").contains("You will get official notices for QUAKE3"));
      text(webhook, stopped, "JOIN QUAKE3");
      text(webhook, stopped, "STOP");
      String id = api.post("/api/v1/notices", token, "{\"incident\":\"QUAKE3\",\"headline\":\"Aftershocks expected\","
          + "\"body\":\"Stay outside buildings.\",\"severity\":\"Severe\",\"urgency\":\"Expected\","
          + "\"certainty\":\"Likely\"}").json().path("id").asText();
      assertEquals(200, api.post("/api/v1/notices/" + id + "/publish", token, null).status());
      await("the notice SMS", () -> twilio.acceptedTo(joined).stream().anyMatch(r -> r.body().contains("Aftershocks")));
      awaitOutboxEmpty(hub);
      assertTrue(twilio.acceptedTo(joined).stream().filter(r -> r.body().contains("Aftershocks")).findFirst().orElseThrow()
          .body().startsWith("OFFICIAL QUAKE3 (City OEM): Aftershocks expected. Stay outside buildings."));
      assertFalse(twilio.requests().stream().anyMatch(r -> r.to().equals(stopped) && r.body().contains("Aftershocks")));

      // An SOS by SMS from someone who joined the incident lands in its triage queue; the ack is texted back.
      text(webhook, joined, "SOS under rubble, 3rd street");
      var queue = api.get("/api/v1/incidents/QUAKE3/help", token).json();
      assertEquals(1, queue.size());
      assertEquals("under rubble, 3rd street", queue.get(0).path("note").asText());
      assertEquals(200, api.post("/api/v1/help/" + queue.get(0).path("id").asText() + "/ack", token, null).status());
      await("the help ack SMS", () -> twilio.acceptedTo(joined).stream()
          .anyMatch(r -> r.body().contains("a responder has seen your call for help")));
    }
  }

  @Test
  @DisplayName("delivery reports are signed, recorded and counted")
  void deliveryReports() {
    double failed = outcome("failed");
    double delivered = outcome("delivered");
    Map<String, String> report = Map.of("MessageSid", sid(), "MessageStatus", "undelivered", "ErrorCode", "30003");
    assertEquals(403, webhook.post("/sms/status", report, "").statusCode());
    assertEquals(200, webhook.post("/sms/status", report, null).statusCode());
    assertEquals(1.0, hub.hub.registry().find("hub.sms.delivery").tag("status", "undelivered").counter().count());
    assertEquals(200, webhook.post("/sms/status", Map.of("MessageSid", sid(), "MessageStatus", "delivered"), null)
        .statusCode());
    assertEquals(failed + 1, outcome("failed"), "hub_sms_outcomes_total{outcome=failed}");
    assertEquals(delivered + 1, outcome("delivered"), "hub_sms_outcomes_total{outcome=delivered}");
  }

  private static double outcome(String outcome) {
    return hub.hub.registry().find("hub.sms.outcomes").tag("outcome", outcome).counter().count();
  }

  @Test
  @DisplayName("the per-sender rate holds: never more than the burst plus the rate in any second")
  void rateLimit(@TempDir Path own) throws Exception {
    try (FakeTwilio slowTwilio = FakeTwilio.start(); TestHub slow = TestHub.start(own, env(slowTwilio, "2"));
         TwilioWebhook w = new TwilioWebhook(slow.vertx, slow.port(), PUBLIC, TOKEN)) {
      String a = newPhone();
      for (int i = 0; i < 4; i++) {
        String f = newPhone();
        text(w, f, "FOLLOW " + a);
        text(w, a, "YES " + f);
      }
      text(w, a, "SAFE rate test");
      awaitOutboxEmpty(slow);
      List<Long> at = slowTwilio.accepted().stream().map(FakeTwilio.Req::atNanos).sorted().toList();
      assertEquals(8, at.size(), "4 follow requests to A, 4 notifications");
      for (int i = 0; i < at.size(); i++) {
        int inWindow = 0;
        for (long t : at) {
          if (t >= at.get(i) && t < at.get(i) + TimeUnit.MILLISECONDS.toNanos(1000)) {
            inWindow++;
          }
        }
        assertTrue(inWindow <= 3, inWindow + " SMS within one second");
      }
      assertTrue(at.get(at.size() - 1) - at.get(0) >= TimeUnit.MILLISECONDS.toNanos(2500), "8 SMS at 2/s take > 2.5 s");
    }
  }
}
