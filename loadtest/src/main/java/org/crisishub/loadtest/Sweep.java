package org.crisishub.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.WebSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * The fan-out rate sweep of issue 23: the same fan-out workload against several servers in one
 * process and one run, stepping the rate, so hub and peer are measured side by side under the same
 * machine load.
 *
 * <pre>
 * java -jar loadtest.jar fanout-sweep --targets hub=http://127.0.0.1:18080,peer=http://127.0.0.1:18090,baseline=http://127.0.0.1:18091
 *     --subjects 100 --followers 10 --rates 10000,20000,35000,50000,75000,100000,125000,150000
 *     --step 10 --warmup 10 [--warmup-rate 20000] [--pause 2] [--drain 20] [--limit-ms 100] [--rotate 0] --out DIR
 * java -cp loadtest.jar org.crisishub.loadtest.Sweep DIR     (medians of the sweep-*.json in DIR, and a chart)
 * </pre>
 *
 * <p>Each target gets its own {@code subjects × (1 + followers)} WebSockets (hub: authenticated,
 * followed and consented; peer: Socket.IO, followers in the subject's room; baseline: the
 * {@link BaselineServer}'s frames). Rates are intended <b>deliveries</b> per second (check-ins per
 * second × followers). At each rate every target runs one open-loop step of {@code --step} seconds
 * in turn (the order rotates from rate to rate, and starts {@code --rotate} servers further on:
 * {@code run.sh} passes the sweep's number, so repeated sweeps do not always step the same server
 * first), latency from each check-in's intended send time to
 * its receipt, then waits up to {@code --drain} seconds for the rest. A target's knee is the highest
 * rate whose p99 ≤ {@code --limit-ms} with every delivery received; its throughput knee the highest
 * rate it kept up with (every delivery received, at ≥ 95 % of the rate). After two rates in a row that
 * a target did not keep up with it is not stepped further. Beside the generator's figures each step records the server's own
 * counters from its {@code /metrics} (the hub's commits, check-ins, deliveries, coalesced frames,
 * consent checks, GC; the peer's check-ins and deliveries), the machine's load average, the
 * generator's own CPU in cores ({@code generatorCpuCores}, 1.0 = all of its core: its headroom) and
 * how busy each core was with everything running on the machine ({@code coreBusy}, from
 * {@code /proc/stat}: shows other processes on the server's or the generator's core).
 */
final class Sweep {
  /** What a target speaks. */
  enum Kind { HUB, BASELINE, PEER }

  /** A server under test: its name in the report, what it speaks, its URL(s). */
  record Target(String name, Kind kind, List<URI> urls) {
  }

  /** One step's counts, written by the followers' handlers. */
  static final class Step {
    final Histogram latency = Report.histogram();
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong gaps = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    volatile long lastNanos;
  }

  /** One target's sockets and state. */
  final class Side {
    final Target target;
    List<WebSocket> subjects;
    List<WebSocket> followers;
    final AtomicLong ackIds = new AtomicLong();
    final AtomicLong followAcks = new AtomicLong();
    volatile Step current;
    int failures;
    Integer knee;
    Integer throughputKnee;

    Side(Target target) {
      this.target = target;
    }
  }

  /** The hub's and the peer's counters a step records (summed over labels). */
  static final List<String> COUNTERS = List.of("hub_checkins_total", "hub_fanout_deliveries_total",
      "hub_session_queue_coalesced_total", "hub_consent_checks_total", "hub_store_commit_batch_count",
      "hub_store_commit_batch_sum", "hub_store_fsyncs_total", "hub_store_checkpoints_total",
      "hub_session_slow_disconnects_total", "jvm_gc_pause_seconds_count", "jvm_gc_pause_seconds_sum",
      "peer_checkins_total", "peer_deliveries_total");

  private final LoadGen g;
  private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();

  Sweep(LoadGen g) {
    this.g = g;
  }

  static List<Target> targets(String spec) {
    List<Target> out = new ArrayList<>();
    for (String part : spec.split(",")) {
      String[] kv = part.strip().split("=", 2);
      String name = kv[0].strip();
      Kind kind = name.startsWith("peer") ? Kind.PEER : name.startsWith("baseline") ? Kind.BASELINE : Kind.HUB;
      out.add(new Target(name, kind, List.of(URI.create(kv[1].strip()))));
    }
    return out;
  }

  void run() throws Exception {
    int subjects = g.intOpt("subjects", 100);
    int per = g.intOpt("followers", 10);
    List<Integer> rates = Stream.of(g.opt("rates", "10000,20000,35000,50000,75000,100000,125000,150000").split(","))
        .map(String::strip).map(Integer::parseInt).toList();
    int stepSeconds = g.intOpt("step", 10);
    int warmup = g.intOpt("warmup", 10);
    int warmRate = g.intOpt("warmup-rate", rates.get(0));
    int pause = g.intOpt("pause", 2);
    int drainSeconds = g.intOpt("drain", 20);
    double limitMs = Double.parseDouble(g.opt("limit-ms", "100"));
    int rotate = g.intOpt("rotate", 0);
    List<Target> targets = targets(g.opt("targets", "hub=" + g.url));
    ObjectNode out = Report.JSON.createObjectNode();
    out.put("scenario", "fanout-sweep");
    out.put("started", java.time.Instant.now().toString());
    out.set("params", g.report.params);
    out.put("loadAtStart", loadAverage());
    ArrayNode steps = out.putArray("steps");

    List<Side> sides = new ArrayList<>();
    for (Target t : targets) {
      sides.add(setup(t, subjects, per));
    }
    if (warmup > 0) {
      for (Side s : sides) {
        LoadGen.progress("warm-up " + s.target.name());
        step(s, warmRate, per, warmup, drainSeconds);
        TimeUnit.SECONDS.sleep(pause);
      }
    }
    for (int i = 0; i < rates.size(); i++) {
      int rate = rates.get(i);
      for (int k = 0; k < sides.size(); k++) {
        Side s = sides.get((i + k + rotate) % sides.size());
        if (s.failures >= 2) {
          continue;
        }
        Map<String, Double> before = counters(s.target);
        String load = loadAverage();
        long[][] coresBefore = coreTicks();
        long cpuBefore = processCpuNanos();
        long started = System.nanoTime();
        Step st = step(s, rate, per, stepSeconds, drainSeconds);
        long cpuAfter = processCpuNanos();
        long[][] coresAfter = coreTicks();
        double wall = (System.nanoTime() - started) / 1e9;
        Map<String, Double> after = counters(s.target);
        long expected = (long) Math.floor((double) rate / per * stepSeconds) * per;
        ObjectNode row = steps.addObject();
        row.put("target", s.target.name());
        row.put("rate", rate);
        row.put("load", load);
        row.put("expected", expected);
        row.put("delivered", st.delivered.get());
        row.put("gaps", st.gaps.get());
        double secs = Math.max(stepSeconds, (st.lastNanos - started) / 1e9);
        row.put("deliveriesPerSecond", Math.round(st.delivered.get() / secs));
        row.put("frameBytes", st.delivered.get() == 0 ? 0 : st.bytes.get() / st.delivered.get());
        row.put("p50", st.latency.getValueAtPercentile(50) / 1000.0);
        row.put("p90", st.latency.getValueAtPercentile(90) / 1000.0);
        row.put("p99", st.latency.getValueAtPercentile(99) / 1000.0);
        row.put("p999", st.latency.getValueAtPercentile(99.9) / 1000.0);
        row.put("max", st.latency.getMaxValue() / 1000.0);
        // Headroom: the generator's own CPU over the step and its drain, in cores (1.0 = all of one
        // core), and how busy each core was with everything on the machine (other processes too).
        row.put("generatorCpuCores", cpuBefore < 0 ? -1 : Math.round((cpuAfter - cpuBefore) / 1e9 / wall * 1000) / 1000.0);
        ArrayNode busy = row.putArray("coreBusy");
        for (double b : busyShares(coresBefore, coresAfter)) {
          busy.add(Math.round(b * 1000) / 1000.0);
        }
        ObjectNode c = row.putObject("counters");
        for (String name : COUNTERS) {
          if (after.containsKey(name)) {
            double d = after.get(name) - before.getOrDefault(name, 0.0);
            if (name.startsWith("jvm") && name.endsWith("_sum")) {
              c.put(name, Math.round(d * 1000) / 1000.0);
            } else {
              c.put(name, Math.round(d));
            }
          }
        }
        boolean all = st.delivered.get() >= expected;
        boolean ok = all && row.get("p99").asDouble() <= limitMs;
        // Kept up: every delivery received, at ≥ 95 % of the intended rate within the step and its drain.
        boolean keptUp = all && row.get("deliveriesPerSecond").asDouble() >= 0.95 * rate;
        row.put("withinLimit", ok);
        row.put("keptUp", keptUp);
        if (ok && (s.knee == null || rate > s.knee)) {
          s.knee = rate;
        }
        if (keptUp && (s.throughputKnee == null || rate > s.throughputKnee)) {
          s.throughputKnee = rate;
        }
        s.failures = keptUp ? 0 : s.failures + 1;
        System.out.printf("%n%-9s %7d/s intended: p50 %8.1f ms  p99 %8.1f ms  %7d/s delivered  %d of %d  gaps %d  load %s"
                + "  generator CPU %.2f cores, cores busy %s  %s%n",
            s.target.name(), rate, row.get("p50").asDouble(), row.get("p99").asDouble(),
            row.get("deliveriesPerSecond").asLong(), st.delivered.get(), expected, st.gaps.get(), load,
            row.get("generatorCpuCores").asDouble(), busy, c);
        g.report.figures.put("p99 " + s.target.name() + " @" + rate, row.get("p99").asDouble());
        TimeUnit.SECONDS.sleep(pause);
      }
    }
    ObjectNode knees = out.putObject("knees");
    ObjectNode tknees = out.putObject("throughputKnees");
    for (Side s : sides) {
      knees.put(s.target.name(), s.knee == null ? 0 : s.knee);
      tknees.put(s.target.name(), s.throughputKnee == null ? 0 : s.throughputKnee);
      g.report.figures.put("knee " + s.target.name(), s.knee == null ? 0 : s.knee);
      g.report.figures.put("throughput knee " + s.target.name(), s.throughputKnee == null ? 0 : s.throughputKnee);
    }
    if (knees.has("hub") && knees.has("peer") && knees.get("peer").asInt() > 0) {
      double ratio = knees.get("hub").asDouble() / knees.get("peer").asDouble();
      out.put("kneeRatioHubToPeer", Math.round(ratio * 100) / 100.0);
      g.report.figures.put("knee ratio hub/peer", Math.round(ratio * 100) / 100.0);
    }
    if (tknees.has("hub") && tknees.has("peer") && tknees.get("peer").asInt() > 0) {
      double ratio = tknees.get("hub").asDouble() / tknees.get("peer").asDouble();
      out.put("throughputKneeRatioHubToPeer", Math.round(ratio * 100) / 100.0);
      g.report.figures.put("throughput knee ratio hub/peer", Math.round(ratio * 100) / 100.0);
    }
    out.put("loadAtEnd", loadAverage());
    Path dir = Path.of(g.opt("out", "loadtest/results"));
    Files.createDirectories(dir);
    String stamp = java.time.Instant.now().toString().replace(":", "").replace(".", "");
    Files.writeString(dir.resolve("sweep-" + stamp + ".json"), Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    Files.writeString(dir.resolve("sweep-" + stamp + ".html"), html(List.of(out), "Fan-out sweep " + stamp));
    System.out.println();
    System.out.println(table(List.of(out)));
    g.report.perSecond.clear();
    for (Side s : sides) {
      LoadGen.closeAll(s.subjects);
      LoadGen.closeAll(s.followers);
    }
  }

  /** Connects a target's subjects and followers and makes every follower receive its subject's statuses. */
  Side setup(Target t, int subjects, int per) throws Exception {
    Side side = new Side(t);
    List<String> subjectPhones = new ArrayList<>();
    for (int s = 0; s < subjects; s++) {
      subjectPhones.add(Tokens.phone(2_500_000 + s));
    }
    List<String> followerPhones = new ArrayList<>();
    for (int i = 0; i < subjects * per; i++) {
      followerPhones.add(Tokens.phone(3_500_000 + i));
    }
    side.subjects = g.connectAll(t.kind(), t.urls(), subjectPhones, p -> text -> { });
    side.followers = g.connectAll(t.kind(), t.urls(), followerPhones, p -> {
      long[] last = new long[1];
      return text -> {
        boolean status = t.kind() == Kind.PEER ? SocketIo.isStatus(text) : text.startsWith("{\"type\":\"status\"");
        if (!status) {
          if (t.kind() == Kind.PEER && SocketIo.isAck(text)) {
            side.followAcks.incrementAndGet();
          }
          return;
        }
        long seq = LoadGen.seq(text);
        Step st = side.current;
        if (st != null) {
          long sent = LoadGen.noteNanos(text);
          long now = System.nanoTime();
          if (sent > 0) {
            synchronized (st.latency) {
              st.latency.recordValue(Math.max(0, (now - sent) / 1000));
            }
          }
          if (last[0] != 0 && seq != last[0] + 1) {
            st.gaps.incrementAndGet();
          }
          st.bytes.addAndGet(text.length());
          st.lastNanos = now;
          st.delivered.incrementAndGet();
        }
        last[0] = seq;
      };
    });
    if (t.kind() == Kind.PEER) {
      for (int i = 0; i < side.followers.size(); i++) {
        side.followers.get(i).writeTextMessage(SocketIo.event(i, "follow", "\"" + subjectPhones.get(i / per) + "\""));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (side.followAcks.get() < side.followers.size() && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      if (side.followAcks.get() < side.followers.size()) {
        throw new IllegalStateException("the peer acknowledged " + side.followAcks.get() + " follows of " + side.followers.size());
      }
    } else {
      g.follow(side.subjects, side.followers, subjectPhones, followerPhones, per);
    }
    LoadGen.progress(t.name() + ": " + side.subjects.size() + " subjects, " + side.followers.size() + " followers ready");
    return side;
  }

  /** One open-loop step at {@code rate} deliveries/s; waits up to {@code drain} s for the rest. */
  Step step(Side side, int rate, int per, int seconds, int drain) throws Exception {
    Step st = new Step();
    side.current = st;
    AtomicLong sent = new AtomicLong();
    int[] rr = {0};
    boolean peer = side.target.kind() == Kind.PEER;
    g.openLoop((double) rate / per, seconds, t0 -> {
      WebSocket ws = side.subjects.get(Math.floorMod(rr[0]++, side.subjects.size()));
      sent.incrementAndGet();
      ws.writeTextMessage(peer ? SocketIo.event(side.ackIds.incrementAndGet(), "checkin",
          "{\"status\":\"safe\",\"note\":\"t" + t0 + "\"}")
          : "{\"type\":\"checkin\",\"status\":\"safe\",\"note\":\"t" + t0 + "\"}");
    }, st.delivered);
    LoadGen.drain(st.delivered, sent.get() * per, drain);
    side.current = null;
    g.report.perSecond.clear();
    return st;
  }

  /** The target's counters of {@link #COUNTERS}, summed over labels; empty when it has no /metrics. */
  Map<String, Double> counters(Target t) {
    Map<String, Double> out = new TreeMap<>();
    if (t.kind() == Kind.BASELINE) {
      return out;
    }
    try {
      var resp = http.send(java.net.http.HttpRequest.newBuilder(t.urls().get(0).resolve("/metrics"))
          .timeout(java.time.Duration.ofSeconds(20)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      for (String line : resp.body().split("\n")) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        int brace = line.indexOf('{');
        int space = line.lastIndexOf(' ');
        String name = brace > 0 ? line.substring(0, brace) : line.substring(0, space);
        if (COUNTERS.contains(name)) {
          out.merge(name, Double.parseDouble(line.substring(space + 1)), Double::sum);
        }
      }
    } catch (Exception e) {
      System.err.println("could not read " + t.name() + "'s /metrics: " + e);
    }
    return out;
  }

  /** This process's CPU time (all threads, user + system) in nanoseconds; -1 when the JVM cannot say. */
  static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** Per core (cpu0, cpu1, …) of {@code /proc/stat}: {busy ticks, all ticks}; empty when there is no /proc. */
  static long[][] coreTicks() {
    try {
      List<long[]> out = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
        if (!line.matches("cpu[0-9]+ .*")) {
          continue;
        }
        String[] f = line.trim().split("\\s+");
        long all = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
          all += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        out.add(new long[] {all - idle, all});
      }
      return out.toArray(new long[0][]);
    } catch (Exception e) {
      return new long[0][];
    }
  }

  /** The share of each core that was busy (any process, user + system + interrupts) between two {@link #coreTicks}. */
  static double[] busyShares(long[][] before, long[][] after) {
    int n = Math.min(before.length, after.length);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      long all = after[i][1] - before[i][1];
      out[i] = all <= 0 ? 0 : (double) (after[i][0] - before[i][0]) / all;
    }
    return out;
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "?";
    }
  }

  // ---------------------------------------------------------------- medians over sweeps, and the chart

  /** Medians of the sweep-*.json files in a folder, as a table and a chart ({@code sweep-medians.html}). */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "loadtest/results");
    List<JsonNode> runs = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().matches("sweep-.*\\.json")).sorted().toList()) {
        runs.add(Report.JSON.readTree(f.toFile()));
      }
    }
    System.out.println(table(runs));
    Path html = dir.resolve("sweep-medians.html");
    Files.writeString(html, html(runs, "Fan-out sweep, medians of " + runs.size() + " runs"));
    System.out.println("chart: " + html);
  }

  /** target → rate → the runs' rows at that rate. */
  static Map<String, TreeMap<Integer, List<JsonNode>>> rows(List<JsonNode> runs) {
    Map<String, TreeMap<Integer, List<JsonNode>>> by = new LinkedHashMap<>();
    for (JsonNode r : runs) {
      for (JsonNode s : r.path("steps")) {
        by.computeIfAbsent(s.path("target").asText(), k -> new TreeMap<>())
            .computeIfAbsent(s.path("rate").asInt(), k -> new ArrayList<>()).add(s);
      }
    }
    return by;
  }

  static double median(List<Double> v) {
    List<Double> s = v.stream().sorted().toList();
    return s.isEmpty() ? Double.NaN : s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
  }

  /**
   * A Markdown table: per rate and target the median p50/p99 (a run that skipped the rate after two
   * failures counts as failed), delivered/s, and the knees (median over runs) with their ratio.
   */
  static String table(List<JsonNode> runs) {
    Map<String, TreeMap<Integer, List<JsonNode>>> by = rows(runs);
    StringBuilder sb = new StringBuilder("| deliveries/s intended |");
    for (String t : by.keySet()) {
      sb.append(' ').append(t).append(" p50 / p99 ms (delivered/s, lost) |");
    }
    sb.append("\n|---|").append("---|".repeat(by.size())).append('\n');
    java.util.TreeSet<Integer> rates = new java.util.TreeSet<>();
    by.values().forEach(m -> rates.addAll(m.keySet()));
    for (int rate : rates) {
      sb.append(String.format(Locale.ROOT, "| %,d |", rate));
      for (var e : by.entrySet()) {
        List<JsonNode> rs = e.getValue().getOrDefault(rate, List.of());
        if (rs.isEmpty()) {
          sb.append(" — |");
          continue;
        }
        double p50 = median(rs.stream().map(n -> n.path("p50").asDouble()).toList());
        double p99 = median(rs.stream().map(n -> n.path("p99").asDouble()).toList());
        double dps = median(rs.stream().map(n -> n.path("deliveriesPerSecond").asDouble()).toList());
        long lost = Math.round(median(rs.stream().map(n -> n.path("expected").asDouble() - n.path("delivered").asDouble()).toList()));
        sb.append(String.format(Locale.ROOT, " %s / **%s** (%,.0f/s%s)%s |", ms(p50), ms(p99), dps,
            lost > 0 ? ", " + String.format(Locale.ROOT, "%,d", lost) + " lost" : "", rs.size() < runs.size() ? " [" + rs.size() + " runs]" : ""));
      }
      sb.append('\n');
    }
    for (String kind : new String[] {"knees", "throughputKnees"}) {
      Map<String, List<Double>> knees = new LinkedHashMap<>();
      for (JsonNode r : runs) {
        r.path(kind).properties().forEach(e -> knees.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue().asDouble()));
      }
      sb.append(kind.equals("knees") ? "\nknees (highest rate with p99 ≤ 100 ms and every delivery received), median [runs]: "
          : "\nthroughput knees (highest rate kept up with: every delivery received at ≥ 95 % of the rate), median [runs]: ");
      knees.forEach((t, v) -> sb.append(String.format(Locale.ROOT, "%s %,.0f %s; ", t, median(v), v)));
      if (knees.containsKey("hub") && knees.containsKey("peer")) {
        sb.append(String.format(Locale.ROOT, "hub/peer %.2f", median(knees.get("hub")) / median(knees.get("peer"))));
      }
    }
    return sb.toString();
  }

  static String ms(double v) {
    return v >= 1000 ? String.format(Locale.ROOT, "%.1f s", v / 1000) : String.format(Locale.ROOT, "%.1f", v);
  }

  /** An HTML page with an SVG chart: median p99 (solid) and p50 (dotted) against the intended rate, log scale. */
  static String html(List<JsonNode> runs, String title) {
    Map<String, TreeMap<Integer, List<JsonNode>>> by = rows(runs);
    int w = 760;
    int h = 380;
    int left = 60;
    int right = 150;
    int top = 20;
    int bottom = 40;
    double maxRate = 1;
    for (var m : by.values()) {
      maxRate = Math.max(maxRate, m.lastKey());
    }
    double minMs = 0.5;
    double maxMs = 60_000;
    final double mr = maxRate;
    java.util.function.DoubleUnaryOperator x = r -> left + r / mr * (w - left - right);
    java.util.function.DoubleUnaryOperator y = v -> top + (1 - (Math.log10(Math.max(minMs, Math.min(maxMs, v))) - Math.log10(minMs))
        / (Math.log10(maxMs) - Math.log10(minMs))) * (h - top - bottom);
    StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
        "<svg width='%d' height='%d' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='11'>", w, h));
    for (double v : new double[] {1, 10, 100, 1000, 10_000}) {
      svg.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='%s' %s/>"
          + "<text x='4' y='%.1f'>%s</text>", left, w - right, y.applyAsDouble(v), y.applyAsDouble(v),
          v == 100 ? "#b91c1c" : "#ddd", v == 100 ? "stroke-dasharray='6,4'" : "", y.applyAsDouble(v) + 4,
          v >= 1000 ? (int) (v / 1000) + " s" : (int) v + " ms"));
    }
    svg.append(String.format(Locale.ROOT, "<text x='%d' y='%.1f' fill='#b91c1c'>p99 limit 100 ms</text>", w - right + 4,
        y.applyAsDouble(100) + 4));
    for (int r = 0; r <= maxRate; r += 25_000) {
      svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='middle'>%dk</text>", x.applyAsDouble(r), h - bottom + 16, r / 1000));
    }
    svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>intended deliveries per second</text>",
        (w - right + left) / 2, h - 6));
    String[] colors = {"#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#c2410c"};
    int c = 0;
    for (var e : by.entrySet()) {
      String color = colors[c % colors.length];
      for (String pct : new String[] {"p99", "p50"}) {
        StringBuilder path = new StringBuilder();
        for (var rr : e.getValue().entrySet()) {
          double v = median(rr.getValue().stream().map(n -> n.path(pct).asDouble()).toList());
          path.append(path.length() == 0 ? "M" : "L").append(String.format(Locale.ROOT, "%.1f,%.1f",
              x.applyAsDouble(rr.getKey()), y.applyAsDouble(v)));
          if (pct.equals("p99")) {
            svg.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'><title>%s %d/s: p99 %.1f ms</title></circle>",
                x.applyAsDouble(rr.getKey()), y.applyAsDouble(v), color, e.getKey(), rr.getKey(), v));
          }
        }
        svg.append("<path d='").append(path).append("' fill='none' stroke='").append(color).append("' stroke-width='2'")
            .append(pct.equals("p50") ? " stroke-dasharray='2,3'" : "").append("/>");
      }
      svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='%s'>%s p99 (p50 dotted)</text>", w - right + 4,
          top + 14 + 14 * c, color, e.getKey()));
      c++;
    }
    svg.append("</svg>");
    return "<!doctype html><meta charset='utf-8'><title>" + title + "</title><h1>" + title + "</h1>"
        + "<p>100 subjects × 10 active followers (1,100 WebSockets per server), open loop, latency from the intended send "
        + "time, server pinned to one core, generator to the other; medians over the runs at each rate.</p>"
        + svg + "<pre>" + table(runs).replace("<", "&lt;") + "</pre>";
  }
}
