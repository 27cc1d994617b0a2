package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.G;
import static org.crisishub.store.redis.RedisStore.hash;
import static org.crisishub.store.redis.RedisStore.sortedStrings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crisishub.domain.Agencies;
import org.crisishub.domain.Incident;

/**
 * {@link org.crisishub.store.IncidentRegistry} on Redis: one hash per incident ({@code {g}:inc:<code>}),
 * the index {@code {g}:incs} (score: creation) and agency spellings ({@code {g}:agencies}).
 * Thread-safe.
 */
final class RedisIncidents implements org.crisishub.store.IncidentRegistry {
  /** KEYS[1] = {g}:inc:code. ARGV: now. */
  private static final String CLOSE_INCIDENT = """
      if redis.call('HGET', KEYS[1], 'state') == 'open' then
        redis.call('HSET', KEYS[1], 'state', 'closed', 'closed', ARGV[1])
      end
      return redis.call('HGETALL', KEYS[1])
      """;

  /**
   * KEYS[1] = {g}:inc:code. ARGV: agency, add (1/0). Adds or removes a partner; adding to an
   * incident without owner makes the agency its owner. Returns the incident's hash, or an empty list.
   */
  private static final String INCIDENT_PARTNER = """
      if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
      local owner = redis.call('HGET', KEYS[1], 'agency') or ''
      local raw = redis.call('HGET', KEYS[1], 'partners')
      local partners = {}
      if raw and raw ~= '' then
        local ok, list = pcall(cjson.decode, raw)
        if ok and type(list) == 'table' then partners = list end
      end
      local kept, found = {}, false
      for _, p in ipairs(partners) do
        if p == ARGV[1] then
          found = true
          if ARGV[2] == '1' then table.insert(kept, p) end
        else
          table.insert(kept, p)
        end
      end
      if ARGV[2] == '1' then
        if owner == '' then
          owner = ARGV[1]
          local without = {}
          for _, p in ipairs(kept) do if p ~= ARGV[1] then table.insert(without, p) end end
          kept = without
        elseif owner ~= ARGV[1] and not found then
          table.insert(kept, ARGV[1])
        end
      end
      local enc = '[]'
      if #kept > 0 then enc = cjson.encode(kept) end
      redis.call('HSET', KEYS[1], 'agency', owner, 'partners', enc)
      return redis.call('HGETALL', KEYS[1])
      """;

