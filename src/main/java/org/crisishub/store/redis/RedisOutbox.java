package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.G;
import static org.crisishub.store.redis.RedisStore.GROUP;
import static org.crisishub.store.redis.RedisStore.OUTBOXES;
import static org.crisishub.store.redis.RedisStore.SHARDS;
import static org.crisishub.store.redis.RedisStore.hash;
import static org.crisishub.store.redis.RedisStore.outboxOfId;
import static org.crisishub.store.redis.RedisStore.shard;
import static org.crisishub.store.redis.RedisStore.tag;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link org.crisishub.store.Outbox} on Redis: one Stream per tag ({@code <tag>:ob}, consumer group
 * {@value RedisStore#GROUP}) plus a hash per message; person shards are claimed before {@code {g}}
 * (broadcast traffic). Claims are XREADGROUP/XAUTOCLAIM leases inside one script per tag.
 * Thread-safe.
 */
final class RedisOutbox implements org.crisishub.store.Outbox {
  /**
   * KEYS[1] = tag:ob. ARGV: tag, outbox index, outbox count, to, coalesce key or '', subject or '', body, now,
   * status seq or ''.
   */
  private static final String ENQUEUE_SMS = Scripts.ENQUEUE + """
      return enqueue(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8],
        ARGV[9])
      """;

  /**
   * KEYS[1] = tag:ob. ARGV: tag, group, owner, now, max, lease ms. Moves due retries back into the
   * stream, takes over entries whose lease ran out (XAUTOCLAIM), reads new ones (XREADGROUP), and
   * returns {id, to, body, attempts, coalesce key, subject, status seq, ...} (the last three '' when
   * none) of those still to be sent; entries whose follow was
   * revoked are cancelled here.
   */
  private static final String CLAIM = """
      local tag, group, owner, now, max, lease = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
      local due = redis.call('ZRANGEBYSCORE', tag .. ':obd', '-inf', now, 'LIMIT', 0, max)
      for _, id in ipairs(due) do
        redis.call('ZREM', tag .. ':obd', id)
        local mk = tag .. ':sms:' .. id
        if redis.call('EXISTS', mk) == 1 then
          redis.call('HSET', mk, 'eid', redis.call('XADD', KEYS[1], '*', 'id', id))
        end
      end
      local entries = {}
      local ac = redis.call('XAUTOCLAIM', KEYS[1], group, owner, lease, '0-0', 'COUNT', max)
      for _, e in ipairs(ac[2]) do table.insert(entries, e) end
      if #entries < max then
        local r = redis.call('XREADGROUP', 'GROUP', group, owner, 'COUNT', max - #entries, 'STREAMS', KEYS[1], '>')
        if r then for _, e in ipairs(r[1][2]) do table.insert(entries, e) end end
      end
      local out = {}
      for _, e in ipairs(entries) do
        local eid, id = e[1], e[2][2]
        local mk = tag .. ':sms:' .. id
        local m = redis.call('HMGET', mk, 'state', 'to', 'subject', 'body', 'attempts', 'ck', 'seq')
        local drop = nil
        if m[1] ~= 'queued' and m[1] ~= 'sending' then
          drop = 'gone'
        elseif m[3] ~= '' and string.sub(redis.call('HGET', tag .. ':fw:' .. m[3], m[2]) or '', 1, 7) ~= 'active|' then
          drop = 'cancelled'
        end
        if drop then
          redis.call('XACK', KEYS[1], group, eid)
          redis.call('XDEL', KEYS[1], eid)
          if drop == 'cancelled' then
            redis.call('HSET', mk, 'state', 'cancelled', 'error', 'no longer an active follower', 'updated', now)
            redis.call('ZREM', tag .. ':obw', id)
            redis.call('ZADD', tag .. ':obdone', now, id)
          end
        else
          local att = tonumber(m[5]) + 1
          redis.call('HSET', mk, 'state', 'sending', 'attempts', att, 'owner', owner, 'updated', now)
          if m[6] ~= '' then
            local qk = tag .. ':smsq:' .. m[2] .. '|' .. m[6]
            if redis.call('GET', qk) == id then redis.call('DEL', qk) end
          end
          table.insert(out, id)
          table.insert(out, m[2])
          table.insert(out, m[4])
          table.insert(out, att)
          table.insert(out, m[6] or '')
          table.insert(out, m[3] or '')
          table.insert(out, m[7] or '')
        end
      end
      return out
      """;

  /**
   * KEYS[1] = tag:ob. ARGV: tag, group, id, state (sent, failed), sid or '', error or '', now, the
   * claim's attempt. An outcome counts only while the message is held by that claim (state sending,
   * the same attempt); a success also over a failed or cancelled message (the other send's
   * outcome), never over a waiting one or another claim's. A sent message keeps its first SID.
   */
  private static final String FINISH = """
      local tag, group, id, st, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[7]
      local mk = tag .. ':sms:' .. id
      local m = redis.call('HMGET', mk, 'eid', 'ck', 'to', 'state', 'sid', 'attempts')
      if not m[4] then return 0 end
      local held = m[4] == 'sending' and m[6] == ARGV[8]
      if st == 'sent' then
        local ended = m[4] == 'failed' or m[4] == 'cancelled' or (m[4] == 'sent' and (not m[5] or m[5] == ''))
        if not (held or ended) then return 0 end
      elseif not held then
        return 0
      end
      if st == 'sent' and m[4] == 'failed' then redis.call('DECR', tag .. ':obf') end
      redis.call('HSET', mk, 'state', st, 'sid', ARGV[5], 'error', ARGV[6], 'updated', now)
      if m[1] then
        redis.call('XACK', KEYS[1], group, m[1])
        redis.call('XDEL', KEYS[1], m[1])
        redis.call('HDEL', mk, 'eid')
      end
      redis.call('ZREM', tag .. ':obw', id)
      redis.call('ZREM', tag .. ':obd', id)
      redis.call('ZADD', tag .. ':obdone', now, id)
      if st == 'failed' then redis.call('INCR', tag .. ':obf') end
      if m[2] ~= '' then
        local qk = tag .. ':smsq:' .. m[3] .. '|' .. m[2]
        if redis.call('GET', qk) == id then redis.call('DEL', qk) end
      end
      return 1
      """;

  /**
   * KEYS[1] = tag:ob. ARGV: tag, group, id, next attempt at, error, now, the claim's attempt (no
   * effect unless the message is still held by that claim).
   */
  private static final String RETRY = """
      local tag, group, id = ARGV[1], ARGV[2], ARGV[3]
      local mk = tag .. ':sms:' .. id
      local m = redis.call('HMGET', mk, 'eid', 'ck', 'to', 'state', 'attempts')
      if m[4] ~= 'sending' or m[5] ~= ARGV[7] then return 0 end
      redis.call('HSET', mk, 'state', 'queued', 'error', ARGV[5], 'updated', ARGV[6])
      if m[1] then
        redis.call('XACK', KEYS[1], group, m[1])
        redis.call('XDEL', KEYS[1], m[1])
        redis.call('HDEL', mk, 'eid')
      end
      redis.call('ZADD', tag .. ':obd', ARGV[4], id)
      if m[2] ~= '' then redis.call('SET', tag .. ':smsq:' .. m[3] .. '|' .. m[2], id, 'NX') end
      return 1
      """;

  /**
   * KEYS[1] = tag:ob. ARGV: tag, group, and a consumer ('' = all). Makes the claimed entries new
   * again; a named consumer is then removed from the group.
   */
  private static final String RELEASE = """
      local tag, group = ARGV[1], ARGV[2]
      local n = 0
      while true do
        local p
        if ARGV[3] == '' then
          p = redis.call('XPENDING', KEYS[1], group, '-', '+', 1000)
        else
          p = redis.call('XPENDING', KEYS[1], group, '-', '+', 1000, ARGV[3])
        end
        if #p == 0 then break end
        for _, e in ipairs(p) do
          local eid = e[1]
          local r = redis.call('XRANGE', KEYS[1], eid, eid)
          redis.call('XACK', KEYS[1], group, eid)
          redis.call('XDEL', KEYS[1], eid)
          if #r > 0 then
            local id = r[1][2][2]
            local mk = tag .. ':sms:' .. id
            if redis.call('HGET', mk, 'state') == 'sending' then
              redis.call('HSET', mk, 'state', 'queued', 'eid', redis.call('XADD', KEYS[1], '*', 'id', id))
              n = n + 1
            end
          end
        end
      end
      if ARGV[3] ~= '' then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], group, ARGV[3]) end
      return n
      """;

  /** KEYS[1] = tag:obw. ARGV: tag. Returns {waiting, oldest created or '', failed}. */
  private static final String OUTBOX_STATS = """
      local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
      return {redis.call('ZCARD', KEYS[1]), first[2] or '', redis.call('GET', ARGV[1] .. ':obf') or '0'}
      """;

  private final RedisStore store;
  private int claimCursor;

  RedisOutbox(RedisStore store) {
    this.store = store;
  }

  // ---------------------------------------------------------------- SMS

  @Override
  public Future<Void> enqueueStatusSms(String to, String subject, long seq, Instant now) {
    // The body is only for a node of an older release that claims the row during a rolling upgrade
    // (it sends bodies as stored): a text without the status; this release renders from the seq.
    return enqueue(to, org.crisishub.domain.SmsKeys.status(subject), subject,
        org.crisishub.domain.SmsReplies.statusFallback(subject), String.valueOf(seq), now);
  }

  @Override
  public Future<Void> enqueueSms(String to, String coalesceKey, String subject, String body, Instant now) {
    return enqueue(to, coalesceKey, subject, body, "", now);
  }

  private Future<Void> enqueue(String to, String coalesceKey, String subject, String body, String seq, Instant now) {
    // Person-to-person messages live in a person shard's outbox (the subject's, where the claim
    // checks the follow; else the recipient's), claimed before the global {g} outbox, which holds
    // the broadcast traffic (safety-check asks, notices).
    boolean broadcast = org.crisishub.domain.SmsKeys.broadcast(coalesceKey);
    int box = subject != null ? shard(subject) : broadcast ? SHARDS : shard(to);
    return store.isSmsOptedOut(to).compose(out -> {
      if (out) {
        store.optedOutWithheld(1);
        return Future.succeededFuture();
      }
      String tag = tag(box);
      return store.eval(ENQUEUE_SMS, List.of(tag + ":ob"), List.of(tag, String.valueOf(box),
          String.valueOf(OUTBOXES), to, coalesceKey == null ? "" : coalesceKey, subject == null ? "" : subject, body,
          String.valueOf(now.toEpochMilli()), seq)).mapEmpty();
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
    return store.eval(CLAIM, List.of(tag + ":ob"), List.of(tag, GROUP, owner, String.valueOf(now.toEpochMilli()),
        String.valueOf(max - acc.size()), String.valueOf(lease.toMillis()))).compose(r -> {
          for (int i = 0; i + 6 < r.size(); i += 7) {
            String ck = r.get(i + 4).toString();
            String subject = r.get(i + 5).toString();
            String seq = r.get(i + 6).toString();
            acc.add(new OutboxItem(r.get(i).toLong(), r.get(i + 1).toString(), r.get(i + 2).toString(),
                r.get(i + 3).toInteger(), ck.isEmpty() ? null : ck, subject.isEmpty() ? null : subject,
                seq.isEmpty() ? null : Long.valueOf(seq)));
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
    return store.send(hmget).compose(r -> {
      List<OutboxItem> keep = new ArrayList<>();
      List<Future<Void>> failed = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        if (r.get(i) == null) {
          keep.add(items.get(i));
        } else {
          failed.add(smsFailed(items.get(i), "opted out (STOP)", Instant.now()));
          store.optedOutWithheld(1);
        }
      }
      return Future.all(failed).map(keep);
    });
  }

  /** Runs {@link #FINISH} for {@code claim}; true when it changed the message. */
  private Future<Boolean> finish(OutboxItem claim, String state, String sid, String error, Instant now) {
    String tag = tag(outboxOfId(claim.id()));
    return store.eval(FINISH, List.of(tag + ":ob"), List.of(tag, GROUP, String.valueOf(claim.id()), state,
        sid == null ? "" : sid, error == null ? "" : error, String.valueOf(now.toEpochMilli()),
        String.valueOf(claim.attempts()))).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Boolean> smsSent(OutboxItem claim, String sid, Instant now) {
    return finish(claim, "sent", sid, null, now);
  }

  @Override
  public Future<Void> smsRetry(OutboxItem claim, Instant nextAt, String error, Instant now) {
    String tag = tag(outboxOfId(claim.id()));
    return store.eval(RETRY, List.of(tag + ":ob"), List.of(tag, GROUP, String.valueOf(claim.id()),
        String.valueOf(nextAt.toEpochMilli()), error == null ? "" : error, String.valueOf(now.toEpochMilli()),
        String.valueOf(claim.attempts()))).mapEmpty();
  }

  @Override
  public Future<Void> smsFailed(OutboxItem claim, String error, Instant now) {
    return finish(claim, "failed", null, error, now).mapEmpty();
  }

  @Override
  public Future<Integer> releaseSmsClaims() {
    return releaseSmsClaims("");
  }

  @Override
  public Future<Integer> releaseSmsClaims(String owner) {
    List<Future<Response>> all = new ArrayList<>();
    for (int i = 0; i < OUTBOXES; i++) {
      all.add(store.eval(RELEASE, List.of(tag(i) + ":ob"), List.of(tag(i), GROUP, owner)));
    }
    return Future.all(all).map(cf -> all.stream().mapToInt(f -> f.result().toInteger()).sum());
  }

  @Override
  public Future<OutboxStats> outboxStats(Instant now) {
    List<Future<Response>> all = new ArrayList<>();
    for (int i = 0; i < OUTBOXES; i++) {
      all.add(store.eval(OUTBOX_STATS, List.of(tag(i) + ":obw"), List.of(tag(i))));
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
  public Future<Void> recordDeliveryReport(String sid, String status, String errorCode, Instant now) {
    return store.send(Request.cmd(Command.XADD).arg(G + ":dlr").arg("MAXLEN").arg("~").arg(1_000_000).arg("*")
        .arg("sid").arg(sid).arg("status").arg(status).arg("error").arg(errorCode == null ? "" : errorCode)
        .arg("at").arg(now.toEpochMilli())).mapEmpty();
  }

  @Override
  public void onSmsOptedOut(Runnable counter) {
    store.onSmsOptedOut(counter);
  }
}
