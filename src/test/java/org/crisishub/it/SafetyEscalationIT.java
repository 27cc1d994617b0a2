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

  static String enc(String phone) {
    return phone.replace("+", "%2B");
  }

  @Test
  @DisplayName("reported calls for help are help requests: independent per follower (another's safe never removes"
      + " one), acknowledged and resolved (forward only), threaded between responders and the reporter")
  void reportedHelpRequests() throws Exception {
    String pub = api.responderLogin("pub");
    assertEquals(201, api.post("/api/v1/incidents", pub, "{\"code\":\"ESC3\",\"name\":\"Quake\"}").status());
    api.createResponder(ADMIN, "elsewhere", "Other Fire", "[\"publisher\"]");
    String other = api.responderLogin("elsewhere");
    String s = "+15558000201";
    String f1 = "+15558000211";
    String f2 = "+15558000212";
    assertTrue(text(s, "JOIN ESC3").contains("ESC3"));
    String sTok = person(s);
    String f1Tok = person(f1);
    String f2Tok = person(f2);
    follow(f1Tok, f1, sTok, s, false);
    follow(f2Tok, f2, sTok, s, false);
    SmsIT.awaitOutboxEmpty(hub);
    try (WsClient f1Ws = WsClient.authed(hub.vertx, hub.port(), f1Tok);
         WsClient f2Ws = WsClient.authed(hub.vertx, hub.port(), f2Tok)) {
      String id = startCheck(pub, "ESC3", "{\"followersAfterSeconds\":1}");
      assertEquals(s, f1Ws.next("unanswered").path("phone").asText());
      assertEquals(s, f2Ws.next("unanswered").path("phone").asText());
      String answers = "/api/v1/safety-checks/" + id + "/answers";
      var r1 = api.post(answers, f1Tok, "{\"phone\":\"" + s + "\",\"status\":\"need_help\",\"note\":\"trapped\"}");
      assertEquals(201, r1.status(), r1.text());
      String help = r1.json().path("id").asText();
      assertFalse(help.isEmpty(), r1.text());
      // Another follower's later safe report leaves F1's call for help in the queue.
      assertEquals(201, api.post(answers, f2Tok, "{\"phone\":\"" + s + "\",\"status\":\"safe\"}").status());
      JsonNode queued = reported(pub, "ESC3", help);
      assertTrue(queued != null, "F2's safe report never removes F1's request");
      assertEquals("open", queued.path("state").asText());
      assertEquals(f1, queued.path("reportedBy").asText());
      // F1 asks again: the same request, with the new note.
      var again = api.post(answers, f1Tok, "{\"phone\":\"" + s + "\",\"status\":\"need_help\",\"note\":\"water rising\"}");
      assertEquals(help, again.json().path("id").asText(), again.text());
      assertEquals("water rising", reported(pub, "ESC3", help).path("note").asText());

      // Acknowledged like any help request: forward only; another agency's responder is refused.
      assertEquals(403, api.post("/api/v1/help/" + help + "/ack", other, null).status());
      var ack = api.post("/api/v1/help/" + help + "/ack", pub, null);
      assertEquals(200, ack.status(), ack.text());
      assertEquals("acknowledged", ack.json().path("state").asText());
      assertTrue(ack.json().path("reported").asBoolean(), ack.text());
      assertEquals(f1, ack.json().path("reportedBy").asText(), "responders see who reported");
      assertEquals("County EMS", ack.json().path("by").asText());
      JsonNode update = f1Ws.next("help_update");
      assertEquals(help, update.path("id").asText());
      assertEquals("acknowledged", update.path("state").asText());
      assertEquals(409, api.post("/api/v1/help/" + help + "/ack", pub, null).status());
      assertEquals("acknowledged", reported(pub, "ESC3", help).path("state").asText());
      assertEquals(404, api.post("/api/v1/help/no-such-request/ack", pub, null).status());

      // The thread: between the incident's responders and the reporter; nobody else.
      var m1 = api.post("/api/v1/help/" + help + "/messages", pub, "{\"text\":\"Which floor?\"}");
      assertEquals(201, m1.status(), m1.text());
      JsonNode toF1 = f1Ws.next("help_message");
      assertEquals(help, toF1.path("checkin").asText());
      assertEquals("Which floor?", toF1.path("message").path("text").asText());
      var m2 = api.post("/api/v1/help/" + help + "/messages", f1Tok, "{\"text\":\"Second floor\"}");
      assertEquals(201, m2.status(), m2.text());
      assertEquals("person", m2.json().path("from").asText());
      // The reporter's SMS goes into the thread of their newest unresolved call for help: this one.
      text(f1, "Back room, door is stuck");
      await("the reporter's SMS in the thread", () -> api.get("/api/v1/help/" + help + "/messages", pub).json()
          .size() == 3);
      var thread = api.get("/api/v1/help/" + help + "/messages", pub);
      assertEquals(200, thread.status(), thread.text());
      assertEquals("Back room, door is stuck", thread.json().get(2).path("text").asText(), thread.text());
      assertEquals("person", thread.json().get(2).path("from").asText(), thread.text());
      assertEquals(200, api.get("/api/v1/help/" + help + "/messages", f1Tok).status());
      assertEquals(403, api.get("/api/v1/help/" + help + "/messages", sTok).status(), "not the reported person");
      // A person has no agency: the refusal must not speak of one (as for a person's own call for help).
      var notTheirs = api.get("/api/v1/help/" + help, f2Tok);
      assertEquals(403, notTheirs.status(), notTheirs.text());
      assertFalse(notTheirs.text().contains("agency"), notTheirs.text());
      assertEquals(403, api.get("/api/v1/help/" + help + "/messages", f2Tok).status(), "not another follower");
      assertEquals(403, api.post("/api/v1/help/" + help + "/messages", f2Tok, "{\"text\":\"hi\"}").status());
      var summary = api.get("/api/v1/help/" + help, f1Tok);
      assertEquals(200, summary.status(), summary.text());
      assertEquals("acknowledged", summary.json().path("state").asText());

      // Resolved: out of the queue; nothing moves back.
      var res = api.post("/api/v1/help/" + help + "/resolve", pub, null);
      assertEquals(200, res.status(), res.text());
      assertEquals("resolved", res.json().path("state").asText());
      assertEquals("resolved", f1Ws.next("help_update").path("state").asText());
      assertTrue(reported(pub, "ESC3", help) == null, "resolved: out of the queue");
      assertEquals(409, api.post("/api/v1/help/" + help + "/ack", pub, null).status());
      assertEquals(1, tallies(id, pub).path("noAnswer").asInt(), "S is still unanswered");
    }
  }

  /** The reported request {@code id} in the incident's help queue, or null. */
  static JsonNode reported(String token, String code, String id) {
    var q = api.get("/api/v1/incidents/" + code + "/help", token);
    assertEquals(200, q.status(), q.text());
    for (JsonNode h : q.json()) {
      if (h.path("reported").asBoolean() && id.equals(h.path("id").asText())) {
        return h;
      }
    }
    return null;
  }

  @Test
  @DisplayName("a followers-wave batch committed by a node that died before its frames: the node taking the wave"
      + " over sends the unanswered frame (the follower may then report)")
  void framesSurviveTakeover() throws Exception {
    String pub = api.responderLogin("pub");
    assertEquals(201, api.post("/api/v1/incidents", pub, "{\"code\":\"ESC4\",\"name\":\"Fire\"}").status());
    String s = "+15558000301";
    String f = "+15558000311";
    assertTrue(text(s, "JOIN ESC4").contains("ESC4"));
    String sTok = person(s);
    String fTok = person(f);
    follow(fTok, f, sTok, s, false);
    SmsIT.awaitOutboxEmpty(hub);
    try (WsClient fWs = WsClient.authed(hub.vertx, hub.port(), fTok)) {
      String id = startCheck(pub, "ESC4", "{\"followersAfterSeconds\":2}");
      // A node claims the wave (its clock a little ahead, so before this hub's runner), commits the batch
      // that tells F about S, and dies before sending the frame: only the store knows.
      var checks = hub.hub.store().safetyChecks();
      java.time.Instant ahead = java.time.Instant.now().plusSeconds(3);
      java.time.Duration lease = java.time.Duration.ofSeconds(1);
      var claim = checks.claimWave(id, "dead-node", ahead, lease).await(20, TimeUnit.SECONDS).orElseThrow();
      assertEquals("followers", claim.wave());
      var batch = checks.waveBatch(id, "followers", "dead-node", ahead, lease, 10).await(20, TimeUnit.SECONDS)
          .orElseThrow();
      assertEquals(List.of(s), batch.phones());
      var done = checks.waveCommit(id, "followers", "dead-node", ahead, lease, batch.cursor(),
          List.of(new org.crisishub.store.SafetyCheckStore.WaveItem(s, List.of(), List.of(f))))
          .await(20, TimeUnit.SECONDS).orElseThrow();
      assertEquals(1, done.size());
      // After the dead node's lease, this hub takes the wave over: S is done in it, so the frame F gets is
      // the one the dead node owed.
      JsonNode u = fWs.next("unanswered");
      assertEquals(s, u.path("phone").asText());
      assertEquals(id, u.path("check").asText());
      await("the pending frames confirmed", () -> {
        try {
          return checks.pendingFrames(id, 10).await(20, TimeUnit.SECONDS).isEmpty();
        } catch (java.util.concurrent.TimeoutException e) {
          throw new AssertionError(e);
        }
      });
      var rep = api.post("/api/v1/safety-checks/" + id + "/answers", fTok,
          "{\"phone\":\"" + s + "\",\"status\":\"safe\"}");
      assertEquals(201, rep.status(), rep.text());
    }
  }
}
