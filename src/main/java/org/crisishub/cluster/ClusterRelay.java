package org.crisishub.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.OutFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-node fan-out over the clustered event bus. People and incidents are hashed onto
 * {@value #SHARDS} shard addresses; a node registers a consumer for a shard while it holds at least
 * one session in it, so registrations in Hazelcast stay bounded (at most shards × nodes), a
 * reconnect storm mostly touches none, and a publish reaches only nodes with interested sessions.
 * The receiving node filters by its local index. Each delivery is serialised once per shard, as a
 * {@link RelayMessage} in the {@link RelayCodec} form every member reads (the previous release's
 * while any member still runs it).
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
  private final IntSupplier sendVersion;
  private final int[] counts = new int[SHARDS];
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private final Counter sent;
  private final Counter received;
  private final io.micrometer.core.instrument.Timer lag;
  private final DeliveryOptions options = new DeliveryOptions().setLocalOnly(false);
  private boolean stopped;

  /**
   * @param sendVersion the {@link RelayCodec} version to send in now: the highest every member reads
   *     ({@link ClusterMembership#relayVersion()}); read at each message
   */
  public ClusterRelay(Vertx vertx, FanOut fanOut, String nodeId, MeterRegistry registry, IntSupplier sendVersion) {
    this.vertx = vertx;
    this.sendVersion = sendVersion;
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
    Map<Integer, List<String>> byShard = new HashMap<>();
    for (String p : phones) {
      byShard.computeIfAbsent(shard(p), k -> new ArrayList<>()).add(p);
    }
    long now = System.currentTimeMillis();
    byShard.forEach((s, to) -> publish(s, new RelayMessage.ToPhones(nodeId, now, to, frame)));
  }

  @Override
  public void toIncident(String incident, OutFrame frame, boolean respondersOnly) {
    long now = System.currentTimeMillis();
    // Responders only, with no agency named, reaches nobody on another node (as it always has).
    publish(shard(FanOut.incidentKey(incident)), respondersOnly
        ? new RelayMessage.ToResponders(nodeId, now, incident, List.of(), frame)
        : new RelayMessage.ToIncident(nodeId, now, incident, frame));
  }

  @Override
  public void toIncidentResponders(String incident, Collection<String> agencies, OutFrame frame) {
    publish(shard(FanOut.incidentKey(incident)), new RelayMessage.ToResponders(nodeId, System.currentTimeMillis(),
        incident, new ArrayList<>(agencies), frame));
  }

  /** {@code owner}: a phone, or a responder key (watched by the nodes holding that responder's sessions). */
  @Override
  public void closeToken(String owner, String tokenId, short code, String reason) {
    publish(shard(owner), new RelayMessage.CloseSessions(nodeId, owner, tokenId, code, reason));
  }

  private void publish(int shard, RelayMessage message) {
    sent.increment();
    vertx.eventBus().publish(PREFIX + shard, RelayCodec.encode(message, sendVersion.getAsInt()), options);
  }

  private void receive(JsonObject json) {
    RelayMessage m;
    try {
      m = RelayCodec.decode(json);
    } catch (RelayCodec.UnreadableMessage e) {
      // The message may carry numbers and notes: only what is wrong with it is logged.
      LOG.warn("dropped a cluster fan-out message: {}", e.getMessage());
      return;
    }
    if (nodeId.equals(m.origin())) {
      return; // delivered locally already
    }
    received.increment();
    if (m instanceof RelayMessage.ToPhones p) {
      recordLag(p.sentAtMs());
      fanOut.deliverLocally(p.phones(), p.frame());
    } else if (m instanceof RelayMessage.ToIncident i) {
      recordLag(i.sentAtMs());
      fanOut.deliverToIncidentLocally(i.incident(), i.frame());
    } else if (m instanceof RelayMessage.ToResponders r) {
      recordLag(r.sentAtMs());
      fanOut.deliverToIncidentRespondersLocally(r.incident(), r.agencies(), r.frame());
    } else if (m instanceof RelayMessage.CloseSessions x) {
      fanOut.closeTokenLocally(x.owner(), x.tokenId(), x.code(), x.reason());
    }
  }

  private void recordLag(long sentAtMs) {
    if (sentAtMs > 0) {
      lag.record(Math.max(0, System.currentTimeMillis() - sentAtMs), java.util.concurrent.TimeUnit.MILLISECONDS);
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
