package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * Safety checks end to end: the real Twilio SDK against a fake Twilio on loopback, WebSocket and
 * REST clients, the embedded store.
 */
@DisplayName("Safety checks: audience, asks, answers on every channel, delivery, tallies, estimate")
class SafetyCheckIT {
  static final String ADMIN = "safety-test-admin-token-0123456789";
  static final double RATE = 4;
  @TempDir
  static Path dir;
  static FakeTwilio twilio;
  static TestHub hub;
  static TwilioWebhook webhook;
  static Api api;
  static int sids;

  static org.crisishub.support.RedisServer redis;

  /** The embedded store, or for {@link SafetyCheckRedisIT} a real redis-server of the test's own. */
  @BeforeAll
  static void start(org.junit.jupiter.api.TestInfo info) throws Exception {
    if (info.getTestClass().orElseThrow() == SafetyCheckRedisIT.class) {
      redis = org.crisishub.support.RedisServer.startNew();
      boot(Map.of("HUB_STORE", "redis", "HUB_REDIS_URL", redis.url()));
    } else {
      boot(Map.of());
    }
  }

  /** Starts the fake Twilio and a hub with {@code extra} settings (the store, for the Redis run). */
  static void boot(Map<String, String> extra) throws Exception {
    twilio = FakeTwilio.start();
    Map<String, String> env = SmsIT.env(twilio, String.valueOf(RATE));
    env.put("HUB_ADMIN_TOKEN", ADMIN);
    env.putAll(extra);
    hub = TestHub.start(dir, env);
    webhook = new TwilioWebhook(hub.vertx, hub.port(), SmsIT.PUBLIC, SmsIT.TOKEN);
    api = new Api(hub.vertx, hub.port());
    responder("pub", "County EMS", "[\"publisher\"]");
    responder("app", "County EMS", "[\"approver\"]");
    responder("far", "Other Agency", "[\"publisher\",\"approver\"]");
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    webhook.close();
    hub.close();
    twilio.close();
    if (redis != null) {
      redis.close();
      redis = null;
    }
  }

  static void responder(String user, String agency, String roles) {
    api.createResponder(ADMIN, user, agency, roles);
  }

  static String login(String user) {
    return api.responderLogin(user);
  }

  /** A person's session through the real one-time-code flow, the code read from the fake Twilio. */
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

