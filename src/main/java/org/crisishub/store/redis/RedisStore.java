package org.crisishub.store.redis;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.HubException;
import org.crisishub.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Store} on Redis, through the Vert.x Redis client: this class holds the machinery
 * (pipelined connections, script loading by SHA1, the key layout, start-up checks, retention), and
 * one class per concern implements each interface on it ({@link RedisCheckIns}, {@link RedisFollows},
 * {@link RedisPersonAuth}, {@link RedisOutbox}, {@link RedisSmsInbound}, {@link RedisResponders},
 * {@link RedisIncidents}, {@link RedisNotices}, {@link RedisHelp}, {@link RedisAudit}, and the safety,
 * triage and template classes). Every multi-key change is one Lua script (held by its concern's
 * class; shared fragments in {@link Scripts}), so it is atomic; with {@code appendfsync always} Redis
 * fsyncs the AOF before it replies, so a succeeded future means the change is on disk.
 *
 * <p>Keys carry a hash tag: a person's check-ins, {@code seq}, followers, contacts, help entries
 * and the SMS notifications about them share the tag {@code {sN}} of the person's shard (one of
 * {@value #SHARDS}); everything global (incidents, notices, keys, responders, opt-outs, audit,
 * incident SMS subscribers and their SMS) shares {@code {g}}. Each script touches one tag only, so
 * the layout runs on Redis Cluster unchanged. The outbox is one Redis Stream per tag with the
 * consumer group {@value #GROUP}: a node claims with XREADGROUP, and XAUTOCLAIM hands entries of
 * a node that stopped answering to another after the lease. The full layout is in docs/cluster.md.
 */
public final class RedisStore implements Store {
  private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);
  /** Person shards. Changing it moves every person's keys: it is part of the layout (schema 1). */
  static final int SHARDS = 16;
  /** Outbox tags: the person shards, then {g}. */
  static final int OUTBOXES = SHARDS + 1;
  static final String GROUP = "senders";
  static final String G = "{g}";
  static final int SCHEMA = 1;

  /** How strictly the server's persistence is checked at start. */
  public enum Durability {
    /** Refuse to start unless the server runs {@code appendonly yes} with {@code appendfsync always}. */
    ALWAYS,
    /** Also accept {@code appendfsync everysec} (may lose the last second of acknowledged writes). */
    EVERYSEC,
    /** Do not check (a managed Redis that disables CONFIG); the operator vouches for persistence. */
    UNCHECKED
  }

  private final Vertx vertx;
  private final String url;
  private final Durability durability;
  private final Map<String, String> shas = new ConcurrentHashMap<>();
  private Redis redis;
  /**
   * Long-lived connections, each pipelined (requests are written without waiting for earlier
   * replies): borrowing a pooled connection per request capped a check-in surge at pool size ×
   * round trip (docs/performance.md).
   */
  static final int CONNECTIONS = 4;
  static final int MAX_IN_FLIGHT = 100_000;
  private final io.vertx.redis.client.RedisConnection[] connections = new io.vertx.redis.client.RedisConnection[CONNECTIONS];
  private final Future<?>[] connecting = new Future<?>[CONNECTIONS];
  private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean closed;
  private final RedisCheckIns checkIns;
  private final RedisFollows follows = new RedisFollows(this);
  private final RedisPersonAuth personAuth = new RedisPersonAuth(this);
  private final RedisOutbox outbox = new RedisOutbox(this);
  private final RedisSmsInbound smsInbound = new RedisSmsInbound(this);
  private final RedisResponders responders = new RedisResponders(this);
  private final RedisIncidents incidents = new RedisIncidents(this);
  private final RedisNotices notices = new RedisNotices(this);
  private final RedisHelp help = new RedisHelp(this);
  private final RedisSafetyChecks safetyChecks = new RedisSafetyChecks(this);
  private final RedisAudit auditChain;
  private long auditChainDelayMs;
  private final RedisTriage triage = new RedisTriage(this);

  @Override
  public org.crisishub.store.CheckInLog checkInLog() {
    return checkIns;
  }

  @Override
  public org.crisishub.store.FollowGraph followGraph() {
    return follows;
  }

  @Override
  public org.crisishub.store.PersonAuthStore personAuth() {
    return personAuth;
  }

  @Override
  public org.crisishub.store.Outbox outbox() {
    return outbox;
  }

  @Override
  public org.crisishub.store.SmsInbound smsInbound() {
    return smsInbound;
  }

  @Override
  public org.crisishub.store.ResponderAccounts responderAccounts() {
    return responders;
  }

  @Override
  public org.crisishub.store.IncidentRegistry incidentRegistry() {
    return incidents;
  }

  @Override
  public org.crisishub.store.NoticeBoard noticeBoard() {
    return notices;
  }

  @Override
  public org.crisishub.store.AuditTrail auditTrail() {
    return auditChain;
  }

  /** The incident registry's own class (for the check-in's stamped incident read). */
  RedisIncidents incidentsImpl() {
    return incidents;
  }

  @Override
  public org.crisishub.store.HelpQueue helpQueue() {
    return help;
  }

  @Override
  public org.crisishub.store.TriageStore triage() {
    return triage;
  }

  @Override
  public org.crisishub.store.SafetyCheckStore safetyChecks() {
    return safetyChecks;
  }

  private final RedisTemplates templates = new RedisTemplates(this);

  @Override
  public org.crisishub.store.TemplateStore templates() {
    return templates;
  }

  public RedisStore(Vertx vertx, String url, Durability durability) {
    this.checkIns = new RedisCheckIns(this);
    this.vertx = vertx;
    this.url = url;
    this.durability = durability;
    this.auditChain = new RedisAudit(vertx, this);
  }

  /**
   * How long an audit intent may wait before it is chained ({@code HUB_AUDIT_CHAIN_DELAY_MS}): 0
   * (the default) chains at once; otherwise the periodic chainer picks intents up at that period.
   * Call before {@link #start}.
   */
  public RedisStore auditChainDelay(long ms) {
    this.auditChainDelayMs = ms;
    return this;
  }

  // ---------------------------------------------------------------- key layout

  static int shard(String phone) {
    return (phone.hashCode() & 0x7fffffff) % SHARDS;
  }

  static String tag(int shard) {
    return shard == SHARDS ? G : "{s" + shard + "}";
  }

  static String tagOf(String phone) {
    return tag(shard(phone));
  }

  /** A check-in id names its shard in its first two hex digits (a UUID otherwise). */
  static String newCheckInId(int shard) {
    String u = UUID.randomUUID().toString();
    return String.format("%02x", shard) + u.substring(2);
  }

  static int shardOfId(String checkinId) {
    try {
      int s = Integer.parseInt(checkinId.substring(0, 2), 16);
      return s < SHARDS ? s : -1;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  static int outboxOfId(long smsId) {
    return (int) (smsId % OUTBOXES);
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public Future<Void> start() {
    RedisOptions options = new RedisOptions().setConnectionString(url).setMaxPoolSize(CONNECTIONS + 2)
        .setMaxPoolWaiting(1_000).setMaxWaitingHandlers(MAX_IN_FLIGHT).setPoolRecycleTimeout(15_000);
    redis = Redis.createClient(vertx, options);
    return send(Request.cmd(Command.PING))
        .compose(v -> checkDurability())
        .compose(v -> checkSchema())
        .compose(v -> incidents.ownIncidents())
        .compose(v -> auditChain.start(auditChainDelayMs))
        .compose(v -> {
          List<Future<?>> groups = new ArrayList<>();
          for (int i = 0; i < OUTBOXES; i++) {
            groups.add(onCaller(raw(Request.cmd(Command.XGROUP).arg("CREATE").arg(tag(i) + ":ob").arg(GROUP)
                .arg("0").arg("MKSTREAM")).recover(e -> String.valueOf(e.getMessage()).contains("BUSYGROUP")
                    ? Future.succeededFuture() : Future.failedFuture(e))));
          }
          return Future.all(groups);
        })
        .compose(v -> {
          // Every node start is a new consumer; forget the empty ones of nodes gone for a day.
          List<Future<Response>> forget = new ArrayList<>();
          for (int i = 0; i < OUTBOXES; i++) {
            forget.add(eval(Scripts.FORGET_IDLE_SENDERS, List.of(tag(i) + ":ob"),
                List.of(GROUP, String.valueOf(Duration.ofDays(1).toMillis()))));
          }
          return Future.all(forget);
        })
        .<Void>map(v -> {
          LOG.info("Redis store ready at {} (schema {}, {} shards)", masked(url), SCHEMA, SHARDS);
          return null;
        })
        .onFailure(e -> LOG.error("Redis store at {} did not start: {}", masked(url), e.getMessage()));
  }

  private static String masked(String url) {
    return url.replaceAll("//[^@/]*@", "//***@");
  }

  private Future<Void> checkDurability() {
    if (durability == Durability.UNCHECKED) {
      LOG.warn("Redis persistence is not checked (HUB_REDIS_DURABILITY=unchecked): make sure the server"
          + " runs appendonly yes with appendfsync always");
      return Future.succeededFuture();
    }
    return send(Request.cmd(Command.CONFIG).arg("GET").arg("append*")).compose(r -> {
      Map<String, String> conf = hash(r);
      String aof = conf.getOrDefault("appendonly", "?");
      String fsync = conf.getOrDefault("appendfsync", "?");
      boolean ok = aof.equals("yes") && (fsync.equals("always")
          || durability == Durability.EVERYSEC && fsync.equals("everysec"));
      if (!ok) {
        return Future.failedFuture(new IllegalStateException("Redis runs appendonly " + aof + ", appendfsync " + fsync
            + ": an acknowledged check-in could be lost. Run it with --appendonly yes --appendfsync always"
            + " (or set HUB_REDIS_DURABILITY=everysec to accept losing up to a second; docs/cluster.md)"));
      }
      if (fsync.equals("everysec")) {
        LOG.warn("Redis appendfsync everysec: a Redis crash can lose up to one second of acknowledged writes");
      }
      return Future.succeededFuture();
    });
  }

  private Future<Void> checkSchema() {
    return send(Request.cmd(Command.SET).arg(G + ":schema").arg(SCHEMA).arg("NX"))
        .compose(v -> send(Request.cmd(Command.GET).arg(G + ":schema")))
        .compose(r -> {
          int found = Integer.parseInt(r.toString());
          if (found > SCHEMA) {
            return Future.failedFuture(new IllegalStateException("the Redis data has layout " + found
                + ", newer than this hub knows (" + SCHEMA + "): refusing to start"));
          }
          return Future.succeededFuture();
        });
  }

  @Override
  public Future<Void> close() {
    if (closed || redis == null) {
      closed = true;
      return Future.succeededFuture();
    }
    closed = true;
    auditChain.stop();
    synchronized (connections) {
      for (int i = 0; i < CONNECTIONS; i++) {
        if (connections[i] != null) {
          connections[i].close();
          connections[i] = null;
        }
      }
    }
    return redis.close();
  }

  @Override
  public Future<Void> ping() {
    return send(Request.cmd(Command.PING)).mapEmpty();
  }

  /** The strings of a multi reply, sorted and without duplicates. */
  static List<String> sortedStrings(Response r) {
    TreeSet<String> out = new TreeSet<>();
    if (r != null) {
      for (Response s : r) {
        out.add(s.toString());
      }
    }
    return new ArrayList<>(out);
  }

  @Override
  public Future<Integer> purge(Instant now, Duration retention) {
    return RedisRetention.purge(this, safetyChecks, triage, now, retention);
  }

  private volatile Runnable onSmsOptedOut = () -> { };

  @Override
  public void onSmsOptedOut(Runnable counter) {
    this.onSmsOptedOut = counter;
  }

  /**
   * Counts {@code n} SMS withheld because their recipient opted out (see {@link Store#onSmsOptedOut}):
   * not queued by {@link #enqueueSms}, dropped when claimed (the check-in and notice scripts queue
   * without looking: opt-outs live under {g}), or a safety-check ask never queued.
   */
  void optedOutWithheld(long n) {
    for (long i = 0; i < n; i++) {
      onSmsOptedOut.run();
    }
  }

  /** A hash reply (RESP3 map, or the flat field/value list of RESP2 and of scripts) as a map. */
  static Map<String, String> hash(Response r) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    if (r == null || r.type() != io.vertx.redis.client.ResponseType.MULTI) {
      return m;
    }
    Set<String> keys;
    try {
      keys = r.getKeys();
    } catch (RuntimeException e) {
      keys = Set.of();
    }
    if (!keys.isEmpty()) {
      for (String k : keys) {
        m.put(k, r.get(k).toString());
      }
      return m;
    }
    int n;
    try {
      n = r.size();
      if (n > 0) {
        r.get(0);
      }
    } catch (RuntimeException e) {
      return m; // an empty map
    }
    if (n > 0 && r.get(0).type() == io.vertx.redis.client.ResponseType.MULTI) {
      for (Response pair : r) {
        m.put(pair.get(0).toString(), pair.get(1).toString());
      }
      return m;
    }
    for (int i = 0; i + 1 < n; i += 2) {
      m.put(r.get(i).toString(), r.get(i + 1).toString());
    }
    return m;
  }

  /** A stored check-in member ({@code seq|notified|payload}) of {@code phone} ({@link RedisCheckIns}). */
  static CheckIn parseCheckIn(String phone, String member) {
    return RedisCheckIns.checkIn(phone, member, null);
  }

  // ---------------------------------------------------------------- machinery

  /**
   * Sends one command. The future completes on the caller's context; any failure (connection,
   * server) becomes {@code HubException(UNAVAILABLE)}: nothing is acknowledged that Redis did not
   * confirm.
   */
  Future<Response> send(Request request) {
    if (closed || redis == null) {
      return Future.failedFuture(HubException.unavailable("store is closed", null));
    }
    return onCaller(raw(request));
  }

  private Future<io.vertx.redis.client.RedisConnection> connection() {
    return connection((next.getAndIncrement() & 0x7fffffff) % CONNECTIONS);
  }

  /**
   * Connection {@code i}, (re)connecting it when it is missing. Replies on one connection come in
   * order, so a person's check-ins, sent on their shard's connection, complete (and are fanned out)
   * in {@code seq} order.
   */
  @SuppressWarnings("unchecked")
  private Future<io.vertx.redis.client.RedisConnection> connection(int i) {
    synchronized (connections) {
      if (connections[i] != null) {
        return Future.succeededFuture(connections[i]);
      }
      if (connecting[i] != null) {
        return (Future<io.vertx.redis.client.RedisConnection>) connecting[i];
      }
      Future<io.vertx.redis.client.RedisConnection> f = redis.connect().andThen(ar -> {
        synchronized (connections) {
          connecting[i] = null;
          if (ar.succeeded()) {
            io.vertx.redis.client.RedisConnection c = ar.result();
            connections[i] = c;
            c.exceptionHandler(e -> drop(i, c));
            c.endHandler(v -> drop(i, c));
          }
        }
      });
      connecting[i] = f;
      return f;
    }
  }

  private void drop(int i, io.vertx.redis.client.RedisConnection c) {
    synchronized (connections) {
      if (connections[i] == c) {
        connections[i] = null;
      }
    }
    c.close();
  }

  private Future<Response> raw(Request request) {
    return connection().compose(c -> c.send(request));
  }

  private Future<List<Response>> rawBatch(List<Request> requests) {
    return connection().compose(c -> c.batch(requests));
  }

  Future<List<Response>> batch(List<Request> requests) {
    return batch(requests, false);
  }

  /** Sends commands in one write (pipelined); {@code transaction} wraps them in MULTI/EXEC. */
  private Future<List<Response>> batch(List<Request> requests, boolean transaction) {
    if (requests.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    if (closed || redis == null) {
      return Future.failedFuture(HubException.unavailable("store is closed", null));
    }
    if (!transaction) {
      return onCaller(rawBatch(requests));
    }
    List<Request> tx = new ArrayList<>(requests.size() + 2);
    tx.add(Request.cmd(Command.MULTI));
    tx.addAll(requests);
    tx.add(Request.cmd(Command.EXEC));
    return onCaller(rawBatch(tx)).map(rs -> {
      Response exec = rs.get(rs.size() - 1);
      if (exec == null) {
        throw HubException.unavailable("Redis transaction aborted", null);
      }
      List<Response> out = new ArrayList<>();
      for (Response r : exec) {
        out.add(r);
      }
      return out;
    });
  }

  Future<Response> eval(String script, List<String> keys, List<String> args) {
    return eval(script, keys, args, -1);
  }

  /**
   * Runs a script by its SHA1, loading it (EVAL) when the server does not have it cached; on
   * connection {@code lane} when it is not negative (ordering), else on any.
   */
  /** Sends {@code requests} in one MULTI/EXEC transaction. */
  Future<List<Response>> multi(List<Request> requests) {
    return batch(requests, true);
  }

  Future<Response> eval(String script, List<String> keys, List<String> args, int lane) {
    String sha = shas.computeIfAbsent(script, RedisStore::sha1);
    Request req = Request.cmd(Command.EVALSHA).arg(sha);
    addKeysAndArgs(req, keys, args);
    if (closed || redis == null) {
      return Future.failedFuture(HubException.unavailable("store is closed", null));
    }
    Future<io.vertx.redis.client.RedisConnection> conn = lane < 0 ? connection() : connection(lane % CONNECTIONS);
    return onCaller(conn.compose(c -> c.send(req).recover(e -> {
      if (String.valueOf(e.getMessage()).startsWith("NOSCRIPT")) {
        Request full = Request.cmd(Command.EVAL).arg(script);
        addKeysAndArgs(full, keys, args);
        return c.send(full);
      }
      return Future.failedFuture(e);
    })));
  }

  private static void addKeysAndArgs(Request req, List<String> keys, List<String> args) {
    req.arg(keys.size());
    for (String k : keys) {
      req.arg(k);
    }
    for (String a : args) {
      req.arg(a);
    }
  }

  private static String sha1(String script) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private <T> Future<T> onCaller(Future<T> f) {
    Context ctx = vertx.getOrCreateContext();
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> {
      Runnable done = () -> {
        if (ar.succeeded()) {
          p.complete(ar.result());
        } else if (ar.cause() instanceof HubException) {
          p.fail(ar.cause());
        } else {
          LOG.warn("Redis request failed: {}", ar.cause().toString());
          p.fail(HubException.unavailable("store unavailable", ar.cause()));
        }
      };
      if (Vertx.currentContext() == ctx) {
        done.run();
      } else {
        ctx.runOnContext(v -> done.run());
      }
    });
    return p.future();
  }
}
