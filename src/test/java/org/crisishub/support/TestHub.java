package org.crisishub.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crisishub.app.Hub;
import org.crisishub.config.HubConfig;

/** A real hub in this JVM: its own Vert.x, a temporary data folder, a free loopback port. */
public final class TestHub implements AutoCloseable {
  public final Vertx vertx;
  public final Hub hub;
  public final Path dataDir;

  private TestHub(Vertx vertx, Hub hub, Path dataDir) {
    this.vertx = vertx;
    this.hub = hub;
    this.dataDir = dataDir;
  }

  public static TestHub start(Path dataDir, Map<String, String> env) throws Exception {
    Map<String, String> all = new HashMap<>();
    all.put("HUB_HTTP_HOST", "127.0.0.1");
    all.put("HUB_HTTP_PORT", "0");
    all.put("HUB_DATA_DIR", dataDir.toString());
    all.putAll(env);
    // A warning comes with the blocked thread's stack (above 300 ms), so it names its offender.
    Vertx vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(500)
        .setMaxEventLoopExecuteTime(500).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS).setWarningExceptionTime(300).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS));
    Hub hub = new Hub(vertx, HubConfig.load(all));
    hub.start().await(30, TimeUnit.SECONDS);
    return new TestHub(vertx, hub, dataDir);
  }

  public int port() {
    return hub.port();
  }

  @Override
  public void close() throws java.util.concurrent.TimeoutException {
    try {
      hub.stop().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    assertEquals(0, BlockedThreadAlarm.warnings(), "Vert.x reported a blocked event loop");
  }
}
