package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.G;
import static org.crisishub.store.redis.RedisStore.OUTBOXES;
import static org.crisishub.store.redis.RedisStore.tag;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.domain.Incident;

/**
 * Retention on Redis ({@link org.crisishub.store.Store#purge}): one {@link #PURGE} script per tag
 * (check-ins, their help entries and threads, finished SMS), the safety checks and triage data of
 * incidents closed longer than the retention, then revocations and delivery reports.
 */
final class RedisRetention {
  /**
   * KEYS[1] = tag:age. ARGV: tag, cutoff, limit, incidents to keep... Deletes check-ins made before
   * the cutoff unless their incident is kept, with their help entries and help threads, and finished SMS older than
   * the cutoff. Returns the number of check-ins deleted.
   */
  private static final String PURGE = """
      local tag, cutoff = ARGV[1], ARGV[2]
      local keep = {}
      for i = 4, #ARGV do keep[ARGV[i]] = true end
      local n = 0
      local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff, 'LIMIT', 0, tonumber(ARGV[3]))
      for _, m in ipairs(old) do
        local a = string.find(m, '|', 1, true)
        local b = string.find(m, '|', a + 1, true)
        local phone, seq, inc = string.sub(m, 1, a - 1), string.sub(m, a + 1, b - 1), string.sub(m, b + 1)
        if inc == '' or not keep[inc] then
          local cik = tag .. ':ci:' .. phone
          local rows = redis.call('ZRANGEBYSCORE', cik, seq, seq)
          for _, row in ipairs(rows) do
            local p1 = string.find(row, '|', 1, true)
            local p2 = string.find(row, '|', p1 + 1, true)
            local id = cjson.decode(string.sub(row, p2 + 1)).id
            for _, hi in ipairs(redis.call('SMEMBERS', tag .. ':helpinc:' .. id)) do
              redis.call('HDEL', tag .. ':help:' .. hi, id)
            end
            redis.call('DEL', tag .. ':helpinc:' .. id)
            redis.call('DEL', tag .. ':thread:' .. id)
          end
          redis.call('ZREMRANGEBYSCORE', cik, seq, seq)
          redis.call('ZREM', KEYS[1], m)
          n = n + 1
        end
      end
      for _, id in ipairs(redis.call('ZRANGEBYSCORE', tag .. ':obdone', '-inf', '(' .. cutoff, 'LIMIT', 0, 10000)) do
        local mk = tag .. ':sms:' .. id
        if redis.call('HGET', mk, 'state') == 'failed' then redis.call('DECR', tag .. ':obf') end
        redis.call('DEL', mk)
        redis.call('ZREM', tag .. ':obdone', id)
      end
      return n
      """;

  private RedisRetention() {
  }

  /** Deletes what retention no longer allows (see {@link org.crisishub.store.Store#purge}); the check-ins deleted. */
  static Future<Integer> purge(RedisStore store, RedisSafetyChecks safetyChecks, RedisTriage triage, Instant now,
      Duration retention) {
    long cutoff = now.toEpochMilli() - retention.toMillis();
    return store.incidents().compose(all -> {
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
        shards.add(store.eval(PURGE, List.of(tag(s) + ":age"), args));
      }
      return Future.all(shards).compose(x -> Future.all(checks)).map(cf -> {
        int n = 0;
        for (Future<Response> f : shards) {
          n += f.result().toInteger();
        }
        return n;
      });
    }).compose(n -> store.batch(List.of(
        Request.cmd(Command.ZREMRANGEBYSCORE).arg(G + ":revoked").arg("-inf").arg(now.toEpochMilli()),
        Request.cmd(Command.XTRIM).arg(G + ":dlr").arg("MINID").arg("~").arg(Math.max(0, cutoff)))).map(n));
  }
}
