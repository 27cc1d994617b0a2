package org.crisishub.store.redis;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crisishub.store.TriageStore;

/**
 * {@link TriageStore} on Redis. Watch terms ({@code {g}:watch:<incident>}, a JSON list, stamped by field
 * {@code watchv} of the incident's hash {@code {g}:inc:<incident>}) and matches
 * ({@code {g}:watchhit:<incident>}, a hash of check-in id to JSON list) are global; a help thread is a
 * list {@code {sN}:thread:<checkinId>} in the shard of the person who asked, so the retention script
 * that deletes the check-in deletes its thread in the same step. Matches go with their incident's
 * check-ins ({@link #purgeIncident}). Thread-safe.
 */
public final class RedisTriage implements TriageStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
  };
  private static final String G = RedisStore.G;

  /**
   * KEYS[1] = tag:ci:phone. ARGV: tag, how many of the newest check-ins to look at. Returns the id of
   * the newest check-in whose help request (in any incident) is not resolved, or nil.
   */
  static final String NEWEST_OPEN_HELP = """
      local tag = ARGV[1]
      local rows = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
      for _, row in ipairs(rows) do
        local p1 = string.find(row, '|', 1, true)
        local p2 = string.find(row, '|', p1 + 1, true)
        local id = cjson.decode(string.sub(row, p2 + 1)).id
        for _, inc in ipairs(redis.call('SMEMBERS', tag .. ':helpinc:' .. id)) do
          local raw = redis.call('HGET', tag .. ':help:' .. inc, id)
          if raw and cjson.decode(raw).state ~= 'resolved' then return id end
        end
      end
      return false
      """;

  /**
   * KEYS[1] = {g}:watch:incident, KEYS[2] = {g}:inc:incident. Returns {stamp, terms JSON or ''}: the
   * stamp is field {@code watchv} of the incident's hash (0 when never set), read in the same step.
   */
  static final String READ_WATCH_TERMS = """
      local v = redis.call('HGET', KEYS[2], 'watchv')
      return {v or '0', redis.call('GET', KEYS[1]) or ''}
      """;

  /**
   * KEYS[1] = {g}:watch:incident, KEYS[2] = {g}:inc:incident. ARGV: the terms JSON. Sets the terms and
   * raises the incident's {@code watchv} (which every need_help check-in reads with the incident,
   * RedisStore#recordCheckIn); returns the new stamp (0 when the incident does not exist).
   */
  static final String SET_WATCH_TERMS = """
      redis.call('SET', KEYS[1], ARGV[1])
      if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
      return redis.call('HINCRBY', KEYS[2], 'watchv', 1)
      """;

  private final RedisStore redis;

  public RedisTriage(RedisStore redis) {
    this.redis = redis;
  }

  private static List<String> strings(String json) {
    try {
      return List.copyOf(JSON.readValue(json, STRINGS));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable term list in Redis", e);
    }
  }

  private static String json(List<String> list) {
    try {
      return JSON.writeValueAsString(list);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String threadKey(String checkinId) {
    int s = RedisStore.shardOfId(checkinId);
    return RedisStore.tag(Math.max(s, 0)) + ":thread:" + checkinId;
  }

  /** Deletes the matches of an incident whose check-ins retention deletes. */
  Future<Void> purgeIncident(String incident) {
    return redis.send(Request.cmd(Command.DEL).arg(G + ":watchhit:" + incident)).mapEmpty();
  }

  @Override
  public Future<WatchTerms> stampedWatchTerms(String incident) {
    return redis.eval(READ_WATCH_TERMS, List.of(G + ":watch:" + incident, G + ":inc:" + incident), List.of())
        .map(r -> {
          String terms = r.get(1).toString();
          return new WatchTerms(terms.isEmpty() ? List.of() : strings(terms), Long.parseLong(r.get(0).toString()));
        });
  }

  @Override
  public Future<Long> setWatchTerms(String incident, List<String> terms) {
    return redis.eval(SET_WATCH_TERMS, List.of(G + ":watch:" + incident, G + ":inc:" + incident),
        List.of(json(terms))).map(Response::toLong);
  }

  @Override
  public Future<Map<String, List<String>>> watchMatches(String incident) {
    return redis.send(Request.cmd(Command.HGETALL).arg(G + ":watchhit:" + incident)).map(r -> {
      Map<String, List<String>> out = new LinkedHashMap<>();
      if (r != null) {
        for (String k : r.getKeys()) {
          out.put(k, strings(r.get(k).toString()));
        }
      }
      return out;
    });
  }

  @Override
  public Future<List<String>> watchMatches(String incident, String checkinId) {
    return redis.send(Request.cmd(Command.HGET).arg(G + ":watchhit:" + incident).arg(checkinId))
        .map(r -> r == null ? List.<String>of() : strings(r.toString()));
  }

  @Override
  public Future<Void> setWatchMatches(String incident, Map<String, List<String>> byCheckIn) {
    if (byCheckIn.isEmpty()) {
      return Future.succeededFuture();
    }
    String key = G + ":watchhit:" + incident;
    List<Request> tx = new ArrayList<>();
    Request set = Request.cmd(Command.HSET).arg(key);
    Request del = Request.cmd(Command.HDEL).arg(key);
    boolean sets = false;
    boolean dels = false;
    for (Map.Entry<String, List<String>> e : byCheckIn.entrySet()) {
      if (e.getValue().isEmpty()) {
        del.arg(e.getKey());
        dels = true;
      } else {
        set.arg(e.getKey()).arg(json(e.getValue()));
        sets = true;
      }
    }
    if (sets) {
      tx.add(set);
    }
    if (dels) {
      tx.add(del);
    }
    return redis.multi(tx).mapEmpty();
  }

  @Override
  public Future<Void> addHelpMessage(String checkinId, HelpMessage m) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", m.id()).put("from", m.from()).put("text", m.text()).put("at", m.at().toEpochMilli());
    if (m.by() != null) {
      n.put("by", m.by());
    }
    if (m.agency() != null) {
      n.put("agency", m.agency());
    }
    return redis.send(Request.cmd(Command.RPUSH).arg(threadKey(checkinId)).arg(n.toString())).mapEmpty();
  }

  @Override
  public Future<List<HelpMessage>> helpMessages(String checkinId) {
    return redis.send(Request.cmd(Command.LRANGE).arg(threadKey(checkinId)).arg(0).arg(-1)).map(r -> {
      List<HelpMessage> out = new ArrayList<>();
      if (r != null) {
        for (Response row : r) {
          try {
            JsonNode n = JSON.readTree(row.toString());
            out.add(new HelpMessage(n.get("id").asText(), n.get("from").asText(),
                n.hasNonNull("by") ? n.get("by").asText() : null,
                n.hasNonNull("agency") ? n.get("agency").asText() : null, n.get("text").asText(),
                Instant.ofEpochMilli(n.get("at").asLong())));
          } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable help message in Redis", e);
          }
        }
      }
      return out;
    });
  }

  @Override
  public Future<Optional<String>> newestOpenHelp(String phone) {
    String tag = RedisStore.tag(RedisStore.shard(phone));
    return redis.eval(NEWEST_OPEN_HELP, List.of(tag + ":ci:" + phone),
        List.of(tag, String.valueOf(RECENT_CHECKINS)))
        .map(r -> r == null ? Optional.<String>empty() : Optional.of(r.toString()));
  }
}
