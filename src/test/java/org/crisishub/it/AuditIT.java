package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.crisishub.support.Api;
import org.crisishub.support.RedisServer;
import org.crisishub.support.TestHub;
import org.crisishub.tools.AuditCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail end to end (product spec, v2 "Audit"): every admin and responder route that
 * changes something leaves exactly one entry, refusals of authenticated admins and responders leave
 * one, 400 and 401 none; paging, verify, and the operator's check against a kept head. The embedded
 * store here; {@link AuditRedisIT} runs the same on a real redis-server.
 */
@DisplayName("Audit trail: one entry per change and per refusal, paged, verified, checked against a kept head")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditIT {
  static final String ADMIN = "audit-test-admin-token-0123456789";
  static final String PHONE = "+15557300001";
  static final String NOTE = "under the oak on Elm Street";
  static final String HEADLINE = "Shelter open at Lincoln School";
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static RedisServer redis;

  @BeforeAll
  static void start(TestInfo info) throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_RATE_LIMITS", "off"));
    // The statics are shared with AuditRedisIT in the same JVM: set redis for this class every time, so a
    // server left over from a run that failed in stop() cannot make Tamper act on the wrong store.
    redis = info.getTestClass().orElseThrow() == AuditRedisIT.class ? RedisServer.startNew() : null;
    if (redis != null) {
      env.put("HUB_STORE", "redis");
      env.put("HUB_REDIS_URL", redis.url());
    }
    hub = TestHub.start(dir, env);
    api = new Api(hub.vertx, hub.port());
  }

  @AfterAll
  static void stop() throws Exception {
    // hub.close() fails the class when Vert.x reported a blocked event loop; the redis-server must still
    // stop and the shared field be cleared, or the next class's Tamper writes to this stale server.
    try {
      if (api != null) {
        api.close();
      }
    } finally {
      try {
        if (hub != null) {
          hub.close();
        }
      } finally {
        api = null;
        hub = null;
        if (redis != null) {
          redis.close();
          redis = null;
        }
      }
    }
  }

  static List<JsonNode> entries() {
    List<JsonNode> out = new ArrayList<>();
    String after = "0";
    while (after != null) {
      Api.Resp r = api.get("/api/v1/admin/audit?limit=1000&after=" + after, ADMIN);
      assertEquals(200, r.status(), r.text());
      r.json().path("entries").forEach(out::add);
      after = r.json().hasNonNull("next") ? r.json().get("next").asText() : null;
    }
    return out;
  }

  /**
   * Runs {@code call}, expects {@code status}, and exactly one new entry {@code action} by
   * {@code actor} with {@code outcome} (or none when {@code action} is null); returns the response.
   */
  static Api.Resp step(String action, String actor, String outcome, int status, Supplier<Api.Resp> call) {
    int before = entries().size();
    Api.Resp r = call.get();
    assertEquals(status, r.status(), action + ": " + r.text());
    List<JsonNode> after = entries();
    if (action == null) {
      assertEquals(before, after.size(), "no entry expected: " + r.text());
      return r;
    }
    assertEquals(before + 1, after.size(), "exactly one entry for " + action);
    JsonNode e = after.get(after.size() - 1);
    assertEquals(action, e.path("action").asText(), e.toString());
    assertEquals(actor, e.path("actor").asText(), e.toString());
    assertEquals(outcome, e.path("outcome").asText(), e.toString());
    return r;
  }

  static JsonNode last() {
    List<JsonNode> all = entries();
    return all.get(all.size() - 1);
  }

  static String body(String... kv) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < kv.length; i += 2) {
      b.append(i == 0 ? "" : ",").append('"').append(kv[i]).append("\":").append(kv[i + 1]);
    }
    return b.append('}').toString();
  }

  static Api.Resp post(String path, String token, String json) {
    return api.post(path, token, json);
  }

  static Api.Resp delete(String path, String token) {
    return api.call(HttpMethod.DELETE, path, token, null);
  }

  @Test
  @Order(1)
  @DisplayName("walking every admin and responder route: each change and each refusal leaves exactly one entry")
  void everyRouteLeavesOneEntry() throws Exception {
    String responder = "{\"username\":\"%s\",\"password\":\"password of %s\",\"agency\":\"%s\",\"roles\":%s}";
    step("responder.create", "admin", "done", 201, () -> post("/api/v1/admin/responders", ADMIN,
        responder.formatted("pub", "pub", "County EMS", "[\"publisher\"]")));
    step("responder.create", "admin", "done", 201, () -> post("/api/v1/admin/responders", ADMIN,
        responder.formatted("app", "app", "County EMS", "[\"approver\"]")));
    step("responder.create", "admin", "done", 201, () -> post("/api/v1/admin/responders", ADMIN,
        responder.formatted("far", "far", "Fire Dept", "[\"publisher\",\"approver\"]")));
    step(null, null, null, 400, () -> post("/api/v1/admin/responders", ADMIN, "{\"username\":\"x\"}"));
    String pub = step("session.create", "pub", "done", 200, () -> post("/api/v1/responders/sessions", null,
        "{\"username\":\"pub\",\"password\":\"password of pub\"}")).json().path("token").asText();
    String app = api.responderLogin("app");
    String far = api.responderLogin("far");
    step(null, null, null, 401, () -> post("/api/v1/responders/sessions", null,
        "{\"username\":\"pub\",\"password\":\"wrong\"}"));
    step("agency.key.rotate", "admin", "done", 201, () -> post("/api/v1/admin/agencies/County%20EMS/keys/rotate",
        ADMIN, null));
    step("responder.create", "pub", "refused", 403, () -> post("/api/v1/admin/responders", pub,
        responder.formatted("x", "x", "County EMS", "[\"publisher\"]")));
    step("audit.read", "far", "refused", 403, () -> api.get("/api/v1/admin/audit", far));

    step("incident.create", "pub", "done", 201, () -> post("/api/v1/incidents", pub,
        "{\"code\":\"FLOOD7\",\"name\":\"River flood\"}"));
    step("incident.create", "pub", "refused", 409, () -> post("/api/v1/incidents", pub,
        "{\"code\":\"FLOOD7\",\"name\":\"Again\"}"));
    step(null, null, null, 400, () -> post("/api/v1/incidents", pub, "{\"code\":\"\"}"));
    step(null, null, null, 401, () -> post("/api/v1/incidents", "forged", "{\"code\":\"X1\",\"name\":\"n\"}"));
    String person = api.login(PHONE);
    step(null, null, null, 403, () -> post("/api/v1/incidents", person, "{\"code\":\"X2\",\"name\":\"n\"}"));
    // A responder's or the admin's token on a person's route: refused (403) and, as every refusal of theirs, an
    // entry naming the route's template, never the path (it may hold a number).
    step("person_route", "pub", "refused", 403, () -> post("/api/v1/checkins", pub, "{\"status\":\"safe\"}"));
    assertEquals("POST /api/v1/checkins", last().path("subject").asText());
    step("person_route", "admin", "refused", 403, () -> api.call(HttpMethod.PUT, "/api/v1/follows/%2B15557300009",
        ADMIN, "{}"));
    assertEquals("PUT /api/v1/follows/:phone", last().path("subject").asText());
    assertEquals("forbidden", last().path("detail").asText());
    step(null, null, null, 401, () -> post("/api/v1/checkins", null, "{\"status\":\"safe\"}"));
    step("incident.partner.add", "pub", "done", 200, () -> post("/api/v1/incidents/FLOOD7/partners", pub,
        "{\"agency\":\"Red Cross\"}"));
    step("incident.partner.remove", "admin", "done", 200, () -> delete("/api/v1/incidents/FLOOD7/partners/Red%20Cross",
        ADMIN));
    step("incident.partner.add", "far", "refused", 403, () -> post("/api/v1/incidents/FLOOD7/partners", far,
        "{\"agency\":\"Fire Dept\"}"));

    String draft = "{\"incident\":\"FLOOD7\",\"headline\":\"" + HEADLINE + "\",\"body\":\"Bring water.\","
        + "\"severity\":\"Severe\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\"}";
    String notice = step("notice.draft", "pub", "done", 201, () -> post("/api/v1/notices", pub, draft))
        .json().path("id").asText();
    step("notice.draft", "far", "refused", 403, () -> post("/api/v1/notices", far, draft));
    step("notice.approve", "app", "done", 200, () -> post("/api/v1/notices/" + notice + "/approve", app, null));
    step("notice.publish", "pub", "done", 200, () -> post("/api/v1/notices/" + notice + "/publish", pub, null));
    step("notice.publish", "pub", "refused", 409, () -> post("/api/v1/notices/" + notice + "/publish", pub, null));

    String help = api.post("/api/v1/checkins", person, "{\"status\":\"need_help\",\"incident\":\"FLOOD7\",\"note\":\""
        + NOTE + "\"}").json().path("id").asText();
    step("help.read", "far", "refused", 403, () -> api.get("/api/v1/incidents/FLOOD7/help", far));
    step(null, null, null, 200, () -> api.get("/api/v1/incidents/FLOOD7/help", pub));
    step("help.acknowledged", "pub", "done", 200, () -> post("/api/v1/help/" + help + "/ack", pub, null));
    // GET /help/{id}: a refused read by a responder or the admin is an entry; a granted read, or the person's, none.
    step("help.read", "far", "refused", 403, () -> api.get("/api/v1/help/" + help, far));
    step("help.read", "pub", "refused", 404, () -> api.get("/api/v1/help/no-such-request", pub));
    step("help.read", "admin", "refused", 403, () -> api.get("/api/v1/help/" + help, ADMIN));
    step(null, null, null, 200, () -> api.get("/api/v1/help/" + help, pub));
    step(null, null, null, 200, () -> api.get("/api/v1/help/" + help, person));
    step("help.resolved", "far", "refused", 403, () -> post("/api/v1/help/" + help + "/resolve", far, null));
    step("help.resolved", "pub", "done", 200, () -> post("/api/v1/help/" + help + "/resolve", pub, null));

    String check = step("safety_check.create", "pub", "done", 201, () -> post("/api/v1/incidents/FLOOD7/safety-checks",
        pub, "{\"audience\":{\"joined\":false,\"inArea\":false,\"numbers\":[\"" + PHONE + "\"]}}"))
        .json().path("id").asText();
    step("safety_check.start", "pub", "refused", 409, () -> post("/api/v1/safety-checks/" + check + "/start", pub,
        null));
    step("safety_check.approve", "app", "done", 200, () -> post("/api/v1/safety-checks/" + check + "/approve", app,
        null));
    step("safety_check.start", "pub", "done", 200, () -> post("/api/v1/safety-checks/" + check + "/start", pub,
        null));
    step("safety_check.people.read", "pub", "done", 200, () -> api.get("/api/v1/safety-checks/" + check + "/people",
        pub));
    step("safety_check.people.read", "pub", "done", 200, () -> api.call(HttpMethod.GET, "/api/v1/safety-checks/"
        + check + "/people?state=no_answer", pub, null, "Accept", "text/csv"));
    step("safety_check.people.read", "far", "refused", 403, () -> api.get("/api/v1/safety-checks/" + check
        + "/people", far));
    step(null, null, null, 200, () -> api.get("/api/v1/safety-checks/" + check, pub));
    step("person_route", "pub", "refused", 403, () -> post("/api/v1/safety-checks/" + check + "/answers", pub,
        "{\"status\":\"safe\"}"));
    assertEquals("POST /api/v1/safety-checks/:id/answers", last().path("subject").asText());
    step("safety_check.close", "pub", "done", 200, () -> post("/api/v1/safety-checks/" + check + "/close", pub,
        null));

    step("incident.close", "far", "refused", 403, () -> post("/api/v1/incidents/FLOOD7/close", far, null));
    step("incident.close", "pub", "done", 200, () -> post("/api/v1/incidents/FLOOD7/close", pub, null));
    step("session.revoke", "app", "done", 204, () -> delete("/api/v1/sessions", app));
    step(null, null, null, 204, () -> delete("/api/v1/sessions", person));
    step("responder.disable", "admin", "done", 204, () -> delete("/api/v1/admin/responders/far", ADMIN));

    List<JsonNode> all = entries();
    for (JsonNode e : all) {
      String s = e.toString();
      assertFalse(s.contains("5557300001") || s.contains("Elm") || s.contains("Lincoln"), "personal data in " + s);
    }
    JsonNode created = all.stream().filter(e -> e.path("action").asText().equals("notice.draft")).findFirst()
        .orElseThrow();
    assertEquals(notice, created.path("subject").asText(), "a create names the new object's id");
    assertTrue(all.stream().anyMatch(e -> e.path("action").asText().equals("incident.create")
        && e.path("subject").asText().equals("FLOOD7")), "an incident is named by its code");
    JsonNode v = api.get("/api/v1/admin/audit/verify", ADMIN).json();
    assertTrue(v.path("ok").asBoolean(), v.toString());
    assertEquals(all.size(), v.path("entries").asInt());
    assertEquals(all.get(all.size() - 1).path("hash").asText(), v.path("head").asText());
  }

  @Test
  @Order(2)
  @DisplayName("pages come in id order with next; bad paging is 400; the operator check catches a cut tail and an edit")
  void pagingVerifyAndKeptHead() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertEquals(201, post("/api/v1/admin/agencies/Paging%20Agency/keys/rotate", ADMIN, null).status());
    }
    Api.Resp first = api.get("/api/v1/admin/audit?limit=2", ADMIN);
    assertEquals(2, first.json().path("entries").size());
    assertEquals("1", first.json().path("entries").get(0).path("id").asText());
    assertEquals("0".repeat(64), first.json().path("entries").get(0).path("prevHash").asText());
    assertEquals("2", first.json().path("next").asText());
    Api.Resp second = api.get("/api/v1/admin/audit?limit=2&after=2", ADMIN);
    assertEquals("3", second.json().path("entries").get(0).path("id").asText());
    assertEquals(first.json().path("entries").get(1).path("hash").asText(),
        second.json().path("entries").get(0).path("prevHash").asText());
    for (String bad : List.of("limit=0", "limit=1001", "limit=x", "after=-1", "after=1e3")) {
      assertEquals(400, api.get("/api/v1/admin/audit?" + bad, ADMIN).status(), bad);
    }

    Map<String, String> env = Map.of("HUB_ADMIN_TOKEN", ADMIN);
    String url = "http://127.0.0.1:" + hub.port();
    AuditCheck.Outcome ok = AuditCheck.run(new String[] {"--url", url}, env, System.err);
    assertEquals(0, ok.status(), ok.line());
    String[] parts = ok.line().split(" ");
    String entries = parts[1].substring("entries=".length());
    String head = parts[2].substring("head=".length());
    assertEquals(0, AuditCheck.run(new String[] {"--url", url, "--head", head, "--entries", entries}, env,
        System.err).status());

    long last = Long.parseLong(entries);
    Tamper.deleteEntry(last);
    JsonNode v = api.get("/api/v1/admin/audit/verify", ADMIN).json();
    assertTrue(v.path("ok").asBoolean(), "a cut tail is a valid shorter chain: " + v);
    AuditCheck.Outcome cut = AuditCheck.run(new String[] {"--url", url, "--head", head, "--entries", entries}, env,
        System.err);
    assertEquals(1, cut.status(), cut.line());
    assertTrue(cut.line().startsWith("broken"), cut.line());

    Tamper.editEntry(3);
    JsonNode broken = api.get("/api/v1/admin/audit/verify", ADMIN).json();
    assertFalse(broken.path("ok").asBoolean(), broken.toString());
    assertEquals("3", broken.path("brokenAt").asText());
    assertEquals(1, AuditCheck.run(new String[] {"--url", url}, env, System.err).status());
  }

  /** Changes behind the hub's back, as someone with access to the store's data could. */
  static final class Tamper {
    static void deleteEntry(long id) throws Exception {
      if (redis != null) {
        RedisTamper.run("ZREMRANGEBYSCORE", "{g}:audit:chain", String.valueOf(id), String.valueOf(id));
      } else {
        sqlite("DELETE FROM audit WHERE seq = " + id);
      }
    }

    static void editEntry(long id) throws Exception {
      if (redis != null) {
        String m = RedisTamper.run("ZRANGE", "{g}:audit:chain", String.valueOf(id), String.valueOf(id), "BYSCORE")
            .get(0).toString();
        RedisTamper.run("ZREM", "{g}:audit:chain", m);
        RedisTamper.run("ZADD", "{g}:audit:chain", String.valueOf(id), m.replaceFirst("\"actor\":\"[^\"]*\"",
            "\"actor\":\"mallory\""));
      } else {
        sqlite("UPDATE audit SET actor = 'mallory' WHERE seq = " + id);
      }
    }

    private static void sqlite(String sql) throws Exception {
      try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
          var st = c.createStatement()) {
        st.execute(sql);
      }
    }
  }

  /** One command to the test's redis-server. */
  static final class RedisTamper {
    static io.vertx.redis.client.Response run(String... args) throws Exception {
      var client = io.vertx.redis.client.Redis.createClient(hub.vertx, redis.url());
      try {
        var req = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.create(args[0]));
        for (int i = 1; i < args.length; i++) {
          req.arg(args[i]);
        }
        return client.send(req).await(10, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        client.close();
      }
    }
  }
}
