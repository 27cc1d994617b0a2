package org.crisishub.app;

import org.crisishub.config.HubConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts one hub node from {@code conf/} and the environment; stops it on SIGTERM / Ctrl-C. */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    HubConfig config;
    try {
      config = HubConfig.load(System.getenv());
    } catch (HubConfig.ConfigException e) {
      System.err.println("crisis-hub: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    Vertx vertx;
    io.vertx.spi.cluster.hazelcast.HazelcastClusterManager manager = null;
    if (config.cluster()) {
      HubConfig.Cluster c = config.clustering();
      manager = new io.vertx.spi.cluster.hazelcast.HazelcastClusterManager(
          org.crisishub.cluster.HazelcastSetup.config(config));
      options.getEventBusOptions().setHost(c.host()).setPort(c.eventBusPort());
      if (!c.host().equals("0.0.0.0")) {
        options.getEventBusOptions().setClusterPublicHost(c.host());
      }
      try {
        vertx = Vertx.builder().with(options).withClusterManager(manager).buildClustered()
            .await(120, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.error("crisis-hub could not join its cluster: {}", e.getMessage(), e);
        System.exit(1);
        return;
      }
      LOG.info("joined cluster as {} with {} node(s)", manager.getNodeId(), manager.getNodes().size());
    } else {
      vertx = Vertx.vertx(options);
    }
    Hub hub = new Hub(vertx, config).clusterManager(manager);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Blocking waits are fine here: this is the JVM's shutdown thread, not an event loop.
      try {
        hub.stop().await(90, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("stopping the hub did not finish cleanly: {}", e.toString());
      }
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("closing Vert.x did not finish cleanly: {}", e.toString());
      }
    }, "hub-shutdown"));
    hub.start().onFailure(e -> {
      LOG.error("crisis-hub failed to start: {}", e.getMessage(), e);
      // Not on the event loop: exiting runs the shutdown hook, which waits for Vert.x to close.
      new Thread(() -> System.exit(1), "hub-exit").start();
    });
  }
}
