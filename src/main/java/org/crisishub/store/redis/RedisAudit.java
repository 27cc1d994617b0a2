package org.crisishub.store.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.crisishub.store.AuditChain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit chain on Redis (docs/cluster.md, "Audit chain"). A change leaves an <em>intent</em>
 * ({@code {g}:audit:intents}, numbered by {@code {g}:audit:intentseq}); that write is what the
 * change waits for. One chainer at a time, holding the lease {@code {g}:audit:lease} (an owner and
 * an expiry in Redis, never a Hazelcast lock), moves intents into the chain {@code {g}:audit:chain}
 * in intent order, computing {@code prevHash}/{@code hash} in Java (Lua has no SHA-256). The append
 * script checks the lease, the head it was computed against, and {@code lastIntent}, and removes the
 * intent in the same step: an intent is chained exactly once, also when a chainer dies halfway and
 * another takes the lease over after it expires.
 *
 * <p>Entries written before the chain (the v1 list {@code {g}:audit}) are chained once at start,
 * with their {@code detail} dropped, guarded by the marker {@code {g}:audit:v2}. Thread-safe.
 */
final class RedisAudit implements org.crisishub.store.AuditTrail {
  private static final Logger LOG = LoggerFactory.getLogger(RedisAudit.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String INTENTS = RedisStore.G + ":audit:intents";
  static final String INTENT_SEQ = RedisStore.G + ":audit:intentseq";
  static final String CHAIN = RedisStore.G + ":audit:chain";
  static final String META = RedisStore.G + ":audit:meta";
  static final String LEASE = RedisStore.G + ":audit:lease";
  static final String MARKER = RedisStore.G + ":audit:v2";
  static final String V1_LIST = RedisStore.G + ":audit";
  /** A chainer that stops renewing loses the lease after this; another node then takes over. */
  static final long LEASE_MS = 5_000;
  private static final int BATCH = 200;

  /** KEYS: intents. ARGV: entry json (without id, prevHash, hash; {@code at} in ms). Returns the intent id. */
  static final String INTENT = """
      local id = redis.call('INCR', '{g}:audit:intentseq')
      redis.call('ZADD', KEYS[1], id, id .. '|' .. ARGV[1])
      return id
      """;

  /**
   * KEYS: chain, intents, meta, lease. ARGV: owner, intent id, count the entry was computed after,
   * head it was computed after, entry json, its hash, lease ms. Returns 1 chained, 0 already chained
   * (the intent is dropped), -1 lease lost, -2 the head moved (recompute).
   */
  static final String APPEND = """
      if redis.call('GET', KEYS[4]) ~= ARGV[1] then return -1 end
      redis.call('PEXPIRE', KEYS[4], ARGV[7])
      local intent = tonumber(ARGV[2])
      local last = tonumber(redis.call('HGET', KEYS[3], 'lastIntent') or '0')
      if intent <= last then
        redis.call('ZREMRANGEBYSCORE', KEYS[2], intent, intent)
        return 0
      end
      local count = tonumber(redis.call('HGET', KEYS[3], 'count') or '0')
      local head = redis.call('HGET', KEYS[3], 'head') or string.rep('0', 64)
      if count ~= tonumber(ARGV[3]) or head ~= ARGV[4] then return -2 end
      redis.call('ZADD', KEYS[1], count + 1, ARGV[5])
      redis.call('HSET', KEYS[3], 'count', count + 1, 'head', ARGV[6], 'lastIntent', intent)
      redis.call('ZREMRANGEBYSCORE', KEYS[2], intent, intent)
      return 1
      """;

  /** KEYS: lease. ARGV: owner. Releases the lease if this owner still holds it. */
  static final String RELEASE = """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
      return 0
      """;

  /**
   * KEYS: marker, v1 list, chain, meta. ARGV: count, head, then the chained entries' json. Writes the
   * migrated chain and the marker, and deletes the v1 list (its details), unless the marker is set.
   */
  static final String MIGRATE = """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
      for i = 3, #ARGV do
        redis.call('ZADD', KEYS[3], i - 2, ARGV[i])
      end
      if tonumber(ARGV[1]) > 0 then
        redis.call('HSET', KEYS[4], 'count', ARGV[1], 'head', ARGV[2], 'lastIntent', '0')
      end
      redis.call('DEL', KEYS[2])
      redis.call('SET', KEYS[1], '1')
      return 1
      """;

  private final Vertx vertx;
  private final RedisStore redis;
  private final String owner = UUID.randomUUID().toString();
  private volatile long chainDelayMs;
  private boolean chaining;
  private long timer = -1;

  RedisAudit(Vertx vertx, RedisStore redis) {
    this.vertx = vertx;
    this.redis = redis;
  }

  /**
   * Chains the v1 list once (guarded by the marker), then chains any intents a stopped node left, and
   * starts the periodic chainer (every second, or every {@code chainDelayMs} when that is longer).
   */
  Future<Void> start(long chainDelayMs) {
    this.chainDelayMs = chainDelayMs;
    return migrate().compose(v -> chainPending().recover(e -> {
      LOG.warn("audit: chaining waiting intents at start failed (the periodic chainer retries): {}", e.getMessage());
      return Future.succeededFuture();
    })).map(v -> {
      timer = vertx.setPeriodic(Math.max(1_000, chainDelayMs), t -> chainPending()
          .onFailure(e -> LOG.warn("audit: chaining failed (retried): {}", e.getMessage())));
      return null;
    });
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private Future<Void> migrate() {
    return redis.send(Request.cmd(Command.EXISTS).arg(MARKER)).compose(r -> {
      if (r.toInteger() == 1) {
        return Future.succeededFuture();
      }
      return redis.send(Request.cmd(Command.LRANGE).arg(V1_LIST).arg(0).arg(-1)).compose(list -> {
        List<long[]> order = new ArrayList<>();
        List<JsonNode> old = new ArrayList<>();
        for (Response e : list) {
          String s = e.toString();
          int bar = s.indexOf('|');
          try {
            old.add(JSON.readTree(s.substring(bar + 1)));
            order.add(new long[] {Long.parseLong(s.substring(0, bar)), old.size() - 1});
          } catch (IOException | RuntimeException ex) {
            return Future.failedFuture(new IllegalStateException("unreadable v1 audit entry in Redis", ex));
          }
        }
        order.sort((a, b) -> Long.compare(a[0], b[0]));
        List<String> args = new ArrayList<>();
        args.add(String.valueOf(order.size()));
        args.add("");
        String prev = AuditChain.GENESIS;
        long id = 0;
        for (long[] o : order) {
          JsonNode n = old.get((int) o[1]);
          AuditChain.Entry c = AuditChain.next(++id, prev, Instant.ofEpochMilli(n.path("at").asLong()),
              text(n, "actor"), text(n, "action"), text(n, "target"), text(n, "outcome"), null);
          args.add(AuditChain.json(c).toString());
          prev = c.hash();
        }
        args.set(1, prev);
        long migrated = id;
        return redis.eval(MIGRATE, List.of(MARKER, V1_LIST, CHAIN, META), args).map(x -> {
          if (x.toInteger() == 1 && migrated > 0) {
            LOG.info("audit: {} entries from before the chain were chained (their detail dropped)", migrated);
          } else if (x.toInteger() == -1) {
            LOG.warn("audit: a chain exists without the v2 marker; left as it is");
          }
          return null;
        });
      });
    });
  }

  private static String text(JsonNode n, String f) {
    JsonNode v = n.get(f);
    return v == null || v.isNull() ? null : v.asText();
  }

  /**
   * Stores the intent (durable once this succeeds), then, unless a chain delay is configured, tries
   * for about a second to see it chained (by this node, or by the lease holder) so that a read right
   * after the change finds it; the intent stays durable and is chained later in any case.
   */
  Future<Void> append(String actor, String action, String subject, String outcome, String detail, Instant at) {
    ObjectNode n = JSON.createObjectNode();
    n.put("at", at.toEpochMilli());
    n.put("actor", actor);
    n.put("action", action);
    if (subject != null) {
      n.put("subject", subject);
    }
    n.put("outcome", outcome);
    if (detail != null) {
      n.put("detail", detail);
    }
    return redis.eval(INTENT, List.of(INTENTS), List.of(n.toString())).compose(r -> {
      if (chainDelayMs > 0) {
        return Future.succeededFuture();
      }
      long intent = r.toLong();
      return awaitChained(intent, System.nanoTime() + 1_000_000_000L).recover(e -> {
        LOG.warn("audit: intent {} stored, chaining deferred: {}", intent, e.getMessage());
        return Future.succeededFuture();
      });
    });
  }

  private Future<Void> awaitChained(long intent, long deadlineNanos) {
    return lastIntent().compose(last -> {
      if (last >= intent || System.nanoTime() > deadlineNanos) {
        return Future.succeededFuture();
      }
      return chainPending().compose(v -> lastIntent()).compose(l -> {
        if (l >= intent || System.nanoTime() > deadlineNanos) {
          return Future.<Void>succeededFuture();
        }
        Promise<Void> p = Promise.promise();
        vertx.setTimer(10, t -> awaitChained(intent, deadlineNanos).onComplete(p));
        return p.future();
      });
    });
  }

  private Future<Long> lastIntent() {
    return redis.send(Request.cmd(Command.HGET).arg(META).arg("lastIntent"))
        .map(r -> r == null ? 0L : Long.parseLong(r.toString()));
  }

  /**
   * Takes the lease if free and chains every waiting intent in order; succeeds at once when another
   * node holds the lease (it is chaining) or this node is already chaining.
   */
  Future<Void> chainPending() {
    synchronized (this) {
      if (chaining) {
        return Future.succeededFuture();
      }
      chaining = true;
    }
    return redis.send(Request.cmd(Command.SET).arg(LEASE).arg(owner).arg("NX").arg("PX").arg(LEASE_MS))
        .compose(r -> r == null ? Future.<Void>succeededFuture() : drain()
            .eventually(() -> redis.eval(RELEASE, List.of(LEASE), List.of(owner))))
        .andThen(ar -> {
          synchronized (this) {
            chaining = false;
          }
        });
  }

  private Future<Void> drain() {
    return redis.batch(List.of(Request.cmd(Command.HGETALL).arg(META),
        Request.cmd(Command.ZRANGE).arg(INTENTS).arg(0).arg(BATCH - 1))).compose(rs -> {
          Map<String, String> meta = RedisStore.hash(rs.get(0));
          List<String> intents = new ArrayList<>();
          for (Response x : rs.get(1)) {
            intents.add(x.toString());
          }
          if (intents.isEmpty()) {
            return Future.succeededFuture();
          }
          long count = Long.parseLong(meta.getOrDefault("count", "0"));
          String head = meta.getOrDefault("head", AuditChain.GENESIS);
          return appendAll(intents, 0, count, head).compose(more -> more ? drain() : Future.succeededFuture());
        });
  }

  /** Appends intents[i..] after (count, head); true to go on draining, false when the lease was lost. */
  private Future<Boolean> appendAll(List<String> intents, int i, long count, String head) {
    if (i == intents.size()) {
      return Future.succeededFuture(true);
    }
    String s = intents.get(i);
    int bar = s.indexOf('|');
    long intent = Long.parseLong(s.substring(0, bar));
    AuditChain.Entry e;
    try {
      JsonNode n = JSON.readTree(s.substring(bar + 1));
      e = AuditChain.next(count + 1, head, Instant.ofEpochMilli(n.path("at").asLong()), text(n, "actor"),
          text(n, "action"), text(n, "subject"), text(n, "outcome"), text(n, "detail"));
    } catch (IOException ex) {
      return Future.failedFuture(new IllegalStateException("unreadable audit intent " + intent, ex));
    }
    return redis.eval(APPEND, List.of(CHAIN, INTENTS, META, LEASE), List.of(owner, String.valueOf(intent),
        String.valueOf(count), head, AuditChain.json(e).toString(), e.hash(), String.valueOf(LEASE_MS)))
        .compose(r -> switch (r.toInteger()) {
          case 1 -> appendAll(intents, i + 1, e.id(), e.hash());
          case 0 -> appendAll(intents, i + 1, count, head);
          case -1 -> Future.succeededFuture(false);
          // The head moved under us (cannot happen while the lease holds): re-read and go on.
          default -> Future.succeededFuture(true);
        });
  }

  /**
   * Chained entries with id &gt; after, ascending, at most limit; waiting intents are chained first
   * when possible (not while a chain delay is configured).
   */
  Future<List<AuditChain.Entry>> page(long after, int limit) {
    Future<Void> first = chainDelayMs > 0 ? Future.succeededFuture() : chainPending().recover(e -> Future.succeededFuture());
    return first.compose(v -> redis.send(Request.cmd(Command.ZRANGE).arg(CHAIN).arg("(" + after).arg("+inf").arg("BYSCORE")
            .arg("LIMIT").arg(0).arg(limit)))
        .map(r -> {
          List<AuditChain.Entry> out = new ArrayList<>();
          for (Response x : r) {
            try {
              out.add(AuditChain.parse(JSON.readTree(x.toString())));
            } catch (IOException | IllegalArgumentException ex) {
              // An entry nobody can read is a broken chain, not a failed read: it shows as a gap.
              LOG.warn("audit: unreadable chain entry skipped: {}", ex.getMessage());
            }
          }
          return out;
        });
  }

  @Override
  public Future<Void> audit(String actor, String action, String subject, String outcome, String detail, Instant now) {
    return append(actor, action, subject, outcome, detail, now);
  }

  @Override
  public Future<List<AuditChain.Entry>> auditPage(long after, int limit) {
    return page(after, limit);
  }
}
