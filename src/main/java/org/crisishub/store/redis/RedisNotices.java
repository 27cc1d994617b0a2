package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.G;
import static org.crisishub.store.redis.RedisStore.OUTBOXES;
import static org.crisishub.store.redis.RedisStore.SHARDS;
import static org.crisishub.store.redis.RedisStore.hash;
import static org.crisishub.store.redis.RedisStore.sortedStrings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.crisishub.domain.HubException;

/**
 * {@link org.crisishub.store.NoticeBoard} on Redis: notices as hashes ({@code {g}:notice:<id>}),
 * keys in {@code {g}:keys} with the active kid per agency ({@code {g}:akey:<agency>}). Publishing is
 * one script on {@code {g}}, with its fan-out into the {@code {g}} outbox. Thread-safe.
 */
final class RedisNotices implements org.crisishub.store.NoticeBoard {
  /**
   * KEYS[1] = {g}:akey:agency. ARGV: kid, key json, only if none (1/0). Makes the key the agency's
   * active one; returns the active key's json.
   */
  private static final String PUT_KEY = """
      local cur = redis.call('GET', KEYS[1])
      if ARGV[3] == '1' and cur then return redis.call('HGET', '{g}:keys', cur) end
      redis.call('HSET', '{g}:keys', ARGV[1], ARGV[2])
      redis.call('SET', KEYS[1], ARGV[1])
      return ARGV[2]
      """;

  /** KEYS[1] = {g}:notice:id. ARGV: approver. */
  private static final String APPROVE_NOTICE = """
      if redis.call('HGET', KEYS[1], 'state') ~= 'draft' then return 0 end
      redis.call('HSET', KEYS[1], 'state', 'approved', 'approvedBy', ARGV[1])
      return 1
      """;

  /**
   * KEYS[1] = {g}:notice:id. ARGV: outbox index, outbox count, id, from states (comma list), signed json,
   * published at, referenced id or '', referenced state, SMS text or '', the SMS's coalescing key.
   */
  private static final String PUBLISH_NOTICE = Scripts.ENQUEUE + """
      local st = redis.call('HGET', KEYS[1], 'state')
      if not st or not string.find(',' .. ARGV[4] .. ',', ',' .. st .. ',', 1, true) then return 0 end
      redis.call('HSET', KEYS[1], 'state', 'published', 'signed', ARGV[5], 'published', ARGV[6])
      if ARGV[7] ~= '' then
        local rk = '{g}:notice:' .. ARGV[7]
        if redis.call('HGET', rk, 'state') == 'published' then redis.call('HSET', rk, 'state', ARGV[8]) end
      end
      if ARGV[9] ~= '' then
        local inc = redis.call('HGET', KEYS[1], 'incident')
        for _, p in ipairs(redis.call('ZRANGE', '{g}:incsms:' .. inc, 0, -1)) do
          enqueue('{g}', tonumber(ARGV[1]), tonumber(ARGV[2]), p, ARGV[10], '', ARGV[9], ARGV[6])
        end
      end
      return 1
      """;

  private final RedisStore store;
  private static final ObjectMapper JSON = new ObjectMapper();

  RedisNotices(RedisStore store) {
    this.store = store;
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
    return store.send(Request.cmd(Command.GET).arg(ak)).compose(kid -> {
      if (kid != null) {
        return store.send(Request.cmd(Command.HGET).arg(G + ":keys").arg(kid.toString())).map(j -> key(j.toString(), true));
      }
      AgencyKey fresh = generate.get();
      return store.eval(PUT_KEY, List.of(ak), List.of(fresh.kid(), keyJson(fresh), "1"))
          .map(j -> key(j.toString(), true));
    });
  }

  @Override
  public Future<AgencyKey> rotateKey(AgencyKey fresh) {
    return store.eval(PUT_KEY, List.of(G + ":akey:" + fresh.agency()), List.of(fresh.kid(), keyJson(fresh), "0"))
        .map(j -> key(j.toString(), true));
  }

  @Override
  public Future<List<AgencyKey>> keys() {
    return store.send(Request.cmd(Command.HVALS).arg(G + ":keys")).compose(r -> {
      List<AgencyKey> all = new ArrayList<>();
      for (Response j : r) {
        all.add(key(j.toString(), false));
      }
      List<String> agencies = all.stream().map(AgencyKey::agency).distinct().toList();
      List<Request> reqs = new ArrayList<>();
      for (String a : agencies) {
        reqs.add(Request.cmd(Command.GET).arg(G + ":akey:" + a));
      }
      return store.batch(reqs).map(rs -> {
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
    return store.eval(Scripts.CREATE_HASH, List.of(G + ":notice:" + n.id()), fields).compose(r -> {
      if (r.toInteger() != 1) {
        return Future.failedFuture(HubException.unavailable("notice " + n.id() + " exists already", null));
      }
      return store.send(Request.cmd(Command.SADD).arg(G + ":notices").arg(n.id())).mapEmpty();
    });
  }

  @Override
  public Future<Optional<NoticeRecord>> notice(String id) {
    return store.send(Request.cmd(Command.HGETALL).arg(G + ":notice:" + id)).map(r -> Optional.ofNullable(notice(id, r)));
  }

  @Override
  public Future<List<NoticeRecord>> notices(String incident, String state) {
    return store.send(Request.cmd(Command.SMEMBERS).arg(G + ":notices")).compose(r -> {
      List<String> ids = sortedStrings(r);
      List<Request> reqs = new ArrayList<>();
      for (String id : ids) {
        reqs.add(Request.cmd(Command.HGETALL).arg(G + ":notice:" + id));
      }
      return store.batch(reqs).map(rs -> {
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
    return store.eval(APPROVE_NOTICE, List.of(G + ":notice:" + id), List.of(approver)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Boolean> publishNotice(String id, Set<String> fromStates, String signedJson, Instant publishedAt,
      String referencesId, String referencedState, String smsBody) {
    return store.eval(PUBLISH_NOTICE, List.of(G + ":notice:" + id), List.of(String.valueOf(SHARDS),
        String.valueOf(OUTBOXES), id, String.join(",", fromStates), signedJson,
        String.valueOf(publishedAt.toEpochMilli()), referencesId == null ? "" : referencesId,
        referencedState == null ? "" : referencedState, smsBody == null ? "" : smsBody,
        org.crisishub.domain.SmsKeys.notice(id))).map(r -> r.toInteger() == 1);
  }

}
