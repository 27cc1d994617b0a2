package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crisishub.support.HubProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("First minute: a normal start logs one start block, no logback report and no blocked event loop")
class StartBlockIT {
  @TempDir
  Path dir;

  @Test
  @DisplayName("with the shipped logback.xml, the start block names each setting and nothing of logback's own")
  void startBlock() throws Exception {
    List<String> lines;
    int port;
    // The shipped configuration, not the tests' logback-test.xml.
    try (HubProcess hub = HubProcess.start(dir, Map.of("HUB_ADMIN_TOKEN", "a-long-admin-token-for-this-test"),
        List.of("-Dlogback.configurationFile=logback.xml"))) {
      port = hub.port();
      hub.sigterm(60);
      lines = new ArrayList<>(hub.output());
    }
    String all = String.join("\n", lines);
    for (String line : lines) {
      assertTrue(!line.contains("ch.qos.logback") && !line.matches(".*\\|-(INFO|WARN|ERROR) in .*"),
          "logback status line: " + line + "\n" + all);
      assertTrue(!line.contains("has been blocked"), "blocked event loop at start: " + line);
    }
    int first = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("Crisis Hub listening on http://127.0.0.1:" + port + " (store embedded, SMS dev, node ")) {
        first = i;
      }
    }
    assertTrue(first >= 0, all);
    assertTrue(lines.get(first).matches("\\d{4}-\\d\\d-\\d\\dT.* INFO .*"), "the block is one INFO event: " + all);
    List<String> block = new ArrayList<>();
    for (int i = first + 1; i < lines.size() && lines.get(i).startsWith("  "); i++) {
      block.add(lines.get(i).strip());
    }
    List<String> names = new ArrayList<>();
    for (String l : block) {
      names.add(l.substring(0, l.indexOf(':')));
    }
    assertEquals(List.of("version", "node", "public url", "store", "cluster", "sms", "dev endpoints", "admin",
        "rate limits", "connections", "network transport"), names, all);
    assertTrue(block.contains("store: embedded SQLite in " + dir.toRealPath()) || block.stream()
        .anyMatch(l -> l.startsWith("store: embedded SQLite in ")), all);
    assertTrue(block.contains("cluster: off (single node)"), all);
    assertTrue(block.contains("dev endpoints: loopback only"), all);
    assertTrue(block.contains("admin: on (HUB_ADMIN_TOKEN set)"), all);
    assertTrue(block.contains("rate limits: on"), all);
    assertTrue(!all.contains("a-long-admin-token-for-this-test"), "the admin token is in the log");
  }
}
