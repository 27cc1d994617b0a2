package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.crisishub.fanout.ClientSession;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("WebSocket liveness: the hub pings, and closes connections that stay silent")
class IdleTimeoutIT {
  @TempDir
  Path dir;

  @Test
  @DisplayName("a client that answers pings stays; one that reads nothing is closed with 4000")
  void idleClientIsClosed() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_WS_IDLE_SECONDS", "5"))) {
      WsClient silent = WsClient.connect(hub.vertx, hub.port(), null);
      try (WsClient alive = WsClient.connect(hub.vertx, hub.port(), null)) {
        // A paused client reads nothing, so it never answers the hub's pings; Vert.x answers
        // them by itself for 'alive'.
        silent.ws.pause();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (hub.hub.sessions().size() > 1 && System.nanoTime() < deadline) {
          java.util.concurrent.TimeUnit.MILLISECONDS.sleep(100);
        }
        assertEquals(1, hub.hub.sessions().size(), "the silent client was closed, the other kept");
        alive.assertNothingElse();
        silent.ws.resume();
        assertEquals(ClientSession.CLOSE_IDLE, (short) silent.next("_closed").path("code").asInt());
      } finally {
        silent.close();
      }
    }
  }
}
