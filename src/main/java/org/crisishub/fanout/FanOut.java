package org.crisishub.fanout;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's index of connected sessions, by the person they belong to and by the incidents they
 * subscribed to, and the delivery of shared frames to them.
 *
 * <p>Who may receive a status is decided by the caller (from the store, in the same transaction
 * that recorded the check-in), so a revoked follow never receives another frame and no consent
 * state is cached here. Connecting and disconnecting touch only this local index. Delivery is at
 * most once per session and ordered per session. Thread-safe: frames are handed to each session on
 * its own context.
 */
public final class FanOut {
  private final ConcurrentHashMap<String, Set<ClientSession>> byPhone = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<ClientSession>> byIncident = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<ClientSession>> byResponder = new ConcurrentHashMap<>();
  private final Set<ClientSession> all = ConcurrentHashMap.newKeySet();
  private final Set<ClientSession> backlogged = ConcurrentHashMap.newKeySet();
  private final AtomicInteger authenticated = new AtomicInteger();
  private final Counter deliveries;
  private final Counter coalesced;
  private final Counter slowClosed;
  private final ClientSession.SessionListener listener;
  private volatile Relay relay = Relay.NONE;

  /**
   * Carries deliveries to the other nodes of a cluster and learns which people and incidents this
   * node has sessions for ({@code watch} once per session and key, {@code unwatch} when it goes).
   */
  public interface Relay {
    Relay NONE = new Relay() {
    };

    default void toPhones(Collection<String> phones, OutFrame frame) {
    }

    default void toIncident(String incident, OutFrame frame, boolean respondersOnly) {
    }

    /** To the responder sessions subscribed to {@code incident} whose agency is one of {@code agencies}. */
    default void toIncidentResponders(String incident, Collection<String> agencies, OutFrame frame) {
    }

    /**
     * Closes the sessions of {@code owner} (a phone number, or {@link #responderKey}) authenticated
     * with {@code tokenId}, or all of them when {@code tokenId} is null.
     */
    default void closeToken(String owner, String tokenId, short code, String reason) {
    }

    /**
     * Registers interest in {@code key}; the future completes once other nodes' deliveries and
     * closes for it reach this node.
     */
    default io.vertx.core.Future<Void> watch(String key) {
      return io.vertx.core.Future.succeededFuture();
    }

    default void unwatch(String key) {
    }
  }

  /** The key under which a responder's sessions are watched and closed. */
  public static String responderKey(String username) {
    return "responder:" + username;
  }

  /** The key under which a session of an incident's subscribers is watched. */
  public static String incidentKey(String incident) {
    return "incident:" + incident;
  }

  public void relay(Relay relay) {
    this.relay = relay;
  }

  public FanOut(MeterRegistry registry) {
    deliveries = Counter.builder("hub.fanout.deliveries").description("frames handed to sessions")
        .register(registry);
    coalesced = Counter.builder("hub.session.queue.coalesced")
        .description("status frames replaced by a newer one while waiting (latest status wins)")
        .register(registry);
    slowClosed = Counter.builder("hub.session.slow.disconnects")
        .description("sessions closed because the client stopped reading").register(registry);
    Gauge.builder("hub.connections", all, Set::size).description("open WebSocket and SSE sessions")
        .register(registry);
    Gauge.builder("hub.connections.authenticated", authenticated, AtomicInteger::get)
        .description("open WebSocket and SSE sessions that have authenticated").register(registry);
    Gauge.builder("hub.sessions.backlogged", backlogged, Set::size)
        .description("sessions whose socket is full and frames wait").register(registry);
    listener = new ClientSession.SessionListener() {
      @Override
      public void coalesced() {
        coalesced.increment();
      }

      @Override
      public void backlogStarted(ClientSession s) {
        backlogged.add(s);
      }

      @Override
      public void backlogCleared(ClientSession s) {
        backlogged.remove(s);
      }

      @Override
      public void slowConsumerClosed() {
        slowClosed.increment();
      }
    };
  }

