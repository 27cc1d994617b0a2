package org.crisishub.store.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.crisishub.domain.Area;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.Agencies;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Location;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsReplies;
import org.crisishub.domain.Status;
import org.crisishub.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Store} on Redis, through the Vert.x Redis client. Every multi-key change is one Lua
 * script ({@link Scripts}), so it is atomic; with {@code appendfsync always} Redis fsyncs the AOF
 * before it replies, so a succeeded future means the change is on disk.
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
  // Transitional: the concerns are still implemented here.
  @Override public org.crisishub.store.CheckInLog checkInLog() { return this; }
  @Override public org.crisishub.store.FollowGraph followGraph() { return this; }
  @Override public org.crisishub.store.PersonAuth personAuth() { return this; }
  @Override public org.crisishub.store.Outbox outbox() { return this; }
  @Override public org.crisishub.store.SmsInbound smsInbound() { return this; }
  @Override public org.crisishub.store.ResponderAccounts responderAccounts() { return this; }
  @Override public org.crisishub.store.IncidentRegistry incidentRegistry() { return this; }
  @Override public org.crisishub.store.NoticeBoard noticeBoard() { return this; }
  @Override public org.crisishub.store.AuditTrail auditTrail() { return this; }
  @Override public org.crisishub.store.HelpQueue helpQueue() { return this; }

  private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);
  /** Person shards. Changing it moves every person's keys: it is part of the layout (schema 1). */
  static final int SHARDS = 16;
  /** Outbox tags: the person shards, then {g}. */
  static final int OUTBOXES = SHARDS + 1;
  static final String GROUP = "senders";
  static final String G = "{g}";
  static final int SCHEMA = 1;
  private static final long IDEMPOTENCY_WINDOW_MS = Duration.ofHours(24).toMillis();
  /** statusNotice is rendered with this seq; the check-in script puts the real one in. */
  private static final long SEQ_MARK_VALUE = 9_999_999L;
  private static final String SEQ_MARK = "#" + SEQ_MARK_VALUE + ")";
  private static final ObjectMapper JSON = new ObjectMapper();

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
  private int claimCursor;
  private final java.time.ZoneId smsZone;
  private final RedisSafetyChecks safetyChecks = new RedisSafetyChecks(this);
  private final RedisAudit auditChain;
  private long auditChainDelayMs;
  private final RedisTriage triage = new RedisTriage(this);

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
    this(vertx, url, durability, java.time.ZoneOffset.UTC);
  }

  /** @param smsZone the zone in which status SMS write clock times ({@code HUB_TIMEZONE}) */
  public RedisStore(Vertx vertx, String url, Durability durability, java.time.ZoneId smsZone) {
    this.smsZone = smsZone;
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

  private static String tagOf(String phone) {
    return tag(shard(phone));
  }

  /** A check-in id names its shard in its first two hex digits (a UUID otherwise). */
  private static String newCheckInId(int shard) {
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

  private static int outboxOfId(long smsId) {
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
        .compose(v -> ownIncidents())
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

  // ---------------------------------------------------------------- check-ins

  private static String payload(CheckIn c) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", c.id());
    n.put("st", c.status().wire());
    if (c.note() != null) {
      n.put("n", c.note());
    }
    if (c.location() != null) {
      n.put("lat", c.location().lat());
      n.put("lon", c.location().lon());
      if (c.location().accuracyM() != null) {
        n.put("acc", c.location().accuracyM());
      }
    }
    if (c.incident() != null) {
      n.put("inc", c.incident());
    }
    n.put("ch", c.channel().wire());
    n.put("at", c.at().toEpochMilli());
    if (c.madeAt() != null) {
      n.put("ma", c.madeAt().toEpochMilli());
    }
    // "late" is appended by the check-in script, which alone knows it.
    return n.toString();
  }

  /** Reads {@code seq|notified|payload}; returns the check-in, and the notified count through {@code notified}. */
  /** A stored check-in member ({@code seq|notified|payload}) of {@code phone}. */
  static CheckIn parseCheckIn(String phone, String member) {
    return checkIn(phone, member, null);
  }

  private static CheckIn checkIn(String phone, String member, int[] notified) {
    int a = member.indexOf('|');
    int b = member.indexOf('|', a + 1);
    long seq = Long.parseLong(member.substring(0, a));
    if (notified != null) {
      notified[0] = Integer.parseInt(member.substring(a + 1, b));
    }
    try {
      JsonNode n = JSON.readTree(member.substring(b + 1));
      Location loc = n.has("lat") ? new Location(n.get("lat").asDouble(), n.get("lon").asDouble(),
          n.has("acc") ? n.get("acc").asDouble() : null) : null;
      return new CheckIn(n.get("id").asText(), phone, Status.parse(n.get("st").asText()),
          n.has("n") ? n.get("n").asText() : null, loc, n.has("inc") ? n.get("inc").asText() : null,
          Channel.fromWire(n.get("ch").asText()), Instant.ofEpochMilli(n.get("at").asLong()), seq,
          n.has("ma") ? Instant.ofEpochMilli(n.get("ma").asLong()) : null, n.path("late").asBoolean(false));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable check-in in Redis", e);
    }
  }

  private static Follow edge(String follower, String subject, String value) {
    String[] p = value.split("\\|", 3);
    return new Follow(follower, subject, FollowState.fromWire(p[0]), p[1].equals("1"),
        Instant.ofEpochMilli(Long.parseLong(p[2])));
  }

  private static String edgeValue(Follow f) {
    return f.state().wire() + "|" + (f.sms() ? "1" : "0") + "|" + f.updatedAt().toEpochMilli();
  }

  @Override
  public Future<CheckInResult> recordCheckIn(CheckInRequest req, Instant now) {
    int shard = shard(req.phone());
    String tag = tag(shard);
    CheckIn draft = new CheckIn(newCheckInId(shard), req.phone(), req.status(), req.note(), req.location(),
        req.incident(), req.channel(), now, SEQ_MARK_VALUE, req.madeAt(), false);
    Future<List<String>> help = req.status() == Status.NEED_HELP ? helpIncidentsFor(draft) : Future.succeededFuture(
        List.of());
    // Followers' own labels of the person, read just before: each labelled SMS follower gets a text
    // naming the person their way (a label changed in between is used from the next check-in on).
    Future<Map<String, String>> labels = send(Request.cmd(Command.HGETALL).arg(labelsKey(req.phone())))
        .map(RedisStore::hash);
    return Future.all(help, labels).compose(both -> {
      List<String> incidents = help.result();
      ObjectNode own = JSON.createObjectNode();
      labels.result().forEach((follower, label) -> own.put(follower, SmsReplies.statusNotice(draft, label, smsZone)));
      List<String> args = new ArrayList<>(List.of(tag, String.valueOf(shard), String.valueOf(OUTBOXES), req.phone(),
          payload(draft), String.valueOf(now.toEpochMilli()), req.key() == null ? "" : req.key(),
          String.valueOf(IDEMPOTENCY_WINDOW_MS), SmsReplies.statusNotice(draft, draft.phone(), smsZone), SEQ_MARK,
          req.incident() == null ? "" : req.incident(), draft.id(), String.valueOf(draft.time().toEpochMilli()),
          own.isEmpty() ? "{}" : own.toString(), req.madeAt() != null ? "1" : "0"));
      args.addAll(incidents);
      return eval(Scripts.CHECK_IN, List.of(tag + ":seq:" + req.phone()), args, shard).map(r -> {
        if (r.get(0).toString().equals("dup")) {
          int[] notified = new int[1];
          CheckIn first = checkIn(req.phone(), r.get(1).toString(), notified);
          return new CheckInResult(first, notified[0], List.of(), true, List.of());
        }
        long seq = r.get(1).toLong();
        boolean late = r.get(2).toInteger() == 1;
        List<Follow> recipients = new ArrayList<>();
        for (int i = 3; i + 1 < r.size(); i += 2) {
          recipients.add(edge(r.get(i).toString(), req.phone(), r.get(i + 1).toString()));
        }
        CheckIn ci = new CheckIn(draft.id(), draft.phone(), draft.status(), draft.note(), draft.location(),
            draft.incident(), draft.channel(), now, seq, draft.madeAt(), late);
        return new CheckInResult(ci, recipients.size(), recipients, false, incidents);
      });
    });
  }

  /** The open incidents a need_help check-in belongs to: the one it names, or those whose area holds it. */
  private Future<List<String>> helpIncidentsFor(CheckIn ci) {
    return incidents().map(all -> {
      List<String> matched = new ArrayList<>();
      for (Incident inc : all) {
        if (!inc.open()) {
          continue;
        }
        boolean named = inc.code().equals(ci.incident());
        boolean inside = ci.incident() == null && ci.location() != null && inc.area() != null
            && inc.area().contains(ci.location());
        if (named || inside) {
          matched.add(inc.code());
        }
      }
      return matched;
    });
  }

  @Override
  public Future<Optional<CheckIn>> latest(String phone) {
    String tag = tagOf(phone);
    return eval(Scripts.LATEST, List.of(tag + ":ci:" + phone, tag + ":st:" + phone), List.of())
        .map(r -> r == null ? Optional.empty() : Optional.of(checkIn(phone, r.toString(), null)));
  }

  @Override
  public Future<List<CheckIn>> latestOf(Collection<String> phones) {
    List<String> list = List.copyOf(phones);
    if (list.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Future<Optional<CheckIn>>> each = new ArrayList<>(list.size());
    for (String p : list) {
      each.add(latest(p));
    }
    return Future.all(each).map(cf -> {
      List<CheckIn> out = new ArrayList<>();
      for (Future<Optional<CheckIn>> f : each) {
        f.result().ifPresent(out::add);
      }
      return out;
    });
  }

  @Override
  public Future<List<CheckIn>> history(String phone, long afterSeq, int limit) {
    // ZRANGE ... BYSCORE (Redis 6.2+) in place of the deprecated ZRANGEBYSCORE: same reply
    return send(Request.cmd(Command.ZRANGE).arg(tagOf(phone) + ":ci:" + phone).arg("(" + afterSeq).arg("+inf")
        .arg("BYSCORE").arg("LIMIT").arg(0).arg(limit)).map(r -> {
          List<CheckIn> out = new ArrayList<>();
          for (Response m : r) {
            out.add(checkIn(phone, m.toString(), null));
          }
          return out;
        });
  }

  // ---------------------------------------------------------------- follows and contacts

  private static String followersKey(String subject) {
    return tagOf(subject) + ":fw:" + subject;
  }

  private static String followsIndexKey(String follower) {
    return tagOf(follower) + ":fg:" + follower;
  }

  /** The labels followers gave the subject: follower → label, on the subject's shard. */
  private static String labelsKey(String subject) {
    return tagOf(subject) + ":fl:" + subject;
  }

  private static String contactsKey(String owner) {
    return tagOf(owner) + ":ct:" + owner;
  }

  @Override
  public Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now) {
    // Index first: a follow index entry without an edge is ignored by follows(), never the reverse.
    return send(Request.cmd(Command.SADD).arg(followsIndexKey(follower)).arg(subject))
        .compose(v -> requestFollow(follower, subject, sms, now, 0));
  }

  private Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now,
      int attempt) {
    return batch(List.of(Request.cmd(Command.HGET).arg(followersKey(subject)).arg(follower),
        Request.cmd(Command.HEXISTS).arg(contactsKey(subject)).arg(follower))).compose(rs -> {
          String cur = rs.get(0) == null ? "" : rs.get(0).toString();
          FollowState existing = cur.isEmpty() ? null : edge(follower, subject, cur).state();
          boolean trusted = rs.get(1).toInteger() == 1;
          FollowState state = Follow.stateForRequest(existing, trusted);
          Follow f = new Follow(follower, subject, state, sms, now);
          return compareAndSet(followersKey(subject), follower, cur, edgeValue(f)).compose(done -> {
            if (!done) {
              return retry(attempt, () -> requestFollow(follower, subject, sms, now, attempt + 1));
            }
            boolean created = state == FollowState.PENDING && existing != FollowState.PENDING;
            return Future.succeededFuture(new FollowRequestOutcome(f, created));
          });
        });
  }

  private static <T> Future<T> retry(int attempt, Supplier<Future<T>> again) {
    if (attempt >= 20) {
      return Future.failedFuture(HubException.unavailable("store busy: too many concurrent changes", null));
    }
    return again.get();
  }

  private Future<Boolean> compareAndSet(String key, String field, String expected, String value) {
    return eval(Scripts.COMPARE_AND_SET, List.of(key), List.of(field, expected, value)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Boolean> unfollow(String follower, String subject) {
    return eval(Scripts.UNFOLLOW, List.of(followersKey(subject), labelsKey(subject)), List.of(follower)).compose(r -> {
      boolean had = r.toInteger() > 0;
      return send(Request.cmd(Command.SREM).arg(followsIndexKey(follower)).arg(subject)).map(had);
    });
  }

  @Override
  public Future<Boolean> setFollowLabel(String follower, String subject, String label) {
    return eval(Scripts.SET_LABEL, List.of(followersKey(subject), labelsKey(subject)),
        List.of(follower, label == null ? "" : label)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Map<String, String>> followLabels(String follower) {
    return send(Request.cmd(Command.SMEMBERS).arg(followsIndexKey(follower))).compose(r -> {
      List<String> subjects = new ArrayList<>();
      for (Response s : r) {
        subjects.add(s.toString());
      }
      if (subjects.isEmpty()) {
        return Future.succeededFuture(Map.<String, String>of());
      }
      List<Request> reqs = new ArrayList<>();
      for (String s : subjects) {
        reqs.add(Request.cmd(Command.HGET).arg(labelsKey(s)).arg(follower));
      }
      return batch(reqs).map(rs -> {
        Map<String, String> out = new java.util.TreeMap<>();
        for (int i = 0; i < subjects.size(); i++) {
          if (rs.get(i) != null) {
            out.put(subjects.get(i), rs.get(i).toString());
          }
        }
        return out;
      });
    });
  }

  @Override
  public Future<Optional<Follow>> answerFollow(String subject, String follower, boolean allow, Instant now) {
    return answerFollow(subject, follower, allow, now, 0);
  }

  private Future<Optional<Follow>> answerFollow(String subject, String follower, boolean allow, Instant now,
      int attempt) {
    return send(Request.cmd(Command.HGET).arg(followersKey(subject)).arg(follower)).compose(r -> {
      if (r == null) {
        return Future.succeededFuture(Optional.empty());
      }
      Follow existing = edge(follower, subject, r.toString());
      Follow f = new Follow(follower, subject, Follow.stateForConsent(allow), existing.sms(), now);
      return compareAndSet(followersKey(subject), follower, r.toString(), edgeValue(f)).compose(done -> done
          ? Future.succeededFuture(Optional.of(f))
          : retry(attempt, () -> answerFollow(subject, follower, allow, now, attempt + 1)));
    });
  }

  @Override
  public Future<Optional<Follow>> follow(String follower, String subject) {
    return send(Request.cmd(Command.HGET).arg(followersKey(subject)).arg(follower))
        .map(r -> r == null ? Optional.empty() : Optional.of(edge(follower, subject, r.toString())));
  }

  @Override
  public Future<List<Follow>> follows(String follower) {
    return send(Request.cmd(Command.SMEMBERS).arg(followsIndexKey(follower))).compose(r -> {
      List<String> subjects = new ArrayList<>();
      for (Response s : r) {
        subjects.add(s.toString());
      }
      if (subjects.isEmpty()) {
        return Future.succeededFuture(List.<Follow>of());
      }
      List<Request> reqs = new ArrayList<>();
      for (String s : subjects) {
        reqs.add(Request.cmd(Command.HGET).arg(followersKey(s)).arg(follower));
      }
      return batch(reqs).map(rs -> {
        List<Follow> out = new ArrayList<>();
        for (int i = 0; i < subjects.size(); i++) {
          if (rs.get(i) != null) {
            out.add(edge(follower, subjects.get(i), rs.get(i).toString()));
          }
        }
        out.sort(Comparator.comparing(Follow::subject));
        return out;
      });
    });
  }

  @Override
  public Future<List<Follow>> followers(String subject) {
    return send(Request.cmd(Command.HGETALL).arg(followersKey(subject))).map(r -> {
      List<Follow> out = new ArrayList<>();
      hash(r).forEach((k, v) -> out.add(edge(k, subject, v)));
      out.sort(Comparator.comparing(Follow::follower));
      return out;
    });
  }

  @Override
  public Future<Optional<Follow>> putContact(String owner, String contact, Instant now) {
    String tag = tagOf(owner);
    return eval(Scripts.PUT_CONTACT, List.of(contactsKey(owner)),
        List.of(tag, owner, contact, String.valueOf(now.toEpochMilli())))
        .map(r -> r == null ? Optional.empty() : Optional.of(edge(contact, owner, r.toString())));
  }

  @Override
  public Future<Boolean> deleteContact(String owner, String contact) {
    return send(Request.cmd(Command.HDEL).arg(contactsKey(owner)).arg(contact)).map(r -> r.toInteger() > 0);
  }

  @Override
  public Future<List<String>> contacts(String owner) {
    return send(Request.cmd(Command.HKEYS).arg(contactsKey(owner))).map(r -> sortedStrings(r));
  }

  private static List<String> sortedStrings(Response r) {
    TreeSet<String> out = new TreeSet<>();
    if (r != null) {
      for (Response s : r) {
        out.add(s.toString());
      }
    }
    return new ArrayList<>(out);
  }

  // ---------------------------------------------------------------- codes and tokens

  private static String otpKey(String phone) {
    return tagOf(phone) + ":otp:" + phone;
  }

  @Override
  public Future<Void> saveOtp(String phone, String codeHash, Instant expiresAt) {
    // The expiry is checked against the caller's clock; the TTL only cleans up, with a day of slack.
    long ttl = Math.max(0, expiresAt.toEpochMilli() - System.currentTimeMillis()) + Duration.ofDays(1).toMillis();
    return batch(List.of(Request.cmd(Command.DEL).arg(otpKey(phone)),
        Request.cmd(Command.HSET).arg(otpKey(phone)).arg("h").arg(codeHash).arg("exp").arg(expiresAt.toEpochMilli())
            .arg("tries").arg(0),
        Request.cmd(Command.PEXPIRE).arg(otpKey(phone)).arg(ttl)), true).mapEmpty();
  }

  @Override
  public Future<OtpOutcome> checkOtp(String phone, String codeHash, Instant now, int maxTries) {
    return eval(Scripts.CHECK_OTP, List.of(otpKey(phone)),
        List.of(codeHash, String.valueOf(now.toEpochMilli()), String.valueOf(maxTries)))
        .map(r -> OtpOutcome.valueOf(r.toString()));
  }

  @Override
  public Future<Void> revokeToken(String tokenId, Instant expiresAt) {
    return send(Request.cmd(Command.ZADD).arg(G + ":revoked").arg(expiresAt.toEpochMilli()).arg(tokenId)).mapEmpty();
  }

  @Override
  public Future<Boolean> isTokenRevoked(String tokenId) {
    return send(Request.cmd(Command.ZSCORE).arg(G + ":revoked").arg(tokenId)).map(r -> r != null);
  }

  @Override
  public Future<Integer> purge(Instant now, Duration retention) {
    long cutoff = now.toEpochMilli() - retention.toMillis();
    return incidents().compose(all -> {
      List<String> keep = new ArrayList<>();
      for (Incident i : all) {
        if (i.open() || i.closedAt() != null && i.closedAt().toEpochMilli() >= cutoff) {
          keep.add(i.code());
        }
      }
      List<Future<Void>> checks = new ArrayList<>();
      for (Incident i : all) {
        if (!keep.contains(i.code())) {
          checks.add(safetyChecks.purgeIncident(i.code()));
          checks.add(triage.purgeIncident(i.code()));
        }
      }
      List<Future<Response>> shards = new ArrayList<>();
      for (int s = 0; s < OUTBOXES; s++) {
        List<String> args = new ArrayList<>(List.of(tag(s), String.valueOf(cutoff), "10000"));
        args.addAll(keep);
        shards.add(eval(Scripts.PURGE, List.of(tag(s) + ":age"), args));
      }
      return Future.all(shards).compose(x -> Future.all(checks)).map(cf -> {
        int n = 0;
        for (Future<Response> f : shards) {
          n += f.result().toInteger();
        }
        return n;
      });
    }).compose(n -> batch(List.of(
        Request.cmd(Command.ZREMRANGEBYSCORE).arg(G + ":revoked").arg("-inf").arg(now.toEpochMilli()),
        Request.cmd(Command.XTRIM).arg(G + ":dlr").arg("MINID").arg("~").arg(Math.max(0, cutoff)))).map(n));
  }

  // ---------------------------------------------------------------- SMS

  @Override
  public Future<Void> enqueueSms(String to, String coalesceKey, String subject, String body, Instant now) {
    // Person-to-person messages live in a person shard's outbox (the subject's, where the claim
    // checks the follow; else the recipient's), claimed before the global {g} outbox, which holds
    // the broadcast traffic (safety-check asks, notices).
    boolean broadcast = coalesceKey != null && (coalesceKey.startsWith("safety:") || coalesceKey.startsWith("notice:"));
    int box = subject != null ? shard(subject) : broadcast ? SHARDS : shard(to);
    return isSmsOptedOut(to).compose(out -> {
      if (out) {
        optedOutWithheld(1);
        return Future.succeededFuture();
      }
      String tag = tag(box);
      return eval(Scripts.ENQUEUE_SMS, List.of(tag + ":ob"), List.of(tag, String.valueOf(box),
          String.valueOf(OUTBOXES), to, coalesceKey == null ? "" : coalesceKey, subject == null ? "" : subject, body,
          String.valueOf(now.toEpochMilli()))).mapEmpty();
    });
  }

  @Override
  public Future<List<OutboxItem>> claimSms(String owner, Instant now, int max, Duration lease) {
    int start;
    synchronized (this) {
      start = claimCursor;
      claimCursor = (claimCursor + 1) % SHARDS;
    }
    // The person shards first (status notifications: person-to-person traffic), {g} (notices,
    // safety checks, follow requests, help updates) last.
    return claimFrom(owner, now, max, lease, start, 0, new ArrayList<>()).compose(this::dropOptedOut);
  }

  private Future<List<OutboxItem>> claimFrom(String owner, Instant now, int max, Duration lease, int box, int visited,
      List<OutboxItem> acc) {
    if (visited == OUTBOXES || acc.size() >= max) {
      return Future.succeededFuture(acc);
    }
    String tag = tag(visited == SHARDS ? SHARDS : box);
    return eval(Scripts.CLAIM, List.of(tag + ":ob"), List.of(tag, GROUP, owner, String.valueOf(now.toEpochMilli()),
        String.valueOf(max - acc.size()), String.valueOf(lease.toMillis()))).compose(r -> {
          for (int i = 0; i + 4 < r.size(); i += 5) {
            String ck = r.get(i + 4).toString();
            acc.add(new OutboxItem(r.get(i).toLong(), r.get(i + 1).toString(), r.get(i + 2).toString(),
                r.get(i + 3).toInteger(), ck.isEmpty() ? null : ck));
          }
          return claimFrom(owner, now, max, lease, (box + 1) % SHARDS, visited + 1, acc);
        });
  }

  /** Opt-outs live under {g}, not in the shard of the claim: checked here, and such messages fail. */
  private Future<List<OutboxItem>> dropOptedOut(List<OutboxItem> items) {
    if (items.isEmpty()) {
      return Future.succeededFuture(items);
    }
    Request hmget = Request.cmd(Command.HMGET).arg(G + ":optout");
    for (OutboxItem i : items) {
      hmget.arg(i.to());
    }
    return send(hmget).compose(r -> {
      List<OutboxItem> keep = new ArrayList<>();
      List<Future<Void>> failed = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        if (r.get(i) == null) {
          keep.add(items.get(i));
        } else {
          failed.add(smsFailed(items.get(i).id(), "opted out (STOP)", Instant.now()));
          optedOutWithheld(1);
        }
      }
      return Future.all(failed).map(keep);
    });
  }

  private Future<Void> finish(long id, String state, String sid, String error, Instant now) {
    String tag = tag(outboxOfId(id));
    return eval(Scripts.FINISH, List.of(tag + ":ob"), List.of(tag, GROUP, String.valueOf(id), state,
        sid == null ? "" : sid, error == null ? "" : error, String.valueOf(now.toEpochMilli()))).mapEmpty();
  }

  @Override
  public Future<Void> smsSent(long id, String sid, Instant now) {
    return finish(id, "sent", sid, null, now);
  }

  @Override
  public Future<Void> smsRetry(long id, Instant nextAt, String error, Instant now) {
    String tag = tag(outboxOfId(id));
    return eval(Scripts.RETRY, List.of(tag + ":ob"), List.of(tag, GROUP, String.valueOf(id),
        String.valueOf(nextAt.toEpochMilli()), error == null ? "" : error, String.valueOf(now.toEpochMilli())))
        .mapEmpty();
  }

  @Override
  public Future<Void> smsFailed(long id, String error, Instant now) {
    return finish(id, "failed", null, error, now);
  }

  @Override
  public Future<Integer> releaseSmsClaims() {
    return releaseSmsClaims("");
  }

  @Override
  public Future<Integer> releaseSmsClaims(String owner) {
    List<Future<Response>> all = new ArrayList<>();
    for (int i = 0; i < OUTBOXES; i++) {
      all.add(eval(Scripts.RELEASE, List.of(tag(i) + ":ob"), List.of(tag(i), GROUP, owner)));
    }
    return Future.all(all).map(cf -> all.stream().mapToInt(f -> f.result().toInteger()).sum());
  }

  @Override
  public Future<OutboxStats> outboxStats(Instant now) {
    List<Future<Response>> all = new ArrayList<>();
    for (int i = 0; i < OUTBOXES; i++) {
      all.add(eval(Scripts.OUTBOX_STATS, List.of(tag(i) + ":obw"), List.of(tag(i))));
    }
    return Future.all(all).map(cf -> {
      long waiting = 0;
      long failed = 0;
      long oldest = Long.MAX_VALUE;
      for (Future<Response> f : all) {
        Response r = f.result();
        waiting += r.get(0).toLong();
        String first = r.get(1).toString();
        if (!first.isEmpty()) {
          oldest = Math.min(oldest, (long) Double.parseDouble(first));
        }
        failed += Long.parseLong(r.get(2).toString());
      }
      return new OutboxStats(waiting, oldest == Long.MAX_VALUE ? 0 : Math.max(0, now.toEpochMilli() - oldest), failed);
    });
  }

  @Override
  public Future<Void> setSmsOptOut(String phone, boolean optedOut, Instant now) {
    return send(optedOut
        ? Request.cmd(Command.HSET).arg(G + ":optout").arg(phone).arg(now.toEpochMilli())
        : Request.cmd(Command.HDEL).arg(G + ":optout").arg(phone)).mapEmpty();
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

  @Override
  public Future<Boolean> isSmsOptedOut(String phone) {
    return send(Request.cmd(Command.HEXISTS).arg(G + ":optout").arg(phone)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Optional<String>> inboundReply(String messageSid) {
    return send(Request.cmd(Command.GET).arg(G + ":in:" + messageSid))
        .map(r -> r == null ? Optional.empty() : Optional.of(r.toString()));
  }

  @Override
  public Future<Void> saveInboundReply(String messageSid, String reply, Instant now) {
    // Twilio retries a webhook for minutes; a week of memory is plenty.
    return send(Request.cmd(Command.SET).arg(G + ":in:" + messageSid).arg(reply).arg("NX").arg("PX")
        .arg(Duration.ofDays(7).toMillis())).mapEmpty();
  }

  @Override
  public Future<Boolean> setIncidentSms(String phone, String incident, boolean joined, Instant now) {
    return eval(Scripts.INCIDENT_SMS, List.of(G + ":incsms:" + incident),
        List.of(phone, incident, joined ? "1" : "0", String.valueOf(now.toEpochMilli()))).map(r -> r.toInteger() > 0);
  }

  @Override
  public Future<List<String>> joinedOpenIncidents(String phone) {
    return send(Request.cmd(Command.ZRANGE).arg(G + ":joined:" + phone).arg(0).arg(-1).arg("WITHSCORES"))
        .compose(r -> {
          record Joined(String code, double at) {
          }
          List<Joined> joined = new ArrayList<>();
          for (Response e : r) {
            // RESP2 gives a flat list, RESP3 pairs.
            if (e.type() == io.vertx.redis.client.ResponseType.MULTI) {
              joined.add(new Joined(e.get(0).toString(), e.get(1).toDouble()));
            }
          }
          if (joined.isEmpty() && r.size() > 0 && r.get(0).type() != io.vertx.redis.client.ResponseType.MULTI) {
            for (int i = 0; i + 1 < r.size(); i += 2) {
              joined.add(new Joined(r.get(i).toString(), r.get(i + 1).toDouble()));
            }
          }
          joined.sort(Comparator.comparingDouble(Joined::at).reversed().thenComparing(Joined::code));
          List<Request> states = new ArrayList<>();
          for (Joined j : joined) {
            states.add(Request.cmd(Command.HGET).arg(G + ":inc:" + j.code()).arg("state"));
          }
          return batch(states).map(rs -> {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < joined.size(); i++) {
              if (rs.get(i) != null && rs.get(i).toString().equals("open")) {
                out.add(joined.get(i).code());
              }
            }
            return out;
          });
        });
  }

  @Override
  public Future<List<String>> incidentSmsSubscribers(String incident) {
    return send(Request.cmd(Command.ZRANGE).arg(G + ":incsms:" + incident).arg(0).arg(-1)).map(RedisStore::sortedStrings);
  }

  @Override
  public Future<Void> recordDeliveryReport(String sid, String status, String errorCode, Instant now) {
    return send(Request.cmd(Command.XADD).arg(G + ":dlr").arg("MAXLEN").arg("~").arg(1_000_000).arg("*")
        .arg("sid").arg(sid).arg("status").arg(status).arg("error").arg(errorCode == null ? "" : errorCode)
        .arg("at").arg(now.toEpochMilli())).mapEmpty();
  }

  // ---------------------------------------------------------------- responders, incidents, keys

  @Override
  public Future<Boolean> createResponder(String username, String passwordHash, String agency, Set<String> roles,
      Instant now) {
    return eval(Scripts.CREATE_HASH, List.of(G + ":resp:" + username), List.of("pw", passwordHash, "agency", agency,
        "roles", String.join(",", new TreeSet<>(roles)), "disabled", "0", "created", String.valueOf(now.toEpochMilli())))
        .compose(r -> r.toInteger() == 1 ? knowAgencies(List.of(agency)).map(true) : Future.succeededFuture(false));
  }

  /**
   * {@code {g}:agencies}: each agency's name by its case-folded form ({@code Agencies.key}), as first
   * stored; read by {@link #agencyNamed}. HSETNX: the first spelling stays.
   */
  private Future<Void> knowAgencies(Collection<String> agencies) {
    List<Future<Response>> sets = new ArrayList<>();
    for (String a : agencies) {
      if (a != null && !a.isEmpty()) {
        sets.add(send(Request.cmd(Command.HSETNX).arg(G + ":agencies").arg(Agencies.key(a)).arg(a)));
      }
    }
    return Future.all(sets).mapEmpty();
  }

  @Override
  public Future<String> agencyNamed(String name) {
    return send(Request.cmd(Command.HGET).arg(G + ":agencies").arg(Agencies.key(name)))
        .map(r -> r == null ? name : r.toString());
  }

  @Override
  public Future<Optional<ResponderRecord>> responder(String username) {
    return send(Request.cmd(Command.HGETALL).arg(G + ":resp:" + username)).map(resp -> {
      Map<String, String> r = hash(resp);
      if (r.isEmpty()) {
        return Optional.empty();
      }
      String roles = r.get("roles");
      return Optional.of(new ResponderRecord(new Responder(username, r.get("agency"),
          roles.isEmpty() ? Set.of() : Set.of(roles.split(",")), r.get("disabled").equals("1")), r.get("pw")));
    });
  }

  @Override
  public Future<Boolean> disableResponder(String username) {
    return eval(Scripts.COMPARE_AND_SET, List.of(G + ":resp:" + username), List.of("disabled", "0", "1"))
        .compose(r -> r.toInteger() == 1 ? Future.succeededFuture(true)
            : send(Request.cmd(Command.EXISTS).arg(G + ":resp:" + username)).map(e -> e.toInteger() == 1));
  }

  private static Incident incident(String code, Response resp) {
    Map<String, String> r = hash(resp);
    if (r.isEmpty()) {
      return null;
    }
    String area = r.getOrDefault("area", "");
    String closed = r.getOrDefault("closed", "");
    String agency = r.getOrDefault("agency", "");
    List<String> partners = new ArrayList<>();
    String partnersJson = r.getOrDefault("partners", "");
    if (!partnersJson.isEmpty()) {
      try {
        // Lua's cjson writes an empty list as {}: anything but an array is no partners.
        JsonNode p = JSON.readTree(partnersJson);
        if (p.isArray()) {
          p.forEach(a -> partners.add(a.asText()));
        }
      } catch (java.io.IOException e) {
        throw new IllegalStateException("unreadable partners of incident " + code, e);
      }
    }
    return new Incident(r.get("id"), code, r.get("name"),
        area.isEmpty() ? null : org.crisishub.store.AreaJson.fromJson(area), r.get("tp").equals("1"), r.get("state"),
        Instant.ofEpochMilli(Long.parseLong(r.get("created"))),
        closed.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(closed)),
        agency.isEmpty() ? null : agency, partners);
  }

  private static String agenciesJson(List<String> agencies) {
    com.fasterxml.jackson.databind.node.ArrayNode a = JSON.createArrayNode();
    agencies.forEach(a::add);
    return a.toString();
  }

  @Override
  public Future<Optional<Incident>> setIncidentPartner(String code, String agency, boolean add) {
    // The script compares names exactly (Lua folds ASCII only): the name is first spelled as the
    // incident already spells that agency, if it does.
    return incident(code).compose(found -> {
      String a = found.flatMap(i -> i.agencies().stream().filter(k -> Agencies.same(k, agency)).findFirst())
          .orElse(agency);
      return eval(Scripts.INCIDENT_PARTNER, List.of(G + ":inc:" + code), List.of(a, add ? "1" : "0"))
          .compose(r -> add && r != null && r.size() > 0 ? knowAgencies(List.of(a)).map(r) : Future.succeededFuture(r))
          .map(r -> Optional.ofNullable(incident(code, r)));
    });
  }

  /**
   * Gives incidents made before agencies existed their owner: the agency of the responder named in
   * the incident's creation audit entry, or none (the first partner the admin adds becomes owner).
   * Runs at every start; touches only incidents that have no {@code agency} field yet.
   */
  private Future<Void> ownIncidents() {
    return eval(Scripts.OWN_INCIDENTS, List.of(G + ":incs"), List.of()).map(r -> {
      if (r != null && r.toInteger() > 0) {
        LOG.info("agencies: {} incident(s) made before agencies existed now belong to their creator's agency",
            r.toInteger());
      }
      return null;
    });
  }

  @Override
  public Future<Boolean> createIncident(Incident i) {
    return eval(Scripts.CREATE_HASH, List.of(G + ":inc:" + i.code()), List.of("id", i.id(), "name", i.name(),
        "area", i.area() == null ? "" : org.crisishub.store.AreaJson.toJson(i.area()).toString(), "tp", i.twoPersonRule() ? "1" : "0",
        "state", i.state(), "created", String.valueOf(i.createdAt().toEpochMilli()),
        "agency", i.agency() == null ? "" : i.agency(), "partners", agenciesJson(i.partners())))
        .compose(r -> r.toInteger() != 1 ? Future.succeededFuture(r) : knowAgencies(i.agencies()).map(r)).compose(r -> {
          if (r.toInteger() != 1) {
            return Future.succeededFuture(false);
          }
          return send(Request.cmd(Command.ZADD).arg(G + ":incs").arg(i.createdAt().toEpochMilli()).arg(i.code()))
              .map(true);
        });
  }

  @Override
  public Future<Optional<Incident>> incident(String code) {
    return send(Request.cmd(Command.HGETALL).arg(G + ":inc:" + code)).map(r -> Optional.ofNullable(incident(code, r)));
  }

  @Override
  public Future<List<Incident>> incidents() {
    return send(Request.cmd(Command.ZRANGE).arg(G + ":incs").arg(0).arg(-1)).compose(r -> {
      List<String> codes = sortedStrings(r);
      List<Request> reqs = new ArrayList<>();
      for (String c : codes) {
        reqs.add(Request.cmd(Command.HGETALL).arg(G + ":inc:" + c));
      }
      return batch(reqs).map(rs -> {
        List<Incident> out = new ArrayList<>();
        for (int i = 0; i < codes.size(); i++) {
          Incident inc = incident(codes.get(i), rs.get(i));
          if (inc != null) {
            out.add(inc);
          }
        }
        out.sort(Comparator.comparing(Incident::createdAt).reversed().thenComparing(Incident::code));
        return out;
      });
    });
  }

  @Override
  public Future<Optional<Incident>> closeIncident(String code, Instant now) {
    return eval(Scripts.CLOSE_INCIDENT, List.of(G + ":inc:" + code), List.of(String.valueOf(now.toEpochMilli())))
        .map(r -> Optional.ofNullable(incident(code, r)));
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

  private static String keyJson(AgencyKey k) {
    ObjectNode n = JSON.createObjectNode();
    n.put("kid", k.kid());
    n.put("agency", k.agency());
    n.put("priv", Base64.getEncoder().encodeToString(k.privatePkcs8()));
    n.put("pub", Base64.getEncoder().encodeToString(k.publicSpki()));
    n.put("created", k.createdAt().toEpochMilli());
    return n.toString();
  }

  private static AgencyKey key(String json, boolean active) {
    try {
      JsonNode n = JSON.readTree(json);
      return new AgencyKey(n.get("kid").asText(), n.get("agency").asText(),
          Base64.getDecoder().decode(n.get("priv").asText()), Base64.getDecoder().decode(n.get("pub").asText()), active,
          Instant.ofEpochMilli(n.get("created").asLong()));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable key in Redis", e);
    }
  }

  @Override
  public Future<AgencyKey> activeKey(String agency, Supplier<AgencyKey> generate) {
    String ak = G + ":akey:" + agency;
    return send(Request.cmd(Command.GET).arg(ak)).compose(kid -> {
      if (kid != null) {
        return send(Request.cmd(Command.HGET).arg(G + ":keys").arg(kid.toString())).map(j -> key(j.toString(), true));
      }
      AgencyKey fresh = generate.get();
      return eval(Scripts.PUT_KEY, List.of(ak), List.of(fresh.kid(), keyJson(fresh), "1"))
          .map(j -> key(j.toString(), true));
    });
  }

  @Override
  public Future<AgencyKey> rotateKey(AgencyKey fresh) {
    return eval(Scripts.PUT_KEY, List.of(G + ":akey:" + fresh.agency()), List.of(fresh.kid(), keyJson(fresh), "0"))
        .map(j -> key(j.toString(), true));
  }

  @Override
  public Future<List<AgencyKey>> keys() {
    return send(Request.cmd(Command.HVALS).arg(G + ":keys")).compose(r -> {
      List<AgencyKey> all = new ArrayList<>();
      for (Response j : r) {
        all.add(key(j.toString(), false));
      }
      List<String> agencies = all.stream().map(AgencyKey::agency).distinct().toList();
      List<Request> reqs = new ArrayList<>();
      for (String a : agencies) {
        reqs.add(Request.cmd(Command.GET).arg(G + ":akey:" + a));
      }
      return batch(reqs).map(rs -> {
        Map<String, String> active = new HashMap<>();
        for (int i = 0; i < agencies.size(); i++) {
          if (rs.get(i) != null) {
            active.put(agencies.get(i), rs.get(i).toString());
          }
        }
        List<AgencyKey> out = new ArrayList<>();
        for (AgencyKey k : all) {
          out.add(new AgencyKey(k.kid(), k.agency(), k.privatePkcs8(), k.publicSpki(),
              k.kid().equals(active.get(k.agency())), k.createdAt()));
        }
        out.sort(Comparator.comparing(AgencyKey::agency).thenComparing(AgencyKey::createdAt));
        return out;
      });
    });
  }

  // ---------------------------------------------------------------- notices and audit

  private static NoticeRecord notice(String id, Response resp) {
    Map<String, String> r = hash(resp);
    if (r.isEmpty()) {
      return null;
    }
    java.util.function.Function<String, String> s = k -> r.containsKey(k) && !r.get(k).isEmpty() ? r.get(k) : null;
    java.util.function.Function<String, Instant> t = k -> s.apply(k) == null ? null
        : Instant.ofEpochMilli(Long.parseLong(s.apply(k)));
    return new NoticeRecord(id, s.apply("incident"), s.apply("author"), s.apply("agency"), s.apply("state"),
        s.apply("approvedBy"), s.apply("draft"), s.apply("signed"), t.apply("expires"), t.apply("created"),
        t.apply("published"));
  }

  @Override
  public Future<Void> insertNotice(NoticeRecord n) {
    List<String> fields = new ArrayList<>(List.of("incident", n.incident(), "author", n.author(), "agency", n.agency(),
        "state", n.state(), "draft", n.draftJson(), "created", String.valueOf(n.createdAt().toEpochMilli())));
    if (n.approvedBy() != null) {
      fields.addAll(List.of("approvedBy", n.approvedBy()));
    }
    if (n.signedJson() != null) {
      fields.addAll(List.of("signed", n.signedJson()));
    }
    if (n.expires() != null) {
      fields.addAll(List.of("expires", String.valueOf(n.expires().toEpochMilli())));
    }
    if (n.publishedAt() != null) {
      fields.addAll(List.of("published", String.valueOf(n.publishedAt().toEpochMilli())));
    }
    return eval(Scripts.CREATE_HASH, List.of(G + ":notice:" + n.id()), fields).compose(r -> {
      if (r.toInteger() != 1) {
        return Future.failedFuture(HubException.unavailable("notice " + n.id() + " exists already", null));
      }
      return send(Request.cmd(Command.SADD).arg(G + ":notices").arg(n.id())).mapEmpty();
    });
  }

  @Override
  public Future<Optional<NoticeRecord>> notice(String id) {
    return send(Request.cmd(Command.HGETALL).arg(G + ":notice:" + id)).map(r -> Optional.ofNullable(notice(id, r)));
  }

  @Override
  public Future<List<NoticeRecord>> notices(String incident, String state) {
    return send(Request.cmd(Command.SMEMBERS).arg(G + ":notices")).compose(r -> {
      List<String> ids = sortedStrings(r);
      List<Request> reqs = new ArrayList<>();
      for (String id : ids) {
        reqs.add(Request.cmd(Command.HGETALL).arg(G + ":notice:" + id));
      }
      return batch(reqs).map(rs -> {
        List<NoticeRecord> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
          NoticeRecord n = notice(ids.get(i), rs.get(i));
          if (n != null && (incident == null || incident.equals(n.incident()))
              && (state == null || state.equals(n.state()))) {
            out.add(n);
          }
        }
        out.sort(Comparator.comparing((NoticeRecord n) -> n.publishedAt() != null ? n.publishedAt() : n.createdAt())
            .reversed().thenComparing(Comparator.comparing(NoticeRecord::createdAt).reversed())
            .thenComparing(NoticeRecord::id));
        return out;
      });
    });
  }

  @Override
  public Future<Boolean> approveNotice(String id, String approver, Instant now) {
    return eval(Scripts.APPROVE_NOTICE, List.of(G + ":notice:" + id), List.of(approver)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Boolean> publishNotice(String id, Set<String> fromStates, String signedJson, Instant publishedAt,
      String referencesId, String referencedState, String smsBody) {
    return eval(Scripts.PUBLISH_NOTICE, List.of(G + ":notice:" + id), List.of(String.valueOf(SHARDS),
        String.valueOf(OUTBOXES), id, String.join(",", fromStates), signedJson,
        String.valueOf(publishedAt.toEpochMilli()), referencesId == null ? "" : referencesId,
        referencedState == null ? "" : referencedState, smsBody == null ? "" : smsBody)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Void> audit(String actor, String action, String subject, String outcome, String detail, Instant now) {
    return auditChain.append(actor, action, subject, outcome, detail, now);
  }

  @Override
  public Future<List<org.crisishub.store.AuditChain.Entry>> auditPage(long after, int limit) {
    return auditChain.page(after, limit);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  // ---------------------------------------------------------------- help requests

  private static HelpRequest help(String incident, String helpJson, String member) {
    try {
      JsonNode h = JSON.readTree(helpJson);
      String by = h.get("by").asText();
      String agency = h.path("ag").asText("");
      return new HelpRequest(checkIn(h.get("phone").asText(), member, null), incident, h.get("state").asText(),
          by.isEmpty() ? null : by, agency.isEmpty() ? null : agency,
          Instant.ofEpochMilli(Long.parseLong(h.get("updated").asText())));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable help request in Redis", e);
    }
  }

  @Override
  public Future<List<HelpRequest>> helpRequests(String incident, boolean openOnly) {
    List<Future<Response>> shards = new ArrayList<>();
    for (int s = 0; s < SHARDS; s++) {
      shards.add(eval(Scripts.HELP_LIST, List.of(tag(s) + ":help:" + incident), List.of(tag(s))));
    }
    return Future.all(shards).map(cf -> {
      record Row(HelpRequest req, long created) {
      }
      List<Row> rows = new ArrayList<>();
      for (Future<Response> f : shards) {
        Response r = f.result();
        for (int i = 0; i + 2 < r.size(); i += 3) {
          HelpRequest h = help(incident, r.get(i + 1).toString(), r.get(i + 2).toString());
          if (openOnly && h.state().equals("resolved")) {
            continue;
          }
          long created;
          try {
            created = Long.parseLong(JSON.readTree(r.get(i + 1).toString()).get("created").asText());
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
          rows.add(new Row(h, created));
        }
      }
      rows.sort(Comparator.comparingLong(Row::created).thenComparing(row -> row.req().checkIn().id()));
      return rows.stream().map(Row::req).toList();
    });
  }

  @Override
  public Future<Optional<HelpRequest>> helpRequest(String checkinId) {
    int s = shardOfId(checkinId);
    if (s < 0) {
      return Future.succeededFuture(Optional.empty());
    }
    String tag = tag(s);
    return eval(Scripts.HELP_GET, List.of(tag + ":helpinc:" + checkinId), List.of(tag, checkinId))
        .map(r -> r == null || r.size() < 3
            ? Optional.<HelpRequest>empty()
            : Optional.of(help(r.get(0).toString(), r.get(1).toString(), r.get(2).toString())));
  }

  @Override
  public Future<List<String>> helpIncidents(String checkinId) {
    int s = shardOfId(checkinId);
    if (s < 0) {
      return Future.succeededFuture(List.of());
    }
    return send(Request.cmd(Command.SMEMBERS).arg(tag(s) + ":helpinc:" + checkinId)).map(RedisStore::sortedStrings);
  }

  @Override
  public Future<Optional<HelpRequest>> setHelpState(String checkinId, String state, String responder, String agency,
      Instant now) {
    int s = shardOfId(checkinId);
    if (s < 0) {
      return Future.succeededFuture(Optional.empty());
    }
    String tag = tag(s);
    return eval(Scripts.SET_HELP, List.of(tag + ":helpinc:" + checkinId), List.of(tag, checkinId, state,
        responder == null ? "" : responder, String.valueOf(now.toEpochMilli()), agency == null ? "" : agency))
        .map(r -> {
          if (r != null && r.size() == 2 && "!".equals(r.get(0).toString())) {
            throw new HubException(org.crisishub.domain.ErrorCode.CONFLICT, "this call for help is already " + r.get(1));
          }
          return r;
        })
        .map(r -> r == null || r.size() < 3
            ? Optional.<HelpRequest>empty()
            : Optional.of(help(r.get(0).toString(), r.get(1).toString(), r.get(2).toString())));
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

  private Future<Response> eval(String script, List<String> keys, List<String> args, int lane) {
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
