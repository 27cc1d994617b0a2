package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.crisishub.domain.FollowState;
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
 * Keyword watch and help threads end to end (docs/triage.md): REST, WebSocket, and SMS through the real
 * Twilio SDK against a fake Twilio on loopback; the embedded store ({@link TriageRedisIT}: Redis).
 */
@DisplayName("Triage: keyword watch raises and reorders, reaches only the incident's responders; reply threads by web and SMS")
class TriageIT {
  static final String ADMIN = "triage-test-admin-token-0123456789";
  static final AtomicInteger NEXT = new AtomicInteger();
  static final AtomicInteger SIDS = new AtomicInteger();
  @TempDir
  static Path dir;
  static FakeTwilio twilio;
  static TestHub hub;
  static TwilioWebhook webhook;
  static Api api;
  static org.crisishub.support.RedisServer redis;
  static String pub;
  static String medic;
  static String far;

  @BeforeAll
  static void start(org.junit.jupiter.api.TestInfo info) throws Exception {
    Map<String, String> extra = Map.of();
    if (info.getTestClass().orElseThrow() == TriageRedisIT.class) {
      redis = org.crisishub.support.RedisServer.startNew();
      extra = Map.of("HUB_STORE", "redis", "HUB_REDIS_URL", redis.url());
    }
    twilio = FakeTwilio.start();
    Map<String, String> env = SmsIT.env(twilio, "50");
    env.put("HUB_ADMIN_TOKEN", ADMIN);
    env.putAll(extra);
    hub = TestHub.start(dir, env);
    webhook = new TwilioWebhook(hub.vertx, hub.port(), SmsIT.PUBLIC, SmsIT.TOKEN);
    api = new Api(hub.vertx, hub.port());
    api.createResponder(ADMIN, "pub", "County EMS", "[\"publisher\"]");
    api.createResponder(ADMIN, "medic", "County EMS", "[\"approver\"]");
    api.createResponder(ADMIN, "far", "Other Agency", "[\"publisher\",\"approver\"]");
    pub = api.responderLogin("pub");
    medic = api.responderLogin("medic");
    far = api.responderLogin("far");
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

  static String newPhone() {
    return "+1555710" + String.format("%04d", NEXT.incrementAndGet());
  }

  static String incident() {
    String code = "TRI" + NEXT.incrementAndGet();
    Api.Resp r = api.post("/api/v1/incidents", pub, "{\"code\":\"" + code + "\",\"name\":\"Flood\"}");
    assertEquals(201, r.status(), r.text());
    return code;
  }

  /** A person's session through the real one-time-code flow, the code read from the fake Twilio. */
  static String person(String phone) throws Exception {
    int before = twilio.acceptedTo(phone).size();
    assertEquals(202, api.post("/api/v1/otp", null, "{\"phone\":\"" + phone + "\"}").status());
    await("the code for " + phone, () -> twilio.acceptedTo(phone).size() > before);
    String body = twilio.acceptedTo(phone).get(twilio.acceptedTo(phone).size() - 1).body();
    String code = body.replaceAll("(?s).*?([0-9]{6}).*", "$1");
    Api.Resp s = api.post("/api/v1/sessions", null, "{\"phone\":\"" + phone + "\",\"code\":\"" + code + "\"}");
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
    var r = webhook.sms(from, body, String.format("SM%032d", 700_000 + SIDS.incrementAndGet()));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsString();
  }

  static WsClient subscribed(String token, String code) {
    WsClient ws = WsClient.authed(hub.vertx, hub.port(), token);
    assertEquals("ack", ws.reply(ws.send(WsClient.frame("subscribe").put("incident", code))).path("type").asText());
    return ws;
  }

  static String checkIn(String token, String status, String note, String code) {
    Api.Resp r = api.post("/api/v1/checkins", token, "{\"status\":\"" + status + "\",\"note\":\"" + note
        + "\",\"incident\":\"" + code + "\"}");
    assertEquals(201, r.status(), r.text());
    return r.json().path("id").asText();
  }

  static Api.Resp putTerms(String token, String code, String termsJson) {
    return api.call(HttpMethod.PUT, "/api/v1/incidents/" + code + "/watch-terms", token, "{\"terms\":" + termsJson + "}");
  }

  static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(n -> out.add(n.asText()));
    return out;
  }

