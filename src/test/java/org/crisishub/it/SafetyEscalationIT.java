package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.crisishub.support.Api;
import org.crisishub.support.FakeTwilio;
import org.crisishub.support.TestHub;
import org.crisishub.support.TwilioWebhook;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Safety-check escalation end to end, with short test timings (waves after 2 s and 4 s, due waves
 * looked for every 100 ms): the real Twilio SDK against a fake Twilio, WebSocket and REST clients,
 * the embedded store ({@link SafetyEscalationRedisIT}: Redis).
 */
@DisplayName("Safety checks, escalation: a repeat ask at T1, followers told at T2, follower reports, the person's answer")
class SafetyEscalationIT {
  static final String ADMIN = "escalation-test-admin-token-0123456";
  @TempDir
  static Path dir;
  static FakeTwilio twilio;
  static TestHub hub;
  static TwilioWebhook webhook;
  static Api api;
  static int sids;
  static Map<String, String> env;
  static org.crisishub.support.RedisServer redis;

  @BeforeAll
  static void start(org.junit.jupiter.api.TestInfo info) throws Exception {
    twilio = FakeTwilio.start();
    env = SmsIT.env(twilio, "50");
    env.put("HUB_ADMIN_TOKEN", ADMIN);
    env.put("HUB_SAFETY_WAVE_TICK_MS", "100");
    if (info.getTestClass().orElseThrow() == SafetyEscalationRedisIT.class) {
      redis = org.crisishub.support.RedisServer.startNew();
      env.put("HUB_STORE", "redis");
      env.put("HUB_REDIS_URL", redis.url());
    }
    boot();
    api.createResponder(ADMIN, "pub", "County EMS", "[\"publisher\"]");
  }

  static void boot() throws Exception {
    hub = TestHub.start(dir, env);
    webhook = new TwilioWebhook(hub.vertx, hub.port(), SmsIT.PUBLIC, SmsIT.TOKEN);
    api = new Api(hub.vertx, hub.port());
  }

  static void halt() throws Exception {
    api.close();
    webhook.close();
    hub.close();
  }

  @AfterAll
  static void stop() throws Exception {
    halt();
    twilio.close();
    if (redis != null) {
      redis.close();
      redis = null;
    }
  }

