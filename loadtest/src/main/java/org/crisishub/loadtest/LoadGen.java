package org.crisishub.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The Crisis Hub load generator. Open-loop: requests are scheduled at fixed intended times and
 * latency is measured from the intended time (coordinated-omission corrected), so a stalled hub
 * shows up as latency instead of a lower request rate.
 *
 * <pre>
 * java -jar loadtest/target/loadtest.jar SCENARIO [--key value ...]
 *   checkin-storm   --users 2000 --rate 5000 --duration 20 [--warmup 10]
 *                   [--watch-terms 1000 --help-share 0.2 --admin-token T]  (keyword watch: a share of the
 *                   check-ins are need_help notes in an incident with that many watch terms)
 *   fanout          --subjects 50 --followers 200 --rate 500 --duration 20 [--baseline]
 *   slow-consumers  (fanout options) --slow-share 0.1
 *   reconnect-storm --subjects 50 --followers 200 [--warmup 1]
 *   idle-connections --connections 20000 --hub-pid PID --duration 20
 * several generator processes (more sockets than one process may open): --part I (0, 1, …: its own
 * range of numbers) --barrier DIR (reconnect-storm and idle-connections: when set up, create
 * DIR/ready-I, then wait for DIR/go; loadtest/run.sh with GENS=N does this)
 *   sms-storm       --rate 2000 --duration 20 [--warmup 10] --twilio-token T --public-url U
 *   safety-check    --people 100000 --sessions 15000 --answer-rate 5000 --duration 20 --admin-token A
 *                   --fake-twilio-port 18099 --twilio-token T --public-url U [--sms-drain-seconds 120]
 *   slow-headers    --attackers 1500 --drip-seconds 5 (fanout options) [--attack-source 127.0.0.5]
 *                   [--probe-source 127.0.0.6]
 * common: --url http://127.0.0.1:8080[,http://127.0.0.1:8081…]  --token-secret S  --sources 127.0.0.1,127.0.0.2  --out results
 * </pre>
 */
public final class LoadGen {
  final Map<String, String> opts;
  final Vertx vertx;
  final URI url;
  /** Every node's URL (--url may list several, comma-separated): sockets are spread by phone. */
  final java.util.List<URI> urls;
  final Tokens tokens;
  final boolean baseline;
  final List<WebSocketClient> wsClients = new ArrayList<>();
  final AtomicInteger nextClient = new AtomicInteger();
  final Report report;
  /** Which part of the numbers this process uses when several generators share a run. */
  final int part;

  LoadGen(String scenario, Map<String, String> opts, Vertx vertx) {
    this.opts = opts;
    this.vertx = vertx;
    this.urls = java.util.Arrays.stream(opt("url", "http://127.0.0.1:8080").split(",")).map(String::strip)
        .map(URI::create).toList();
    this.url = urls.get(0);
    this.tokens = new Tokens(opt("token-secret", "loadtest-secret-loadtest-secret-0123"));
    this.baseline = opts.containsKey("baseline");
    this.part = Integer.parseInt(opts.getOrDefault("part", "0"));
    this.report = new Report(scenario + (baseline ? "-baseline" : ""));
    for (String src : opt("sources", "127.0.0.1").split(",")) {
      wsClients.add(vertx.createWebSocketClient(new WebSocketClientOptions().setLocalAddress(src.strip())
          .setMaxConnections(1_000_000).setConnectTimeout(30_000).setMaxFrameSize(65536).setMaxMessageSize(65536)));
    }
    opts.forEach(report.params::put);
  }

  String opt(String k, String dflt) {
    return opts.getOrDefault(k, dflt);
  }

