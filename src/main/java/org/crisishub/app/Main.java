package org.crisishub.app;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.CountDownLatch;
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
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Hub hub = new Hub(vertx, config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      hub.stop().eventually(() -> vertx.close()).onComplete(ar -> stopped.countDown());
      try {
        stopped.await(java.util.concurrent.TimeUnit.SECONDS.toMillis(25), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "hub-shutdown"));
    hub.start().onFailure(e -> {
      LOG.error("crisis-hub failed to start: {}", e.getMessage(), e);
      System.exit(1);
    });
  }
}
