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

  @Test
  @DisplayName("safety-check runs end to end after its warm-up check: every open session asked, every SMS ask accepted by the generator's fake Twilio, every answer taken, tally and list read")
  void safetyCheck() throws Exception {
    String secret = "smoke-secret-smoke-secret-0123456789";
    String twilioToken = "smoke-twilio-token-0123456789";
    String admin = "smoke-admin-token-smoke-admin-0123456789";
    String publicUrl = "https://hub.example.org";
    int fakeTwilio;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      fakeTwilio = s.getLocalPort();
    }
    Map<String, String> env = new HashMap<>(Map.of("HUB_RATE_LIMITS", "off", "HUB_TOKEN_SECRET", secret,
        "HUB_SMS", "twilio", "HUB_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000001",
        "HUB_TWILIO_AUTH_TOKEN", twilioToken, "HUB_TWILIO_FROM", "+15550009999",
        "HUB_TWILIO_API_BASE", "http://127.0.0.1:" + fakeTwilio, "HUB_PUBLIC_URL", publicUrl,
        "HUB_SMS_RATE", "200", "HUB_ADMIN_TOKEN", admin));
    try (TestHub hub = TestHub.start(dir, env)) {
      Vertx gen = Vertx.vertx();
      try {
        Map<String, String> opts = new HashMap<>(Map.of("url", "http://127.0.0.1:" + hub.port(),
            "token-secret", secret, "twilio-token", twilioToken, "public-url", publicUrl, "admin-token", admin,
            "fake-twilio-port", String.valueOf(fakeTwilio), "people", "30", "sessions", "10",
            "answer-rate", "20", "duration", "2"));
        opts.put("sms-drain-seconds", "60");
        opts.put("warmup-people", "20");
        var f = LoadGen.run("safety-check", opts, gen).json().path("figures");
        assertEquals(20, f.path("warmupAnswered").asLong(), "the unmeasured check of 20 other numbers ran first");
        assertEquals(0, f.path("joinFailed").asLong());
        assertEquals(10, f.path("sessionsAsked").asLong(), "every open session got the question");
        assertEquals(30, f.path("smsRecipients").asLong());
        assertEquals(30, f.path("smsAccepted").asLong(), "every SMS ask reached the fake Twilio");
        assertTrue(f.path("allSmsAcceptedMs").asLong() >= 0);
        assertEquals(40, f.path("answersSent").asLong());
        assertEquals(0, f.path("answersFailed").asLong());
        assertEquals(0, f.path("readsFailed").asLong());
        assertEquals(30, f.path("hubTally.safe").asLong() + f.path("hubTally.needHelp").asLong(),
            "all 30 answered (the ten numbers answering twice count once)");
        assertEquals(0, f.path("hubTally.noAnswer").asLong());
      } finally {
        gen.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @DisplayName("checkin-storm with keyword watch: --watch-terms N sets N terms on a new incident, a share of the"
      + " check-ins are need_help there and a quarter of those match; --watch-terms 0 sets none (runs on a hub without watch)")
  void checkinStormWithWatchTerms() throws Exception {
    String secret = "smoke-secret-smoke-secret-0123456789";
    String admin = "smoke-admin-token-smoke-admin-0123456789";
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_RATE_LIMITS", "off", "HUB_TOKEN_SECRET", secret,
        "HUB_ADMIN_TOKEN", admin))) {
      Vertx gen = Vertx.vertx();
      try {
        Map<String, String> opts = new HashMap<>(Map.of("url", "http://127.0.0.1:" + hub.port(),
            "token-secret", secret, "users", "20", "rate", "200", "duration", "2", "watch-terms", "1000",
            "help-share", "0.2", "admin-token", admin));
        var watched = LoadGen.run("checkin-storm", opts, gen).json();
        assertEquals(400, watched.path("figures").path("acked").asLong(), watched.toString());
        assertEquals(1000, watched.path("figures").path("watchTerms").asLong());
        // Refs 1…400: every 5th is need_help (80), every 20th names "trapped" and its own term (20).
        assertEquals(80.0, metric(hub, "hub_help_requests_total{event=\"filed\""));
        assertEquals(20.0, metric(hub, "hub_watch_matches_total{source=\"checkin\""));

        opts.put("watch-terms", "0");
        var plain = LoadGen.run("checkin-storm", opts, gen).json();
        assertEquals(400, plain.path("figures").path("acked").asLong(), plain.toString());
        assertEquals(0, plain.path("figures").path("watchTerms").asLong());
        assertEquals(160.0, metric(hub, "hub_help_requests_total{event=\"filed\""));
        assertEquals(20.0, metric(hub, "hub_watch_matches_total{source=\"checkin\""), "no terms: no new match");
      } finally {
        gen.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  /** The value of the hub's metric whose line starts with {@code prefix} (on /metrics). */
  static double metric(TestHub hub, String prefix) throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    String text = http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + hub.port() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    return text.lines().filter(l -> l.startsWith(prefix)).mapToDouble(l -> Double.parseDouble(
        l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseThrow(() -> new AssertionError("no " + prefix));
  }

  @Test
  @DisplayName("slow-headers runs both phases: every status delivered in each, readiness answered, the attack sockets closed by the hub")
  void slowHeaders() throws Exception {
    String secret = "smoke-secret-smoke-secret-0123456789";
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_RATE_LIMITS", "off", "HUB_TOKEN_SECRET", secret,
        "HUB_HEADER_TIMEOUT_SECONDS", "1"))) {
      Vertx gen = Vertx.vertx();
      try {
        Map<String, String> opts = new HashMap<>(Map.of("url", "http://127.0.0.1:" + hub.port(),
            "token-secret", secret, "subjects", "2", "followers", "5", "rate", "20", "duration", "2",
            "attackers", "20", "drip-seconds", "5"));
        var r = LoadGen.run("slow-headers", opts, gen).json();
        assertEquals(40 * 5, r.path("figures").path("deliveriesNoAttack").asLong());
        assertEquals(40 * 5, r.path("figures").path("deliveriesUnderAttack").asLong());
        assertEquals(0, r.path("figures").path("readinessFailed").asLong());
        assertTrue(r.path("figures").path("readinessOk").asLong() > 0);
        assertTrue(r.path("figures").path("attackSocketsClosedByHub").asLong() >= 20,
            "the 1 s header timeout closed every attack socket at least once");
      } finally {
        gen.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @DisplayName("fanout-sweep runs end to end: every delivery received without a seq gap, and each step records the generator's CPU and the cores' busy shares")
  void fanoutSweep() throws Exception {
    String secret = "smoke-secret-smoke-secret-0123456789";
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_RATE_LIMITS", "off", "HUB_TOKEN_SECRET", secret))) {
      Vertx gen = Vertx.vertx();
      try {
        Path out = java.nio.file.Files.createDirectories(dir.resolve("sweep-out"));
        Map<String, String> opts = new HashMap<>(Map.of("url", "http://127.0.0.1:" + hub.port(), "token-secret", secret,
            "targets", "hub=http://127.0.0.1:" + hub.port(), "subjects", "2", "followers", "3", "rates", "60",
            "step", "2", "warmup", "0", "pause", "0", "drain", "20"));
        opts.put("out", out.toString());
        LoadGen.run("fanout-sweep", opts, gen);
        Path file;
        try (var files = java.nio.file.Files.list(out)) {
          file = files.filter(f -> f.getFileName().toString().matches("sweep-.*\\.json")).findFirst().orElseThrow();
        }
        var step = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile()).path("steps").path(0);
        assertEquals("hub", step.path("target").asText());
        assertEquals(120, step.path("expected").asLong(), "60 deliveries/s for 2 s");
        assertEquals(120, step.path("delivered").asLong());
        assertEquals(0, step.path("gaps").asLong());
        assertEquals(120, step.path("counters").path("hub_consent_checks_total").asLong(), "consent checked per delivery");
        assertTrue(step.path("generatorCpuCores").asDouble() > 0, "the generator's CPU is recorded");
        assertEquals(Runtime.getRuntime().availableProcessors() > 0 && java.nio.file.Files.exists(Path.of("/proc/stat"))
            ? java.nio.file.Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu[0-9]+ .*")).count() : 0,
            step.path("coreBusy").size(), "one busy share per core");
      } finally {
        gen.close().await(10, TimeUnit.SECONDS);
      }
    }
  }
}
