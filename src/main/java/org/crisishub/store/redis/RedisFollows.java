package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.hash;
import static org.crisishub.store.redis.RedisStore.shard;
import static org.crisishub.store.redis.RedisStore.sortedStrings;
import static org.crisishub.store.redis.RedisStore.tag;
import static org.crisishub.store.redis.RedisStore.tagOf;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.HubException;

/**
 * {@link org.crisishub.store.FollowGraph} on Redis: follow edges in {@code {sN}:fw:<subject>}
 * (follower → {@code state|sms|updatedMs}) on the subject's shard, an index of subjects per follower
 * ({@code :fg:}), labels ({@code :fl:}) and trusted contacts ({@code :ct:}). A change to one edge is
 * a compare-and-set, retried when it loses a race. Thread-safe.
 */
final class RedisFollows implements org.crisishub.store.FollowGraph {
  /**
   * KEYS[1] = tag:fw:subject, KEYS[2] = tag:fl:subject. ARGV: follower, label ('' = remove). Sets the
   * follower's private label of the subject; 0 (nothing changed) when there is no follow.
   */
  private static final String SET_LABEL = """
      if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
      if ARGV[2] == '' then redis.call('HDEL', KEYS[2], ARGV[1]) else redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
      return 1
      """;

  /** KEYS[1] = tag:fw:subject, KEYS[2] = tag:fl:subject. ARGV: follower. Removes the follow and its label. */
  private static final String UNFOLLOW = """
      redis.call('HDEL', KEYS[2], ARGV[1])
      return redis.call('HDEL', KEYS[1], ARGV[1])
      """;

  /**
   * KEYS[1] = tag:ct:owner. ARGV: tag, owner, contact, now. Trusts the contact; a pending follow of
   * the contact on the owner becomes active and its new edge is returned.
   */
  private static final String PUT_CONTACT = """
      redis.call('HSETNX', KEYS[1], ARGV[3], ARGV[4])
      local fk = ARGV[1] .. ':fw:' .. ARGV[2]
      local v = redis.call('HGET', fk, ARGV[3])
      if v and string.sub(v, 1, 8) == 'pending|' then
        local nv = 'active|' .. string.sub(v, 9, 9) .. '|' .. ARGV[4]
        redis.call('HSET', fk, ARGV[3], nv)
        return nv
      end
      return false
      """;

  private final RedisStore store;

  RedisFollows(RedisStore store) {
    this.store = store;
  }

  static Follow edge(String follower, String subject, String value) {
    String[] p = value.split("\\|", 3);
    return new Follow(follower, subject, FollowState.fromWire(p[0]), p[1].equals("1"),
        Instant.ofEpochMilli(Long.parseLong(p[2])));
  }

  private static String edgeValue(Follow f) {
    return f.state().wire() + "|" + (f.sms() ? "1" : "0") + "|" + f.updatedAt().toEpochMilli();
  }

  // ---------------------------------------------------------------- follows and contacts

  private static String followersKey(String subject) {
    return tagOf(subject) + ":fw:" + subject;
  }

  private static String followsIndexKey(String follower) {
    return tagOf(follower) + ":fg:" + follower;
  }

  /** The labels followers gave the subject: follower → label, on the subject's shard. */
  static String labelsKey(String subject) {
    return tagOf(subject) + ":fl:" + subject;
  }

  private static String contactsKey(String owner) {
    return tagOf(owner) + ":ct:" + owner;
  }

  @Override
  public Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now) {
    // Index first: a follow index entry without an edge is ignored by follows(), never the reverse.
    return store.send(Request.cmd(Command.SADD).arg(followsIndexKey(follower)).arg(subject))
        .compose(v -> requestFollow(follower, subject, sms, now, 0));
  }

  private Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now,
      int attempt) {
    return store.batch(List.of(Request.cmd(Command.HGET).arg(followersKey(subject)).arg(follower),
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
    return store.eval(Scripts.COMPARE_AND_SET, List.of(key), List.of(field, expected, value)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Boolean> unfollow(String follower, String subject) {
    return store.eval(UNFOLLOW, List.of(followersKey(subject), labelsKey(subject)), List.of(follower)).compose(r -> {
      boolean had = r.toInteger() > 0;
      return store.send(Request.cmd(Command.SREM).arg(followsIndexKey(follower)).arg(subject)).map(had);
    });
  }

  @Override
  public Future<Boolean> setFollowLabel(String follower, String subject, String label) {
    return store.eval(SET_LABEL, List.of(followersKey(subject), labelsKey(subject)),
        List.of(follower, label == null ? "" : label)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<java.util.Optional<String>> followLabel(String follower, String subject) {
    return store.send(Request.cmd(Command.HGET).arg(labelsKey(subject)).arg(follower))
        .map(r -> java.util.Optional.ofNullable(r == null ? null : r.toString()));
  }

  @Override
  public Future<Map<String, String>> followLabels(String follower) {
    return store.send(Request.cmd(Command.SMEMBERS).arg(followsIndexKey(follower))).compose(r -> {
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
      return store.batch(reqs).map(rs -> {
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
    return store.send(Request.cmd(Command.HGET).arg(followersKey(subject)).arg(follower)).compose(r -> {
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
    return store.send(Request.cmd(Command.HGET).arg(followersKey(subject)).arg(follower))
        .map(r -> r == null ? Optional.empty() : Optional.of(edge(follower, subject, r.toString())));
  }

  @Override
  public Future<List<Follow>> follows(String follower) {
    return store.send(Request.cmd(Command.SMEMBERS).arg(followsIndexKey(follower))).compose(r -> {
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
      return store.batch(reqs).map(rs -> {
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
    return store.send(Request.cmd(Command.HGETALL).arg(followersKey(subject))).map(r -> {
      List<Follow> out = new ArrayList<>();
      hash(r).forEach((k, v) -> out.add(edge(k, subject, v)));
      out.sort(Comparator.comparing(Follow::follower));
      return out;
    });
  }

  @Override
  public Future<Optional<Follow>> putContact(String owner, String contact, Instant now) {
    String tag = tagOf(owner);
    return store.eval(PUT_CONTACT, List.of(contactsKey(owner)),
        List.of(tag, owner, contact, String.valueOf(now.toEpochMilli())))
        .map(r -> r == null ? Optional.empty() : Optional.of(edge(contact, owner, r.toString())));
  }

  @Override
  public Future<Boolean> deleteContact(String owner, String contact) {
    return store.send(Request.cmd(Command.HDEL).arg(contactsKey(owner)).arg(contact)).map(r -> r.toInteger() > 0);
  }

  @Override
  public Future<List<String>> contacts(String owner) {
    return store.send(Request.cmd(Command.HKEYS).arg(contactsKey(owner))).map(r -> sortedStrings(r));
  }

}