  static List<String> queueIds(String code) {
    Api.Resp q = api.get("/api/v1/incidents/" + code + "/help", pub);
    assertEquals(200, q.status(), q.text());
    List<String> ids = new ArrayList<>();
    q.json().forEach(h -> ids.add(h.path("id").asText()));
    return ids;
  }

  static JsonNode queueEntry(String code, String id) {
    for (JsonNode h : api.get("/api/v1/incidents/" + code + "/help", pub).json()) {
      if (h.path("id").asText().equals(id)) {
        return h;
      }
    }
    throw new AssertionError(id + " not in the queue of " + code);
  }

  static double metric(String line) {
    String text = api.get("/metrics", null).text();
    for (String l : text.split("\n")) {
      if (l.startsWith(line + " ")) {
        return Double.parseDouble(l.substring(line.length() + 1).trim());
      }
    }
    return 0;
  }

  @Test
  @DisplayName("a need_help note with a watch term is high priority, heads the queue, and reaches the incident's responders with its terms only")
  void matchReordersAndReaches() throws Exception {
    String code = incident();
    Api.Resp set = putTerms(pub, code, "[\"trapped\", \" Sin Insulina \", \"ＳＯＳ\", \"TRAPPED\"]");
    assertEquals(200, set.status(), set.text());
    assertEquals(List.of("trapped", "Sin Insulina", "ＳＯＳ"), strings(set.json().path("terms")));
    assertEquals(List.of("trapped", "Sin Insulina", "ＳＯＳ"),
        strings(api.get("/api/v1/incidents/" + code + "/watch-terms", medic).json().path("terms")));
    double before = metric("hub_watch_matches_total{source=\"checkin\"}");
    String a = person(newPhone());
    String b = person(newPhone());
    try (WsClient desk = subscribed(medic, code); WsClient other = subscribed(far, code)) {
      String plain = checkIn(a, "need_help", "water is rising", code);
      JsonNode h1 = desk.next("help").path("checkin");
      assertEquals(plain, h1.path("id").asText());
      assertEquals("normal", h1.path("priority").asText());
      assertEquals(0, h1.path("matched").size());
      String urgent = checkIn(b, "need_help", "Estamos SIN INSULÍNA, dos niños", code);
      JsonNode h2 = desk.next("help").path("checkin");
      assertEquals(urgent, h2.path("id").asText());
      assertEquals("high", h2.path("priority").asText());
      JsonNode match = desk.next("watch_match");
      assertEquals(code, match.path("incident").asText());
      assertEquals(List.of("Sin Insulina"), strings(match.path("matched")));
      assertEquals(urgent, match.path("checkin").path("id").asText());
      assertEquals("Estamos SIN INSULÍNA, dos niños", match.path("checkin").path("note").asText());
      assertEquals(List.of(urgent, plain), queueIds(code), "high first, then oldest first");
      JsonNode e = queueEntry(code, urgent);
      assertEquals("high", e.path("priority").asText());
      assertEquals(List.of("Sin Insulina"), strings(e.path("matched")));
      assertFalse(e.path("reported").asBoolean());
      assertEquals("normal", queueEntry(code, plain).path("priority").asText());
      // Another agency's responder subscribed to the incident gets none of it.
      other.assertNothingElse();
      desk.assertNothingElse();
    }
    assertTrue(metric("hub_watch_matches_total{source=\"checkin\"}") >= before + 1);
  }

  @Test
  @DisplayName("a safe note with a watch term reaches no responder and joins no queue")
  void safeNoteReachesNobody() throws Exception {
    String code = incident();
    assertEquals(200, putTerms(pub, code, "[\"trapped\"]").status());
    String p = person(newPhone());
    try (WsClient desk = subscribed(medic, code)) {
      checkIn(p, "safe", "we were trapped but are out now", code);
      desk.assertNothingElse();
    }
    assertEquals(List.of(), queueIds(code));
  }

