package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.SHARDS;
import static org.crisishub.store.redis.RedisStore.hash;
import static org.crisishub.store.redis.RedisStore.shard;
import static org.crisishub.store.redis.RedisStore.shardOfId;
import static org.crisishub.store.redis.RedisStore.sortedStrings;
import static org.crisishub.store.redis.RedisStore.tag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.HubException;

/**
 * {@link org.crisishub.store.HelpQueue} on Redis: per shard and incident a hash
 * {@code {sN}:help:<incident>} (check-in id → JSON state), and per check-in the set of its incidents
 * ({@code {sN}:helpinc:<id>}); entries are written by the check-in script. Thread-safe.
 */
final class RedisHelp implements org.crisishub.store.HelpQueue {
  /** KEYS[1] = tag:help:incident. ARGV: tag. Returns {checkinId, helpJson, checkInMember, ...}. */
  private static final String HELP_LIST = """
      local all = redis.call('HGETALL', KEYS[1])
      local out = {}
      for i = 1, #all, 2 do
        local h = cjson.decode(all[i + 1])
        local rows = redis.call('ZRANGEBYSCORE', ARGV[1] .. ':ci:' .. h.phone, h.seq, h.seq)
        if #rows > 0 then
          table.insert(out, all[i])
          table.insert(out, all[i + 1])
          table.insert(out, rows[1])
        end
      end
      return out
      """;

  /**
   * KEYS[1] = tag:helpinc:checkinId. ARGV: tag, checkin id, state, responder, now, agency. Returns
   * {incident, helpJson, checkInMember} of the first entry, an empty list, or {'!', state} changing
   * nothing when an entry's state is not before ARGV[3] (Store.HELP_STATES: forward only).
   */
  private static final String SET_HELP = """
      local tag, id = ARGV[1], ARGV[2]
      local rank = {open = 1, acknowledged = 2, resolved = 3}
      local out = {}
      for _, inc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        local raw = redis.call('HGET', tag .. ':help:' .. inc, id)
        if raw then
          local from = cjson.decode(raw).state
          if not rank[from] or not rank[ARGV[3]] or rank[ARGV[3]] <= rank[from] then
            return {'!', from}
          end
        end
      end
      for _, inc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        local hk = tag .. ':help:' .. inc
        local raw = redis.call('HGET', hk, id)
        if raw then
          local h = cjson.decode(raw)
          h.state = ARGV[3]
          h.by = ARGV[4]
          h.updated = ARGV[5]
          h.ag = ARGV[6]
          local enc = cjson.encode(h)
          redis.call('HSET', hk, id, enc)
          if #out == 0 then
            local rows = redis.call('ZRANGEBYSCORE', tag .. ':ci:' .. h.phone, h.seq, h.seq)
            if #rows > 0 then out = {inc, enc, rows[1]} end
          end
        end
      end
      return out
      """;

  /**
   * KEYS[1] = tag:helpinc:checkinId. ARGV: tag, checkin id. Returns {incident, helpJson, checkInMember}
   * of the first entry, or an empty list.
   */
  private static final String HELP_GET = """
      local tag, id = ARGV[1], ARGV[2]
      for _, inc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        local raw = redis.call('HGET', tag .. ':help:' .. inc, id)
        if raw then
          local h = cjson.decode(raw)
          local rows = redis.call('ZRANGEBYSCORE', tag .. ':ci:' .. h.phone, h.seq, h.seq)
          if #rows > 0 then return {inc, raw, rows[1]} end
        end
      end
      return {}
      """;

  private final RedisStore store;
  private static final ObjectMapper JSON = new ObjectMapper();

  RedisHelp(RedisStore store) {
    this.store = store;
  }

  // ---------------------------------------------------------------- help requests

  private static HelpRequest help(String incident, String helpJson, String member) {
    try {
      JsonNode h = JSON.readTree(helpJson);
      String by = h.get("by").asText();
      String agency = h.path("ag").asText("");
      return new HelpRequest(RedisCheckIns.checkIn(h.get("phone").asText(), member, null), incident, h.get("state").asText(),
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
      shards.add(store.eval(HELP_LIST, List.of(tag(s) + ":help:" + incident), List.of(tag(s))));
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
    return store.eval(HELP_GET, List.of(tag + ":helpinc:" + checkinId), List.of(tag, checkinId))
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
    return store.send(Request.cmd(Command.SMEMBERS).arg(tag(s) + ":helpinc:" + checkinId)).map(RedisStore::sortedStrings);
  }

  @Override
  public Future<Optional<HelpRequest>> setHelpState(String checkinId, String state, String responder, String agency,
      Instant now) {
    int s = shardOfId(checkinId);
    if (s < 0) {
      return Future.succeededFuture(Optional.empty());
    }
    String tag = tag(s);
    return store.eval(SET_HELP, List.of(tag + ":helpinc:" + checkinId), List.of(tag, checkinId, state,
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

}
