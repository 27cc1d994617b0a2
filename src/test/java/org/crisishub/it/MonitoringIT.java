package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Monitoring: every metric the dashboard and the alerts use is exported; requests carry an id")
class MonitoringIT {
  /** Exported only by clustered nodes: ClusterIT checks them. */
  static final Set<String> CLUSTER_ONLY = Set.of("hub_cluster_nodes", "hub_fanout_lag_seconds");
  static final Pattern METRIC = Pattern.compile("\\b((?:hub|jvm|process)_[a-z_]+)");

  @TempDir
  Path dir;

  static Set<String> referenced() throws Exception {
    Set<String> names = new TreeSet<>();
    for (String f : new String[] {"docs/monitoring/grafana-dashboard.json", "docs/monitoring/alerts.yaml"}) {
      Matcher m = METRIC.matcher(Files.readString(Path.of(f)));
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  static boolean exported(String scrape, String name) {
    return scrape.contains("\n" + name + " ") || scrape.contains("\n" + name + "{");
  }

  @Test
  @DisplayName("the Grafana dashboard and the alert rules name only metrics a node exports")
  void dashboardMetricsExist() throws Exception {
    Set<String> names = referenced();
    assertTrue(names.size() >= 15, names.toString());
    try (TestHub hub = TestHub.start(dir, Map.of()); Api api = new Api(hub.vertx, hub.port())) {
      // hub_http_requests_seconds has a series once a request has been answered.
      assertEquals(200, api.get("/health/live", null).status());
      String scrape = "\n" + api.get("/metrics", null).text();
      Set<String> missing = new TreeSet<>();
      for (String n : names) {
        if (!CLUSTER_ONLY.contains(n) && !exported(scrape, n)) {
          missing.add(n);
        }
      }
      assertTrue(missing.isEmpty(), "not exported: " + missing);
    }
  }

  static final String ADMIN = "monitoring-admin-token-0123456789";

  /** The value of one series in a scrape, e.g. {@code hub_otp_sent_total} or {@code x{a="b"}}; 0 when absent. */
  static double value(String scrape, String series) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).strip());
      }
    }
    return 0;
  }

  static double httpCount(String scrape, String method, String route, String status) {
    return value(scrape, "hub_http_requests_seconds_count{method=\"" + method + "\",route=\"" + route
        + "\",status=\"" + status + "\"}");
  }

  @Test
  @DisplayName("every metric has HELP text; requests, codes, help requests, notices and SMS outcomes are counted")
  void operatorMetrics() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_ADMIN_TOKEN", ADMIN));
         Api api = new Api(hub.vertx, hub.port())) {
      String first = api.get("/metrics", null).text();
      Matcher help = Pattern.compile("(?m)^# HELP (\\S+)(.*)$").matcher(first);
      int helps = 0;
      while (help.find()) {
        helps++;
        assertTrue(!help.group(2).isBlank(), "no HELP text for " + help.group(1));
      }
      assertTrue(helps > 20, first);
      for (String series : new String[] {"hub_otp_sent_total", "hub_otp_refused_total{reason=\"wrong\"}",
          "hub_help_requests_total{event=\"filed\"}", "hub_help_requests_total{event=\"acknowledged\"}",
          "hub_help_requests_total{event=\"resolved\"}", "hub_notices_published_total",
          "hub_sms_outcomes_total{outcome=\"sent\"}", "hub_sms_outcomes_total{outcome=\"delivered\"}",
          "hub_sms_outcomes_total{outcome=\"failed\"}", "hub_sms_outcomes_total{outcome=\"opted_out\"}"}) {
        assertTrue(first.contains("\n" + series + " 0.0"), "not exported at 0 from the start: " + series);
      }

      String alice = api.login("+15551234567");
      // A wrong code (tries left), then a malformed one.
      assertEquals(202, api.post("/api/v1/otp", null, "{\"phone\":\"+15557654321\"}").status());
      var outbox = api.get("/dev/sms/messages?to=%2B15557654321", null).json();
      String code = outbox.get(outbox.size() - 1).path("body").asText().replaceAll("(?s).*code: ([0-9]{6}).*", "$1");
      String wrong = String.format("%06d", (Integer.parseInt(code) + 1) % 1_000_000);
      assertEquals(403, api.post("/api/v1/sessions", null,
          "{\"phone\":\"+15557654321\",\"code\":\"" + wrong + "\"}").status());
      assertEquals(400, api.post("/api/v1/sessions", null, "{\"phone\":\"+15557654321\",\"code\":\"12ab\"}").status());
      String bob = api.login("+15557654321");
      assertEquals(401, api.get("/api/v1/people/+15551234567/status", null).status());
      assertEquals(404, api.get("/no/such/page", null).status());
      // Bob asks to follow Alice: she is asked by SMS too, through the outbox.
      assertEquals(201, api.post("/api/v1/follows", bob, "{\"phone\":\"+15551234567\"}").status());

      String r = api.responder(ADMIN, "dispatch", "a long password", "County EMS", "[\"publisher\",\"approver\"]");
      assertEquals(201, api.post("/api/v1/incidents", r, "{\"code\":\"FLOOD7\",\"name\":\"River flood\"}").status());
      var ci = api.post("/api/v1/checkins", alice, "{\"status\":\"need_help\",\"incident\":\"FLOOD7\"}");
      assertEquals(201, ci.status(), ci.text());
      String id = ci.json().path("id").asText();
      assertEquals(200, api.post("/api/v1/help/" + id + "/ack", r, null).status());
      assertEquals(200, api.post("/api/v1/help/" + id + "/resolve", r, null).status());
      var notice = api.post("/api/v1/notices", r, "{\"incident\":\"FLOOD7\",\"headline\":\"Shelter open\","
          + "\"body\":\"Bring water.\",\"severity\":\"Severe\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\"}");
      assertEquals(201, notice.status(), notice.text());
      assertEquals(200, api.post("/api/v1/notices/" + notice.json().path("id").asText() + "/publish", r, null).status());

      // The outbox sends on its own timer: wait (bounded) for the follow request's SMS to count.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      String scrape = api.get("/metrics", null).text();
      while (value(scrape, "hub_sms_outcomes_total{outcome=\"sent\"}") < 1) {
        assertTrue(System.nanoTime() < deadline, "no SMS counted as sent:\n" + scrape);
        java.util.concurrent.TimeUnit.MILLISECONDS.sleep(100);
        scrape = api.get("/metrics", null).text();
      }
      assertEquals(3, value(scrape, "hub_otp_sent_total"));
      assertEquals(1, value(scrape, "hub_otp_refused_total{reason=\"wrong\"}"));
      assertEquals(1, value(scrape, "hub_otp_refused_total{reason=\"malformed\"}"));
      assertEquals(1, value(scrape, "hub_help_requests_total{event=\"filed\"}"));
      assertEquals(1, value(scrape, "hub_help_requests_total{event=\"acknowledged\"}"));
      assertEquals(1, value(scrape, "hub_help_requests_total{event=\"resolved\"}"));
      assertEquals(1, value(scrape, "hub_notices_published_total"));
      assertEquals(3, httpCount(scrape, "POST", "/api/v1/otp", "202"));
      assertEquals(1, httpCount(scrape, "POST", "/api/v1/sessions", "403"));
      assertEquals(1, httpCount(scrape, "POST", "/api/v1/sessions", "400"));
      assertEquals(1, httpCount(scrape, "GET", "/api/v1/people/:phone/status", "401"));
      assertEquals(1, httpCount(scrape, "GET", "unmatched", "404"));
      assertEquals(1, httpCount(scrape, "POST", "/api/v1/help/:id/ack", "200"), scrape);
      assertTrue(httpCount(scrape, "GET", "/metrics", "200") >= 1);
      assertTrue(scrape.contains("hub_http_requests_seconds_bucket{method=\"POST\",route=\"/api/v1/otp\",status=\"202\",le=\"0.1\"}"),
          "latency histogram buckets");
      assertTrue(!scrape.contains("route=\"/api/v1/people/+1"), "a raw path became a label");
    }
  }

  @Test
  @DisplayName("a request's X-Request-Id is echoed, a missing or odd one replaced by a fresh id")
  void requestIds() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of()); Api api = new Api(hub.vertx, hub.port())) {
      Api.Resp given = api.call(io.vertx.core.http.HttpMethod.GET, "/health/live", null, null, "X-Request-Id", "trace-42");
      assertEquals("trace-42", given.headers().get("X-Request-Id"));
      Api.Resp fresh = api.get("/health/live", null);
      assertTrue(fresh.headers().get("X-Request-Id").matches("[0-9a-f]{1,16}"), fresh.headers().toString());
      Api.Resp odd = api.call(io.vertx.core.http.HttpMethod.GET, "/health/live", null, null, "X-Request-Id", "a b\tc");
      assertTrue(odd.headers().get("X-Request-Id").matches("[0-9a-f]{1,16}"));
    }
  }
}