  /** Adds a connected session (not yet authenticated). */
  public void add(ClientSession s) {
    s.listener(listener);
    all.add(s);
  }

  /**
   * Indexes the session under the person it now speaks for. The future completes once a revocation
   * made on any node reaches it (the caller then checks the token once more, closing the race).
   */
  public io.vertx.core.Future<Void> authenticate(ClientSession s, String phone, String tokenId) {
    s.authenticate(phone, tokenId);
    byPhone.computeIfAbsent(phone, k -> ConcurrentHashMap.newKeySet()).add(s);
    authenticated.incrementAndGet();
    return relay.watch(phone);
  }

  /**
   * Marks the session as a responder's of {@code agency}: it then also receives the help requests
   * of the incidents it subscribed to that its agency serves, and is closed when the account is
   * disabled or the token revoked.
   */
  public io.vertx.core.Future<Void> authenticateResponder(ClientSession s, String username, String agency,
      String tokenId) {
    s.authenticateResponder(username, agency, tokenId);
    byResponder.computeIfAbsent(username, k -> ConcurrentHashMap.newKeySet()).add(s);
    return relay.watch(responderKey(username));
  }

  /** Removes the session from every index. Idempotent. */
  public void remove(ClientSession s) {
    if (!all.remove(s)) {
      return;
    }
    backlogged.remove(s);
    String phone = s.phone();
    if (phone != null) {
      authenticated.decrementAndGet();
      byPhone.computeIfPresent(phone, (k, set) -> {
        set.remove(s);
        return set.isEmpty() ? null : set;
      });
      relay.unwatch(phone);
    }
    String responder = s.responder();
    if (responder != null) {
      byResponder.computeIfPresent(responder, (k, set) -> {
        set.remove(s);
        return set.isEmpty() ? null : set;
      });
      relay.unwatch(responderKey(responder));
    }
    byIncident.forEach((code, set) -> unsubscribe(s, code));
  }

  public void subscribe(ClientSession s, String incident) {
    if (byIncident.computeIfAbsent(incident, k -> ConcurrentHashMap.newKeySet()).add(s)) {
      relay.watch(incidentKey(incident));
    }
  }

  public void unsubscribe(ClientSession s, String incident) {
    boolean[] removed = new boolean[1];
    byIncident.computeIfPresent(incident, (k, set) -> {
      removed[0] = set.remove(s);
      return set.isEmpty() ? null : set;
    });
    if (removed[0]) {
      relay.unwatch(incidentKey(incident));
    }
  }

  /**
   * Hands {@code frame} to every session of each of {@code phones}: this node's at once, the other
   * nodes' through the relay. Returns how many local sessions got it.
   */
  public int deliverTo(Collection<String> phones, OutFrame frame) {
    relay.toPhones(phones, frame);
    return deliverLocally(phones, frame);
  }

  /**
   * As {@link #deliverTo} (one relay message per shard for all of {@code phones}), and calls
   * {@code hadSession} with each of {@code phones} that had a session on this node. Returns how many
   * sessions on this node got the frame.
   */
  public int deliverToEach(Collection<String> phones, OutFrame frame, java.util.function.Consumer<String> hadSession) {
    relay.toPhones(phones, frame);
    int n = 0;
    for (String p : phones) {
      int k = deliverLocally(java.util.List.of(p), frame);
      if (k > 0) {
        hadSession.accept(p);
        n += k;
      }
    }
    return n;
  }

  /** Hands {@code frame} to this node's sessions of each of {@code phones} only. */
  public int deliverLocally(Collection<String> phones, OutFrame frame) {
    int n = 0;
    for (String p : phones) {
      Set<ClientSession> sessions = byPhone.get(p);
      if (sessions != null) {
        for (ClientSession s : sessions) {
          hand(s, frame);
          n++;
        }
      }
    }
    deliveries.increment(n);
    return n;
  }

