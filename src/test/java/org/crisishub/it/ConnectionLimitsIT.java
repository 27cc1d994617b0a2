package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.crisishub.support.RawHttp;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("No stranger can starve the hub of connections")
class ConnectionLimitsIT {
  @TempDir
  Path dir;

  final List<RawHttp> sockets = new ArrayList<>();
  final ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void closeSockets() throws Exception {
    drip.shutdownNow();
    for (RawHttp s : sockets) {
      s.close();
    }
  }

  RawHttp open(String source, int port) throws Exception {
    RawHttp s = RawHttp.connect(source, port);
    sockets.add(s);
    return s;
  }

  static double refused(TestHub hub, String reason) {
    var c = hub.hub.registry().find("hub.connections.refused").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  static String metrics(TestHub hub) throws Exception {
    try (RawHttp c = RawHttp.connect("127.0.0.1", hub.port())) {
      c.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      assertEquals(200, c.readStatus());
      return new String(c.socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  @DisplayName("the connection hook reaches each HTTP/1 connection's channel (a Vert.x internal: an upgrade that drops it fails here)")
  void connectionHookSeesTheChannel() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of())) {
      RawHttp kept = open("127.0.0.1", hub.port());
      kept.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, kept.readStatus());
      // Accepted before its request was answered, and still open (kept alive): counted through the channel.
      double open = hub.hub.registry().find("hub.connections.open").gauge().value();
      assertTrue(open >= 1, "hub_connections_open " + open);
    }
  }