  @Test
  @DisplayName("changing the terms re-scores open requests: the queue reorders and responders hear of the new match")
  void rescore() throws Exception {
    String code = incident();
    assertEquals(200, putTerms(pub, code, "[\"gas\"]").status());
    String first = checkIn(person(newPhone()), "need_help", "roof collapsed", code);
    String second = checkIn(person(newPhone()), "need_help", "smell of GAS", code);
    assertEquals(List.of(second, first), queueIds(code));
    try (WsClient desk = subscribed(medic, code)) {
      Api.Resp r = putTerms(pub, code, "[\"roof collapsed\"]");
      assertEquals(200, r.status(), r.text());
      JsonNode match = desk.next("watch_match");
      assertEquals(first, match.path("checkin").path("id").asText());
      assertEquals(List.of("roof collapsed"), strings(match.path("matched")));
    }
    assertEquals(List.of(first, second), queueIds(code));
    assertEquals("normal", queueEntry(code, second).path("priority").asText());
    assertEquals(200, putTerms(pub, code, "[]").status());
    assertEquals(List.of(first, second), queueIds(code), "no terms: oldest first");
    assertEquals("normal", queueEntry(code, first).path("priority").asText());
  }

  @Test
  @DisplayName("?include=resolved lists the resolved requests too, in queue order (the responder desk counts them); another include is 400")
  void queueWithResolved() throws Exception {
    String code = incident();
    assertEquals(200, putTerms(pub, code, "[\"fire\"]").status());
    String first = checkIn(person(newPhone()), "need_help", "no water", code);
    String second = checkIn(person(newPhone()), "need_help", "fire next door", code);
    assertEquals(200, api.post("/api/v1/help/" + first + "/resolve", medic, null).status());
    assertEquals(List.of(second), queueIds(code));
    Api.Resp all = api.get("/api/v1/incidents/" + code + "/help?include=resolved", pub);
    assertEquals(200, all.status(), all.text());
    List<String> ids = new ArrayList<>();
    all.json().forEach(h -> ids.add(h.path("id").asText() + ":" + h.path("state").asText()));
    assertEquals(List.of(second + ":open", first + ":resolved"), ids);
    assertEquals(400, api.get("/api/v1/incidents/" + code + "/help?include=all", pub).status());
    assertEquals(403, api.get("/api/v1/incidents/" + code + "/help?include=resolved", far).status());
  }

