package org.crisishub.support;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A hub node as a separate JVM (this test run's classpath), so a test can SIGKILL it. */
public final class HubProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("Crisis Hub listening on http://[^:]+:(\\d+)");

  private final Process process;
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final Thread reader;

  private HubProcess(Process process, Path log) {
    this.process = process;
    reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
           java.io.PrintWriter copy = new java.io.PrintWriter(java.nio.file.Files.newBufferedWriter(log), true)) {
        String line;
        while ((line = r.readLine()) != null) {
          output.add(line);
          copy.println(line); // kept in the node's data folder for a look after a failure
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (Exception e) {
        port.completeExceptionally(e);
      }
      port.completeExceptionally(new IllegalStateException("hub exited before listening:\n" + String.join("\n", output)));
    }, "hub-process-output");
    reader.setDaemon(true);
    reader.start();
  }

  public static HubProcess start(Path dataDir, Map<String, String> env) throws Exception {
    return start(dataDir, env, List.of());
  }

  /** As {@link #start(Path, Map)}, with extra JVM options (e.g. {@code -Dlogback.configurationFile=logback.xml}). */
  public static HubProcess start(Path dataDir, Map<String, String> env, List<String> jvmOptions) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx256m"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.crisishub.app.Main"));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectErrorStream(true);
    Map<String, String> e = pb.environment();
    e.keySet().removeIf(k -> k.startsWith("HUB_"));
    Map<String, String> all = new HashMap<>();
    all.put("HUB_HTTP_HOST", "127.0.0.1");
    all.put("HUB_HTTP_PORT", "0");
    all.put("HUB_DATA_DIR", dataDir.toString());
    all.putAll(env);
    e.putAll(all);
    HubProcess p = new HubProcess(pb.start(), dataDir.resolve("process.log"));
    p.port.get(60, TimeUnit.SECONDS);
    return p;
  }

  public int port() {
    return port.join();
  }

  /** The hub JVM's process id (for {@code jcmd}, {@code /proc}). */
  public long pid() {
    return process.pid();
  }

  public List<String> output() {
    return output;
  }

  /**
   * Sends SIGTERM and returns at once. Through the process handle: {@code Process.destroy()} also
   * closes our end of the output pipe, which would lose everything the node logs while it stops.
   */
  public void signalTerm() {
    process.toHandle().destroy();
  }

  /** SIGTERM, then waits for the process to exit; returns how long that took (ms). */
  public long sigterm(long maxSeconds) throws InterruptedException {
    long t0 = System.nanoTime();
    signalTerm();
    if (!process.waitFor(maxSeconds, TimeUnit.SECONDS)) {
      throw new AssertionError("the hub did not exit within " + maxSeconds + " s of SIGTERM");
    }
    reader.join(10_000); // the rest of its output
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /** SIGKILL: no shutdown hook, no flush, nothing. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        signalTerm();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      // AutoCloseable.close should not throw InterruptedException (javac -Xlint:try): keep the flag
      Thread.currentThread().interrupt();
    }
  }
}
