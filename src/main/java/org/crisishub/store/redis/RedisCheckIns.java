package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.OUTBOXES;
import static org.crisishub.store.redis.RedisStore.hash;
import static org.crisishub.store.redis.RedisStore.shard;
import static org.crisishub.store.redis.RedisStore.tag;
import static org.crisishub.store.redis.RedisStore.tagOf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Location;
import org.crisishub.domain.Status;

/**
 * {@link org.crisishub.store.CheckInLog} on Redis: a person's check-ins are the sorted set
 * {@code {sN}:ci:<phone>} (score {@code seq}, member {@code seq|notified|payloadJson}), their
 * {@code seq} counter, status pointer and idempotency keys on the same shard tag. A check-in is one
 * script ({@link #CHECK_IN}) on that tag, with its follower SMS (the shard's outbox) and its help
 * entries: one unit of work. Thread-safe.
 */
final class RedisCheckIns implements org.crisishub.store.CheckInLog {
  /**
   * KEYS[1] = tag:seq:phone. ARGV: tag, outbox index, outbox count, phone, payload, now, idempotency key
   * or '', window ms, incident or '', check-in id, the check-in's time in ms (madeAt, else now), '1'
   * when the time is the client's madeAt else '0', the followers' SMS coalescing key
   * ({@code SmsKeys.status}), the fallback body ({@code SmsReplies.statusFallback}), help incidents...
   * Each active SMS follower gets a status notification that holds the subject and the seq (the sender
   * renders the text; the fallback body, which carries no status, is only for an older release's node
   * claiming it during a rolling upgrade). Returns {'dup', member} or
   * {'new', seq, late (1/0), follower1, edge1, ...} (active followers).
   *
   * <p>{@code tag:st:phone} = {@code seq|time ms|m} of the person's latest status ({@code m} = 1 when
   * its time is the client's madeAt; absent counts as 0): a check-in whose time is earlier is late
   * (stored, marked, no SMS) and leaves it alone, except that two check-ins both timed by the hub are
   * ordered by seq (commit order), never by their millisecond stamps, which pipelining may swap.
   */
  private static final String CHECK_IN = Scripts.ENQUEUE + """
      local tag, idx, nshard, phone, payload, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
      local cik = tag .. ':ci:' .. phone
      local idk = ''
      if ARGV[7] ~= '' then
        idk = tag .. ':idem:' .. phone .. ':' .. ARGV[7]
        local v = redis.call('GET', idk)
        if v then
          local sep = string.find(v, '|', 1, true)
          local seq = string.sub(v, 1, sep - 1)
          if tonumber(now) - tonumber(string.sub(v, sep + 1)) < tonumber(ARGV[8]) then
            local m = redis.call('ZRANGEBYSCORE', cik, seq, seq)
            if #m > 0 then return {'dup', m[1]} end
          end
        end
      end
      local time = tonumber(ARGV[11])
      local stk = tag .. ':st:' .. phone
      local cur = redis.call('GET', stk)
      local stTime, stMade = nil, false
      if cur then
        local a = string.find(cur, '|', 1, true)
        local b = string.find(cur, '|', a + 1, true)
        stTime = tonumber(string.sub(cur, a + 1, b and b - 1 or -1))
        stMade = b ~= nil and string.sub(cur, b + 1) == '1'
      else
        -- Stored before v2: the newest check-in is the status.
        local top = redis.call('ZRANGE', cik, -1, -1)
        if #top > 0 then
          local a = string.find(top[1], '|', 1, true)
          local b = string.find(top[1], '|', a + 1, true)
          local prev = cjson.decode(string.sub(top[1], b + 1))
          stTime = tonumber(prev.ma or prev.at)
          stMade = prev.ma ~= nil
        end
      end
      local made = ARGV[12] == '1'
      local late = stTime ~= nil and time < stTime and (made or stMade)
      local seq = redis.call('INCR', KEYS[1])
      if late then
        payload = string.sub(payload, 1, -2) .. ',"late":true}'
      else
        redis.call('SET', stk, seq .. '|' .. ARGV[11] .. '|' .. (made and '1' or '0'))
      end
      local fw = redis.call('HGETALL', tag .. ':fw:' .. phone)
      local out = {'new', seq, late and 1 or 0}
      for i = 1, #fw, 2 do
        local v = fw[i + 1]
        if string.sub(v, 1, 7) == 'active|' then
          table.insert(out, fw[i])
          table.insert(out, v)
          if string.sub(v, 8, 8) == '1' and not late then
            enqueue(tag, idx, nshard, fw[i], ARGV[13], phone, ARGV[14], now, tostring(seq))
          end
        end
      end
      local notified = (#out - 3) / 2
      redis.call('ZADD', cik, seq, seq .. '|' .. notified .. '|' .. payload)
      redis.call('ZADD', tag .. ':age', now, phone .. '|' .. seq .. '|' .. ARGV[9])
      if idk ~= '' then redis.call('SET', idk, seq .. '|' .. now, 'PX', tonumber(ARGV[8]) + 3600000) end
      for i = 15, #ARGV do
        redis.call('HSET', tag .. ':help:' .. ARGV[i], ARGV[10], cjson.encode({phone = phone, seq = tostring(seq),
          state = 'open', by = '', ag = '', created = now, updated = now}))
        redis.call('SADD', tag .. ':helpinc:' .. ARGV[10], ARGV[i])
      end
      return out
      """;

