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