  static void await(String what, BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cond.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  static String text(String from, String body) {
    var r = webhook.sms(from, body, String.format("SM%032d", 900_000 + ++sids));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsString();
  }

  static List<FakeTwilio.Req> asks(String phone) {
    return twilio.acceptedTo(phone).stream().filter(r -> r.body().contains("Reply SAFE or 1")).toList();
  }

  static JsonNode check(String id, String token) {
    var r = api.get("/api/v1/safety-checks/" + id, token);
    assertEquals(200, r.status(), r.text());
    JsonNode t = r.json().path("tallies");
    assertEquals(r.json().path("audienceSize").asLong(), t.path("safe").asLong() + t.path("needHelp").asLong()
        + t.path("noAnswer").asLong() + t.path("unreachable").asLong(), "the four tallies sum to the audience: " + t);
    return r.json();
  }

  static Set<String> phones(JsonNode people) {
    Set<String> s = new TreeSet<>();
    people.forEach(p -> s.add(p.path("phone").asText()));
    return s;
  }

  @Test
  @DisplayName("joined, in-area and listed numbers (once each) are asked by frame and SMS and answer on every channel")
  void endToEnd() throws Exception {
    String pub = login("pub");
    String app = login("app");
    String far = login("far");
    assertEquals(201, api.post("/api/v1/incidents", pub, "{\"code\":\"SC1\",\"name\":\"Flood\",\"area\":"
        + "{\"type\":\"circle\",\"lat\":40.0,\"lon\":-105.0,\"radiusM\":2000}}").status());
    String j1 = "+15557000001", j2 = "+15557000002", loc = "+15557000003", n1 = "+15557000004";
    String stopped = "+15557000005", web = "+15557000006", rest = "+15557000007", checker = "+15557000008";
    String outsider = "+15557000009";
    assertTrue(text(j1, "JOIN SC1").contains("SC1"));
    assertTrue(text(j2, "join sc1").contains("SC1"));
    text(stopped, "STOP");
    String locToken = person(loc);
    assertEquals(201, api.post("/api/v1/checkins", locToken,
        "{\"status\":\"safe\",\"location\":{\"lat\":40.001,\"lon\":-105.001},\"key\":\"k-loc\"}").status());
    String webToken = person(web);
    String restToken = person(rest);
    String checkerToken = person(checker);
    String outsiderToken = person(outsider);
    SmsIT.awaitOutboxEmpty(hub);

    // A bad number is named by its position, not its value.
    var bad = api.post("/api/v1/incidents/SC1/safety-checks", pub,
        "{\"audience\":{\"numbers\":[\"" + j1 + "\",\"" + n1 + "\",\"" + stopped + "\",\"not a phone\"]}}");
    assertEquals(400, bad.status(), bad.text());
    assertTrue(bad.text().contains("numbers[3]"), bad.text());
    assertFalse(bad.text().contains("not a phone"), bad.text());
    assertEquals(403, api.post("/api/v1/incidents/SC1/safety-checks", far, "{}").status(), "another agency");
    assertEquals(403, api.post("/api/v1/incidents/SC1/safety-checks", app, "{}").status(), "no publisher role");

    String question = "Are you safe after the flood on Main Street and the river crossing at Fifth Avenue?";
    var draft = api.post("/api/v1/incidents/SC1/safety-checks", pub, "{\"question\":\"" + question + "\","
        + "\"audience\":{\"numbers\":[\"" + j1 + "\",\"" + n1 + "\",\"" + stopped + "\",\"" + web + "\",\"" + rest
        + "\",\"" + checker + "\",\"" + n1 + "\"]}}");
    assertEquals(201, draft.status(), draft.text());
    JsonNode d = draft.json();
    String id = d.path("id").asText();
    assertEquals("draft", d.path("state").asText());
    assertEquals("SC1", d.path("incident").asText());
    assertEquals(question, d.path("question").asText());
    assertEquals(8, d.path("audienceSize").asInt(), "j1, j2, loc, n1, stopped, web, rest, checker: " + d);
    assertEquals(7, d.path("smsRecipients").asInt(), "everyone but the STOP'd number");
    assertEquals("GSM-7", d.path("smsEncoding").asText());
    int segments = d.path("smsSegments").asInt();
    assertEquals(2, segments, "the question with its reply instructions and STOP line takes two segments");
    long estimate = d.path("estimatedSendSeconds").asLong();
    assertEquals((long) Math.ceil(7 * segments / RATE), estimate, "nothing else waits in the outbox");
    assertNotNull(d.path("createdAt").asText(null));

    // A listed audience needs a second responder of the agency.
    assertEquals(409, api.post("/api/v1/safety-checks/" + id + "/start", pub, null).status(), "before approval");
    assertEquals(403, api.post("/api/v1/safety-checks/" + id + "/approve", far, null).status(), "another agency");
    assertEquals(403, api.post("/api/v1/safety-checks/" + id + "/approve", pub, null).status(), "no approver role");
    assertEquals(409, api.post("/api/v1/safety-checks/" + id + "/close", pub, null).status(), "not running");
    assertEquals(200, api.post("/api/v1/safety-checks/" + id + "/approve", app, null).status());
    assertEquals(409, api.post("/api/v1/safety-checks/" + id + "/approve", app, null).status(), "approved twice");

    try (WsClient webWs = WsClient.authed(hub.vertx, hub.port(), webToken);
         WsClient desk = WsClient.connect(hub.vertx, hub.port(), null)) {
      desk.sendRaw("{\"type\":\"auth\",\"token\":\"" + pub + "\"}");
      desk.next("snapshot");
      var sub = WsClient.frame("subscribe");
      sub.put("incident", "SC1");
      assertEquals("ack", desk.reply(desk.send(sub)).path("type").asText());

      var started = api.post("/api/v1/safety-checks/" + id + "/start", pub, null);
      assertEquals(200, started.status(), started.text());
      assertEquals("running", started.json().path("state").asText());
      assertNotNull(started.json().path("startedAt").asText(null));
      long startedNanos = System.nanoTime();
      JsonNode s = check(id, pub);
      assertEquals(8, s.path("audienceSize").asInt());
      assertEquals(1, s.path("tallies").path("unreachable").asInt(), "the STOP'd number");
      assertEquals(409, api.post("/api/v1/safety-checks/" + id + "/start", pub, null).status(), "started twice");

      JsonNode ask = webWs.next("safety_check");
      assertEquals(id, ask.path("id").asText());
      assertEquals("SC1", ask.path("incident").asText());
      assertEquals(question, ask.path("question").asText());

      // Every number that can receive an SMS gets exactly one ask; the STOP'd one none.
      List<String> texted = List.of(j1, j2, loc, n1, web, rest, checker);
      await("the asks", () -> texted.stream().allMatch(p -> asks(p).size() == 1));
      long lastAsk = texted.stream().mapToLong(p -> asks(p).get(0).atNanos()).max().orElseThrow();
      long firstAsk = texted.stream().mapToLong(p -> asks(p).get(0).atNanos()).min().orElseThrow();
      double sendSeconds = (lastAsk - startedNanos) / 1e9;
      assertTrue(sendSeconds <= estimate + 2.0, "sent in " + sendSeconds + " s, estimated " + estimate + " s");
      assertTrue((lastAsk - firstAsk) / 1e9 >= (7 * segments - RATE - 1) / RATE - 0.5,
          "paced per segment: " + (lastAsk - firstAsk) / 1e9 + " s");
      assertTrue(asks(j1).get(0).body().contains("Reply STOP to end"), asks(j1).get(0).body());
      assertTrue(twilio.requests().stream().noneMatch(r -> r.to().equals(stopped) && r.body().contains("SAFE")),
          "the STOP'd number is never texted");
      SmsIT.awaitOutboxEmpty(hub);
      assertEquals(7, check(id, pub).path("tallies").path("asked").asInt());

      // People chosen by location appear only once they answer.
      var noAnswer = api.get("/api/v1/safety-checks/" + id + "/people?state=no_answer", pub);
      assertEquals(200, noAnswer.status());
      assertEquals(new TreeSet<>(List.of(j1, j2, n1, web, rest, checker)), phones(noAnswer.json()));

      // Delivery reports move `delivered`.
      String sidJ1 = asks(j1).get(0).sid();
      var cb = webhook.post("/sms/status", Map.of("MessageSid", sidJ1, "MessageStatus", "delivered",
          "AccountSid", FakeTwilio.ACCOUNT, "To", j1), null);
      assertEquals(200, cb.statusCode(), cb.bodyAsString());
      assertEquals(1, check(id, pub).path("tallies").path("delivered").asInt());
      assertEquals(403, webhook.post("/sms/status", Map.of("MessageSid", sidJ1, "MessageStatus", "failed"), "bad")
          .statusCode(), "unsigned callbacks change nothing");
      assertEquals(1, check(id, pub).path("tallies").path("delivered").asInt());

      // SMS answers, each form, any case, with a note.
      assertTrue(text(j1, "safe at home").contains("SAFE"));
      assertTrue(text(j2, "2 trapped on the roof").contains("NEED HELP"));
      assertTrue(text(n1, "sOs").contains("NEED HELP"));
      assertTrue(text(loc, "1").contains("SAFE"));
      // WebSocket and REST answers. An answer frame naming another phone is no report (those go over REST):
      // refused with 400, and not taken as the sender's own answer either.
      var report = WsClient.frame("answer");
      report.put("check", id).put("status", "need_help").put("phone", j1);
      JsonNode notReport = webWs.reply(webWs.send(report));
      assertEquals("error", notReport.path("type").asText(), notReport.toString());
      assertEquals("invalid_request", notReport.path("code").asText(), notReport.toString());
      var ans = WsClient.frame("answer");
      ans.put("check", id).put("status", "safe").put("note", "at the school");
      JsonNode ack = webWs.reply(webWs.send(ans));
      assertEquals("ack", ack.path("type").asText(), ack.toString());
      var restAnswer = api.post("/api/v1/safety-checks/" + id + "/answers", restToken,
          "{\"status\":\"need_help\",\"note\":\"leg hurt\"}");
      assertEquals(201, restAnswer.status(), restAnswer.text());
      assertEquals(id, restAnswer.json().path("check").asText());
      assertEquals("need_help", restAnswer.json().path("status").asText());
      assertNotNull(restAnswer.json().path("at").asText(null));
      // Outside the audience: 403, nothing recorded.
      assertEquals(403, api.post("/api/v1/safety-checks/" + id + "/answers", outsiderToken,
          "{\"status\":\"safe\"}").status());
      // A check-in naming the incident after the start answers too.
      assertEquals(201, api.post("/api/v1/checkins", checkerToken,
          "{\"status\":\"safe\",\"incident\":\"SC1\",\"key\":\"k-chk\"}").status());

      await("every answer counted", () -> check(id, pub).path("tallies").path("noAnswer").asInt() == 0);
      JsonNode t = check(id, pub).path("tallies");
      assertEquals(4, t.path("safe").asInt(), t.toString());
      assertEquals(3, t.path("needHelp").asInt(), t.toString());
      assertEquals(1, t.path("unreachable").asInt(), t.toString());

      // The responder desk saw the tallies live.
      JsonNode frame;
      do {
        frame = desk.next("safety_check_tally");
        assertEquals(id, frame.path("id").asText());
      } while (frame.path("tallies").path("noAnswer").asInt() != 0);

      var safe = api.get("/api/v1/safety-checks/" + id + "/people?state=safe", pub);
      assertEquals(new TreeSet<>(List.of(j1, loc, web, checker)), phones(safe.json()));
      JsonNode j1Row = null;
      for (JsonNode p : safe.json()) {
        if (p.path("phone").asText().equals(j1)) {
          j1Row = p;
        }
        assertFalse(p.has("location"), "never a location");
      }
      assertEquals("sms", j1Row.path("channel").asText());
      assertEquals("delivered", j1Row.path("delivery").asText());
      var unreachable = api.get("/api/v1/safety-checks/" + id + "/people?state=unreachable", pub);
      assertEquals(Set.of(stopped), phones(unreachable.json()));
      var csv = api.call(HttpMethod.GET, "/api/v1/safety-checks/" + id + "/people?state=need_help", pub, null,
          "Accept", "text/csv");
      assertEquals(200, csv.status());
      assertTrue(csv.headers().get("Content-Type").startsWith("text/csv"));
      String[] lines = csv.text().split("\r\n");
      assertTrue(lines[0].startsWith("phone,state,at,channel,delivery"), lines[0]);
      assertEquals(4, lines.length, csv.text());
      // Pages: limit rows at most, a Link rel="next" while more follow; the pages add up to the list.
      List<String> whole = new java.util.ArrayList<>();
      api.get("/api/v1/safety-checks/" + id + "/people", pub).json().forEach(p -> whole.add(p.path("phone").asText()));
      assertEquals(8, whole.size(), "everyone answered or was asked: " + whole);
      assertNull(api.get("/api/v1/safety-checks/" + id + "/people", pub).headers().get("Link"),
          "no next page under the default limit");
      List<String> paged = new java.util.ArrayList<>();
      String next = "/api/v1/safety-checks/" + id + "/people?limit=3";
      int pages = 0;
      while (next != null) {
        var page = api.get(next, pub);
        assertEquals(200, page.status(), page.text());
        assertTrue(page.json().size() <= 3, page.text());
        page.json().forEach(p -> paged.add(p.path("phone").asText()));
        String link = page.headers().get("Link");
        assertTrue(link == null || link.matches("<[^>]+>; rel=\"next\""), link);
        next = link == null ? null : link.substring(1, link.indexOf('>'));
        assertTrue(next == null || !next.contains("+155"), "the cursor is no phone number in the clear: " + next);
        pages++;
      }
      assertEquals(whole, paged);
      assertEquals(3, pages, "8 rows in pages of 3");
      var safePage = api.get("/api/v1/safety-checks/" + id + "/people?state=safe&limit=2", pub);
      assertEquals(2, safePage.json().size());
      String safeLink = safePage.headers().get("Link");
      assertTrue(safeLink.contains("state=safe") && safeLink.contains("limit=2") && safeLink.contains("after="), safeLink);
      var csvPage = api.call(HttpMethod.GET, "/api/v1/safety-checks/" + id + "/people?limit=1", pub, null,
          "Accept", "text/csv");
      assertEquals(2, csvPage.text().split("\r\n").length, csvPage.text());
      assertNotNull(csvPage.headers().get("Link"), "CSV pages link on too");
      for (String q : new String[] {"limit=0", "limit=5001", "limit=x", "after=%21%21", "after=bm90IGEgcGhvbmU"}) {
        var refused = api.get("/api/v1/safety-checks/" + id + "/people?" + q, pub);
        assertEquals(400, refused.status(), q + ": " + refused.text());
      }
      assertEquals(403, api.get("/api/v1/safety-checks/" + id + "/people", far).status(), "another agency");
      assertEquals(401, api.get("/api/v1/safety-checks/" + id + "/people", null).status());
      assertEquals(403, api.get("/api/v1/safety-checks/" + id + "/people", webToken).status(), "a person");

      // need_help answers joined the help queue; answers were check-ins of the person.
      var help = api.get("/api/v1/incidents/SC1/help", pub);
      Set<String> helpPhones = new TreeSet<>();
      help.json().forEach(h -> helpPhones.add(h.path("phone").asText()));
      assertTrue(helpPhones.containsAll(List.of(j2, n1, rest)), help.text());
      var latest = api.get("/api/v1/people/" + web.replace("+", "%2B") + "/checkins", webToken);
      assertEquals(200, latest.status(), latest.text());
      JsonNode last = latest.json().isArray() ? latest.json().get(latest.json().size() - 1)
          : latest.json().path("checkins").get(latest.json().path("checkins").size() - 1);
      assertEquals("safe", last.path("status").asText(), latest.text());
      assertEquals("SC1", last.path("incident").asText(), "the answer is a check-in in the check's incident");
      assertEquals("at the school", last.path("note").asText());

      // Every read of people is audited.
      var audit = api.get("/api/v1/admin/audit?limit=1000", ADMIN);
      assertTrue(audit.text().contains("safety_check.people.read"), "people reads are audited");

      var list = api.get("/api/v1/incidents/SC1/safety-checks", pub);
      assertEquals(200, list.status());
      assertEquals(id, list.json().get(0).path("id").asText());
      assertEquals(200, api.post("/api/v1/safety-checks/" + id + "/close", pub, null).status());
      assertEquals("closed", check(id, pub).path("state").asText());
      assertEquals(409, api.post("/api/v1/safety-checks/" + id + "/answers", restToken,
          "{\"status\":\"safe\"}").status(), "closed");
    }
  }

  @Test
  @DisplayName("a check without a list or two-person rule starts without approval; a reconnecting session is asked again until it answers")
  void reconnectAskedAgain() throws Exception {
    String pub = login("pub");
    assertEquals(201, api.post("/api/v1/incidents", pub, "{\"code\":\"SC2\",\"name\":\"Fire\"}").status());
    String p = "+15557100001";
    assertTrue(text(p, "JOIN SC2").contains("SC2"));
    String token = person(p);
    assertTrue(text(p, "1").contains("FOLLOW"), "without a running check, 1 gets the usage text");
    var d = api.post("/api/v1/incidents/SC2/safety-checks", pub, "{}");
    assertEquals(201, d.status(), d.text());
    assertEquals("Are you safe?", d.json().path("question").asText());
    String id = d.json().path("id").asText();
    assertEquals(200, api.post("/api/v1/safety-checks/" + id + "/start", pub, null).status());
    try (WsClient ws = WsClient.authed(hub.vertx, hub.port(), token)) {
      assertEquals(id, ws.next("safety_check").path("id").asText(), "after ready, while unanswered");
    }
    try (WsClient ws = WsClient.authed(hub.vertx, hub.port(), token)) {
      assertEquals(id, ws.next("safety_check").path("id").asText(), "again after the next ready");
      var ans = WsClient.frame("answer");
      ans.put("check", id).put("status", "need_help");
      assertEquals("ack", ws.reply(ws.send(ans)).path("type").asText());
    }
    try (WsClient ws = WsClient.authed(hub.vertx, hub.port(), token)) {
      ws.assertNothingElse();
    }
    assertEquals(1, check(id, pub).path("tallies").path("needHelp").asInt());
  }
}