  int intOpt(String k, int dflt) {
    return Integer.parseInt(opt(k, String.valueOf(dflt)));
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: loadtest.jar SCENARIO [--key value ...] (see the class comment or loadtest/README.md)");
      System.exit(2);
    }
    Map<String, String> opts = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      String k = args[i].replaceFirst("^--", "");
      if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        opts.put(k, args[++i]);
      } else {
        opts.put(k, "true");
      }
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Integer.parseInt(opts.getOrDefault("threads", "2"))));
    int status = 1;
    try {
      Report r = run(args[0], opts, vertx);
      status = 0;
      Path out = r.write(Path.of(opts.getOrDefault("out", "loadtest/results")));
      System.out.println();
      System.out.println(r.json().toPrettyString());
      System.out.println("results: " + out);
    } catch (Exception | Error e) {
      // The exit below would swallow it: say why the run failed.
      System.err.println();
      e.printStackTrace();
    } finally {
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        System.err.println("closing the generator's connections took over 30 s");
      }
      // Vert.x threads must not keep a failed run alive: the runner waits for this process.
      System.exit(status);
    }
  }

  /** Runs one scenario to the end and returns its report. */
  public static Report run(String scenario, Map<String, String> opts, Vertx vertx) throws Exception {
    LoadGen g = new LoadGen(scenario, opts, vertx);
    switch (scenario) {
      case "checkin-storm" -> g.checkinStorm();
      case "fanout" -> g.fanout(0);
      case "slow-consumers" -> g.fanout(Double.parseDouble(g.opt("slow-share", "0.1")));
      case "reconnect-storm" -> g.reconnectStorm();
      case "idle-connections" -> g.idleConnections();
      case "sms-storm" -> g.smsStorm();
      case "slow-headers" -> g.slowHeaders();
      case "safety-check" -> g.safetyCheck();
      case "fanout-sweep" -> new Sweep(g).run();
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    return g.report;
  }

  // ---------------------------------------------------------------- connections

  /** A connected, authenticated client socket; {@code onText} sees every frame after {@code ready}. */
  Future<WebSocket> connect(String phone, java.util.function.Consumer<String> onText) {
    return connect(baseline ? Sweep.Kind.BASELINE : Sweep.Kind.HUB, urls, phone, onText);
  }

  /**
   * A connected client socket of a server of {@code kind} (the hub, {@code BaselineServer}, or the
   * Socket.IO peer, see {@link SocketIo}) at one of {@code nodes} (by phone); {@code onText} sees every
   * frame after the server's greeting (the hub's snapshot, the peer's namespace connect).
   */
  Future<WebSocket> connect(Sweep.Kind kind, List<URI> nodes, String phone, java.util.function.Consumer<String> onText) {
    WebSocketClient client = wsClients.get(Math.floorMod(nextClient.getAndIncrement(), wsClients.size()));
    URI node = nodes.get(Math.floorMod(phone.hashCode(), nodes.size()));
    if (kind == Sweep.Kind.PEER) {
      return SocketIo.connect(client, node, phone, onText);
    }
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(node.getHost()).setPort(node.getPort())
        .setURI(kind == Sweep.Kind.BASELINE ? "/ws?phone=" + URLEncoder.encode(phone, StandardCharsets.UTF_8) : "/api/v1/ws")
        .setAllowOriginHeader(false);
    return client.connect(o).compose(ws -> {
      io.vertx.core.Promise<WebSocket> ready = io.vertx.core.Promise.promise();
      ws.textMessageHandler(t -> {
        if (!ready.future().isComplete()) {
          if (t.contains("\"snapshot\"")) {
            ready.tryComplete(ws);
          } else if (t.contains("\"error\"")) {
            ready.tryFail(t);
          }
          return;
        }
        onText.accept(t);
      });
      ws.writeTextMessage("{\"type\":\"auth\",\"token\":\"" + tokens.person(phone) + "\"}");
      return ready.future();
    });
  }

  /** Connects every phone at once (a storm: no window); {@code onReady} sees each socket that got its snapshot. */
  List<Future<WebSocket>> connectEach(List<String> phones, java.util.function.Consumer<WebSocket> onReady) {
    List<Future<WebSocket>> all = new ArrayList<>();
    for (String p : phones) {
      all.add(connect(p, t -> { }).onSuccess(onReady::accept));
    }
    return all;
  }

  /** Opens {@code n} connections, at most 500 handshakes at a time. */
  List<WebSocket> connectAll(List<String> phones, java.util.function.Function<String, java.util.function.Consumer<String>> handler)
      throws Exception {
    return connectAll(baseline ? Sweep.Kind.BASELINE : Sweep.Kind.HUB, urls, phones, handler);
  }

  /** As above, to a server of {@code kind} at {@code nodes}. */
  List<WebSocket> connectAll(Sweep.Kind kind, List<URI> nodes, List<String> phones,
      java.util.function.Function<String, java.util.function.Consumer<String>> handler) throws Exception {
    List<WebSocket> out = new ArrayList<>(java.util.Collections.nCopies(phones.size(), null));
    int window = 500;
    for (int from = 0; from < phones.size(); from += window) {
      List<Future<WebSocket>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(phones.size(), from + window); i++) {
        batch.add(connect(kind, nodes, phones.get(i), handler.apply(phones.get(i))));
      }
      Future.all(batch).await(120, TimeUnit.SECONDS);
      for (int i = 0; i < batch.size(); i++) {
        out.set(from + i, batch.get(i).result());
      }
      progress("connected " + Math.min(phones.size(), from + window) + "/" + phones.size());
    }
    return out;
  }

  /**
   * With {@code --barrier DIR}: says this part is set up (DIR/ready-PART) and waits, at most ten
   * minutes, until the runner creates DIR/go, so several generator processes act at once.
   */
  void barrier() throws Exception {
    String dir = opt("barrier", null);
    if (dir == null) {
      return;
    }
    java.nio.file.Files.createFile(Path.of(dir, "ready-" + part));
    progress("part " + part + " ready, waiting for " + dir + "/go");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (!java.nio.file.Files.exists(Path.of(dir, "go"))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no go from the runner within 10 minutes");
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  static void progress(String line) {
    System.out.print("\r" + line + "                    ");
    System.out.flush();
  }

  /**
   * Runs {@code send} open-loop at {@code rate} per second for {@code seconds}, passing each call
   * its intended start time (nanoTime); prints a progress line every second.
   */
  void openLoop(double rate, int seconds, java.util.function.LongConsumer send, AtomicLong done) throws Exception {
    long start = System.nanoTime();
    long total = (long) (rate * seconds);
    AtomicLong issued = new AtomicLong();
    io.vertx.core.Promise<Void> finished = io.vertx.core.Promise.promise();
    long[] lastDone = {0};
    long[] lastTick = {start};
    long timer = vertx.setPeriodic(1, t -> {
      long now = System.nanoTime();
      long due = Math.min(total, (long) ((now - start) / 1e9 * rate));
      while (issued.get() < due) {
        long n = issued.getAndIncrement();
        send.accept(start + (long) (n * 1e9 / rate));
      }
      if (now - lastTick[0] >= 1_000_000_000L) {
        long d = done.get();
        report.perSecond.add(new long[] {report.perSecond.size() + 1, d - lastDone[0]});
        progress(String.format("t=%ds sent=%d done=%d (%d/s)", (now - start) / 1_000_000_000L, issued.get(), d,
            d - lastDone[0]));
        lastDone[0] = d;
        lastTick[0] = now;
      }
      if (issued.get() >= total) {
        finished.tryComplete();
      }
    });
    finished.future().await(seconds + 60L, TimeUnit.SECONDS);
    vertx.cancelTimer(timer);
  }

  /** Waits until {@code done} reaches {@code target} or {@code seconds} pass. */
  static void drain(AtomicLong done, long target, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (done.get() < target && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  static long field(String frame, String name) {
    return scanNumber(frame, "\"" + name + "\":");
  }

  /** The {@code "seq":} needle of {@link #seq}. */
  private static final String SEQ_NEEDLE = "\"seq\":";

  /** {@code field(frame, "seq")} without building the needle per frame: the fan-out handlers call it per delivery. */
  static long seq(String frame) {
    return scanNumber(frame, SEQ_NEEDLE);
  }

  /** The digits right after {@code needle} in {@code frame} as a number; -1 when the needle is absent. No allocation. */
  static long scanNumber(String frame, String needle) {
    int i = frame.indexOf(needle);
    if (i < 0) {
      return -1;
    }
    i += needle.length();
    long v = 0;
    while (i < frame.length() && Character.isDigit(frame.charAt(i))) {
      v = v * 10 + (frame.charAt(i++) - '0');
    }
    return v;
  }

  /** The send time a fan-out check-in carries in its note ({@code "note":"t<nanoTime>"}). */
  static long noteNanos(String frame) {
    int i = frame.indexOf("\"note\":\"t");
    if (i < 0) {
      return -1;
    }
    i += 9;
    long v = 0;
    while (i < frame.length() && Character.isDigit(frame.charAt(i))) {
      v = v * 10 + (frame.charAt(i++) - '0');
    }
    return v;
  }

  // ---------------------------------------------------------------- scenarios

  /** Refs of warm-up check-ins start here, far from the measured ones (1, 2, …). */
  static final long WARMUP_REFS = 1_000_000_000_000L;

  /** N bystanders check in over WebSocket at a total rate R; measures the durable ack latency. */
  /** One check-in with {@code ref} on the next socket in turn, remembered in {@code pending} with its intended time. */
  static void sendCheckIn(List<WebSocket> sockets, AtomicInteger rr, Map<Long, Long> pending, long ref, long t0, String note) {
    sendCheckIn(sockets, rr, pending, ref, t0, note, null, 0);
  }

  /**
   * As above; with {@code helpIncident} set, every {@code 1 / helpShare}-th check-in (by ref) is a
   * need_help in that incident whose note names one watch term out of four times (the rest name none).
   */
  static void sendCheckIn(List<WebSocket> sockets, AtomicInteger rr, Map<Long, Long> pending, long ref, long t0,
      String note, String helpIncident, double helpShare) {
    pending.put(ref, t0);
    String frame;
    if (helpIncident != null && helpShare > 0 && Math.floorMod(ref, Math.max(1, Math.round(1 / helpShare))) == 0) {
      String text = Math.floorMod(ref, 4) == 0 ? note + " trapped on the roof, word" + Math.floorMod(ref, 1000)
          + " phrase" + Math.floorMod(ref, 1000) : note + " water rising near the school";
      frame = "{\"type\":\"checkin\",\"ref\":" + ref + ",\"status\":\"need_help\",\"incident\":\"" + helpIncident
          + "\",\"note\":\"" + text + "\"}";
    } else {
      frame = "{\"type\":\"checkin\",\"ref\":" + ref + ",\"status\":\"safe\",\"note\":\"" + note + "\"}";
    }
    sockets.get(Math.floorMod(rr.getAndIncrement(), sockets.size())).writeTextMessage(frame);
  }

  /**
   * Keyword watch for checkin-storm ({@code --watch-terms N}, {@code --admin-token T}): a responder
   * (created with the admin token), an incident, and N watch terms ({@code trapped} and N-1 two-word
   * phrases). Returns the incident's code, or null without {@code --watch-terms} and {@code --help-share}.
   */
  String watchSetup() throws Exception {
    int terms = intOpt("watch-terms", 0);
    double share = Double.parseDouble(opt("help-share", "0"));
    if (terms <= 0 && share <= 0) {
      return null;
    }
    String admin = opt("admin-token", null);
    if (admin == null) {
      throw new IllegalArgumentException("--watch-terms and --help-share need --admin-token (the hub's HUB_ADMIN_TOKEN)");
    }
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
        .setDefaultPort(url.getPort()));
    String user = "load" + part + "x" + System.currentTimeMillis() % 100000;
    String code = ("LW" + part + System.currentTimeMillis() % 100000).toUpperCase(java.util.Locale.ROOT);
    rest(http, HttpMethod.POST, "/api/v1/admin/responders", admin, "{\"username\":\"" + user
        + "\",\"password\":\"a long load password\",\"agency\":\"Load\",\"roles\":[\"publisher\"]}", 201);
    String token = jsonText(rest(http, HttpMethod.POST, "/api/v1/responders/sessions", null, "{\"username\":\"" + user
        + "\",\"password\":\"a long load password\"}", 200), "token");
    rest(http, HttpMethod.POST, "/api/v1/incidents", token, "{\"code\":\"" + code + "\",\"name\":\"Load watch\"}", 201);
    // --watch-terms 0: no terms are set (no PUT at all, so this also runs against a hub without keyword
    // watch: the same need_help load, the "before" of a comparison).
    if (terms > 0) {
      StringBuilder list = new StringBuilder("{\"terms\":[\"trapped\"");
      for (int i = 1; i < terms; i++) {
        list.append(",\"word").append(i).append(" phrase").append(i).append('"');
      }
      rest(http, HttpMethod.PUT, "/api/v1/incidents/" + code + "/watch-terms", token, list.append("]}").toString(), 200);
    }
    report.figures.put("watchTerms", (long) Math.max(terms, 0));
    report.figures.put("helpSharePercent", Math.round(share * 100));
    http.close();
    return code;
  }

  /** After a --warmup phase: records its length and leaves the chart to the measured part. */
  void warmedUp(int seconds) {
    report.figures.put("warmupSeconds", (long) seconds);
    report.perSecond.clear();
  }

  void checkinStorm() throws Exception {
    int users = intOpt("users", 2000);
    double rate = Double.parseDouble(opt("rate", "5000"));
    int seconds = intOpt("duration", 20);
    Histogram ack = Report.histogram();
    report.latencies.put("ack", ack);
    // The worst ack of the check-ins due in each second of the measured part (under ack's lock).
    java.util.TreeMap<Integer, Long> worstBySecond = new java.util.TreeMap<>();
    long[] measuredFrom = {0};
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    ConcurrentHashMap<Long, Long> intended = new ConcurrentHashMap<>();
    AtomicLong refs = new AtomicLong();
    List<String> phones = new ArrayList<>();
    for (int i = 0; i < users; i++) {
      phones.add(Tokens.phone(1_000_000 + i));
    }
    // --warmup S: the same load for S seconds first, not measured (lets the hub's JIT warm up).
    int warmup = intOpt("warmup", 0);
    ConcurrentHashMap<Long, Long> warming = new ConcurrentHashMap<>();
    AtomicLong warmDone = new AtomicLong();
    List<WebSocket> sockets = connectAll(phones, p -> t -> {
      long ref = field(t, "ref");
      if (warming.remove(ref) != null) {
        warmDone.incrementAndGet();
        return;
      }
      Long t0 = intended.remove(ref);
      if (t0 != null) {
        if (t.contains("\"ack\"")) {
          long us = Math.max(0, (System.nanoTime() - t0) / 1000);
          synchronized (ack) {
            ack.recordValue(us);
            worstBySecond.merge((int) ((t0 - measuredFrom[0]) / 1_000_000_000L), us, Math::max);
          }
        } else {
          errors.incrementAndGet();
        }
        done.incrementAndGet();
      }
    });
    AtomicInteger rr = new AtomicInteger();
    String helpIncident = watchSetup();
    double helpShare = Double.parseDouble(opt("help-share", "0"));
    if (warmup > 0) {
      AtomicLong warmRefs = new AtomicLong(WARMUP_REFS);
      openLoop(rate, warmup, t0 -> sendCheckIn(sockets, rr, warming, warmRefs.incrementAndGet(), t0, "warm-up",
          helpIncident, helpShare), warmDone);
      drain(warmDone, warmRefs.get() - WARMUP_REFS, 60);
      warmedUp(warmup);
    }
    long started = System.nanoTime();
    measuredFrom[0] = started;
    openLoop(rate, seconds, t0 -> sendCheckIn(sockets, rr, intended, refs.incrementAndGet(), t0, "storm",
        helpIncident, helpShare), done);
    drain(done, refs.get(), 60);
    synchronized (ack) {
      report.series.put("ackWorstMsBySecond", worstBySecond.values().stream().map(us -> us / 1000).toList());
    }
    double secs = (System.nanoTime() - started) / 1e9;
    report.figures.put("sent", refs.get());
    report.figures.put("acked", done.get() - errors.get());
    report.figures.put("errors", errors.get());
    report.figures.put("lost", refs.get() - done.get());
    report.figures.put("ackedPerSecond", Math.round((done.get() - errors.get()) / secs));
    closeAll(sockets);
  }

  /**
   * S subjects, each followed by F followers; subjects check in at R per second in total; each
   * status goes to F followers. Measures publish → receive latency in this process and counts
   * seq gaps. With {@code slowShare} > 0 that share of followers stops reading.
   */
  void fanout(double slowShare) throws Exception {
    int subjects = intOpt("subjects", 50);
    int perSubject = intOpt("followers", 200);
    double rate = Double.parseDouble(opt("rate", "500"));
    int seconds = intOpt("duration", 20);
    Histogram lat = Report.histogram();
    Histogram slowLat = Report.histogram();
    report.latencies.put(slowShare > 0 ? "publish-to-receive (reading followers)" : "publish-to-receive", lat);
    AtomicLong delivered = new AtomicLong();
    AtomicLong gaps = new AtomicLong();
    List<String> subjectPhones = new ArrayList<>();
    for (int s = 0; s < subjects; s++) {
      subjectPhones.add(Tokens.phone(2_000_000 + s));
    }
    Map<String, long[]> lastSeq = new ConcurrentHashMap<>();
    List<String> followerPhones = new ArrayList<>();
    for (int i = 0; i < subjects * perSubject; i++) {
      followerPhones.add(Tokens.phone(3_000_000 + i));
    }
    java.util.Set<String> slow = new java.util.HashSet<>();
    for (int i = 0; i < followerPhones.size() * slowShare; i++) {
      slow.add(followerPhones.get((int) (i / slowShare) % followerPhones.size()));
    }
    List<WebSocket> subjectSockets = connectAll(subjectPhones, p -> t -> { });
    List<WebSocket> followerSockets = connectAll(followerPhones, p -> {
      long[] last = new long[1];
      lastSeq.put(p, last);
      boolean isSlow = slow.contains(p);
      return t -> {
        if (!t.startsWith("{\"type\":\"status\"")) {
          return;
        }
        long sent = noteNanos(t);
        long seq = field(t, "seq");
        if (sent > 0 && !isSlow) {
          synchronized (lat) {
            lat.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
          }
        }
        if (last[0] != 0 && seq != last[0] + 1 && !isSlow) {
          gaps.incrementAndGet();
        }
        last[0] = seq;
        delivered.incrementAndGet();
      };
    });
    follow(subjectSockets, followerSockets, subjectPhones, followerPhones, perSubject);
    for (int i = 0; i < followerSockets.size(); i++) {
      if (slow.contains(followerPhones.get(i))) {
        followerSockets.get(i).pause();
      }
    }
    AtomicInteger rr = new AtomicInteger();
    AtomicLong sentCount = new AtomicLong();
    long started = System.nanoTime();
    openLoop(rate, seconds, t0 -> {
      int s = Math.floorMod(rr.getAndIncrement(), subjectSockets.size());
      sentCount.incrementAndGet();
      subjectSockets.get(s).writeTextMessage("{\"type\":\"checkin\",\"status\":\"safe\",\"note\":\"t" + t0 + "\"}");
    }, delivered);
    long expected = (long) (sentCount.get() * perSubject * (1 - slowShare));
    drain(delivered, expected, 30);
    double secs = (System.nanoTime() - started) / 1e9;
    report.figures.put("checkins", sentCount.get());
    report.figures.put("deliveries", delivered.get());
    report.figures.put("deliveriesPerSecond", Math.round(delivered.get() / secs));
    report.figures.put("expectedToReadingFollowers", expected);
    report.figures.put("seqGaps", gaps.get());
    report.figures.put("slowFollowers", slow.size());
    if (slowShare > 0) {
      report.latencies.remove("slow");
    }
    closeAll(subjectSockets);
    closeAll(followerSockets);
  }

  /** Makes every follower an active follower of its subject (follow, then the subject's consent). */
  void follow(List<WebSocket> subjects, List<WebSocket> followers, List<String> subjectPhones, List<String> followerPhones,
      int perSubject) throws Exception {
    for (int s = 0; s < subjects.size(); s++) {
      for (int f = 0; f < perSubject; f++) {
        int fi = s * perSubject + f;
        followers.get(fi).writeTextMessage("{\"type\":\"follow\",\"phone\":\"" + subjectPhones.get(s) + "\"}");
      }
    }
    // Consent after the follow requests: the hub processes each connection's frames in order, and a
    // subject's consent for a follower whose request is not stored yet is answered not_found, so
    // retry until every follow is active (counted from the acks).
    AtomicLong active = new AtomicLong();
    for (int round = 0; round < 20 && active.get() < (long) subjects.size() * perSubject; round++) {
      active.set(0);
      List<Future<Void>> acks = new ArrayList<>();
      for (int s = 0; s < subjects.size(); s++) {
        WebSocket ws = subjects.get(s);
        io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
        AtomicInteger pending = new AtomicInteger(perSubject);
        ws.textMessageHandler(t -> {
          if (t.contains("\"state\":\"active\"")) {
            active.incrementAndGet();
          }
          if ((t.contains("\"ack\"") || t.contains("\"error\"")) && pending.decrementAndGet() == 0) {
            p.tryComplete();
          }
        });
        for (int f = 0; f < perSubject; f++) {
          ws.writeTextMessage("{\"type\":\"consent\",\"ref\":" + f + ",\"phone\":\"" + followerPhones.get(s * perSubject + f)
              + "\",\"allow\":true}");
        }
        acks.add(p.future());
      }
      Future.all(acks).await(120, TimeUnit.SECONDS);
      progress("active follows " + active.get() + "/" + (long) subjects.size() * perSubject);
    }
    for (WebSocket ws : subjects) {
      ws.textMessageHandler(t -> { });
    }
    if (active.get() < (long) subjects.size() * perSubject) {
      throw new IllegalStateException("could not activate all follows: " + active.get());
    }
  }

  /** Every follower drops its connection at once and reconnects; time until all have their snapshot. */
  void reconnectStorm() throws Exception {
    int subjects = intOpt("subjects", 50);
    int perSubject = intOpt("followers", 200);
    List<String> subjectPhones = new ArrayList<>();
    for (int s = 0; s < subjects; s++) {
      subjectPhones.add(Tokens.phone(4_000_000 + part * 1_000 + s));
    }
    List<String> followerPhones = new ArrayList<>();
    for (int i = 0; i < subjects * perSubject; i++) {
      followerPhones.add(Tokens.phone(5_000_000 + part * 100_000 + i));
    }
    List<WebSocket> subjectSockets = connectAll(subjectPhones, p -> t -> { });
    List<WebSocket> followers = connectAll(followerPhones, p -> t -> { });
    follow(subjectSockets, followers, subjectPhones, followerPhones, perSubject);
    for (WebSocket s : subjectSockets) {
      s.writeTextMessage("{\"type\":\"checkin\",\"status\":\"safe\",\"note\":\"before the storm\"}");
    }
    // --warmup N: N unmeasured rounds of the same storm first (a hub that has been running has
    // compiled its hot paths; a storm right after start measures the JIT).
    for (int round = intOpt("warmup", 0); round > 0; round--) {
      closeAll(followers);
      List<Future<WebSocket>> again = connectEach(followerPhones, ws -> { });
      Future.all(again).await(300, TimeUnit.SECONDS);
      followers = again.stream().map(Future::result).toList();
      progress("warm-up round done");
    }
    barrier();
    closeAll(followers);
    Histogram catchUp = Report.histogram();
    report.latencies.put("reconnect-to-snapshot", catchUp);
    long start = System.nanoTime();
    AtomicLong caughtUp = new AtomicLong();
    List<Future<WebSocket>> all = connectEach(followerPhones, ws -> {
      synchronized (catchUp) {
        catchUp.recordValue((System.nanoTime() - start) / 1000);
      }
      caughtUp.incrementAndGet();
    });
    Future.join(all).await(300, TimeUnit.SECONDS);
    double secs = (System.nanoTime() - start) / 1e9;
    report.figures.put("followers", followerPhones.size());
    report.figures.put("caughtUp", caughtUp.get());
    report.figures.put("allCaughtUpSeconds", Math.round(secs * 100) / 100.0);
    List<WebSocket> open = new ArrayList<>();
    all.forEach(f -> {
      if (f.succeeded()) {
        open.add(f.result());
      }
    });
    closeAll(open);
    closeAll(subjectSockets);
  }

  /** Holds C authenticated connections with pings; hub memory per connection from its RSS. */
  void idleConnections() throws Exception {
    int n = intOpt("connections", 20000);
    int seconds = intOpt("duration", 20);
    String pid = opt("hub-pid", null);
    long before = pid == null ? -1 : rssKb(pid);
    List<String> phones = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      phones.add(Tokens.phone(6_000_000 + part * 100_000 + i));
    }
    List<WebSocket> sockets = connectAll(phones, p -> t -> { });
    AtomicLong pongs = new AtomicLong();
    for (WebSocket ws : sockets) {
      ws.textMessageHandler(t -> pongs.incrementAndGet());
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    do {
      for (WebSocket ws : sockets) {
        ws.writeTextMessage("{\"type\":\"ping\"}");
      }
      progress("holding " + sockets.size() + " connections, pongs " + pongs.get());
      TimeUnit.SECONDS.sleep(5);
    } while (System.nanoTime() < end);
    // Several generators: the runner measures every hub node's memory while all parts hold.
    barrier();
    long after = pid == null ? -1 : rssKb(pid);
    report.figures.put("connections", sockets.size());
    report.figures.put("pongs", pongs.get());
    if (pid != null) {
      report.figures.put("hubRssBeforeMb", before / 1024);
      report.figures.put("hubRssAfterMb", after / 1024);
      report.figures.put("hubKbPerConnection", Math.round((after - before) * 10.0 / sockets.size()) / 10.0);
    }
    closeAll(sockets);
  }

  static long rssKb(String pid) throws Exception {
    for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", pid, "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** Signed Twilio inbound webhooks (SAFE from many numbers) at rate R; measures TwiML reply latency. */
  void smsStorm() throws Exception {
    double rate = Double.parseDouble(opt("rate", "2000"));
    int seconds = intOpt("duration", 20);
    String authToken = opt("twilio-token", "loadtest-twilio-token");
    String publicUrl = opt("public-url", "http://127.0.0.1:" + url.getPort());
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
        .setDefaultPort(url.getPort()), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(200));
    Histogram reply = Report.histogram();
    report.latencies.put("webhook-reply", reply);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong n = new AtomicLong();
    int senders = intOpt("users", 5000);
    // --warmup S: the same webhooks for S seconds first, not measured (other MessageSids).
    int warmup = intOpt("warmup", 0);
    if (warmup > 0) {
      AtomicLong warmDone = new AtomicLong();
      AtomicLong warmN = new AtomicLong(WARMUP_REFS);
      openLoop(rate, warmup, t0 -> webhook(http, authToken, publicUrl, warmN.incrementAndGet(), senders, ok -> warmDone.incrementAndGet()),
          warmDone);
      drain(warmDone, warmN.get() - WARMUP_REFS, 60);
      warmedUp(warmup);
    }
    openLoop(rate, seconds, t0 -> webhook(http, authToken, publicUrl, n.incrementAndGet(), senders, ok -> {
      if (ok) {
        synchronized (reply) {
          reply.recordValue(Math.max(0, (System.nanoTime() - t0) / 1000));
        }
      } else {
        errors.incrementAndGet();
      }
      done.incrementAndGet();
    }), done);
    drain(done, n.get(), 60);
    report.figures.put("sent", n.get());
    report.figures.put("ok", done.get() - errors.get());
    report.figures.put("errors", errors.get());
    report.figures.put("okPerSecond", Math.round((done.get() - errors.get()) / (double) seconds));
    http.close();
  }

  /** One signed inbound webhook ({@code SAFE} from one of {@code senders} numbers); {@code done} gets 200 or not. */
  void webhook(HttpClient http, String authToken, String publicUrl, long i, int senders,
      java.util.function.Consumer<Boolean> done) {
    TreeMap<String, String> params = new TreeMap<>();
    params.put("From", Tokens.phone(7_000_000 + (int) (i % senders)));
    params.put("To", "+15550009999");
    params.put("Body", "SAFE storm " + i);
    params.put("MessageSid", String.format("SM%032d", i));
    StringBuilder form = new StringBuilder();
    params.forEach((k, v) -> form.append(form.length() == 0 ? "" : "&").append(k).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    String sig = Tokens.twilioSignature(authToken, publicUrl + "/sms/inbound", params);
    http.request(HttpMethod.POST, "/sms/inbound").compose(req -> req
        .putHeader("Content-Type", "application/x-www-form-urlencoded").putHeader("X-Twilio-Signature", sig)
        .send(Buffer.buffer(form.toString()))).compose(r -> r.body().map(b -> r.statusCode()))
        .onComplete(ar -> done.accept(ar.succeeded() && ar.result() == 200));
  }

  // ---------------------------------------------------------------- safety check of many people

  /** The connections the safety-check scenario sends its SMS webhooks (joins and answers) on. */
  static final int ANSWER_CONNECTIONS = 200;

  /**
   * A safety check of {@code --people} numbers that JOINed the incident by SMS (signed webhooks),
   * {@code --sessions} of them with an open WebSocket; SMS asks go to a fake Twilio in this process
   * ({@code --fake-twilio-port}; the hub's {@code HUB_TWILIO_API_BASE} points at it, {@code
   * HUB_SMS_RATE} raised). Measures the time from the start until every open session has the
   * question, then, while answers arrive by SMS at {@code --answer-rate} per second for {@code
   * --duration} seconds, the latency of the tally ({@code GET /safety-checks/{id}}) and of a
   * per-state list page ({@code …/people?state=safe&limit=1000}, as the desk reads it), each read 10 times a second on a connection of
   * its own (so the reads never queue behind the answers in the generator), measured from its
   * intended time. Afterwards waits at most {@code --sms-drain-seconds} (default 120) for the fake
   * Twilio to have accepted every SMS ask ({@code smsRecipients} of the draft) and reads the hub's
   * own tally. With {@code --warmup-people W} (default 0), a check of W other numbers runs first,
   * unmeasured ({@link #warmUpSafetyCheck}).
   */
  void safetyCheck() throws Exception {
    int people = intOpt("people", 100_000);
    int sessions = Math.min(people, intOpt("sessions", 15_000));
    double answerRate = Double.parseDouble(opt("answer-rate", "5000"));
    int seconds = intOpt("duration", 20);
    int smsDrainSeconds = intOpt("sms-drain-seconds", 120);
    // Checked before the set-up: the warm-up's numbers (7,000,000 + i) must stay clear of the audience's.
    int warmupPeople = intOpt("warmup-people", 0);
    if (warmupPeople < 0 || warmupPeople >= 1_000_000) {
      throw new IllegalArgumentException("--warmup-people must be from 0 to 999999");
    }
    String admin = opt("admin-token", "loadtest-admin-token-loadtest-admin-0123");
    String authToken = opt("twilio-token", "loadtest-twilio-token");
    String publicUrl = opt("public-url", "http://127.0.0.1:" + url.getPort());
    AtomicLong smsAccepted = new AtomicLong();
    AtomicLong lastSmsAt = new AtomicLong();
    AtomicLong sid = new AtomicLong();
    io.vertx.core.http.HttpServer fakeTwilio = vertx.createHttpServer().requestHandler(req -> req.body().onComplete(b ->
        req.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end("{\"sid\":\"SM" + String.format("%032d", sid.incrementAndGet()) + "\",\"status\":\"queued\"}")
            .onSuccess(v -> {
              lastSmsAt.set(System.nanoTime());
              smsAccepted.incrementAndGet();
            })))
        .listen(intOpt("fake-twilio-port", 18099), "127.0.0.1").await(10, TimeUnit.SECONDS);
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
        .setDefaultPort(url.getPort()), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(ANSWER_CONNECTIONS));
    // The reads have connections of their own: behind 200 busy answer connections they would
    // measure the generator's queue, not the hub.
    HttpClient readHttp = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
        .setDefaultPort(url.getPort()), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(8));
    String user = "load" + System.nanoTime();
    rest(http, HttpMethod.POST, "/api/v1/admin/responders", admin, "{\"username\":\"" + user
        + "\",\"password\":\"a long load-test password\",\"agency\":\"Load\",\"roles\":[\"publisher\"]}", 201);
    String pub = jsonText(rest(http, HttpMethod.POST, "/api/v1/responders/sessions", null, "{\"username\":\"" + user
        + "\",\"password\":\"a long load-test password\"}", 200), "token");
    String code = "LOAD" + (System.nanoTime() % 100_000);
    rest(http, HttpMethod.POST, "/api/v1/incidents", pub, "{\"code\":\"" + code + "\",\"name\":\"Load\"}", 201);
    // The audience: every number JOINs by SMS (windowed, not measured).
    List<String> phones = new ArrayList<>();
    for (int i = 0; i < people; i++) {
      phones.add(Tokens.phone(8_000_000 + i));
    }
    long joinT0 = System.nanoTime();
    long joinFailed = windowed(http, authToken, publicUrl, phones, i -> "JOIN " + code,
        i -> String.format("SM%032d", 900_000_000L + i), "joined");
    report.figures.put("joinSeconds", Math.round((System.nanoTime() - joinT0) / 1e8) / 10.0);
    report.figures.put("joinFailed", joinFailed);
    if (warmupPeople > 0) {
      warmUpSafetyCheck(http, pub, authToken, publicUrl, warmupPeople, smsAccepted, smsDrainSeconds);
    }
    Map<String, Long> asked = new ConcurrentHashMap<>();
    long connectT0 = System.nanoTime();
    List<WebSocket> sockets = connectAll(phones.subList(0, sessions), phone -> text -> {
      if (text.contains("\"safety_check\"")) {
        asked.putIfAbsent(phone, System.nanoTime());
      }
    });
    report.figures.put("connectSeconds", Math.round((System.nanoTime() - connectT0) / 1e8) / 10.0);
    String draft = rest(http, HttpMethod.POST, "/api/v1/incidents/" + code + "/safety-checks", pub, "{}", 201);
    String check = jsonText(draft, "id");
    long smsRecipients = new io.vertx.core.json.JsonObject(draft).getLong("smsRecipients", -1L);
    long smsBefore = smsAccepted.get();
    long t0 = System.nanoTime();
    // The start fixes the whole audience (in units of 2,000) before it answers: minutes on a loaded machine.
    rest(http, HttpMethod.POST, "/api/v1/safety-checks/" + check + "/start", pub, null, 200, 900);
    long startMs = (System.nanoTime() - t0) / 1_000_000;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (asked.size() < sessions && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(10);
    }
    long last = asked.values().stream().mapToLong(Long::longValue).max().orElse(t0);
    report.figures.put("people", (long) people);
    report.figures.put("sessions", (long) sessions);
    report.figures.put("startMs", startMs);
    report.figures.put("sessionsAsked", (long) asked.size());
    report.figures.put("allSessionsAskedMs", (last - t0) / 1_000_000);
    report.figures.put("smsRecipients", smsRecipients);
    report.figures.put("smsAcceptedBeforeAnswers", smsAccepted.get() - smsBefore);
    // The answers are signed before the clock starts: signing them as they are due would make the
    // generator's event loop (which also reads the hub's replies) the bottleneck.
    int total = (int) (answerRate * seconds);
    List<Signed> answers = new ArrayList<>(total);
    for (int i = 0; i < total; i++) {
      answers.add(signedInbound(authToken, publicUrl, phones.get(i % people), i % 10 == 0 ? "2" : "1",
          String.format("SM%032d", 950_000_000L + i)));
    }
    // Answers by SMS at the answer rate; tally and list reads at 10/s each, measured from their intended times.
    Histogram answer = Report.histogram();
    Histogram tally = Report.histogram();
    Histogram list = Report.histogram();
    report.latencies.put("answer", answer);
    report.latencies.put("tally", tally);
    report.latencies.put("people-safe", list);
    AtomicLong done = new AtomicLong();
    AtomicLong answerFailed = new AtomicLong();
    AtomicLong n = new AtomicLong();
    AtomicLong readFailed = new AtomicLong();
    AtomicLong lastListBytes = new AtomicLong();
    long readsT0 = System.nanoTime();
    AtomicLong readsIssued = new AtomicLong();
    // Every 50 ms by the clock, alternating: tally, list (each read 10 times a second).
    long reads = vertx.setPeriodic(5, t -> {
      long due = (System.nanoTime() - readsT0) / 50_000_000L;
      while (readsIssued.get() <= due) {
        long k = readsIssued.getAndIncrement();
        long intended = readsT0 + k * 50_000_000L;
        boolean tallyTurn = (k & 1) == 0;
        Histogram h = tallyTurn ? tally : list;
        readHttp.request(HttpMethod.GET, tallyTurn ? "/api/v1/safety-checks/" + check
            : "/api/v1/safety-checks/" + check + "/people?state=safe&limit=1000").compose(req -> req
            .putHeader("Authorization", "Bearer " + pub).send()).compose(r -> r.body().map(b -> {
              if (r.statusCode() != 200) {
                throw new IllegalStateException("status " + r.statusCode());
              }
              return b;
            })).onComplete(ar -> {
              if (ar.failed()) {
                readFailed.incrementAndGet();
                return;
              }
              if (!tallyTurn) {
                lastListBytes.set(ar.result().length());
              }
              synchronized (h) {
                h.recordValue(Math.max(0, (System.nanoTime() - intended) / 1000));
              }
            });
      }
    });
    // Open loop: answer i is due at intendedAt[i] and its latency counts from then. An answer due while
    // all 200 connections are busy waits here as an index, not as a request queued in the HTTP
    // client: 100,000 queued requests made the generator's heap grow to 500 MB and its collector
    // pause it for up to a second, which showed as seconds without answers and in the read latencies.
    long[] intendedAt = new long[total];
    AtomicLong due = new AtomicLong();
    AtomicLong inFlight = new AtomicLong();
    Object gate = new Object();
    Runnable[] pump = new Runnable[1];
    java.util.concurrent.atomic.AtomicBoolean answering = new java.util.concurrent.atomic.AtomicBoolean(true);
    pump[0] = () -> {
      while (true) {
        int i;
        synchronized (gate) {
          if (!answering.get() || inFlight.get() >= ANSWER_CONNECTIONS || n.get() >= due.get()) {
            return;
          }
          inFlight.incrementAndGet();
          i = (int) n.getAndIncrement();
        }
        long at = intendedAt[i];
        send(http, answers.get(i)).onComplete(ar -> {
          if (ar.succeeded() && ar.result() == 200) {
            synchronized (answer) {
              answer.recordValue(Math.max(0, (System.nanoTime() - at) / 1000));
            }
          } else {
            answerFailed.incrementAndGet();
          }
          done.incrementAndGet();
          inFlight.decrementAndGet();
          pump[0].run();
        });
      }
    };
    openLoop(answerRate, seconds, at -> {
      synchronized (gate) {
        intendedAt[(int) due.get()] = at;
        due.incrementAndGet();
      }
      pump[0].run();
    }, done);
    // The answers still waiting for a connection when the clock stops are sent as connections free
    // up (pump), within the drain below.
    drain(done, total, 60);
    // Answers not sent by now stay unsent (answersUnfinished): the drain and the final tally read are not theirs.
    answering.set(false);
    vertx.cancelTimer(reads);
    report.figures.put("answersSent", n.get());
    report.figures.put("answersFailed", answerFailed.get());
    report.figures.put("answersUnfinished", total - done.get());
    report.figures.put("answersSeconds", Math.round((System.nanoTime() - readsT0) / 1e8) / 10.0);
    report.figures.put("readsFailed", readFailed.get());
    report.figures.put("lastSafeListBytes", lastListBytes.get());
    // The rest of the SMS asks (the outbox paces them at HUB_SMS_RATE), then the hub's own tally.
    long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(smsDrainSeconds);
    while (smsRecipients >= 0 && smsAccepted.get() - smsBefore < smsRecipients && System.nanoTime() < drainDeadline) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
    long smsAsks = smsAccepted.get() - smsBefore;
    report.figures.put("smsAccepted", smsAsks);
    report.figures.put("allSmsAcceptedMs", smsAsks >= smsRecipients ? (lastSmsAt.get() - t0) / 1_000_000 : -1);
    io.vertx.core.json.JsonObject tallies = new io.vertx.core.json.JsonObject(
        rest(readHttp, HttpMethod.GET, "/api/v1/safety-checks/" + check, pub, null, 200, 300)).getJsonObject("tallies");
    if (tallies != null) {
      tallies.forEach(e -> report.figures.put("hubTally." + e.getKey(), ((Number) e.getValue()).longValue()));
    }
    closeAll(sockets);
    http.close();
    readHttp.close();
    fakeTwilio.close();
  }

  /**
   * The warm-up of {@code safety-check --warmup-people W} (not measured): W other numbers JOIN an
   * incident of their own, a safety check of them starts, each answers it once by SMS (500 at a time),
   * the generator waits until the hub has tallied every answer and the fake Twilio has accepted every
   * ask (at most {@code drainSeconds}), and the check is closed. The hub has then run the code of a
   * check (audience, asks, outbox, answers, tallies) before the measured one, as a hub that has been up
   * for a while has. Figures: {@code warmupPeople}, {@code warmupSeconds}, {@code warmupAnswered}.
   */
  void warmUpSafetyCheck(HttpClient http, String pub, String authToken, String publicUrl, int people,
      AtomicLong smsAccepted, int drainSeconds) throws Exception {
    long t0 = System.nanoTime();
    String code = "WARM" + (System.nanoTime() % 100_000);
    rest(http, HttpMethod.POST, "/api/v1/incidents", pub, "{\"code\":\"" + code + "\",\"name\":\"Warm-up\"}", 201);
    List<String> phones = new ArrayList<>();
    for (int i = 0; i < people; i++) {
      phones.add(Tokens.phone(7_000_000 + i));
    }
    refused(windowed(http, authToken, publicUrl, phones, i -> "JOIN " + code,
        i -> String.format("SM%032d", 700_000_000L + i), "warm-up joined"));
    String draft = rest(http, HttpMethod.POST, "/api/v1/incidents/" + code + "/safety-checks", pub, "{}", 201);
    String check = jsonText(draft, "id");
    long recipients = new io.vertx.core.json.JsonObject(draft).getLong("smsRecipients", 0L);
    long smsBefore = smsAccepted.get();
    rest(http, HttpMethod.POST, "/api/v1/safety-checks/" + check + "/start", pub, null, 200, 900);
    refused(windowed(http, authToken, publicUrl, phones, i -> i % 10 == 0 ? "2" : "1",
        i -> String.format("SM%032d", 750_000_000L + i), "warm-up answered"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
    long answered = 0;
    while (System.nanoTime() < deadline) {
      io.vertx.core.json.JsonObject t = new io.vertx.core.json.JsonObject(
          rest(http, HttpMethod.GET, "/api/v1/safety-checks/" + check, pub, null, 200)).getJsonObject("tallies");
      answered = t.getLong("safe", 0L) + t.getLong("needHelp", 0L);
      if (answered >= people && smsAccepted.get() - smsBefore >= recipients) {
        break;
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    long accepted = smsAccepted.get() - smsBefore;
    if (answered < people || accepted < recipients) {
      // Its asks still queued would go out during the measured check and count as its asks.
      throw new IllegalStateException("the warm-up check did not finish within --sms-drain-seconds (" + drainSeconds
          + " s): " + answered + " of " + people + " answers tallied, " + accepted + " of " + recipients
          + " SMS asks accepted");
    }
    rest(http, HttpMethod.POST, "/api/v1/safety-checks/" + check + "/close", pub, null, 200);
    report.figures.put("warmupPeople", (long) people);
    report.figures.put("warmupAnswered", answered);
    report.figures.put("warmupSeconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
  }

  /**
   * Signed inbound SMS from every number of {@code phones} (text and MessageSid by index), 500 at a
   * time, with progress under {@code label}; returns how many were refused or failed.
   */
  long windowed(HttpClient http, String authToken, String publicUrl, List<String> phones,
      java.util.function.IntFunction<String> text, java.util.function.IntFunction<String> sid, String label)
      throws Exception {
    long failed = 0;
    for (int from = 0; from < phones.size(); from += 500) {
      List<Future<Integer>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(phones.size(), from + 500); i++) {
        batch.add(inbound(http, authToken, publicUrl, phones.get(i), text.apply(i), sid.apply(i)));
      }
      Future.join(batch).await(120, TimeUnit.SECONDS);
      failed += batch.stream().filter(f -> f.failed() || f.result() != 200).count();
      progress(label + " " + Math.min(phones.size(), from + 500) + "/" + phones.size());
    }
    return failed;
  }

  /** A warm-up with refused SMS fails the run: it would warm less than it says. */
  private static void refused(long failed) {
    if (failed > 0) {
      throw new IllegalStateException(failed + " warm-up SMS were refused");
    }
  }

  /** One REST call; fails unless it answers {@code expect}; returns the body. */
  String rest(HttpClient http, HttpMethod method, String path, String bearer, String body, int expect) throws Exception {
    return rest(http, method, path, bearer, body, expect, 60);
  }

  /** As above, waiting at most {@code seconds} for the answer. */
  String rest(HttpClient http, HttpMethod method, String path, String bearer, String body, int expect, int seconds)
      throws Exception {
    return http.request(new io.vertx.core.http.RequestOptions().setMethod(method).setURI(path)
        .setIdleTimeout(TimeUnit.SECONDS.toMillis(seconds))).compose(req -> {
      req.putHeader("Content-Type", "application/json");
      if (bearer != null) {
        req.putHeader("Authorization", "Bearer " + bearer);
      }
      return body == null ? req.send() : req.send(body);
    }).compose(r -> r.body().map(b -> {
      if (r.statusCode() != expect) {
        throw new IllegalStateException(method + " " + path + " → " + r.statusCode() + ": " + b);
      }
      return b.toString();
    })).await(seconds, TimeUnit.SECONDS);
  }

  static String jsonText(String json, String name) {
    return new io.vertx.core.json.JsonObject(json).getString(name);
  }

  /** One signed inbound SMS webhook; the status code. */
  Future<Integer> inbound(HttpClient http, String authToken, String publicUrl, String from, String text, String msgSid) {
    return send(http, signedInbound(authToken, publicUrl, from, text, msgSid));
  }

  /** A signed inbound SMS webhook, ready to send: its form body and its X-Twilio-Signature. */
  record Signed(Buffer form, String signature) {
  }

  static Signed signedInbound(String authToken, String publicUrl, String from, String text, String msgSid) {
    TreeMap<String, String> params = new TreeMap<>();
    params.put("From", from);
    params.put("To", "+15550009999");
    params.put("Body", text);
    params.put("MessageSid", msgSid);
    StringBuilder form = new StringBuilder();
    params.forEach((k, v) -> form.append(form.length() == 0 ? "" : "&").append(k).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return new Signed(Buffer.buffer(form.toString()),
        Tokens.twilioSignature(authToken, publicUrl + "/sms/inbound", params));
  }

  static Future<Integer> send(HttpClient http, Signed s) {
    return http.request(HttpMethod.POST, "/sms/inbound").compose(req -> req
        .putHeader("Content-Type", "application/x-www-form-urlencoded").putHeader("X-Twilio-Signature", s.signature())
        .send(s.form().copy())).compose(r -> r.body().map(b -> r.statusCode()));
  }

  static void closeAll(List<WebSocket> sockets) {
    List<Future<Void>> closes = new ArrayList<>();
    for (WebSocket ws : sockets) {
      if (ws != null) {
        closes.add(ws.close().recover(e -> Future.succeededFuture()));
      }
    }
    try {
      Future.join(closes).await(60, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // connections the server closed already
    }
  }

  /**
   * Followers under a slow-header attack: the fan-out load runs twice for {@code --duration} each,
   * first alone, then while {@code --attackers} sockets from {@code --attack-source} each send a
   * partial request and one more header line every {@code --drip-seconds} (reconnecting at once
   * whenever the hub closes them, as an attacker would). A probe from {@code --probe-source} asks
   * {@code /health/ready} five times a second throughout the attack. Reports the reading followers'
   * publish → receive latency of both phases, the probe's latency and failures, and how many attack
   * sockets the hub closed.
   */
  void slowHeaders() throws Exception {
    int subjects = intOpt("subjects", 10);
    int perSubject = intOpt("followers", 50);
    double rate = Double.parseDouble(opt("rate", "100"));
    int seconds = intOpt("duration", 10);
    int attackers = intOpt("attackers", 1500);
    int drip = intOpt("drip-seconds", 5);
    Histogram calm = Report.histogram();
    Histogram attacked = Report.histogram();
    Histogram probe = Report.histogram();
    report.latencies.put("publish-to-receive (no attack)", calm);
    report.latencies.put("publish-to-receive (under attack)", attacked);
    report.latencies.put("readiness from another address (under attack)", probe);
    java.util.concurrent.atomic.AtomicReference<Histogram> current = new java.util.concurrent.atomic.AtomicReference<>(calm);
    AtomicLong delivered = new AtomicLong();
    AtomicLong gaps = new AtomicLong();
    List<String> subjectPhones = new ArrayList<>();
    for (int s = 0; s < subjects; s++) {
      subjectPhones.add(Tokens.phone(6_000_000 + s));
    }
    List<String> followerPhones = new ArrayList<>();
    for (int i = 0; i < subjects * perSubject; i++) {
      followerPhones.add(Tokens.phone(7_000_000 + i));
    }
    List<WebSocket> subjectSockets = connectAll(subjectPhones, p -> t -> { });
    List<WebSocket> followerSockets = connectAll(followerPhones, p -> {
      long[] last = new long[1];
      return t -> {
        if (!t.startsWith("{\"type\":\"status\"")) {
          return;
        }
        long sent = noteNanos(t);
        long seq = field(t, "seq");
        if (sent > 0) {
          Histogram h = current.get();
          synchronized (h) {
            h.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
          }
        }
        if (last[0] != 0 && seq != last[0] + 1) {
          gaps.incrementAndGet();
        }
        last[0] = seq;
        delivered.incrementAndGet();
      };
    });
    follow(subjectSockets, followerSockets, subjectPhones, followerPhones, perSubject);
    AtomicInteger rr = new AtomicInteger();
    AtomicLong sentCount = new AtomicLong();
    java.util.function.LongConsumer checkIn = t0 -> {
      int s = Math.floorMod(rr.getAndIncrement(), subjectSockets.size());
      sentCount.incrementAndGet();
      subjectSockets.get(s).writeTextMessage("{\"type\":\"checkin\",\"status\":\"safe\",\"note\":\"t" + t0 + "\"}");
    };

    openLoop(rate, seconds, checkIn, delivered);
    drain(delivered, sentCount.get() * perSubject, 30);
    long calmDeliveries = delivered.get();

    // The attack: every socket sends a partial request, then a header line every drip seconds.
    java.util.concurrent.atomic.AtomicBoolean attacking = new java.util.concurrent.atomic.AtomicBoolean(true);
    AtomicInteger open = new AtomicInteger();
    AtomicLong closedByHub = new AtomicLong();
    AtomicLong connectFailures = new AtomicLong();
    io.vertx.core.net.NetClient net = vertx.createNetClient(new io.vertx.core.net.NetClientOptions()
        .setLocalAddress(opt("attack-source", "127.0.0.5")).setConnectTimeout(30_000));
    Runnable[] attack = new Runnable[1];
    attack[0] = () -> net.connect(url.getPort(), url.getHost()).onComplete(ar -> {
      if (ar.failed()) {
        connectFailures.incrementAndGet();
        if (attacking.get()) {
          vertx.setTimer(100, t -> attack[0].run());
        }
        return;
      }
      io.vertx.core.net.NetSocket so = ar.result();
      open.incrementAndGet();
      so.handler(b -> { });
      so.exceptionHandler(e -> { }); // a drip onto a socket the hub just closed: expected
      so.write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      long timer = vertx.setPeriodic(drip * 1000L, t -> so.write("X-Drip: 1\r\n"));
      so.closeHandler(v -> {
        vertx.cancelTimer(timer);
        open.decrementAndGet();
        if (attacking.get()) {
          closedByHub.incrementAndGet();
          attack[0].run();
        }
      });
    });
    for (int i = 0; i < attackers; i++) {
      attack[0].run();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (open.get() < attackers * 9 / 10 && System.nanoTime() < deadline) {
      progress("attack sockets open " + open.get() + "/" + attackers);
      TimeUnit.MILLISECONDS.sleep(100);
    }
    report.figures.put("attackSocketsOpenAtStart", (long) open.get());

    HttpClient probeClient = vertx.createHttpClient(new HttpClientOptions()
        .setLocalAddress(opt("probe-source", "127.0.0.6")).setKeepAlive(false));
    AtomicLong probeOk = new AtomicLong();
    AtomicLong probeFailed = new AtomicLong();
    long probeTimer = vertx.setPeriodic(200, t -> {
      long t0 = System.nanoTime();
      probeClient.request(HttpMethod.GET, url.getPort(), url.getHost(), "/health/ready")
          .compose(req -> req.send().compose(r -> r.body().map(b -> r.statusCode())))
          .onComplete(ar -> {
            if (ar.succeeded() && ar.result() == 200) {
              probeOk.incrementAndGet();
              synchronized (probe) {
                probe.recordValue(Math.max(0, (System.nanoTime() - t0) / 1000));
              }
            } else {
              probeFailed.incrementAndGet();
            }
          });
    });

    current.set(attacked);
    long before = sentCount.get();
    openLoop(rate, seconds, checkIn, delivered);
    drain(delivered, sentCount.get() * perSubject, 30);
    vertx.cancelTimer(probeTimer);
    report.figures.put("attackSocketsOpenAtEnd", (long) open.get());
    attacking.set(false);
    net.close();

    report.figures.put("attackers", (long) attackers);
    report.figures.put("attackSocketsClosedByHub", closedByHub.get());
    report.figures.put("attackConnectFailures", connectFailures.get());
    report.figures.put("readinessOk", probeOk.get());
    report.figures.put("readinessFailed", probeFailed.get());
    report.figures.put("checkinsPerPhase", before);
    report.figures.put("deliveriesNoAttack", calmDeliveries);
    report.figures.put("deliveriesUnderAttack", delivered.get() - calmDeliveries);
    report.figures.put("expectedPerPhase", before * perSubject);
    report.figures.put("seqGaps", gaps.get());
    probeClient.close();
    closeAll(subjectSockets);
    closeAll(followerSockets);
  }
}
