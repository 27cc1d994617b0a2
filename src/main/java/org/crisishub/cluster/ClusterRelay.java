package org.crisishub.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.OutFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-node fan-out over the clustered event bus. People and incidents are hashed onto
 * {@value #SHARDS} shard addresses; a node registers a consumer for a shard while it holds at least
 * one session in it, so registrations in Hazelcast stay bounded (at most shards × nodes), a
 * reconnect storm mostly touches none, and a publish reaches only nodes with interested sessions.
 * The receiving node filters by its local index. Each delivery is serialised once per shard.
 *
 * <p>Registrations live in a Hazelcast multimap that can lose entries when a split heals
 * (vert.x#4394): on every membership change this node registers its shards again (the new
 * consumer first, then the old one goes, so nothing is missed; a frame may arrive twice in that
 * instant, which clients absorb by {@code seq}).
 */
public final class ClusterRelay implements FanOut.Relay {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterRelay.class);
  static final int SHARDS = 256;
  static final String PREFIX = "hub.fanout.";

  private final Vertx vertx;
  private final FanOut fanOut;
  private final String nodeId;
  private final int[] counts = new int[SHARDS];
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private final Counter sent;
  private final Counter received;
  private final io.micrometer.core.instrument.Timer lag;
  private final DeliveryOptions options = new DeliveryOptions().setLocalOnly(false);
  private boolean stopped;

  public ClusterRelay(Vertx vertx, FanOut fanOut, String nodeId, MeterRegistry registry) {
    this.vertx = vertx;
    this.fanOut = fanOut;
    this.nodeId = nodeId;
    for (int i = 0; i < SHARDS; i++) {
      consumers.add(null);
    }
    sent = Counter.builder("hub.cluster.relay.sent").description("fan-out messages published to other nodes")
        .register(registry);
    received = Counter.builder("hub.cluster.relay.received")
        .description("fan-out messages received from other nodes").register(registry);
    lag = io.micrometer.core.instrument.Timer.builder("hub.fanout.lag")
        .description("from a node publishing a delivery to another node handing it to its sessions")
        .publishPercentiles(0.5, 0.99).register(registry);
  }

  static int shard(String key) {
    return (key.hashCode() & 0x7fffffff) % SHARDS;
  }

  @Override
  public void toPhones(Collection<String> phones, OutFrame frame) {
    if (phones.isEmpty()) {
      return;
    }
    Map<Integer, JsonArray> byShard = new HashMap<>();
    for (String p : phones) {
      byShard.computeIfAbsent(shard(p), k -> new JsonArray()).add(p);
    }
    byShard.forEach((s, to) -> publish(s, message("p", frame).put("to", to)));
  }

  @Override
  public void toIncident(String incident, OutFrame frame, boolean respondersOnly) {
    publish(shard(FanOut.incidentKey(incident)), message(respondersOnly ? "r" : "i", frame).put("inc", incident));
  }

  @Override
  public void toIncidentResponders(String incident, Collection<String> agencies, OutFrame frame) {
    publish(shard(FanOut.incidentKey(incident)), message("r", frame).put("inc", incident)
        .put("ag", new JsonArray(new ArrayList<>(agencies))));
  }

  /** {@code owner}: a phone, or a responder key (watched by the nodes holding that responder's sessions). */
  @Override
  public void closeToken(String owner, String tokenId, short code, String reason) {
    JsonObject m = new JsonObject().put("o", nodeId).put("k", "x").put("phone", owner)
        .put("code", code).put("reason", reason);
    if (tokenId != null) {
      m.put("tok", tokenId);
    }
    publish(shard(owner), m);
  }

  private JsonObject message(String kind, OutFrame frame) {
    JsonObject m = new JsonObject().put("o", nodeId).put("k", kind).put("f", frame.text())
        .put("t", System.currentTimeMillis());
    if (frame.coalesceKey() != null) {
      m.put("c", frame.coalesceKey());
    }
    return m;
  }

  private void publish(int shard, JsonObject message) {
    sent.increment();
    vertx.eventBus().publish(PREFIX + shard, message, options);
  }

  private void receive(JsonObject m) {
    if (nodeId.equals(m.getString("o"))) {
      return; // delivered locally already
    }
    received.increment();
    Long sentAt = m.getLong("t");
    if (sentAt != null) {
      lag.record(Math.max(0, System.currentTimeMillis() - sentAt), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    OutFrame frame = m.containsKey("f") ? new OutFrame(m.getString("f"), m.getString("c")) : null;
    switch (m.getString("k")) {
      case "p" -> {
        List<String> to = new ArrayList<>();
        for (Object p : m.getJsonArray("to")) {
          to.add((String) p);
        }
        fanOut.deliverLocally(to, frame);
      }
      case "i" -> fanOut.deliverToIncidentLocally(m.getString("inc"), frame);
      case "r" -> {
        List<String> agencies = new ArrayList<>();
        JsonArray ag = m.getJsonArray("ag");
        if (ag != null) {
          for (Object a : ag) {
            agencies.add((String) a);
          }
        }
        fanOut.deliverToIncidentRespondersLocally(m.getString("inc"), agencies, frame);
      }
      case "x" -> fanOut.closeTokenLocally(m.getString("phone"), m.getString("tok"),
          m.getInteger("code").shortValue(), m.getString("reason"));
      default -> LOG.warn("unknown cluster fan-out message kind {}", m.getString("k"));
    }
  }

  @Override
  public synchronized io.vertx.core.Future<Void> watch(String key) {
    int s = shard(key);
    if (counts[s]++ == 0 && !stopped) {
      consumers.set(s, register(s));
    }
    MessageConsumer<JsonObject> c = consumers.get(s);
    // Completes once the registration is known cluster-wide; a failed one is logged in register().
    return c == null ? io.vertx.core.Future.succeededFuture() : c.completion().recover(e -> io.vertx.core.Future.succeededFuture());
  }

  @Override
  public synchronized void unwatch(String key) {
    int s = shard(key);
    if (counts[s] > 0 && --counts[s] == 0) {
      MessageConsumer<JsonObject> c = consumers.set(s, null);
      if (c != null) {
        c.unregister();
      }
    }
  }

  private MessageConsumer<JsonObject> register(int shard) {
    MessageConsumer<JsonObject> c = vertx.eventBus().consumer(PREFIX + shard, msg -> receive(msg.body()));
    c.completion().onFailure(e -> LOG.warn("registering fan-out shard {} failed: {}", shard, e.getMessage()));
    return c;
  }

  /** Registers every held shard again (after a membership change): new consumer first, then the old one goes. */
  public synchronized void reassert() {
    if (stopped) {
      return;
    }
    int n = 0;
    for (int s = 0; s < SHARDS; s++) {
      MessageConsumer<JsonObject> old = consumers.get(s);
      if (old != null) {
        consumers.set(s, register(s));
        old.unregister();
        n++;
      }
    }
    LOG.info("cluster membership changed: re-registered {} fan-out shards", n);
  }

  /** Number of shards this node is registered for (for metrics and tests). */
  public synchronized int registeredShards() {
    int n = 0;
    for (MessageConsumer<JsonObject> c : consumers) {
      if (c != null) {
        n++;
      }
    }
    return n;
  }

  public synchronized void stop() {
    stopped = true;
    for (int s = 0; s < SHARDS; s++) {
      MessageConsumer<JsonObject> c = consumers.set(s, null);
      if (c != null) {
        c.unregister();
      }
    }
  }
}