  @Test
  @DisplayName("watch terms: 400 for bad lists, 403 for another agency or a responder without publisher, 401 without a token")
  void termsRefused() {
    String code = incident();
    assertEquals(400, putTerms(pub, code, "\"trapped\"").status());
    assertEquals(400, putTerms(pub, code, "[\"\"]").status());
    assertEquals(400, putTerms(pub, code, "[\"" + "x".repeat(65) + "\"]").status());
    assertEquals(400, putTerms(pub, code, "[42]").status());
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < 1001; i++) {
      many.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
    }
    assertEquals(400, putTerms(pub, code, many.append(']').toString()).status());
    // 1,000 terms of 64 code points each (4 bytes each in UTF-8: a 256 KB body) are accepted.
    StringBuilder full = new StringBuilder("[");
    for (int i = 0; i < 1000; i++) {
      full.append(i == 0 ? "" : ",").append('"').append("\uD83C\uDD98".repeat(60)).append(String.format("%04d", i))
          .append('"');
    }
    Api.Resp big = putTerms(pub, code, full.append(']').toString());
    assertEquals(200, big.status(), big.text());
    assertEquals(1000, big.json().path("terms").size());
    assertEquals(200, putTerms(pub, code, "[]").status());
    assertEquals(403, putTerms(far, code, "[\"x\"]").status());
    assertEquals(403, putTerms(medic, code, "[\"x\"]").status(), "approver only: no publisher role");
    assertEquals(403, api.get("/api/v1/incidents/" + code + "/watch-terms", far).status());
    assertEquals(401, putTerms(null, code, "[\"x\"]").status());
    assertEquals(List.of(), strings(api.get("/api/v1/incidents/" + code + "/watch-terms", pub).json().path("terms")));
  }

  @Test
  @DisplayName("watch terms: who calls is checked before the (up to 800 KiB) body is read: 401/403 answered with none of"
      + " it sent, the connection closed; a responder's request waits for its body")
  void termsAuthenticatedBeforeTheBody() throws Exception {
    String code = incident();
    assertEquals("401", headersOnlyPut(code, null), "no token");
    assertEquals("401", headersOnlyPut(code, "not-a-valid-token"), "a bad token");
    assertEquals("403", headersOnlyPut(code, person(newPhone())), "a person");
    assertEquals("403", headersOnlyPut(code, ADMIN), "the admin");
    // A responder's body is read (and the request answered) only once it has arrived.
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", hub.port())) {
      byte[] body = "{\"terms\":[\"trapped\"]}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      s.getOutputStream().write(("PUT /api/v1/incidents/" + code + "/watch-terms HTTP/1.1\r\nHost: hub\r\n"
          + "Authorization: Bearer " + pub + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
          + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      s.setSoTimeout(300);
      assertThrows(java.net.SocketTimeoutException.class, () -> s.getInputStream().read(),
          "no answer before the body");
      s.setSoTimeout(30_000);
      s.getOutputStream().write(body);
      s.getOutputStream().flush();
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
          java.nio.charset.StandardCharsets.US_ASCII)).readLine();
      assertEquals("HTTP/1.1 200 OK", status);
    }
    assertEquals(List.of("trapped"), strings(api.get("/api/v1/incidents/" + code + "/watch-terms", pub).json()
        .path("terms")));
  }

  /**
   * Sends the headers of a PUT of watch terms announcing an 800 KiB body, and none of the body; returns
   * the status code of the answer, after checking the hub then closed the connection.
   */
  static String headersOnlyPut(String code, String token) throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", hub.port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(("PUT /api/v1/incidents/" + code + "/watch-terms HTTP/1.1\r\nHost: hub\r\n"
          + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
          + "Content-Type: application/json\r\nContent-Length: " + (800 * 1024) + "\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      byte[] all = s.getInputStream().readAllBytes();
      String answer = new String(all, java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(answer.startsWith("HTTP/1.1 "), answer);
      assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), answer);
      return answer.substring(9, 12);
    }
  }

  @Test
  @DisplayName("a thread on the web: the responder asks, the person reads it live and answers; a matching answer raises the request")
  void webThread() throws Exception {
    String code = incident();
    assertEquals(200, putTerms(pub, code, "[\"trapped\"]").status());
    String phone = newPhone();
    String p = person(phone);
    String stranger = person(newPhone());
    String id = checkIn(p, "need_help", "water in the house", code);
    try (WsClient desk = subscribed(medic, code); WsClient other = subscribed(far, code);
        WsClient page = WsClient.authed(hub.vertx, hub.port(), p)) {
      Api.Resp asked = api.post("/api/v1/help/" + id + "/messages", pub, "{\"text\":\"How many people are with you?\"}");
      assertEquals(201, asked.status(), asked.text());
      assertEquals("responder", asked.json().path("from").asText());
      assertEquals("County EMS", asked.json().path("by").asText());
      assertEquals("How many people are with you?", asked.json().path("text").asText());
      JsonNode seen = page.next("help_message");
      assertEquals(id, seen.path("checkin").asText());
      assertEquals("How many people are with you?", seen.path("message").path("text").asText());
      assertEquals(asked.json().path("id").asText(), seen.path("message").path("id").asText());
      assertEquals(id, desk.next("help_message").path("checkin").asText());

      Api.Resp answer = api.post("/api/v1/help/" + id + "/messages", p, "{\"text\":\"Three of us, now TRAPPED upstairs\"}");
      assertEquals(201, answer.status(), answer.text());
      assertEquals("person", answer.json().path("from").asText());
      assertFalse(answer.json().has("by"));
      JsonNode live = desk.next("help_message");
      assertEquals("Three of us, now TRAPPED upstairs", live.path("message").path("text").asText());
      JsonNode match = desk.next("watch_match");
      assertEquals(List.of("trapped"), strings(match.path("matched")));
      assertEquals(id, match.path("checkin").path("id").asText());
      assertEquals("high", match.path("checkin").path("priority").asText());
      assertEquals("Three of us, now TRAPPED upstairs", match.path("message").path("text").asText());
      assertEquals("high", queueEntry(code, id).path("priority").asText());
      other.assertNothingElse();

      JsonNode thread = api.get("/api/v1/help/" + id + "/messages", p).json();
      assertEquals(2, thread.size());
      assertEquals("responder", thread.get(0).path("from").asText());
      assertEquals("person", thread.get(1).path("from").asText());
      assertEquals(2, api.get("/api/v1/help/" + id + "/messages", medic).json().size());
    }
    // No session of the person's open here: a web user's thread message is not texted while a page is open,
    // and nobody outside the thread may read or write it.
    assertEquals(403, api.get("/api/v1/help/" + id + "/messages", stranger).status());
    assertEquals(403, api.post("/api/v1/help/" + id + "/messages", stranger, "{\"text\":\"hi\"}").status());
    assertEquals(403, api.get("/api/v1/help/" + id + "/messages", far).status());
    assertEquals(403, api.post("/api/v1/help/" + id + "/messages", far, "{\"text\":\"hi\"}").status());
    assertEquals(401, api.post("/api/v1/help/" + id + "/messages", null, "{\"text\":\"hi\"}").status());
    assertEquals(404, api.post("/api/v1/help/nope/messages", pub, "{\"text\":\"hi\"}").status());
    assertEquals(400, api.post("/api/v1/help/" + id + "/messages", pub, "{\"text\":\"  \"}").status());
    assertEquals(400, api.post("/api/v1/help/" + id + "/messages", pub, "{\"text\":\"" + "x".repeat(281) + "\"}").status());
    assertEquals(400, api.post("/api/v1/help/" + id + "/messages", pub, "{\"text\":7}").status());
    assertEquals(2, api.get("/api/v1/help/" + id + "/messages", p).json().size(), "refused messages changed nothing");
  }

  @Test
  @DisplayName("by SMS: a responder's question is texted; replies land in the thread; a bare YES goes to the thread, not to a pending follow; SAFE and STOP still act")
  void smsThread() throws Exception {
    String code = incident();
    String c = newPhone();
    String d = newPhone();
    assertTrue(text(c, "JOIN " + code).contains(code));
    text(c, "SOS water everywhere");
    String id = null;
    for (JsonNode h : api.get("/api/v1/incidents/" + code + "/help", pub).json()) {
      if (h.path("phone").asText().equals(c)) {
        id = h.path("id").asText();
      }
    }
    assertTrue(id != null, "C's call for help is in the queue");
    assertTrue(text(d, "FOLLOW " + c).contains("Asked"));
    assertEquals(FollowState.PENDING, follow(d, c));

    // Text that is no command, before any responder wrote: into the thread.
    String reply = text(c, "the stairs are blocked");
    assertTrue(reply.contains("passed to the responders"), reply);

    String helpId = id;
    try (WsClient desk = subscribed(medic, code)) {
      assertEquals(201, api.post("/api/v1/help/" + id + "/messages", pub,
          "{\"text\":\"How many people are with you?\"}").status());
      await("the question by SMS", () -> twilio.acceptedTo(c).stream()
          .anyMatch(r -> r.body().contains("How many people are with you?") && r.body().contains("County EMS")));
      desk.next("help_message");

      // A bare YES right after a responder's message answers the responder, not D's follow request.
      reply = text(c, "YES");
      assertTrue(reply.contains("passed to the responders") && reply.contains("To answer a follow request, text YES"), reply);
      assertEquals(FollowState.PENDING, follow(d, c), "the follow request was not approved");
      JsonNode yes = desk.next("help_message");
      assertEquals("YES", yes.path("message").path("text").asText());
      assertEquals("person", yes.path("message").path("from").asText());

      reply = text(c, "three of us, one child");
      assertTrue(reply.contains("passed to the responders"), reply);
      assertEquals("three of us, one child", desk.next("help_message").path("message").path("text").asText());
    }
    // The person wrote last now: a bare YES is the follow answer again.
    reply = text(c, "yes");
    assertFalse(reply.contains("passed to the responders"), reply);
    assertEquals(FollowState.ACTIVE, follow(d, c));

    // SAFE is still a command (a check-in), not a thread message.
    reply = text(c, "SAFE made it to the school");
    assertTrue(reply.contains("SAFE"), reply);
    assertEquals("safe", hub.hub.store().latest(c).await(10, TimeUnit.SECONDS).orElseThrow().status().wire());
    // STOP is still a command: opted out.
    assertTrue(text(c, "STOP").length() > 0);
    assertTrue(hub.hub.store().isSmsOptedOut(c).await(10, TimeUnit.SECONDS));
    JsonNode thread = api.get("/api/v1/help/" + helpId + "/messages", pub).json();
    List<String> texts = new ArrayList<>();
    thread.forEach(m -> texts.add(m.path("text").asText()));
    assertEquals(List.of("the stairs are blocked", "How many people are with you?", "YES", "three of us, one child"),
        texts);
  }

  static FollowState follow(String follower, String subject) throws Exception {
    return hub.hub.store().follow(follower, subject).await(10, TimeUnit.SECONDS).orElseThrow().state();
  }
}
