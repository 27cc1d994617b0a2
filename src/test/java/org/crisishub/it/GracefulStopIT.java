package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.crisishub.support.HubProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Graceful stop of an idle node")
class GracefulStopIT {
  @TempDir
  Path dir;

  @Test
  @DisplayName("SIGTERM right after start, with no client connected: the node stops cleanly and at once")
  void idleNodeStops() throws Exception {
    HubProcess hub = HubProcess.start(dir, Map.of());
    long ms = hub.sigterm(30);
    assertTrue(ms < 10_000, "took " + ms + " ms");
    assertTrue(hub.output().stream().anyMatch(l -> l.contains("hub stopped")), String.join("\n", hub.output()));
    assertTrue(hub.output().stream().noneMatch(l -> l.contains("Unhandled exception")), String.join("\n", hub.output()));
  }
}
