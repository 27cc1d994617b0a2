package org.crisishub.support;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test's own cluster: one {@code redis-server} (AOF, appendfsync always) and N hub nodes, each a
 * separate JVM clustered through Hazelcast on loopback with free ports. Node 1 starts first and
 * forms the cluster; the others join it.
 */
public final class HubCluster implements AutoCloseable {
  public static final String SECRET = "cluster-test-token-secret-0123456789abcdef";
  private static final Pattern NODE = Pattern.compile("node (node-[0-9a-f-]+)\\)");

  public final RedisServer redis;
  public final List<HubProcess> nodes = new ArrayList<>();
  private final List<Map<String, String>> envs = new ArrayList<>();
  private final Path dir;

  private HubCluster(RedisServer redis, Path dir) {
    this.redis = redis;
    this.dir = dir;
  }

  /** Starts Redis and {@code n} nodes with {@code extra} in their environment; returns once all serve. */
  public static HubCluster start(Path dir, int n, Map<String, String> extra) throws Exception {
    HubCluster c = new HubCluster(RedisServer.startNew(), dir);
    try {
      List<Integer> hz = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        hz.add(freePort());
      }
      StringBuilder members = new StringBuilder();
      for (int p : hz) {
        members.append(members.length() == 0 ? "" : ",").append("127.0.0.1:").append(p);
      }
      for (int i = 0; i < n; i++) {
        Map<String, String> env = new HashMap<>();
        env.put("HUB_STORE", "redis");
        env.put("HUB_REDIS_URL", c.redis.url());
        env.put("HUB_CLUSTER", "true");
        env.put("HUB_CLUSTER_HOST", "127.0.0.1");
        env.put("HUB_CLUSTER_MEMBERS", members.toString());
        env.put("HUB_CLUSTER_PORT", String.valueOf(hz.get(i)));
        env.put("HUB_EVENTBUS_PORT", String.valueOf(freePort()));
        env.put("HUB_TOKEN_SECRET", SECRET);
        env.put("HUB_RATE_LIMITS", "off");
        env.putAll(extra);
        c.envs.add(env);
        Files.createDirectories(dir.resolve("node" + (i + 1)));
      }
      c.nodes.add(HubProcess.start(dir.resolve("node1"), c.envs.get(0)));
      List<CompletableFuture<HubProcess>> rest = new ArrayList<>();
      for (int i = 1; i < n; i++) {
        int k = i;
        rest.add(CompletableFuture.supplyAsync(() -> {
          try {
            return HubProcess.start(dir.resolve("node" + (k + 1)), c.envs.get(k));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }));
      }
      for (CompletableFuture<HubProcess> f : rest) {
        c.nodes.add(f.get(120, TimeUnit.SECONDS));
      }
      return c;
    } catch (Exception e) {
      c.close();
      throw e;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Node {@code i} (1-based). */
  public HubProcess node(int i) {
    return nodes.get(i - 1);
  }

  /** The outbox consumer name (node id) node {@code i} logged when it started. */
  public String nodeId(int i) {
    for (String line : node(i).output()) {
      Matcher m = NODE.matcher(line);
      if (m.find()) {
        return m.group(1);
      }
    }
    throw new AssertionError("node " + i + " logged no node id");
  }

  /** Stops everything; fails if any node logged a blocked Vert.x thread (those are bugs here). */
  @Override
  public void close() {
    List<String> blocked = new ArrayList<>();
    for (HubProcess p : nodes) {
      try {
        p.close();
      } catch (Exception e) {
        // keep closing the others
      }
      p.output().stream().filter(l -> l.contains("has been blocked for")).forEach(blocked::add);
    }
    redis.close();
    if (!blocked.isEmpty()) {
      throw new AssertionError("blocked Vert.x threads in hub nodes:\n" + String.join("\n", blocked));
    }
  }
}
