package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crisishub.support.Api;
import org.crisishub.support.Closer;
import org.crisishub.support.FakeTwilio;
import org.crisishub.support.HubCluster;
import org.crisishub.support.TwilioWebhook;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A safety check's escalation wave in a cluster: two hub JVMs on one real redis-server, SMS through
 * the Twilio SDK to a fake Twilio that can hold sends in flight.
 */
@DisplayName("Cluster mode: a safety check's wave survives SIGKILL of the node running it")
class SafetyClusterIT {
  static final int PEOPLE = 40;

  @TempDir
  Path dir;
  Vertx vertx;
  FakeTwilio twilio;
  final Closer closing = new Closer();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    twilio = FakeTwilio.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      closing.close();
    } finally {
      twilio.close();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  <T extends AutoCloseable> T closeLater(T c) {
    return closing.add(c);
  }

  static List<FakeTwilio.Req> reminders(FakeTwilio twilio, String to) {
    return twilio.acceptedTo(to).stream().filter(r -> r.body().contains("(reminder)")).toList();
  }

  static boolean logged(HubCluster c, int node, String text) {
    return c.node(node).output().stream().anyMatch(l -> l.contains(text));
  }

  @Test
  @DisplayName("the node running the repeat wave is SIGKILLed mid-wave (sends held in flight): the other node takes"
      + " the lease over and finishes; every member asked exactly once in the wave, nothing repeated after its SID")
  void waveSurvivesKill() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(SmsIT.env(twilio, "50"));
    // An SMS claim outlives a send's timeout, so (on a loaded machine too) only the dead node's claims move.
    env.put("HUB_SMS_LEASE_SECONDS", "20");
    env.put("HUB_TWILIO_TIMEOUT_MS", "8000");
    env.put("HUB_SAFETY_WAVE_LEASE_SECONDS", "3");
    env.put("HUB_SAFETY_WAVE_TICK_MS", "100");
    env.put("HUB_SAFETY_WAVE_BATCH", "5");
    env.put("HUB_SAFETY_WAVE_BACKLOG", "8");
    HubCluster c = closeLater(HubCluster.start(dir, 2, env));
    Api n1 = closeLater(new Api(vertx, c.node(1).port()));
    Api n2 = closeLater(new Api(vertx, c.node(2).port()));
    TwilioWebhook hook = closeLater(new TwilioWebhook(vertx, c.node(2).port(), SmsIT.PUBLIC, SmsIT.TOKEN));
    String admin = env.get("HUB_ADMIN_TOKEN");
    assertEquals(201, n1.call(io.vertx.core.http.HttpMethod.POST, "/api/v1/admin/responders", null,
        "{\"username\":\"wavepub\",\"password\":\"a long password\",\"agency\":\"EMS\",\"roles\":[\"publisher\"]}",
        "Authorization", "Bearer " + admin).status());
    String pub = n2.post("/api/v1/responders/sessions", null,
        "{\"username\":\"wavepub\",\"password\":\"a long password\"}").json().path("token").asText();
    assertEquals(201, n1.post("/api/v1/incidents", pub, "{\"code\":\"WAVE\",\"name\":\"Flood\"}").status());
    List<String> people = new ArrayList<>();
    for (int i = 0; i < PEOPLE; i++) {
      String p = String.format("+1555820%04d", i);
      people.add(p);
      var r = hook.sms(p, "JOIN WAVE", String.format("SM%032d", 820_000 + i));
      assertEquals(200, r.statusCode(), r.bodyAsString());
    }

    var d = n1.post("/api/v1/incidents/WAVE/safety-checks", pub, "{\"escalation\":{\"repeatAfterSeconds\":6}}");
    assertEquals(201, d.status(), d.toString());
    String id = d.json().path("id").asText();
    assertEquals(200, n1.post("/api/v1/safety-checks/" + id + "/start", pub, null).status());
    ClusterIT.await("the first asks", 60, () -> people.stream().allMatch(p -> twilio.acceptedTo(p).stream()
        .anyMatch(r -> r.body().contains("Reply SAFE or 1"))));
    // From now on sends stay in flight: the wave fills the outbox up to its backlog limit and waits there,
    // holding (and renewing) its lease.
    twilio.hold(true);
    String claimed = "safety check " + id + ": repeat wave claimed by ";
    ClusterIT.await("a node to claim the repeat wave", 60, () -> logged(c, 1, claimed) || logged(c, 2, claimed));
    int runner = logged(c, 1, claimed + c.nodeId(1)) ? 1 : 2;
    int other = 3 - runner;
    ClusterIT.await("repeat asks in flight", 30, () -> twilio.requests().stream()
        .filter(r -> r.answered() == 0 && r.body().contains("(reminder)")).count() >= 3);
    assertTrue(!logged(c, runner, "safety check " + id + ": repeat wave finished"), "killed mid-wave");
    c.node(runner).kill();
    twilio.hold(false);

    ClusterIT.await("node " + other + " to take the wave over", 60,
        () -> logged(c, other, claimed + c.nodeId(other) + " (from a takeover's cursor)"));
    ClusterIT.await("the wave finished by node " + other, 60,
        () -> logged(c, other, "safety check " + id + ": repeat wave finished by " + c.nodeId(other)));
    ClusterIT.await("every member's repeat ask", 90, () -> people.stream()
        .allMatch(p -> !reminders(twilio, p).isEmpty()));
    Api survivor = other == 1 ? n1 : n2;
    ClusterIT.await("an empty outbox", 60, () -> ClusterIT.metric(survivor, "hub_sms_outbox_depth") == 0);
    for (String p : people) {
      assertEquals(1, reminders(twilio, p).size(), "asked once in the wave: " + p);
    }
    var check = survivor.get("/api/v1/safety-checks/" + id, pub);
    assertEquals(PEOPLE, check.json().path("tallies").path("noAnswer").asInt(), check.toString());
  }
}
