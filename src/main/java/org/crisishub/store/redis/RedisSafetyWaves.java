package org.crisishub.store.redis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.store.SafetyCheckStore.Sms;
import org.crisishub.store.SafetyCheckStore.WaveBatch;
import org.crisishub.store.SafetyCheckStore.WaveClaim;
import org.crisishub.store.SafetyCheckStore.WaveItem;

/**
 * The escalation waves of {@link RedisSafetyChecks}: due times ({@code {g}:scdue}), the lease and
 * cursor on the check's hash, the followers reached ({@code {g}:scr:id}) and the frames owed to them
 * ({@code {g}:scfp:id}); each change one script of {@link SafetyScripts}. The Redis counterpart of
 * {@code SqliteSafetyWaves}. Thread-safe.
 */
final class RedisSafetyWaves {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String G = RedisStore.G;
  private final RedisStore redis;

  RedisSafetyWaves(RedisStore redis) {
    this.redis = redis;
  }


  public Future<List<String>> dueWaves(Instant now, int max) {
    return redis.eval(SafetyScripts.DUE, List.of(G + ":scdue"), List.of(String.valueOf(now.toEpochMilli()),
        String.valueOf(max))).map(RedisSafetyChecks::strings);
  }

  public Future<Optional<WaveClaim>> claimWave(String id, String owner, Instant now, Duration lease) {
    return redis.eval(SafetyScripts.CLAIM_WAVE, List.of(RedisSafetyChecks.key(id)), List.of(id, owner,
        String.valueOf(now.toEpochMilli()), String.valueOf(lease.toMillis()))).map(r -> r == null
            ? Optional.<WaveClaim>empty()
            : Optional.of(new WaveClaim(id, r.get(0).toString(), r.get(1).toString().isEmpty() ? null
                : r.get(1).toString())));
  }

  public Future<Optional<WaveBatch>> waveBatch(String id, String wave, String owner, Instant now, Duration lease,
      int limit) {
    return redis.eval(SafetyScripts.WAVE_BATCH, List.of(RedisSafetyChecks.key(id)), List.of(id, wave, owner,
        String.valueOf(now.toEpochMilli()), String.valueOf(lease.toMillis()), String.valueOf(limit))).map(r -> {
          if (r == null) {
            return Optional.<WaveBatch>empty();
          }
          List<String> all = RedisSafetyChecks.strings(r);
          String cursor = all.get(0).isEmpty() ? null : all.get(0);
          return Optional.of(new WaveBatch(List.copyOf(all.subList(2, all.size())), cursor, "1".equals(all.get(1))));
        });
  }

  public Future<Optional<List<WaveItem>>> waveCommit(String id, String wave, String owner, Instant now,
      Duration lease, String cursor, List<WaveItem> items) {
    var arr = JSON.createArrayNode();
    java.util.Map<String, WaveItem> byPhone = new java.util.HashMap<>();
    for (WaveItem it : items) {
      byPhone.put(it.phone(), it);
      ObjectNode n = arr.addObject();
      n.put("p", it.phone());
      var sms = n.putArray("sms");
      for (Sms m : it.sms()) {
        sms.addObject().put("to", m.to()).put("sub", m.subject() == null ? "" : m.subject()).put("body", m.body());
      }
      var reached = n.putArray("reached");
      it.reached().forEach(reached::add);
    }
    return redis.eval(SafetyScripts.WAVE_COMMIT, List.of(RedisSafetyChecks.key(id)), List.of(id, wave, owner,
        String.valueOf(now.toEpochMilli()), String.valueOf(lease.toMillis()), cursor == null ? "" : cursor,
        String.valueOf(RedisStore.SHARDS), String.valueOf(RedisStore.OUTBOXES), arr.toString())).map(r -> {
          if (r == null) {
            return Optional.<List<WaveItem>>empty();
          }
          List<WaveItem> done = new ArrayList<>();
          RedisSafetyChecks.strings(r).forEach(p -> done.add(byPhone.get(p)));
          return Optional.of(done);
        });
  }

  public Future<Boolean> finishWave(String id, String wave, String owner, Instant now) {
    return redis.eval(SafetyScripts.FINISH_WAVE, List.of(RedisSafetyChecks.key(id)), List.of(id, wave, owner))
        .map(r -> r.toInteger() == 1);
  }

  public Future<Integer> releaseWaveLeases() {
    return redis.eval(SafetyScripts.RELEASE, List.of(G + ":scdue"), List.of()).map(Response::toInteger);
  }

  public Future<Boolean> reached(String id, String phone, String follower) {
    return redis.send(Request.cmd(Command.HEXISTS).arg(G + ":scr:" + id).arg(phone + "|" + follower))
        .map(r -> r.toInteger() == 1);
  }

  public Future<List<WaveItem>> pendingFrames(String id, int max) {
    return redis.send(Request.cmd(Command.HGETALL).arg(G + ":scfp:" + id)).compose(h -> {
      List<String> phones = new ArrayList<>(h == null ? List.of() : h.getKeys());
      phones.sort(null);
      List<String> some = phones.subList(0, Math.min(max, phones.size()));
      if (some.isEmpty()) {
        return Future.succeededFuture(List.<WaveItem>of());
      }
      Request q = Request.cmd(Command.HMGET).arg(RedisSafetyChecks.peopleKey(id));
      some.forEach(q::arg);
      return redis.send(q).map(ps -> {
        List<WaveItem> out = new ArrayList<>();
        for (int i = 0; i < some.size(); i++) {
          String p = some.get(i);
          Response m = ps.get(i);
          String state = m == null ? null : RedisSafetyChecks.member(p, m.toString()).state();
          boolean owed = "no_answer".equals(state) || "unreachable".equals(state);
          List<String> followers = new ArrayList<>();
          if (owed) {
            try {
              JSON.readTree(h.get(p).toString()).forEach(f -> followers.add(f.asText()));
            } catch (java.io.IOException e) {
              throw new IllegalStateException("unreadable pending frame in Redis", e);
            }
          }
          out.add(new WaveItem(p, List.of(), followers));
        }
        return out;
      });
    });
  }

  public Future<Void> framesSent(String id, List<String> phones) {
    if (phones.isEmpty()) {
      return Future.succeededFuture();
    }
    Request q = Request.cmd(Command.HDEL).arg(G + ":scfp:" + id);
    phones.forEach(q::arg);
    return redis.send(q).mapEmpty();
  }
}
