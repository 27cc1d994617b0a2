package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crisishub.loadtest.LoadGen;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A few seconds of the real load generator against a real hub: keeps loadtest/ working. Not a benchmark. */
@DisplayName("Load generator smoke run")
class LoadGenSmokeIT {
  @TempDir
  Path dir;

  @Test
  @DisplayName("checkin-storm, fanout and reconnect-storm run end to end: every check-in acked, every status delivered, no seq gap, every follower back")
  void smoke() throws Exception {
    String secret = "smoke-secret-smoke-secret-0123456789";
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_RATE_LIMITS", "off", "HUB_TOKEN_SECRET", secret))) {
      Vertx gen = Vertx.vertx();
      try {
        Map<String, String> opts = new HashMap<>(Map.of("url", "http://127.0.0.1:" + hub.port(),
            "token-secret", secret, "users", "20", "rate", "200", "duration", "2"));
        opts.put("warmup", "1");
        var storm = LoadGen.run("checkin-storm", opts, gen).json();
        assertEquals(400, storm.path("figures").path("sent").asLong(), "the warm-up is not counted");
        assertEquals(400, storm.path("figures").path("acked").asLong());
        assertEquals(1, storm.path("figures").path("warmupSeconds").asLong());
        opts.remove("warmup");
        assertTrue(storm.path("latencyMs").path("ack").path("p99").asDouble() > 0);

        opts.putAll(Map.of("subjects", "4", "followers", "5", "rate", "50"));
        var fanout = LoadGen.run("fanout", opts, gen).json();
        assertEquals(100, fanout.path("figures").path("checkins").asLong());
        assertEquals(500, fanout.path("figures").path("deliveries").asLong());
        assertEquals(0, fanout.path("figures").path("seqGaps").asLong());

        // A second generator part (its own numbers) behind a barrier the runner already opened.
        Path barrier = java.nio.file.Files.createDirectories(dir.resolve("barrier"));
        java.nio.file.Files.createFile(barrier.resolve("go"));
        opts.putAll(Map.of("subjects", "2", "followers", "5", "warmup", "1", "part", "1", "barrier", barrier.toString()));
        var storm2 = LoadGen.run("reconnect-storm", opts, gen).json();
        assertEquals(10, storm2.path("figures").path("caughtUp").asLong(), "every follower has its snapshot again");
        assertTrue(java.nio.file.Files.exists(barrier.resolve("ready-1")), "the part said it was ready");
      } finally {
        gen.close().await(10, TimeUnit.SECONDS);
      }
    }
  }
}
