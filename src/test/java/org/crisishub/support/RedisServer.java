package org.crisishub.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} of the test's own: a free loopback port, a temporary folder, AOF on
 * with {@code appendfsync always}. {@link #kill()} is SIGKILL; {@link #start()} again restarts it on
 * the same port and folder (the AOF is replayed).
 */
public final class RedisServer implements AutoCloseable {
  private final Path dir;
  private final int port;
  private Process process;

  public RedisServer(Path dir) throws IOException {
    this.dir = dir;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      this.port = s.getLocalPort();
    }
  }

  /** Starts a server in a fresh temporary folder. */
  public static RedisServer startNew() throws Exception {
    RedisServer r = new RedisServer(Files.createTempDirectory("hub-redis"));
    r.start();
    return r;
  }

  public static String binary() {
    for (String p : new String[] {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    throw new IllegalStateException("redis-server is not installed (apt-get install -y redis-server)");
  }

  public synchronized void start() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(binary(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
        "--daemonize", "no", "--protected-mode", "yes", "--logfile", dir.resolve("redis.log").toString()));
    process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile())
        .start();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
      }
      if (answersPing()) {
        return;
      }
      Thread.onSpinWait();
      process.waitFor(20, TimeUnit.MILLISECONDS);
    }
    throw new IllegalStateException("redis-server did not answer within 20 s");
  }

  private boolean answersPing() {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(1000);
      s.getOutputStream().write("PING\r\n".getBytes());
      byte[] buf = new byte[64];
      int n = s.getInputStream().read(buf);
      // While loading the AOF Redis answers -LOADING.
      return n > 0 && new String(buf, 0, n).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** SIGKILL: no shutdown, no final fsync beyond what {@code appendfsync always} already did. */
  public synchronized void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public void close() {
    try {
      kill();
    } catch (InterruptedException e) {
      // AutoCloseable.close should not throw InterruptedException (javac -Xlint:try): keep the flag
      Thread.currentThread().interrupt();
    }
  }
}
