package org.crisishub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.OutFrame;
import org.crisishub.fanout.RecordingSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A rolling upgrade: a node of this release and a node of the previous release (its relay receive
 * code, copied below) share the event bus. The new node reads the old node's messages, and sends in
 * the old form while the old node is a member.
 */
@DisplayName("Cluster relay across a rolling upgrade: the previous release's messages both ways")
class ClusterRelayMixedVersionTest {
  static final String PHONE = "+15551234567";
  static final String STATUS = "{\"type\":\"status\",\"phone\":\"+15551234567\",\"status\":\"safe\",\"seq\":3}";

  Vertx vertx;
  Context context;
  FanOut fanOut;
  ClusterRelay relay;
  final AtomicInteger membersRead = new AtomicInteger(RelayCodec.V0);

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    fanOut = new FanOut(new SimpleMeterRegistry());
    relay = new ClusterRelay(vertx, fanOut, "node-new", new SimpleMeterRegistry(), membersRead::get);
    fanOut.relay(relay);
  }

  @AfterEach
  void stop() throws Exception {
    relay.stop();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  RecordingSession session(String phone) throws Exception {
    RecordingSession s = new RecordingSession(context, 64);
    fanOut.add(s);
    fanOut.authenticate(s, phone, "tok-1").await(10, TimeUnit.SECONDS);
    return s;
  }

  @Test
  @DisplayName("the new node hands an old node's status, incident and close messages to its sessions")
  void readsOld() throws Exception {
    RecordingSession s = session(PHONE);
    fanOut.subscribe(s, "FLOOD7");
    relay.watch(FanOut.incidentKey("FLOOD7")).await(10, TimeUnit.SECONDS);
    // Exactly what the previous release publishes (ClusterRelay before the codec).
    vertx.eventBus().publish(ClusterRelay.PREFIX + ClusterRelay.shard(PHONE), new JsonObject()
        .put("o", "node-old").put("k", "p").put("f", STATUS).put("t", System.currentTimeMillis())
        .put("c", "status:" + PHONE).put("to", new JsonArray().add(PHONE)));
    assertEquals(STATUS, s.next());
    vertx.eventBus().publish(ClusterRelay.PREFIX + ClusterRelay.shard(FanOut.incidentKey("FLOOD7")), new JsonObject()
        .put("o", "node-old").put("k", "i").put("f", "{\"type\":\"notice\"}").put("t", System.currentTimeMillis())
        .put("inc", "FLOOD7"));
    assertEquals("{\"type\":\"notice\"}", s.next());
    vertx.eventBus().publish(ClusterRelay.PREFIX + ClusterRelay.shard(PHONE), new JsonObject()
        .put("o", "node-old").put("k", "x").put("phone", PHONE).put("code", (short) 4001).put("reason", "revoked")
        .put("tok", "tok-1"));
    assertEquals((short) 4001, s.closed.get(10, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("while an old member is present the new node sends what it reads; once all are new, version 1")
  void sendsOldFormWhileOldMemberPresent() throws Exception {
    PreviousRelease old = new PreviousRelease();
    vertx.eventBus().<JsonObject>consumer(ClusterRelay.PREFIX + ClusterRelay.shard(PHONE), m -> old.receive(m.body()))
        .completion().await(10, TimeUnit.SECONDS);

    membersRead.set(RelayCodec.V0); // an old member advertises no relay version
    fanOut.deliverTo(List.of(PHONE), new OutFrame(STATUS, "status:" + PHONE));
    assertEquals("p " + List.of(PHONE) + " " + STATUS + " status:" + PHONE, old.next());
    fanOut.closeToken(PHONE, "tok-9", (short) 4001, "revoked");
    assertEquals("x " + PHONE + " tok-9 4001 revoked", old.next());

    membersRead.set(RelayCodec.CURRENT); // the old member left or was upgraded
    fanOut.deliverTo(List.of(PHONE), new OutFrame(STATUS, "status:" + PHONE));
    assertEquals("unreadable", old.next(), "version 1 is not for the previous release");
    assertTrue(old.lastRaw.containsKey("v"));
    assertFalse(old.lastRaw.containsKey("k"));
  }

  /**
   * The previous release's receive, as it was in ClusterRelay before the codec (metrics left out):
   * records what it would hand to its sessions, or "unreadable" where it would fail.
   */
  static final class PreviousRelease {
    final BlockingQueue<String> handed = new LinkedBlockingQueue<>();
    volatile JsonObject lastRaw;

    void receive(JsonObject m) {
      lastRaw = m;
      try {
        if ("node-old".equals(m.getString("o"))) {
          return;
        }
        OutFrame frame = m.containsKey("f") ? new OutFrame(m.getString("f"), m.getString("c")) : null;
        switch (m.getString("k")) {
          case "p" -> {
            List<String> to = new ArrayList<>();
            for (Object p : m.getJsonArray("to")) {
              to.add((String) p);
            }
            handed.add("p " + to + " " + frame.text() + " " + frame.coalesceKey());
          }
          case "i" -> handed.add("i " + m.getString("inc") + " " + frame.text());
          case "x" -> handed.add("x " + m.getString("phone") + " " + m.getString("tok") + " "
              + m.getInteger("code").shortValue() + " " + m.getString("reason"));
          default -> handed.add("unknown kind");
        }
      } catch (RuntimeException e) {
        handed.add("unreadable");
      }
    }

    String next() throws InterruptedException {
      String s = handed.poll(10, TimeUnit.SECONDS);
      if (s == null) {
        throw new AssertionError("the old node received nothing within 10 s");
      }
      return s;
    }
  }
}