  @Test
  @DisplayName("a request whose headers trickle in is closed after HUB_HEADER_TIMEOUT_SECONDS, and counted")
  void slowHeaders() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_HEADER_TIMEOUT_SECONDS", "2"))) {
      int slow = 5;
      List<RawHttp> attackers = new ArrayList<>();
      for (int i = 0; i < slow; i++) {
        RawHttp s = open("127.0.0.1", hub.port());
        s.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        attackers.add(s);
      }
      // One more header line every 300 ms, as the attack in the issue does (every 5 s there).
      drip.scheduleAtFixedRate(() -> {
        for (RawHttp s : attackers) {
          try {
            s.send("X-Drip: 1\r\n");
          } catch (Exception closed) {
            // closed by the hub: the point of the test
          }
        }
      }, 300, 300, TimeUnit.MILLISECONDS);
      RawHttp silent = open("127.0.0.1", hub.port()); // connects and never sends a byte
      long t0 = System.nanoTime();
      // Meanwhile everyone else is answered at once, readiness included.
      assertEquals(200, RawHttp.get("127.0.0.1", hub.port(), "/health/ready"));
      for (RawHttp s : attackers) {
        s.awaitClosed(10_000);
      }
      silent.awaitClosed(10_000);
      long tookMs = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(tookMs >= 1500, "closed after " + tookMs + " ms, before the 2 s timeout");
      assertTrue(tookMs < 8000, "closed after " + tookMs + " ms");
      assertEquals(slow + 1, refused(hub, "header_timeout"));
      assertTrue(metrics(hub).contains("hub_connections_refused_total{reason=\"header_timeout\"} 6.0"));
      assertEquals(200, RawHttp.get("127.0.0.1", hub.port(), "/health/ready"));
    }
  }

  @Test
  @DisplayName("the header clock restarts for each request of a kept-alive connection")
  void keptAlive() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_HEADER_TIMEOUT_SECONDS", "1"))) {
      RawHttp c = open("127.0.0.1", hub.port());
      long t0 = System.nanoTime();
      // Five quick requests spread over well more than the 1 s timeout, each complete at once.
      for (int i = 0; i < 5; i++) {
        c.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertEquals(200, c.readStatus());
        c.readBody(15); // {"status":"up"}
        TimeUnit.MILLISECONDS.sleep(600); // the time passing is what is tested
      }
      assertTrue((System.nanoTime() - t0) / 1_000_000 > 2500);
      assertEquals(0, refused(hub, "header_timeout"));
      // The next request starts its clock at its first byte and is late: closed.
      c.send("GET /health/live HTTP/1.1\r\n");
      c.awaitClosed(10_000);
      assertEquals(1, refused(hub, "header_timeout"));
    }
  }

  @Test
  @DisplayName("an upgraded WebSocket outlives the header timeout; a refused upgrade keeps its connection's deadlines")
  void upgrades() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_HEADER_TIMEOUT_SECONDS", "1"))) {
      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
      try (org.crisishub.support.WsClient ws = org.crisishub.support.WsClient.connect(vertx, hub.port(), null)) {
        TimeUnit.MILLISECONDS.sleep(2500); // the time passing is what is tested
        ws.sendRaw("{\"type\":\"ping\"}");
        assertEquals("pong", ws.next().path("type").asText());
      } finally {
        vertx.close().await();
      }
      RawHttp refused = open("127.0.0.1", hub.port());
      assertEquals(403, refused.send(RawHttp.wsHandshake("/api/v1/ws", "Origin: http://elsewhere.example\r\n"))
          .readStatus());
      refused.send("GET /health/live HTTP/1.1\r\n");
      refused.awaitClosed(10_000);
      assertEquals(1, refused(hub, "header_timeout"));
    }
  }

  @Test
  @DisplayName("streams over HUB_MAX_CONNECTIONS_PER_IP are closed at once while other addresses, readiness included, are served")
  void perAddressCap() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_MAX_CONNECTIONS_PER_IP", "3",
        "HUB_TRUSTED_PROXIES", "127.0.0.3"))) {
      int port = hub.port();
      for (int i = 0; i < 3; i++) {
        assertEquals(101, open("127.0.0.1", port).send(RawHttp.wsHandshake("/api/v1/ws", "")).readStatus());
      }
      RawHttp excess = open("127.0.0.1", port).send(RawHttp.wsHandshake("/api/v1/ws", ""));
      assertEquals(-1, excess.readStatus(), "the fourth WebSocket of one address is closed without an answer");
      RawHttp sse = open("127.0.0.1", port).send("GET /api/v1/events?incident=FLOOD1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(-1, sse.readStatus(), "an SSE stream counts against the same cap");
      assertEquals(2, refused(hub, "per_ip"));

      // Another address is served throughout: readiness, and streams of its own.
      assertEquals(200, RawHttp.get("127.0.0.2", port, "/health/ready"));
      assertEquals(200, RawHttp.get("127.0.0.1", port, "/health/ready"), "plain requests are not capped");
      assertEquals(101, open("127.0.0.2", port).send(RawHttp.wsHandshake("/api/v1/ws", "")).readStatus());

      // Behind a trusted proxy the cap is per forwarded client, not per proxy.
      for (int i = 0; i < 3; i++) {
        assertEquals(101, open("127.0.0.3", port).send(RawHttp.wsHandshake("/api/v1/ws",
            "X-Forwarded-For: 203.0.113.7\r\n")).readStatus());
      }
      assertEquals(-1, open("127.0.0.3", port).send(RawHttp.wsHandshake("/api/v1/ws",
          "X-Forwarded-For: 203.0.113.7\r\n")).readStatus());
      assertEquals(101, open("127.0.0.3", port).send(RawHttp.wsHandshake("/api/v1/ws",
          "X-Forwarded-For: 203.0.113.8\r\n")).readStatus());
      assertEquals(3, refused(hub, "per_ip"));

      // A stream that ends frees its place.
      sockets.get(0).close();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int status;
      do {
        status = open("127.0.0.1", port).send(RawHttp.wsHandshake("/api/v1/ws", "")).readStatus();
      } while (status != 101 && System.nanoTime() < deadline);
      assertEquals(101, status);
    }
  }

  @Test
  @DisplayName("connections over HUB_MAX_CONNECTIONS are closed at accept and counted; a freed place is taken again")
  void perNodeCap() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_MAX_CONNECTIONS", "4"))) {
      int port = hub.port();
      for (int i = 0; i < 4; i++) {
        open("127.0.0.1", port);
      }
      awaitOpen(hub, 4);
      try {
        open("127.0.0.2", port).awaitClosed(5000);
      } catch (java.net.SocketException e) {
        // Closed at accept so fast that the client's own set-up of the socket saw the reset: refused too.
      }
      assertEquals(1, refused(hub, "per_node"));
      sockets.get(0).close();
      awaitOpen(hub, 3);
      assertEquals(200, RawHttp.get("127.0.0.2", port, "/health/ready"));
    }
  }

  private static void awaitOpen(TestHub hub, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (hub.hub.registry().find("hub.connections.open").gauge().value() != n) {
      assertTrue(System.nanoTime() < deadline, "open connections: "
          + hub.hub.registry().find("hub.connections.open").gauge().value() + ", expected " + n);
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }
}