  /**
   * KEYS[1] = tag:ci:phone, KEYS[2] = tag:st:phone. Returns the member of the person's latest status
   * (the newest check-in that was not late), or nil.
   */
  private static final String LATEST = """
      local cur = redis.call('GET', KEYS[2])
      if cur then
        local seq = string.sub(cur, 1, string.find(cur, '|', 1, true) - 1)
        local m = redis.call('ZRANGEBYSCORE', KEYS[1], seq, seq)
        return m[1] or false
      end
      local m = redis.call('ZRANGE', KEYS[1], -1, -1)
      return m[1] or false
      """;

  private final RedisStore store;
  private static final long IDEMPOTENCY_WINDOW_MS = Duration.ofHours(24).toMillis();
  private static final ObjectMapper JSON = new ObjectMapper();

  RedisCheckIns(RedisStore store) {
    this.store = store;
  }

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

  /**
   * A stored check-in member ({@code seq|notified|payload}) of {@code phone}; the notified count goes to
   * {@code notified[0]} when {@code notified} is not null.
   */
  static CheckIn checkIn(String phone, String member, int[] notified) {
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

  @Override
  public Future<CheckInResult> recordCheckIn(CheckInRequest req, Instant now) {
    int shard = shard(req.phone());
    String tag = tag(shard);
    // The seq is known only inside the script: 0 here (the payload does not hold it).
    CheckIn draft = new CheckIn(RedisStore.newCheckInId(shard), req.phone(), req.status(), req.note(), req.location(),
        req.incident(), req.channel(), now, 0, req.madeAt(), false);
    Future<Map<String, Long>> help = org.crisishub.domain.HelpMatching.seeksHelp(req.status())
        ? helpIncidentsFor(draft) : Future.succeededFuture(Map.of());
    return help.compose(matched -> {
      List<String> incidents = List.copyOf(matched.keySet());
      List<String> args = new ArrayList<>(List.of(tag, String.valueOf(shard), String.valueOf(OUTBOXES), req.phone(),
          payload(draft), String.valueOf(now.toEpochMilli()), req.key() == null ? "" : req.key(),
          String.valueOf(IDEMPOTENCY_WINDOW_MS), req.incident() == null ? "" : req.incident(), draft.id(),
          String.valueOf(draft.time().toEpochMilli()), req.madeAt() != null ? "1" : "0",
          org.crisishub.domain.SmsKeys.status(req.phone()), org.crisishub.domain.SmsReplies.statusFallback(req.phone())));
      args.addAll(incidents);
      return store.eval(CHECK_IN, List.of(tag + ":seq:" + req.phone()), args, shard).map(r -> {
        if (r.get(0).toString().equals("dup")) {
          int[] notified = new int[1];
          CheckIn first = checkIn(req.phone(), r.get(1).toString(), notified);
          return new CheckInResult(first, notified[0], List.of(), true, List.of());
        }
        long seq = r.get(1).toLong();
        boolean late = r.get(2).toInteger() == 1;
        List<Follow> recipients = new ArrayList<>();
        for (int i = 3; i + 1 < r.size(); i += 2) {
          recipients.add(RedisFollows.edge(r.get(i).toString(), req.phone(), r.get(i + 1).toString()));
        }
        CheckIn ci = new CheckIn(draft.id(), draft.phone(), draft.status(), draft.note(), draft.location(),
            draft.incident(), draft.channel(), now, seq, draft.madeAt(), late);
        return new CheckInResult(ci, recipients.size(), recipients, false, incidents, matched);
      });
    });
  }

  /**
   * The open incidents a need_help check-in belongs to ({@code HelpMatching.admits}: the one it names,
   * or those whose area holds it), in the registry's order; each with the stamp of its watch terms
   * (RedisTriage), read with the incident.
   */
  private Future<Map<String, Long>> helpIncidentsFor(CheckIn ci) {
    return store.incidentsImpl().stampedIncidents().map(all -> {
      Map<String, Long> matched = new java.util.LinkedHashMap<>();
      for (Map.Entry<Incident, Long> e : all) {
        if (org.crisishub.domain.HelpMatching.admits(e.getKey(), ci)) {
          matched.put(e.getKey().code(), e.getValue());
        }
      }
      return matched;
    });
  }

  @Override
  public Future<Optional<CheckIn>> latest(String phone) {
    String tag = tagOf(phone);
    return store.eval(LATEST, List.of(tag + ":ci:" + phone, tag + ":st:" + phone), List.of())
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
  public Future<Optional<CheckIn>> checkIn(String phone, long seq) {
    return store.send(Request.cmd(Command.ZRANGE).arg(tagOf(phone) + ":ci:" + phone).arg(seq).arg(seq).arg("BYSCORE"))
        .map(r -> r == null || r.size() == 0 ? Optional.<CheckIn>empty()
            : Optional.of(checkIn(phone, r.get(0).toString(), null)));
  }

  @Override
  public Future<List<CheckIn>> history(String phone, long afterSeq, int limit) {
    // ZRANGE ... BYSCORE (Redis 6.2+) in place of the deprecated ZRANGEBYSCORE: same reply
    return store.send(Request.cmd(Command.ZRANGE).arg(tagOf(phone) + ":ci:" + phone).arg("(" + afterSeq).arg("+inf")
        .arg("BYSCORE").arg("LIMIT").arg(0).arg(limit)).map(r -> {
          List<CheckIn> out = new ArrayList<>();
          for (Response m : r) {
            out.add(checkIn(phone, m.toString(), null));
          }
          return out;
        });
  }

}
