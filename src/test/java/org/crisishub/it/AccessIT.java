package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every HTTP route against every kind of caller, checked against one table (docs/api.md, "Who may
 * call what"): 401 only for a missing or bad token, 403 for a valid token without the right, public
 * routes ignore a bad token, admin routes are 403 for everyone while HUB_ADMIN_TOKEN is unset.
 */
@DisplayName("Access: every route × every kind of caller, against one table")
class AccessIT {
  static final String ADMIN = "access-test-admin-token-0123456789";
  static final String OWN = "County EMS";
  static final String OTHER = "Fire Dept";
  static final AtomicInteger SEQ = new AtomicInteger();

  /** The kinds of caller, in the order of the table's columns. */
  enum Who { NONE, FORGED, PERSON, OTHER_AGENCY, NO_ROLE, RESPONDER, ADMIN }

  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static String person;
  static final String PERSON_PHONE = "+15557100001";
  static String helpId;
  static String publishedId;

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_RATE_LIMITS", "off"));
    api = new Api(hub.vertx, hub.port());
    responder("own", OWN, "[\"publisher\",\"approver\"]");
    responder("pubonly", OWN, "[\"publisher\"]");
    responder("apponly", OWN, "[\"approver\"]");
    responder("other", OTHER, "[\"publisher\",\"approver\"]");
    person = api.login(PERSON_PHONE);
    assertEquals(201, api.post("/api/v1/incidents", login("own"), "{\"code\":\"TBL1\",\"name\":\"Table\"}").status());
    var help = api.post("/api/v1/checkins", person, "{\"status\":\"need_help\",\"incident\":\"TBL1\",\"note\":\"n\"}");
    assertEquals(201, help.status(), help.text());
    helpId = help.json().path("id").asText();
    publishedId = draft();
    assertEquals(200, api.post("/api/v1/notices/" + publishedId + "/publish", login("own"), null).status());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  static void responder(String user, String agency, String roles) {
    api.createResponder(ADMIN, user, agency, roles);
  }

  static String login(String user) {
    return api.responderLogin(user);
  }

  static String draft() {
    var r = api.post("/api/v1/notices", login("own"), "{\"incident\":\"TBL1\",\"headline\":\"h\",\"body\":\"b\","
        + "\"severity\":\"Minor\",\"urgency\":\"Future\",\"certainty\":\"Likely\"}");
    assertEquals(201, r.status(), r.text());
    return r.json().path("id").asText();
  }

  /** A new draft safety check of TBL1 by {@code author} (audience: the person's number when {@code listed}). */
  static String check(String author, boolean listed) {
    var r = api.post("/api/v1/incidents/TBL1/safety-checks", login(author), listed
        ? "{\"audience\":{\"numbers\":[\"" + PERSON_PHONE + "\"]}}" : "{}");
    assertEquals(201, r.status(), r.text());
    return r.json().path("id").asText();
  }

  /** A running check whose audience lists the person. */
  static String runningCheck() {
    String id = check("own", true);
    assertEquals(200, api.post("/api/v1/safety-checks/" + id + "/approve", login("apponly"), null).status());
    assertEquals(200, api.post("/api/v1/safety-checks/" + id + "/start", login("own"), null).status());
    return id;
  }

  static final String TEMPLATE = "{\"name\":\"t\",\"headline\":\"At {place}\",\"body\":\"b\",\"severity\":\"Minor\","
      + "\"urgency\":\"Future\",\"certainty\":\"Likely\",\"placeholders\":{\"place\":{\"maxLength\":20}}}";

  /** A new template of the own agency written by pubonly, approved by own when {@code approved}. */
  static String template(boolean approved) {
    var r = api.post("/api/v1/templates", login("pubonly"), TEMPLATE);
    assertEquals(201, r.status(), r.text());
    String id = r.json().path("id").asText();
    if (approved) {
      assertEquals(200, api.post("/api/v1/templates/" + id + "/approve", login("own"), null).status());
    }
    return id;
  }

  /** The id of a new open help request in TBL1. */
  static String freshHelp() {
    var help = api.post("/api/v1/checkins", person, "{\"status\":\"need_help\",\"incident\":\"TBL1\"}");
    assertEquals(201, help.status(), help.text());
    return help.json().path("id").asText();
  }

  static String freshIncident() {
    String code = "TC" + SEQ.incrementAndGet();
    assertEquals(201, api.post("/api/v1/incidents", login("own"), "{\"code\":\"" + code + "\",\"name\":\"x\"}").status());
    return code;
  }

  /**
   * The token of each kind of caller, made fresh for each call (some calls revoke their token).
   * {@code noRole} names the responder that lacks the route's role.
   */
  static final Map<String, String> CACHED = new java.util.concurrent.ConcurrentHashMap<>();

  static String token(Who who, String noRole, boolean fresh) {
    if (!fresh && who != Who.NONE) {
      return CACHED.computeIfAbsent(who + "/" + noRole, k -> token(who, noRole, true));
    }
    return switch (who) {
      case NONE -> null;
      case FORGED -> {
        String t = person;
        yield t.substring(0, t.indexOf('.') + 1) + "A".repeat(43);
      }
      case PERSON -> api.login(PERSON_PHONE);
      case OTHER_AGENCY -> login("other");
      case NO_ROLE -> login(noRole);
      case RESPONDER -> login("own");
      case ADMIN -> ADMIN;
    };
  }

  /** One route: how to call it (fresh objects per call where a call changes them) and the expected statuses. */
  record Route(String name, HttpMethod method, Function<Who, String[]> request, String noRole, int[] expected) {
  }

  static final List<Route> ROUTES = new ArrayList<>();

  static void route(HttpMethod m, String path, String body, int... expected) {
    route(path, m, w -> new String[] {path, body}, "apponly", expected);
  }

  static void route(String name, HttpMethod m, Function<Who, String[]> request, String noRole, int... expected) {
    assertEquals(Who.values().length, expected.length, name);
    ROUTES.add(new Route(m + " " + name, m, request, noRole, expected));
  }

  static {
    HttpMethod get = HttpMethod.GET, post = HttpMethod.POST, put = HttpMethod.PUT, del = HttpMethod.DELETE;
    //                                      NONE FORGED PERSON OTHER NOROLE RESP ADMIN
    // A person's routes.
    route(post, "/api/v1/checkins", "{\"status\":\"safe\"}", 401, 401, 201, 403, 403, 403, 403);
    route(get, "/api/v1/people/%2B15557100001/status", null, 401, 401, 200, 403, 403, 403, 403);
    route(get, "/api/v1/people/%2B15557100001/checkins", null, 401, 401, 200, 403, 403, 403, 403);
    route(post, "/api/v1/follows", "{\"phone\":\"+15557100002\"}", 401, 401, 201, 403, 403, 403, 403);
    route(get, "/api/v1/follows", null, 401, 401, 200, 403, 403, 403, 403);
    route(del, "/api/v1/follows/%2B15557100002", null, 401, 401, 204, 403, 403, 403, 403);
    route(get, "/api/v1/followers", null, 401, 401, 200, 403, 403, 403, 403);
    route(post, "/api/v1/followers/%2B15557100003", "{\"allow\":false}", 401, 401, 404, 403, 403, 403, 403);
    route(get, "/api/v1/contacts", null, 401, 401, 200, 403, 403, 403, 403);
    route(put, "/api/v1/contacts/%2B15557100004", null, 401, 401, 200, 403, 403, 403, 403);
    route(del, "/api/v1/contacts/%2B15557100004", null, 401, 401, 204, 403, 403, 403, 403);
    // Logging out: a person's or a responder's own token.
    route(del, "/api/v1/sessions", null, 401, 401, 204, 204, 204, 204, 403);
    // Responders' routes.
    route("/api/v1/incidents", post, w -> new String[] {"/api/v1/incidents",
        "{\"code\":\"TN" + SEQ.incrementAndGet() + "\",\"name\":\"n\"}"}, "apponly", 401, 401, 403, 201, 201, 201, 403);
    route(get, "/api/v1/incidents/TBL1/help", null, 401, 401, 403, 403, 200, 200, 403);
    // Each on a fresh request: states only go forward, so acknowledging one twice is 409.
    route("/api/v1/help/{id}/ack", post, w -> new String[] {"/api/v1/help/" + freshHelp() + "/ack", null}, "apponly",
        401, 401, 403, 403, 200, 200, 403);
    route("/api/v1/help/{id}/resolve", post, w -> new String[] {"/api/v1/help/" + freshHelp() + "/resolve", null},
        "apponly", 401, 401, 403, 403, 200, 200, 403);
    // Keyword watch: any responder of the incident's agencies reads the terms, a publisher sets them.
    route(get, "/api/v1/incidents/TBL1/watch-terms", null, 401, 401, 403, 403, 200, 200, 403);
    route(put, "/api/v1/incidents/TBL1/watch-terms", "{\"terms\":[\"trapped\"]}", 401, 401, 403, 403, 403, 200, 403);
    // A help thread: the person who asked, and any responder of the incident's agencies.
    route("/api/v1/help/{id}/messages", post, w -> new String[] {"/api/v1/help/" + helpId + "/messages",
        "{\"text\":\"how many are you?\"}"}, "apponly", 401, 401, 201, 403, 201, 201, 403);
    route("/api/v1/help/{id}/messages", get, w -> new String[] {"/api/v1/help/" + helpId + "/messages", null},
        "apponly", 401, 401, 200, 403, 200, 200, 403);
    route(post, "/api/v1/notices", "{\"incident\":\"TBL1\",\"headline\":\"h\",\"body\":\"b\",\"severity\":\"Minor\","
        + "\"urgency\":\"Future\",\"certainty\":\"Likely\"}", 401, 401, 403, 403, 403, 201, 403);
    route(get, "/api/v1/notices?incident=TBL1", null, 401, 401, 403, 403, 200, 200, 403);
    route(get, "/api/v1/notices?state=draft", null, 401, 401, 403, 200, 200, 200, 403);
    route("/api/v1/notices/{id}/approve", post, w -> new String[] {"/api/v1/notices/" + draft() + "/approve", null},
        "pubonly", 401, 401, 403, 403, 403, 200, 403);
    route("/api/v1/notices/{id}/publish", post, w -> new String[] {"/api/v1/notices/" + draft() + "/publish", null},
        "apponly", 401, 401, 403, 403, 403, 200, 403);
    // A responder of the incident's agencies, or the admin.
    route("/api/v1/incidents/{code}/close", post, w -> new String[] {"/api/v1/incidents/" + freshIncident()
        + "/close", null}, "apponly", 401, 401, 403, 403, 200, 200, 200);
    route(post, "/api/v1/incidents/TBL1/partners", "{\"agency\":\"Red Cross\"}", 401, 401, 403, 403, 200, 200, 200);
    route(del, "/api/v1/incidents/TBL1/partners/Red%20Cross", null, 401, 401, 403, 403, 200, 200, 200);
    // The admin's routes.
    route("/api/v1/admin/responders", post, w -> new String[] {"/api/v1/admin/responders", "{\"username\":\"new"
        + SEQ.incrementAndGet() + "\",\"password\":\"a long password\",\"agency\":\"X\",\"roles\":[\"approver\"]}"},
        "apponly", 401, 401, 403, 403, 403, 403, 201);
    route(del, "/api/v1/admin/responders/nobody", null, 401, 401, 403, 403, 403, 403, 204);
    route(post, "/api/v1/admin/agencies/X/keys/rotate", null, 401, 401, 403, 403, 403, 403, 201);
    route(get, "/api/v1/admin/audit", null, 401, 401, 403, 403, 403, 403, 200);
    // Public routes: a bad token is ignored.
    route(get, "/api/v1/incidents", null, 200, 200, 200, 200, 200, 200, 200);
    route(get, "/api/v1/incidents/TBL1/notices", null, 200, 200, 200, 200, 200, 200, 200);
    route(get, "/api/v1/incidents/TBL1/notices.atom", null, 200, 200, 200, 200, 200, 200, 200);
    route(get, "/api/v1/keys", null, 200, 200, 200, 200, 200, 200, 200);
    route("/api/v1/notices/{published}", get, w -> new String[] {"/api/v1/notices/" + publishedId, null}, "apponly",
        200, 200, 200, 200, 200, 200, 200);
    route("/api/v1/notices/{published}.cap", get, w -> new String[] {"/api/v1/notices/" + publishedId + ".cap", null},
        "apponly", 200, 200, 200, 200, 200, 200, 200);
    // A draft is known only to responders of the incident's agencies: 404 for everyone else.
    route("/api/v1/notices/{draft}", get, w -> new String[] {"/api/v1/notices/" + draft(), null}, "apponly",
        404, 404, 404, 404, 200, 200, 404);
    // Safety checks: publishers draft, start and close; approvers (not the author) approve; any
    // responder of the incident's agencies reads; people in the audience answer.
    route("/api/v1/incidents/{code}/safety-checks", post, w -> new String[] {"/api/v1/incidents/TBL1/safety-checks",
        "{}"}, "apponly", 401, 401, 403, 403, 403, 201, 403);
    route(get, "/api/v1/incidents/TBL1/safety-checks", null, 401, 401, 403, 403, 200, 200, 403);
    route("/api/v1/safety-checks/{id}", get, w -> new String[] {"/api/v1/safety-checks/" + check("own", false), null},
        "apponly", 401, 401, 403, 403, 200, 200, 403);
    route("/api/v1/safety-checks/{id}/people", get, w -> new String[] {"/api/v1/safety-checks/" + check("own", false)
        + "/people", null}, "apponly", 401, 401, 403, 403, 200, 200, 403);
    route("/api/v1/safety-checks/{id}/start", post, w -> new String[] {"/api/v1/safety-checks/" + check("own", false)
        + "/start", null}, "apponly", 401, 401, 403, 403, 403, 200, 403);
    route("/api/v1/safety-checks/{id}/approve", post, w -> new String[] {"/api/v1/safety-checks/"
        + check("pubonly", true) + "/approve", null}, "pubonly", 401, 401, 403, 403, 403, 200, 403);
    route("/api/v1/safety-checks/{id}/answers", post, w -> new String[] {"/api/v1/safety-checks/" + runningCheck()
        + "/answers", "{\"status\":\"safe\"}"}, "apponly", 401, 401, 201, 403, 403, 403, 403);
    // Templates: publishers write, approvers of the agency (not the version's author) approve, any
    // responder of the agency reads and previews; another agency's template is 403.
    route("/api/v1/templates", post, w -> new String[] {"/api/v1/templates", TEMPLATE}, "apponly",
        401, 401, 403, 201, 403, 201, 403);
    route(get, "/api/v1/templates", null, 401, 401, 403, 200, 200, 200, 403);
    route("/api/v1/templates/{id}", get, w -> new String[] {"/api/v1/templates/" + template(false), null}, "apponly",
        401, 401, 403, 403, 200, 200, 403);
    route("/api/v1/templates/{id}", put, w -> new String[] {"/api/v1/templates/" + template(false), TEMPLATE},
        "apponly", 401, 401, 403, 403, 403, 200, 403);
    route("/api/v1/templates/{id}/approve", post, w -> new String[] {"/api/v1/templates/" + template(false)
        + "/approve", null}, "pubonly", 401, 401, 403, 403, 403, 200, 403);
    route("/api/v1/templates/{id}/preview", post, w -> new String[] {"/api/v1/templates/" + template(true)
        + "/preview", "{\"values\":{\"place\":\"x\"}}"}, "apponly", 401, 401, 403, 403, 200, 200, 403);
    route(post, "/api/v1/otp", "{\"phone\":\"+15557100009\"}", 202, 202, 202, 202, 202, 202, 202);
    route(post, "/api/v1/sessions", "{\"phone\":\"+15557100009\",\"code\":\"000000\"}", 403, 403, 403, 403, 403, 403,
        403);
    route(post, "/api/v1/responders/sessions", "{\"username\":\"own\",\"password\":\"password of own\"}",
        200, 200, 200, 200, 200, 200, 200);
    route(get, "/health/live", null, 200, 200, 200, 200, 200, 200, 200);
  }

  @Test
  @DisplayName("every route answers every kind of caller as the table says")
  void table() {
    Map<String, String> wrong = new LinkedHashMap<>();
    for (Route r : ROUTES) {
      for (Who who : Who.values()) {
        boolean logsOut = r.method() == HttpMethod.DELETE && r.name().endsWith(" /api/v1/sessions");
        String token = token(who, r.noRole(), logsOut);
        String[] req = r.request().apply(who);
        var resp = api.call(r.method(), req[0], token, req[1]);
        int want = r.expected()[who.ordinal()];
        if (resp.status() != want) {
          wrong.put(r.name() + " as " + who, "expected " + want + ", got " + resp.status() + " " + resp.text());
        } else if (want == 401) {
          assertEquals("unauthorized", resp.errorCode(), r.name() + " as " + who);
        } else if (want == 403) {
          assertEquals("forbidden", resp.errorCode(), r.name() + " as " + who);
        }
      }
    }
    assertTrue(wrong.isEmpty(), wrong.size() + " mismatches:\n" + String.join("\n", wrong.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue()).toList()));
  }

  @Test
  @DisplayName("agency names ignore case: a responder of \"county ems\" is of County EMS (access, partners, help frames, sender)")
  void agencyNamesIgnoreCase() {
    var made = api.post("/api/v1/admin/responders", ADMIN, "{\"username\":\"lowercase\",\"password\":\"password of "
        + "lowercase\",\"agency\":\"county ems\",\"roles\":[\"publisher\",\"approver\"]}");
    assertEquals(201, made.status(), made.text());
    assertEquals(OWN, made.json().path("agency").asText(), "the agency's first spelling");
    String lower = login("lowercase");
    String code = freshIncident(); // owned by County EMS
    assertEquals(200, api.get("/api/v1/incidents/" + code + "/help", lower).status(), "same agency: triages");
    var owner = api.post("/api/v1/incidents/" + code + "/partners", lower, "{\"agency\":\"COUNTY EMS\"}");
    assertEquals(200, owner.status(), owner.text());
    assertEquals(OWN, owner.json().path("agency").asText());
    assertEquals(0, owner.json().path("partners").size(), "the owner in capitals is no partner");
    var partner = api.post("/api/v1/incidents/" + code + "/partners", lower, "{\"agency\":\"FIRE DEPT\"}");
    assertEquals("[\"" + OTHER + "\"]", partner.json().path("partners").toString(), "spelled as Fire Dept's responders");
    assertEquals(409, api.call(HttpMethod.DELETE, "/api/v1/incidents/" + code + "/partners/county%20EMS", lower, null)
        .status(), "the owner cannot be removed, in any case");
    var help = api.post("/api/v1/checkins", person, "{\"status\":\"need_help\",\"incident\":\"" + code + "\"}");
    assertEquals(201, help.status(), help.text());
    try (org.crisishub.support.WsClient ws = org.crisishub.support.WsClient.authed(hub.vertx, hub.port(), lower)) {
      ws.reply(ws.send(org.crisishub.support.WsClient.frame("subscribe").put("incident", code)));
      assertEquals(help.json().path("id").asText(), ws.next("help").path("checkin").path("id").asText(),
          "help frames reach the agency in any spelling");
    }
    var d = api.post("/api/v1/notices", lower, "{\"incident\":\"" + code + "\",\"headline\":\"h\",\"body\":\"b\","
        + "\"severity\":\"Minor\",\"urgency\":\"Future\",\"certainty\":\"Likely\"}");
    assertEquals(201, d.status(), d.text());
    var pub = api.post("/api/v1/notices/" + d.json().path("id").asText() + "/publish", lower, null);
    assertEquals(200, pub.status(), pub.text());
    var earlier = api.get("/api/v1/notices/" + publishedId, null).json().path("notice");
    assertEquals(OWN, pub.json().path("agency").asText());
    assertEquals(earlier.path("sender").asText(), pub.json().path("sender").asText());
    assertEquals(earlier.path("keyId").asText(), pub.json().path("keyId").asText(), "one agency, one key");
  }

  @Test
  @DisplayName("while HUB_ADMIN_TOKEN is unset every admin route is 403 for everyone, even without a token")
  void adminDisabled() throws Exception {
    try (TestHub bare = TestHub.start(dir.resolve("bare"), Map.of()); Api b = new Api(bare.vertx, bare.port())) {
      String p = b.login("+15557100010");
      for (String[] r : new String[][] {{"POST", "/api/v1/admin/responders", "{}"},
          {"DELETE", "/api/v1/admin/responders/x", null}, {"POST", "/api/v1/admin/agencies/X/keys/rotate", null},
          {"GET", "/api/v1/admin/audit", null}}) {
        for (String token : new String[] {null, "forged.token", p, ADMIN}) {
          var resp = b.call(HttpMethod.valueOf(r[0]), r[1], token, r[2]);
          assertEquals(403, resp.status(), r[1] + " with " + token + ": " + resp.text());
        }
      }
    }
  }

  @Test
  @DisplayName("a revoked token and a disabled account are 401 on every kind of route; a public route ignores them")
  void revokedAndDisabled() {
    String p = api.login("+15557100020");
    assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/sessions", p, null).status());
    assertEquals(401, api.get("/api/v1/follows", p).status());
    assertEquals(401, api.call(HttpMethod.DELETE, "/api/v1/sessions", p, null).status(), "revoked already");
    responder("leaver", OWN, "[\"publisher\"]");
    String r = login("leaver");
    String r2 = login("leaver");
    assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/sessions", r, null).status(), "a responder logs out");
    assertEquals(401, api.get("/api/v1/incidents/TBL1/help", r).status(), "that token is revoked");
    assertEquals(200, api.get("/api/v1/incidents/TBL1/help", r2).status(), "the other session stays");
    assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/admin/responders/leaver", ADMIN, null).status());
    assertEquals(401, api.get("/api/v1/incidents/TBL1/help", r2).status(), "disabled account");
    assertEquals(401, api.get("/api/v1/follows", r2).status());
    assertEquals(401, api.post("/api/v1/admin/responders", r2, "{}").status());
    assertEquals(200, api.get("/api/v1/incidents", r2).status(), "public: ignored");
  }
}
