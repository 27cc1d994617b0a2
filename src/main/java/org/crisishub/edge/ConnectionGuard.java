package org.crisishub.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.config.HubConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps any one client from exhausting this node's connections: a cap on every TCP connection of
 * the node ({@code HUB_MAX_CONNECTIONS}, checked at accept), a cap on the WebSocket and SSE streams
 * of one client address ({@code HUB_MAX_CONNECTIONS_PER_IP}, the address after trusted proxies,
 * checked once the stream's headers are read), and a deadline for each request's headers
 * ({@code HUB_HEADER_TIMEOUT_SECONDS}, see {@link HeaderDeadline}). A connection over a limit is
 * closed at once and counted in {@code hub_connections_refused_total{reason}}.
 *
 * <p>One instance per node, shared by every HTTP server instance. Thread-safe: counts are atomic;
 * {@link #accepted} runs on the connection's event loop.
 */
public final class ConnectionGuard {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

  /** Why a connection was refused; {@link #tag} is the {@code reason} label. */
  public enum Refusal {
    PER_IP("per_ip"), PER_NODE("per_node"), HEADER_TIMEOUT("header_timeout");

    public final String tag;

    Refusal(String tag) {
      this.tag = tag;
    }
  }

  private final HubConfig.Connections limits;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> streamsByAddress = new ConcurrentHashMap<>();
  private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);
  private final AtomicBoolean warnedFull = new AtomicBoolean();

  public ConnectionGuard(HubConfig.Connections limits, MeterRegistry registry) {
    this.limits = limits;
    for (Refusal r : Refusal.values()) {
      refused.put(r, Counter.builder("hub.connections.refused").tag("reason", r.tag)
          .description("connections closed at once: over a cap, or headers not complete in time").register(registry));
    }
    Gauge.builder("hub.connections.open", open, AtomicInteger::get)
        .description("TCP connections this node holds (every kind), against HUB_MAX_CONNECTIONS").register(registry);
    Gauge.builder("hub.connections.max", limits, HubConfig.Connections::maxPerNode)
        .description("HUB_MAX_CONNECTIONS in effect").register(registry);
  }

  /** Set once the missing channel was logged. */
  private final AtomicBoolean noChannel = new AtomicBoolean();

  /**
   * A connection was accepted: closes it at once when the node is full, else counts it until it
   * closes and arms its header deadline. Runs on the connection's event loop.
   */
  public void accepted(HttpConnection connection) {
    Channel ch = channel(connection);
    if (ch == null) {
      if (connection.protocolVersion() != io.vertx.core.http.HttpVersion.HTTP_2 && noChannel.compareAndSet(false, true)) {
        LOG.warn("this Vert.x does not expose an HTTP/1 connection's channel: HUB_MAX_CONNECTIONS, the per-address"
            + " stream cap and HUB_HEADER_TIMEOUT_SECONDS are not enforced (see ConnectionGuard.channel)");
      }
      return;
    }
    if (open.incrementAndGet() > limits.maxPerNode()) {
      open.decrementAndGet();
      if (warnedFull.compareAndSet(false, true)) {
        LOG.warn("HUB_MAX_CONNECTIONS ({}) reached: refusing new connections (logged once per minute)",
            limits.maxPerNode());
        ch.eventLoop().schedule(() -> warnedFull.set(false), 1, TimeUnit.MINUTES);
      }
      refuse(ch, Refusal.PER_NODE);
      return;
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    HeaderDeadline.install(ch, TimeUnit.SECONDS.toNanos(limits.headerTimeoutSeconds()),
        TimeUnit.SECONDS.toNanos(limits.keepAliveSeconds()), () -> refused.get(Refusal.HEADER_TIMEOUT).increment());
  }

  /**
   * Counts a WebSocket or SSE stream of {@code address} (the client address after trusted proxies).
   * Returns its release (idempotent; also run when the connection closes), or null when the
   * address is at its cap: then the connection is closed at once and counted.
   */
  public Runnable admitStream(HttpServerRequest req, String address) {
    Channel ch = channel(req.connection());
    if (limits.maxPerIp() == 0) {
      return () -> {
      };
    }
    boolean[] over = new boolean[1];
    streamsByAddress.compute(address, (k, c) -> {
      int now = c == null ? 0 : c;
      if (now >= limits.maxPerIp()) {
        over[0] = true;
        return c;
      }
      return now + 1;
    });
    if (over[0]) {
      LOG.debug("per-address stream cap reached for one client");
      if (ch != null) {
        refuse(ch, Refusal.PER_IP);
      } else {
        refused.get(Refusal.PER_IP).increment();
        req.connection().close();
      }
      return null;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        streamsByAddress.computeIfPresent(address, (k, c) -> c <= 1 ? null : c - 1);
      }
    };
    if (ch != null) {
      ch.closeFuture().addListener(f -> release.run());
    }
    return release;
  }

  /** Open WebSocket and SSE streams counted for {@code address} (for tests and operations). */
  public int streams(String address) {
    return streamsByAddress.getOrDefault(address, 0);
  }

  /** TCP connections this node holds. */
  public int open() {
    return open.get();
  }

  private void refuse(Channel ch, Refusal why) {
    refused.get(why).increment();
    reset(ch);
  }

  /**
   * Closes a channel at once, discarding whatever waits to be written: with {@code SO_LINGER 0} the
   * kernel drops its send buffer and answers with RST instead of keeping the socket until the peer
   * reads. For refused connections and for clients that stopped reading. Runs on the channel's event
   * loop.
   */
  public static void reset(Channel ch) {
    if (!ch.isOpen()) {
      return;
    }
    try {
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
    } catch (RuntimeException e) {
      LOG.debug("SO_LINGER not settable on this channel: {}", e.toString());
    }
    // From the head of the pipeline: Vert.x's own handler holds a close back until the writes queued
    // before it are flushed, which never happens when the peer does not read.
    io.netty.channel.ChannelHandlerContext first = ch.pipeline().firstContext();
    if (first != null) {
      first.close();
    } else {
      ch.close();
    }
  }

  /**
   * The Netty channel of a Vert.x HTTP/1 server connection, or null for another kind.
   *
   * <p>Why an internal Vert.x type ({@code io.vertx.core.http.impl.HttpServerConnection}): Vert.x 5 has
   * no public API for what the channel is used for here. {@code HttpServer.connectionHandler} hands
   * out an {@code HttpConnection}, whose public surface is close/shutdown, a close handler, addresses,
   * settings and ping: no pipeline and no socket options. The three needs are (1) the header deadline
   * ({@link HeaderDeadline}, {@code HUB_HEADER_TIMEOUT_SECONDS}): Netty handlers around the HTTP
   * decoder, since {@code HttpServerOptions} has no header-read timeout and its idle timeout restarts
   * on every byte (a slow-headers client stays) and would also cut quiet WebSockets and SSE streams;
   * (2) closing a refused or stalled connection at once with RST ({@link #reset}: {@code SO_LINGER 0}
   * on that socket only, closed from the pipeline's head), where {@code HttpConnection.close()} waits
   * for queued writes to flush, which a client that stopped reading never allows, and
   * {@code HttpServerOptions.setSoLinger} would change every connection's close; (3) the channel's
   * close future and event loop. {@code io.vertx.core.internal.http} (the integrators' API) exposes a
   * channel only for WebSockets ({@code WebSocketInternal}), not for a connection before its first
   * request. Should an upgrade of Vert.x drop this type, this returns null and the caps, the header
   * deadline and the RST close are off (logged once at the first connection); ConnectionLimitsIT
   * fails then.
   */
  static Channel channel(HttpConnection connection) {
    if (connection instanceof io.vertx.core.http.impl.HttpServerConnection internal) {
      return internal.channelHandlerContext().channel();
    }
    return null;
  }
}