  /**
   * KEYS[1] = {g}:incs. Gives every incident without an {@code agency} field the agency of the
   * responder named in its creation audit entry ('' when none is found). Returns how many got one.
   */
  private static final String OWN_INCIDENTS = """
      local need, n = {}, 0
      for _, c in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
        if redis.call('HEXISTS', '{g}:inc:' .. c, 'agency') == 0 then
          need[c] = true
          n = n + 1
        end
      end
      if n == 0 then return 0 end
      local creators = {}
      local audit = redis.call('LRANGE', '{g}:audit', 0, -1)
      for i = #audit, 1, -1 do
        local s = audit[i]
        local bar = string.find(s, '|', 1, true)
        if bar then
          local ok, e = pcall(cjson.decode, string.sub(s, bar + 1))
          if ok and type(e) == 'table' and e.action == 'incident.create' and e.outcome == 'done'
              and type(e.target) == 'string' and need[e.target] and creators[e.target] == nil
              and type(e.actor) == 'string' then
            creators[e.target] = e.actor
          end
        end
      end
      local owned = 0
      for c, _ in pairs(need) do
        local agency = ''
        if creators[c] then
          agency = redis.call('HGET', '{g}:resp:' .. creators[c], 'agency') or ''
        end
        if agency ~= '' then owned = owned + 1 end
        redis.call('HSET', '{g}:inc:' .. c, 'agency', agency)
        if redis.call('HEXISTS', '{g}:inc:' .. c, 'partners') == 0 then
          redis.call('HSET', '{g}:inc:' .. c, 'partners', '[]')
        end
      end
      return owned
      """;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisIncidents.class);
  private final RedisStore store;
  private static final ObjectMapper JSON = new ObjectMapper();

  RedisIncidents(RedisStore store) {
    this.store = store;
  }

  /**
   * {@code {g}:agencies}: each agency's name by its case-folded form ({@code Agencies.key}), as first
   * stored; read by {@link #agencyNamed}. HSETNX: the first spelling stays.
   */
  static Future<Void> knowAgencies(RedisStore store, Collection<String> agencies) {
    List<Future<Response>> sets = new ArrayList<>();
    for (String a : agencies) {
      if (a != null && !a.isEmpty()) {
        sets.add(store.send(Request.cmd(Command.HSETNX).arg(G + ":agencies").arg(Agencies.key(a)).arg(a)));
      }
    }
    return Future.all(sets).mapEmpty();
  }

  @Override
  public Future<String> agencyNamed(String name) {
    return store.send(Request.cmd(Command.HGET).arg(G + ":agencies").arg(Agencies.key(name)))
        .map(r -> r == null ? name : r.toString());
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
      return store.eval(INCIDENT_PARTNER, List.of(G + ":inc:" + code), List.of(a, add ? "1" : "0"))
          .compose(r -> add && r != null && r.size() > 0 ? knowAgencies(store, List.of(a)).map(r) : Future.succeededFuture(r))
          .map(r -> Optional.ofNullable(incident(code, r)));
    });
  }

  /**
   * Gives incidents made before agencies existed their owner: the agency of the responder named in
   * the incident's creation audit entry, or none (the first partner the admin adds becomes owner).
   * Runs at every start; touches only incidents that have no {@code agency} field yet.
   */
  Future<Void> ownIncidents() {
    return store.eval(OWN_INCIDENTS, List.of(G + ":incs"), List.of()).map(r -> {
      if (r != null && r.toInteger() > 0) {
        LOG.info("agencies: {} incident(s) made before agencies existed now belong to their creator's agency",
            r.toInteger());
      }
      return null;
    });
  }

  @Override
  public Future<Boolean> createIncident(Incident i) {
    return store.eval(Scripts.CREATE_HASH, List.of(G + ":inc:" + i.code()), List.of("id", i.id(), "name", i.name(),
        "area", i.area() == null ? "" : org.crisishub.store.AreaJson.toJson(i.area()).toString(), "tp", i.twoPersonRule() ? "1" : "0",
        "state", i.state(), "created", String.valueOf(i.createdAt().toEpochMilli()),
        "agency", i.agency() == null ? "" : i.agency(), "partners", agenciesJson(i.partners())))
        .compose(r -> r.toInteger() != 1 ? Future.succeededFuture(r) : knowAgencies(store, i.agencies()).map(r)).compose(r -> {
          if (r.toInteger() != 1) {
            return Future.succeededFuture(false);
          }
          return store.send(Request.cmd(Command.ZADD).arg(G + ":incs").arg(i.createdAt().toEpochMilli()).arg(i.code()))
              .map(true);
        });
  }

  @Override
  public Future<Optional<Incident>> incident(String code) {
    return store.send(Request.cmd(Command.HGETALL).arg(G + ":inc:" + code)).map(r -> Optional.ofNullable(incident(code, r)));
  }

  @Override
  public Future<List<Incident>> incidents() {
    return stampedIncidents().map(all -> all.stream().map(Map.Entry::getKey).toList());
  }

  /**
   * Every incident, newest first, each with the stamp of its watch terms (field {@code watchv} of its
   * hash, 0 when never set; RedisTriage), read in the same HGETALL.
   */
  Future<List<Map.Entry<Incident, Long>>> stampedIncidents() {
    return store.send(Request.cmd(Command.ZRANGE).arg(G + ":incs").arg(0).arg(-1)).compose(r -> {
      List<String> codes = sortedStrings(r);
      List<Request> reqs = new ArrayList<>();
      for (String c : codes) {
        reqs.add(Request.cmd(Command.HGETALL).arg(G + ":inc:" + c));
      }
      return store.batch(reqs).map(rs -> {
        List<Map.Entry<Incident, Long>> out = new ArrayList<>();
        for (int i = 0; i < codes.size(); i++) {
          Incident inc = incident(codes.get(i), rs.get(i));
          if (inc != null) {
            out.add(Map.entry(inc, Long.parseLong(hash(rs.get(i)).getOrDefault("watchv", "0"))));
          }
        }
        out.sort(Comparator.comparing((Map.Entry<Incident, Long> e) -> e.getKey().createdAt()).reversed()
            .thenComparing(e -> e.getKey().code()));
        return out;
      });
    });
  }

  @Override
  public Future<Optional<Incident>> closeIncident(String code, Instant now) {
    return store.eval(CLOSE_INCIDENT, List.of(G + ":inc:" + code), List.of(String.valueOf(now.toEpochMilli())))
        .map(r -> Optional.ofNullable(incident(code, r)));
  }

}
