package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crisishub.support.Api;
import org.crisishub.support.FakeTwilio;
import org.crisishub.support.HubCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyword watch in a cluster: two hub JVMs on one real redis-server. Each node keeps its own compiled
 * matcher per incident, checked against the stamp each need_help check-in reads with its incident
 * (docs/triage.md): terms changed on one node must be used by the very next check-in on the other.
 */
@DisplayName("Cluster mode: watch terms changed on node A are used by the next check-in on node B")
class WatchClusterIT {
  @TempDir
  Path dir;
  Vertx vertx;
  FakeTwilio twilio;
  final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    twilio = FakeTwilio.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    AssertionError failure = null;
    for (int i = closing.size() - 1; i >= 0; i--) {
      try {
        closing.get(i).close();
      } catch (AssertionError e) {
        failure = e;
      } catch (Exception e) {
        // keep closing
      }
    }
    twilio.close();
    vertx.close().await(10, TimeUnit.SECONDS);
    if (failure != null) {
      throw failure;
    }
  }

  <T extends AutoCloseable> T closeLater(T c) {
    closing.add(c);
    return c;
  }

  @Test
  @DisplayName("B compiles the terms on its first check-in; A changes them; B's next check-in matches the new terms"
      + " only, and an old term no longer matches on B")
  void termsChangedOnAUsedByB() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(SmsIT.env(twilio, "50"));
    HubCluster c = closeLater(HubCluster.start(dir, 2, env));
    Api a = closeLater(new Api(vertx, c.node(1).port()));
    Api b = closeLater(new Api(vertx, c.node(2).port()));
    String admin = env.get("HUB_ADMIN_TOKEN");
    a.createResponder(admin, "watchpub", "EMS", "[\"publisher\"]");
    String pub = a.responderLogin("watchpub");
    assertEquals(201, a.post("/api/v1/incidents", pub, "{\"code\":\"WATCH\",\"name\":\"Flood\"}").status());
    assertEquals(200, putTerms(a, pub, "[\"trapped\"]").status());
    String person = login(b, "+15558300001");

    String first = checkIn(b, person, "trapped on the roof");
    assertEquals(List.of("trapped"), matched(a, pub, first), "B compiled the first terms");

    Api.Resp changed = putTerms(a, pub, "[\"no insulin\"]");
    assertEquals(200, changed.status(), changed.text());
    String second = checkIn(b, person, "trapped, and no insulin");
    assertEquals(List.of("no insulin"), matched(b, pub, second), "B's next check-in uses A's new terms");
    String third = checkIn(b, person, "still trapped");
    assertEquals(List.of(), matched(b, pub, third), "the old term no longer matches on B");
    assertEquals(List.of(), matched(a, pub, first), "A re-scored the first request when the terms changed");
  }

  /** A person's session on {@code api}'s node, through the real one-time-code flow (the code read from the fake Twilio). */
  String login(Api api, String phone) throws Exception {
    int before = twilio.acceptedTo(phone).size();
    assertEquals(202, api.post("/api/v1/otp", null, "{\"phone\":\"" + phone + "\"}").status());
    ClusterIT.await("the code SMS to " + phone, 30, () -> twilio.acceptedTo(phone).size() > before);
    String code = twilio.acceptedTo(phone).get(before).body().replaceAll("(?s).*?([0-9]{6}).*", "$1");
    Api.Resp s = api.post("/api/v1/sessions", null, "{\"phone\":\"" + phone + "\",\"code\":\"" + code + "\"}");
    assertEquals(200, s.status(), s.toString());
    return s.json().path("token").asText();
  }

  static Api.Resp putTerms(Api api, String token, String termsJson) {
    return api.call(HttpMethod.PUT, "/api/v1/incidents/WATCH/watch-terms", token, "{\"terms\":" + termsJson + "}");
  }

  static String checkIn(Api api, String token, String note) {
    Api.Resp r = api.post("/api/v1/checkins", token, "{\"status\":\"need_help\",\"note\":\"" + note
        + "\",\"incident\":\"WATCH\"}");
    assertEquals(201, r.status(), r.text());
    return r.json().path("id").asText();
  }

  /** The terms the help request {@code id} matched, from the queue as {@code api}'s node shows it. */
  static List<String> matched(Api api, String token, String id) {
    Api.Resp q = api.get("/api/v1/incidents/WATCH/help", token);
    assertEquals(200, q.status(), q.text());
    for (JsonNode h : q.json()) {
      if (h.path("id").asText().equals(id)) {
        List<String> out = new ArrayList<>();
        h.path("matched").forEach(t -> out.add(t.asText()));
        assertEquals(out.isEmpty() ? "normal" : "high", h.path("priority").asText());
        return out;
      }
    }
    throw new AssertionError(id + " not in the queue");
  }
}