  /** Hands {@code frame} to every session subscribed to {@code incident}, on every node. */
  public int deliverToIncident(String incident, OutFrame frame) {
    relay.toIncident(incident, frame, false);
    return deliverToIncidentLocally(incident, frame);
  }

  /** Hands {@code frame} to this node's sessions subscribed to {@code incident}. */
  public int deliverToIncidentLocally(String incident, OutFrame frame) {
    Set<ClientSession> sessions = byIncident.get(incident);
    if (sessions == null) {
      return 0;
    }
    int n = 0;
    for (ClientSession s : sessions) {
      hand(s, frame);
      n++;
    }
    deliveries.increment(n);
    return n;
  }

  /**
   * Hands a frame carrying people's data ({@code help} and the like) to the responder sessions
   * subscribed to {@code incident} whose agency is one of {@code agencies} (the incident's owner and
   * partners, read by the caller), on every node. Other subscribers, responders of other agencies
   * included, never get it.
   */
  public int deliverToIncidentResponders(String incident, Collection<String> agencies, OutFrame frame) {
    relay.toIncidentResponders(incident, agencies, frame);
    return deliverToIncidentRespondersLocally(incident, agencies, frame);
  }

  /** Hands {@code frame} to this node's responder sessions of {@code agencies} subscribed to {@code incident}. */
  public int deliverToIncidentRespondersLocally(String incident, Collection<String> agencies, OutFrame frame) {
    Set<ClientSession> sessions = byIncident.get(incident);
    if (sessions == null || agencies.isEmpty()) {
      return 0;
    }
    int n = 0;
    for (ClientSession s : sessions) {
      if (s.responder() != null && org.crisishub.domain.Agencies.contains(agencies, s.agency())) {
        hand(s, frame);
        n++;
      }
    }
    deliveries.increment(n);
    return n;
  }

  /** Closes every session of person {@code phone} authenticated with {@code tokenId}, on every node. */
  public void closeToken(String phone, String tokenId, short code, String reason) {
    relay.closeToken(phone, tokenId, code, reason);
    closeTokenLocally(phone, tokenId, code, reason);
  }

  /**
   * Closes the sessions of responder {@code username} authenticated with {@code tokenId}, or all of
   * them when {@code tokenId} is null (a disabled account), on every node.
   */
  public void closeResponder(String username, String tokenId, short code, String reason) {
    String key = responderKey(username);
    relay.closeToken(key, tokenId, code, reason);
    closeTokenLocally(key, tokenId, code, reason);
  }

  /**
   * Closes this node's sessions of {@code owner} (a phone number or a {@link #responderKey})
   * authenticated with {@code tokenId}, or all of them when {@code tokenId} is null.
   */
  public void closeTokenLocally(String owner, String tokenId, short code, String reason) {
    Set<ClientSession> sessions = owner.startsWith("responder:")
        ? byResponder.get(owner.substring("responder:".length())) : byPhone.get(owner);
    if (sessions != null) {
      for (ClientSession s : sessions) {
        if (tokenId == null || tokenId.equals(s.tokenId())) {
          s.context().runOnContext(v -> s.close(code, reason));
        }
      }
    }
  }

  /** Closes sessions whose backlog did not move for {@code stallMs}; called periodically. */
  public void closeStalled(long stallMs) {
    long now = System.currentTimeMillis();
    for (ClientSession s : backlogged) {
      s.context().runOnContext(v -> s.checkStalled(now, stallMs));
    }
  }

  /** Every open session, for shutdown and idle checks. */
  public Collection<ClientSession> sessions() {
    return all;
  }

  public int size() {
    return all.size();
  }

  private static void hand(ClientSession s, OutFrame frame) {
    Context ctx = s.context();
    if (Vertx.currentContext() == ctx) {
      s.send(frame);
    } else {
      ctx.runOnContext(v -> s.send(frame));
    }
  }
}
