package org.crisishub.app;

import org.crisishub.config.HubConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The block a node logs once when it serves: what it is and how it is set up, so an operator reads
 * from one log event which store, cluster mode, SMS mode, admin access, rate limits and connection
 * limits this node runs with, and where it listens. The first line is
 * {@code Crisis Hub listening on http://host:port (store S, SMS M, node ID)} (tests and scripts find
 * the port there); every
 * further line is {@code "  name: value"}. Adding a setting is one more {@link #line} call in
 * {@link #describe}. Holds no secret: tokens are reported as set or not, never shown. Stateless.
 */
public final class StartReport {
  private StartReport() {
  }

  /** Facts only known once the node runs. */
  public record Runtime(int port, String nodeId, boolean nativeTransport, int clusterNodes) {
  }

  /** The start block, lines separated by {@code \n}. */
  public static String describe(HubConfig c, Runtime rt) {
    List<String> lines = new ArrayList<>();
    // The first line keeps the one-line summary scripts and tests have long matched.
    lines.add("Crisis Hub listening on http://" + c.httpHost() + ":" + rt.port() + " (store " + c.store() + ", SMS "
        + c.sms() + ", node " + rt.nodeId() + ")");
    line(lines, "version", version());
    line(lines, "node", rt.nodeId());
    line(lines, "public url", c.publicUrl());
    line(lines, "store", c.store() == HubConfig.StoreKind.REDIS
        ? "redis at " + redisHost(c.redisUrl()) + " (durability " + c.redisDurability().name().toLowerCase(java.util.Locale.ROOT) + ")"
        : "embedded SQLite in " + c.dataDir().toAbsolutePath().normalize());
    line(lines, "cluster", c.cluster()
        ? "on, " + rt.clusterNodes() + " node(s), join " + c.clustering().join()
        : "off (single node)");
    line(lines, "sms", c.sms() == HubConfig.SmsMode.DEV
        ? "dev (kept in the outbox at /dev/sms/messages, nothing is sent)"
        : "twilio (from " + c.twilio().from() + ", " + c.smsRate() + " SMS/s)");
    line(lines, "dev endpoints", c.sms() == HubConfig.SmsMode.DEV ? devEndpoints(c) : "off");
    line(lines, "admin", c.adminToken() != null ? "on (HUB_ADMIN_TOKEN set)" : "off (set HUB_ADMIN_TOKEN to enable)");
    line(lines, "rate limits", c.rateLimits() ? "on" : "OFF (HUB_RATE_LIMITS=off: closed-lab load tests only)");
    line(lines, "connections", connections(c));
    line(lines, "network transport", rt.nativeTransport() ? "native (epoll)" : "JDK NIO");
    return String.join("\n", lines);
  }

  private static void line(List<String> lines, String name, String value) {
    lines.add("  " + name + ": " + value);
  }

  /** Who may reach /dev/sms, /dev/sms/inbound and /dev/sms/messages. */
  private static String devEndpoints(HubConfig c) {
    return c.devSmsOpen() ? "OPEN to every client (HUB_DEV_SMS_OPEN=true)" : "loopback only";
  }

  private static String connections(HubConfig c) {
    HubConfig.Connections n = c.connections();
    return "at most " + n.maxPerNode() + " per node (HUB_MAX_CONNECTIONS), "
        + (n.maxPerIp() > 0 ? n.maxPerIp() + " streams per client address" : "no per-address cap")
        + " (HUB_MAX_CONNECTIONS_PER_IP), headers within " + n.headerTimeoutSeconds()
        + " s (HUB_HEADER_TIMEOUT_SECONDS); idle close after " + c.wsIdleSeconds() + " s, slow-consumer close after "
        + c.wsStallSeconds() + " s, " + c.wsQueueFrames() + " queued frames each";
  }

  /** Host and port of a Redis URL, without a password it may carry. */
  static String redisHost(String url) {
    try {
      java.net.URI u = java.net.URI.create(url);
      return u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "");
    } catch (IllegalArgumentException e) {
      return "(unparsable HUB_REDIS_URL)";
    }
  }

  /** This build's version ({@code pom.xml}), or {@code unknown} when run from unfiltered classes. */
  public static String version() {
    try (InputStream in = StartReport.class.getClassLoader().getResourceAsStream("crisis-hub-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
