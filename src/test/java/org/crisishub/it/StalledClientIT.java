package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.crisishub.support.Api;
import org.crisishub.support.HubProcess;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub as its own JVM, so its sockets ({@code /proc/net/tcp}) and heap (after a full GC through
 * {@code jcmd}) are its alone.
 */
@DisplayName("A WebSocket client that stops reading is really disconnected, and its memory goes with it")
class StalledClientIT {
  static final int STALL_SECONDS = 2;
  static final long MARGIN_MS = 10_000;
  static final long HEAP_SLACK = 10L * 1024 * 1024;

  @TempDir
  Path dir;

  Vertx clients;

  @AfterEach
  void closeClients() {
    if (clients != null) {
      clients.close().await();
    }
  }

  @Test
  @DisplayName("its socket is gone within the stall time plus a margin, the gauges agree, and the heap returns within 10 MB")
  void stalledFollowerGoes() throws Exception {
    Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux /proc/net/tcp");
    try (HubProcess hub = HubProcess.start(dir, Map.of("HUB_RATE_LIMITS", "off", "HUB_WS_SEND_BUFFER_BYTES", "8192",
        "HUB_WS_STALL_SECONDS", String.valueOf(STALL_SECONDS), "HUB_WS_QUEUE_FRAMES", "64"))) {
      clients = Vertx.vertx();
      Api api = new Api(clients, hub.port());
      String a = "+15555000001", slow = "+15555000002";
      String ta = api.login(a), ts = api.login(slow);
      long before;
      assertEquals(201, api.post("/api/v1/follows", ts, "{\"phone\":\"" + a + "\"}").status());
      assertEquals(200, api.post("/api/v1/followers/" + slow, ta, "{\"allow\":true}").status());

      try (WsClient aWs = WsClient.authed(clients, hub.port(), ta)) {
        // Warm-up with a follower that reads, so the baseline includes every path the flood uses.
        try (WsClient reader = WsClient.authed(clients, hub.port(), ts)) {
          checkIns(aWs, 300, "w");
          JsonNode f;
          do {
            f = reader.next();
          } while (!(f.path("type").asText().equals("status") && f.path("seq").asLong() == 300));
        }
        awaitGauge(api, "hub_connections", 1);
        before = heapAfterFullGc(hub, api);

        WsClient stalled = WsClient.connect(clients, hub.port(), null,
            new WebSocketClientOptions().setReceiveBufferSize(8192));
        stalled.sendRaw("{\"type\":\"auth\",\"token\":\"" + ts + "\"}");
        assertEquals("ready", stalled.next().path("type").asText());
        assertEquals("snapshot", stalled.next().path("type").asText());
        int clientPort = stalled.ws.localAddress().port();
        stalled.ws.pause();
        assertTrue(hubSocketOpen(hub.port(), clientPort));

        checkIns(aWs, 3000, "n".repeat(270));
        long lastAck = System.nanoTime();
        long deadline = lastAck + TimeUnit.MILLISECONDS.toNanos(STALL_SECONDS * 1000L + MARGIN_MS);
        while (hubSocketOpen(hub.port(), clientPort)) {
          if (System.nanoTime() > deadline) {
            throw new AssertionError("the stalled client's socket is still open on the hub "
                + (STALL_SECONDS * 1000L + MARGIN_MS) + " ms after the last check-in; slow disconnects "
                + metric(api, "hub_session_slow_disconnects_total") + ", hub_connections "
                + metric(api, "hub_connections") + ", backlogged " + metric(api, "hub_sessions_backlogged")
                + "\n" + String.join("\n", hub.output()));
          }
          TimeUnit.MILLISECONDS.sleep(100);
        }
        long goneMs = (System.nanoTime() - lastAck) / 1_000_000;
        assertTrue(metric(api, "hub_session_slow_disconnects_total") >= 1);
        awaitGauge(api, "hub_connections", 1); // only the check-in sender is left
        assertEquals(0, metric(api, "hub_sessions_backlogged"));
        stalled.close();
        System.out.println("stalled client's socket gone " + goneMs + " ms after the last check-in");
      }
      awaitGauge(api, "hub_connections", 0);
      long after = heapAfterFullGc(hub, api);
      System.out.printf("hub heap after full GC: before %.1f MB, after %.1f MB%n", before / 1048576.0,
          after / 1048576.0);
      assertTrue(after - before < HEAP_SLACK, "heap grew by " + (after - before) / 1024 + " KB");
      api.close();
    }
  }

  /** Sends {@code n} check-ins from {@code ws}, 16 in flight, and waits for every ack. */
  private static void checkIns(WsClient ws, int n, String note) throws InterruptedException {
    CountDownLatch acked = new CountDownLatch(n);
    AtomicLong sent = new AtomicLong();
    Runnable sendOne = () -> {
      long i = sent.incrementAndGet();
      if (i <= n) {
        ws.sendRaw("{\"type\":\"checkin\",\"status\":\"safe\",\"note\":\"" + note + i + "\"}");
      }
    };
    ws.ws.textMessageHandler(text -> {
      if (text.contains("\"type\":\"ack\"")) {
        acked.countDown();
        sendOne.run();
      }
    });
    for (int i = 0; i < 16; i++) {
      sendOne.run();
    }
    assertTrue(acked.await(120, TimeUnit.SECONDS), "acked " + (n - acked.getCount()) + " of " + n);
  }

  /** True while the hub has a TCP socket (any state) to the client's port. */
  private static boolean hubSocketOpen(int hubPort, int clientPort) throws Exception {
    String local = String.format(":%04X", hubPort);
    String remote = String.format(":%04X", clientPort);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path p = Path.of(table);
      if (!Files.isReadable(p)) {
        continue;
      }
      for (String line : Files.readAllLines(p)) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 3 && f[1].endsWith(local) && f[2].endsWith(remote)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Runs a full GC in the hub's JVM and returns its heap in use right after (bytes). */
  private static long heapAfterFullGc(HubProcess hub, Api api) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    Process p = new ProcessBuilder(jcmd, String.valueOf(hub.pid()), "GC.run").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "jcmd GC.run: " + out);
    return (long) metricSum(api, "jvm_memory_used_bytes{area=\"heap\"");
  }

  private static double metric(Api api, String name) {
    return metricSum(api, name + " ") + metricSum(api, name + "{");
  }

  /** The sum of every sample whose line starts with {@code prefix}. */
  private static double metricSum(Api api, String prefix) {
    String text = api.get("/metrics", null).text();
    double sum = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith(prefix)) {
        Matcher m = Pattern.compile("\\s(\\S+)$").matcher(line);
        if (m.find()) {
          sum += Double.parseDouble(m.group(1));
        }
      }
    }
    return sum;
  }

  private static void awaitGauge(Api api, String name, double value) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (metric(api, name) != value) {
      assertTrue(System.nanoTime() < deadline, name + " = " + metric(api, name) + ", expected " + value);
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }
}