  static void await(String what, BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cond.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  static String text(String from, String body) {
    var r = webhook.sms(from, body, String.format("SM%032d", 700_000 + ++sids));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsString();
  }

  static String person(String phone) throws Exception {
    int before = twilio.acceptedTo(phone).size();
    assertEquals(202, api.post("/api/v1/otp", null, "{\"phone\":\"" + phone + "\"}").status());
    await("the code for " + phone, () -> twilio.acceptedTo(phone).size() > before);
    String body = twilio.acceptedTo(phone).get(twilio.acceptedTo(phone).size() - 1).body();
    String code = body.replaceAll("(?s).*?([0-9]{6}).*", "$1");
    var s = api.post("/api/v1/sessions", null, "{\"phone\":\"" + phone + "\",\"code\":\"" + code + "\"}");
    assertEquals(200, s.status(), s.text());
    return s.json().path("token").asText();
  }

  /** {@code follower} follows {@code subject} (by SMS too when {@code sms}); {@code subject} allows it. */
  static void follow(String followerToken, String follower, String subjectToken, String subject, boolean sms) {
    var r = api.post("/api/v1/follows", followerToken, "{\"phone\":\"" + subject + "\",\"sms\":" + sms + "}");
    assertEquals(201, r.status(), r.text());
    var a = api.post("/api/v1/followers/" + follower.replace("+", "%2B"), subjectToken, "{\"allow\":true}");
    assertEquals(200, a.status(), a.text());
  }

  static List<FakeTwilio.Req> asks(String phone) {
    return twilio.acceptedTo(phone).stream().filter(r -> r.body().contains("Reply SAFE or 1")).toList();
  }

  static List<FakeTwilio.Req> reminders(String phone) {
    return asks(phone).stream().filter(r -> r.body().contains("(reminder)")).toList();
  }

  static JsonNode tallies(String id, String token) {
    var r = api.get("/api/v1/safety-checks/" + id, token);
    assertEquals(200, r.status(), r.text());
    JsonNode t = r.json().path("tallies");
    assertEquals(r.json().path("audienceSize").asLong(), t.path("safe").asLong() + t.path("needHelp").asLong()
        + t.path("noAnswer").asLong() + t.path("unreachable").asLong(), "the four tallies sum to the audience: " + t);
    return t;
  }

  static String startCheck(String pub, String code, String escalation) {
    var d = api.post("/api/v1/incidents/" + code + "/safety-checks", pub, "{\"escalation\":" + escalation + "}");
    assertEquals(201, d.status(), d.text());
    String id = d.json().path("id").asText();
    var s = api.post("/api/v1/safety-checks/" + id + "/start", pub, null);
    assertEquals(200, s.status(), s.text());
    return id;
  }

  @Test
  @DisplayName("T1: the unanswered asked once more by SMS; T2: their active followers told (label, frame, SMS);"
      + " only a reached active follower reports, counted apart; the person told, never who; the own answer wins")
  void wavesAndReports() throws Exception {
    String pub = api.responderLogin("pub");
    assertEquals(201, api.post("/api/v1/incidents", pub, "{\"code\":\"ESC1\",\"name\":\"Flood\"}").status());
    // Keyword watch matches reported need_help notes too (the contract: "own and reported").
    assertEquals(200, api.call(io.vertx.core.http.HttpMethod.PUT, "/api/v1/incidents/ESC1/watch-terms", pub,
        "{\"terms\":[\"door\"]}").status());
    String s = "+15558000001";
    String o = "+15558000002";
    String f1 = "+15558000011";
    String f2 = "+15558000012";
    String f3 = "+15558000013";
    String stranger = "+15558000014";
    assertTrue(text(s, "JOIN ESC1").contains("ESC1"));
    assertTrue(text(o, "JOIN ESC1").contains("ESC1"));
    String sTok = person(s);
    String oTok = person(o);
    String f1Tok = person(f1);
    String f2Tok = person(f2);
    String f3Tok = person(f3);
    String strangerTok = person(stranger);
    follow(f1Tok, f1, sTok, s, true);
    follow(f2Tok, f2, sTok, s, false);
    follow(f1Tok, f1, oTok, o, true);
    assertEquals(201, api.post("/api/v1/follows", f3Tok, "{\"phone\":\"" + s + "\"}").status(), "pending only");
    assertEquals(200, api.call(io.vertx.core.http.HttpMethod.PUT, "/api/v1/follows/" + s.replace("+", "%2B"), f1Tok,
        "{\"label\":\"Mom\"}").status());
    SmsIT.awaitOutboxEmpty(hub);

    try (WsClient f1Ws = WsClient.authed(hub.vertx, hub.port(), f1Tok);
         WsClient f2Ws = WsClient.authed(hub.vertx, hub.port(), f2Tok);
         WsClient sWs = WsClient.authed(hub.vertx, hub.port(), sTok)) {
      long t0 = System.nanoTime();
      String id = startCheck(pub, "ESC1", "{\"repeatAfterSeconds\":2,\"followersAfterSeconds\":4}");
      assertEquals(id, sWs.next("safety_check").path("id").asText());
      await("the first asks", () -> asks(s).size() == 1 && asks(o).size() == 1);
      assertTrue(text(o, "1").contains("SAFE"), "O answers before T1");

      // Before the escalation reached them, a follower's report is refused: 409; not an active follower: 403.
      String reportBody = "{\"phone\":\"" + s + "\",\"status\":\"need_help\",\"note\":\"no answer at the door\"}";
      assertEquals(409, api.post("/api/v1/safety-checks/" + id + "/answers", f1Tok, reportBody).status());
      assertEquals(403, api.post("/api/v1/safety-checks/" + id + "/answers", f3Tok, reportBody).status());
      assertEquals(403, api.post("/api/v1/safety-checks/" + id + "/answers", strangerTok, reportBody).status());

      // T1: S (unanswered) is asked once more by SMS; O (answered) is not.
      await("the repeat ask", () -> reminders(s).size() == 1);
      double t1 = (reminders(s).get(0).atNanos() - t0) / 1e9;
      assertTrue(t1 >= 1.9, "the repeat came after repeatAfterSeconds: " + t1 + " s");
      assertTrue(reminders(s).get(0).body().startsWith("Crisis Hub ESC1 (reminder): Are you safe?"),
          reminders(s).get(0).body());

      // T2: S's active followers are told: frames to both, an SMS (with F1's own label) to the SMS follower.
      JsonNode u1 = f1Ws.next("unanswered");
      double t2 = (System.nanoTime() - t0) / 1e9;
      assertTrue(t2 >= 3.9, "followers told after followersAfterSeconds: " + t2 + " s");
      assertEquals(id, u1.path("check").asText());
      assertEquals("ESC1", u1.path("incident").asText());
      assertEquals(s, u1.path("phone").asText());
      assertEquals(s, f2Ws.next("unanswered").path("phone").asText());
      await("F1's SMS", () -> twilio.acceptedTo(f1).stream().anyMatch(r -> r.body().contains("Heard from them?")));
      List<FakeTwilio.Req> toF1 = twilio.acceptedTo(f1).stream().filter(r -> r.body().contains("Heard from")).toList();
      assertEquals(1, toF1.size(), "about S only (O answered): " + toF1);
      assertEquals("Mom has not answered the ESC1 safety check. Heard from them?", toF1.get(0).body());
      assertTrue(twilio.requests().stream().noneMatch(r -> r.to().equals(f2) && r.body().contains("Heard from")),
          "F2 follows without SMS");

      // F1 reports S in need of help: counted apart, S stays in noAnswer, never a check-in of S.
      var rep = api.post("/api/v1/safety-checks/" + id + "/answers", f1Tok, reportBody);
      assertEquals(201, rep.status(), rep.text());
      assertEquals(id, rep.json().path("check").asText());
      assertEquals(s, rep.json().path("phone").asText());
      assertEquals("need_help", rep.json().path("status").asText());
      assertEquals("no answer at the door", rep.json().path("note").asText());
      JsonNode t = tallies(id, pub);
      assertEquals(1, t.path("reportedNeedHelp").asInt(), t.toString());
      assertEquals(0, t.path("reportedSafe").asInt(), t.toString());
      assertEquals(1, t.path("noAnswer").asInt(), "S is still unanswered: " + t);
      assertEquals(1, t.path("safe").asInt(), "O: " + t);
      JsonNode told = sWs.next("reported");
      assertEquals(id, told.path("check").asText());
      assertEquals("need_help", told.path("status").asText());
      assertFalse(told.toString().contains(f1), "the person is never told who: " + told);
      var status = api.get("/api/v1/people/" + s.replace("+", "%2B") + "/status", sTok);
      assertFalse(status.text().contains("no answer at the door"), "a report is never the person's check-in");

      // Responders see who; the reported call for help is in the queue, marked, without a location.
      var rows = api.get("/api/v1/safety-checks/" + id + "/people?state=no_answer", pub);
      assertEquals(200, rows.status(), rows.text());
      JsonNode row = rows.json().get(0);
      assertEquals(s, row.path("phone").asText());
      assertEquals("need_help", row.path("report").path("status").asText(), row.toString());
      assertEquals(f1, row.path("report").path("by").asText(), row.toString());
      var help = api.get("/api/v1/incidents/ESC1/help", pub);
      JsonNode reported = null;
      for (JsonNode h : help.json()) {
        if (h.path("reported").asBoolean()) {
          reported = h;
        }
      }
      assertTrue(reported != null, help.text());
      assertEquals(s, reported.path("phone").asText());
      assertEquals("no answer at the door", reported.path("note").asText());
      assertEquals("need_help", reported.path("status").asText());
      assertFalse(reported.has("location"), "never the person's location");
      assertEquals("high", reported.path("priority").asText(), "its note matched a watch term: " + reported);
      assertEquals("[\"door\"]", reported.path("matched").toString());

      // S's own answer: counted as S's, ends the escalation for S; later reports are refused.
      var own = api.post("/api/v1/safety-checks/" + id + "/answers", sTok, "{\"status\":\"safe\"}");
      assertEquals(201, own.status(), own.text());
      assertEquals(409, api.post("/api/v1/safety-checks/" + id + "/answers", f2Tok,
          "{\"phone\":\"" + s + "\",\"status\":\"safe\"}").status(), "after the person answered");
      t = tallies(id, pub);
      assertEquals(2, t.path("safe").asInt(), t.toString());
      assertEquals(0, t.path("noAnswer").asInt(), t.toString());
      assertEquals(1, t.path("reportedNeedHelp").asInt(), "the report still counts apart: " + t);
      var after = api.get("/api/v1/incidents/ESC1/help", pub);
      for (JsonNode h : after.json()) {
        assertFalse(h.path("reported").asBoolean(), "answered themself: the reported call left the queue");
      }
      SmsIT.awaitOutboxEmpty(hub);
      assertEquals(2, asks(s).size(), "S: the first ask and one repeat");
      assertEquals(1, asks(o).size(), "O answered before T1: asked once");
    }
  }

  @Test
  @DisplayName("a running check's wave survives a restart of the hub (embedded store): the repeat comes once")
  void survivesRestart() throws Exception {
    // The restart of an embedded hub; on Redis, ClusterIT kills a node mid-wave instead.
    org.junit.jupiter.api.Assumptions.assumeTrue(redis == null, "embedded store only");
    String pub = api.responderLogin("pub");
    assertEquals(201, api.post("/api/v1/incidents", pub, "{\"code\":\"ESC2\",\"name\":\"Storm\"}").status());
    String p = "+15558000101";
    assertTrue(text(p, "JOIN ESC2").contains("ESC2"));
    String id = startCheck(pub, "ESC2", "{\"repeatAfterSeconds\":3}");
    await("the first ask", () -> asks(p).size() == 1);
    try {
      halt();
    } finally {
      boot();
    }
    await("the repeat after the restart", () -> reminders(p).size() == 1);
    SmsIT.awaitOutboxEmpty(hub);
    assertEquals(1, reminders(p).size());
    assertEquals("running", api.get("/api/v1/safety-checks/" + id, api.responderLogin("pub")).json()
        .path("state").asText());
    assertTrue(Files.isDirectory(dir));
  }
}
