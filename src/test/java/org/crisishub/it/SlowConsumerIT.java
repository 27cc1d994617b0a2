package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.WebSocketClientOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.crisishub.fanout.ClientSession;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A follower that stops reading slows nobody else down and costs bounded memory")
class SlowConsumerIT {
  static final int CHECKINS = 3000;

  @TempDir
  Path dir;

  io.vertx.core.Vertx clients;

  @org.junit.jupiter.api.AfterEach
  void closeClients() {
    if (clients != null) {
      clients.close().await();
    }
  }

  @Test
  @DisplayName("the stalled follower is coalesced, then disconnected with 4008; the healthy one gets every seq promptly")
  void stalledFollower() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_RATE_LIMITS", "off", "HUB_WS_SEND_BUFFER_BYTES", "8192",
        "HUB_WS_STALL_SECONDS", "2", "HUB_WS_QUEUE_FRAMES", "64"))) {
      clients = io.vertx.core.Vertx.vertx();
      Api api = new Api(clients, hub.port());
      String a = "+15555000001", slow = "+15555000002", fast = "+15555000003";
      String ta = api.login(a), ts = api.login(slow), tf = api.login(fast);
      for (String[] f : new String[][] {{ts, slow}, {tf, fast}}) {
        assertEquals(201, api.post("/api/v1/follows", f[0], "{\"phone\":\"" + a + "\"}").status());
        assertEquals(200, api.post("/api/v1/followers/" + f[1], ta, "{\"allow\":true}").status());
      }
      WsClient slowWs = WsClient.authed(clients, hub.port(), ts);
      slowWs.ws.pause();

      // How far the healthy follower falls behind, counted in events: acks the sender had received
      // beyond the status the follower is reading now (a follower held back by the stalled one would
      // fall behind by hundreds; a healthy one stays within a few windows of 16 in flight).
      AtomicLong highestAck = new AtomicLong();
      AtomicLong worstBehind = new AtomicLong();
      AtomicLong expectedSeq = new AtomicLong(1);
      AtomicLong gaps = new AtomicLong();
      CountDownLatch allSeen = new CountDownLatch(CHECKINS);
      try (WsClient fastWs = WsClient.authed(clients, hub.port(), tf);
           WsClient aWs = WsClient.authed(clients, hub.port(), ta)) {
        fastWs.ws.textMessageHandler(text -> {
          JsonNode n = read(text);
          if ("status".equals(n.path("type").asText())) {
            long seq = n.path("seq").asLong();
            if (seq != expectedSeq.getAndIncrement()) {
              gaps.incrementAndGet();
            }
            worstBehind.accumulateAndGet(highestAck.get() - seq, Math::max);
            allSeen.countDown();
          }
        });
        String note = "n".repeat(270);
        AtomicLong sent = new AtomicLong();
        Runnable sendOne = () -> {
          long i = sent.incrementAndGet();
          if (i <= CHECKINS) {
            aWs.sendRaw("{\"type\":\"checkin\",\"status\":\"safe\",\"note\":\"" + note + i + "\"}");
          }
        };
        aWs.ws.textMessageHandler(text -> {
          JsonNode n = read(text);
          if ("ack".equals(n.path("type").asText())) {
            highestAck.accumulateAndGet(n.path("seq").asLong(), Math::max);
            sendOne.run();
          }
        });
        // A window of 16 check-ins in flight: a steady stream rather than one giant commit batch.
        for (int i = 0; i < 16; i++) {
          sendOne.run();
        }
        assertTrue(allSeen.await(60, TimeUnit.SECONDS), "fast follower saw " + (CHECKINS - allSeen.getCount()));
        assertEquals(0, gaps.get(), "the healthy follower missed no seq");
        assertTrue(worstBehind.get() < 256, "healthy follower fell " + worstBehind.get() + " check-ins behind the acks");

        // While stalled, the slow session's queue stays bounded: its status frames coalesce.
        for (ClientSession s : sessionsOf(hub, slow)) {
          assertTrue(s.isClosed() || s.backlog() <= 64, "backlog " + s.backlog());
        }
        assertTrue(counter(hub, "hub.session.queue.coalesced") > 0, "status frames were coalesced");
        awaitCounter(hub, "hub.session.slow.disconnects", 1);

        slowWs.ws.resume();
        JsonNode closed = slowWs.next("_closed");
        assertEquals(ClientSession.CLOSE_SLOW_CONSUMER, (short) closed.path("code").asInt());
        assertTrue(slowWs.closeReason.contains("reconnect"), slowWs.closeReason);
      } finally {
        slowWs.close();
      }
      api.close();
      // The stalled follower reconnects and catches up from the snapshot.
      try (WsClient again = WsClient.authed(clients, hub.port(), ts)) {
        assertEquals(CHECKINS, again.snapshot.path("people").get(0).path("seq").asLong());
      }
    }
  }

  private static java.util.List<ClientSession> sessionsOf(TestHub hub, String phone) {
    return hub.hub.sessions().stream().filter(s -> phone.equals(s.phone())).toList();
  }

  private static double counter(TestHub hub, String name) {
    var c = hub.hub.registry().find(name).counter();
    return c == null ? 0 : c.count();
  }

  private static void awaitCounter(TestHub hub, String name, double atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (counter(hub, name) < atLeast) {
      assertTrue(System.nanoTime() < deadline, name + " stayed below " + atLeast);
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private static JsonNode read(String text) {
    try {
      return Api.JSON.readTree(text);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
