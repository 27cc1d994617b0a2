package org.crisishub.store.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.store.TemplateStore;

/**
 * {@link TemplateStore} on Redis. Layout, all under the global tag {@code {g}}: {@code {g}:tpl:<id>}
 * a hash with {@code agency}, {@code created}, {@code latest}, {@code approved} and per version
 * {@code n} the fields {@code v<n>:a} (author), {@code v<n>:c} (content), {@code v<n>:s} (state),
 * {@code v<n>:t} (created), {@code v<n>:b} and {@code v<n>:at} (approver, approval time);
 * {@code {g}:tpla:<agency>} the set of the agency's template ids. A new version and an approval are
 * one Lua script each, so the pointer and the version change together. Thread-safe.
 */
public final class RedisTemplates implements TemplateStore {
  private static final String G = RedisStore.G;

  /** KEYS[1] = {g}:tpl:id. ARGV: author, content, now. Returns the new version, or 0 without a template. */
  static final String ADD_VERSION = """
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      local v = redis.call('HINCRBY', KEYS[1], 'latest', 1)
      local p = 'v' .. v .. ':'
      redis.call('HSET', KEYS[1], p .. 'a', ARGV[1], p .. 'c', ARGV[2], p .. 's', 'draft', p .. 't', ARGV[3])
      return v
      """;

  /** KEYS[1] = {g}:tpl:id. ARGV: version, approver, now. Returns 1 when that latest draft was approved. */
  static final String APPROVE = """
      if redis.call('HGET', KEYS[1], 'latest') ~= ARGV[1] then return 0 end
      local p = 'v' .. ARGV[1] .. ':'
      if redis.call('HGET', KEYS[1], p .. 's') ~= 'draft' then return 0 end
      redis.call('HSET', KEYS[1], p .. 's', 'approved', p .. 'b', ARGV[2], p .. 'at', ARGV[3], 'approved', ARGV[1])
      return 1
      """;

  private final RedisStore redis;

  public RedisTemplates(RedisStore redis) {
    this.redis = redis;
  }

  private static String key(String id) {
    return G + ":tpl:" + id;
  }

  private static String agencyKey(String agency) {
    return G + ":tpla:" + agency;
  }

  @Override
  public Future<Void> createTemplate(Template t, Version first) {
    String now = String.valueOf(first.createdAt().toEpochMilli());
    return redis.multi(List.of(
        Request.cmd(Command.HSET).arg(key(t.id())).arg("agency").arg(t.agency())
            .arg("created").arg(t.createdAt().toEpochMilli()).arg("latest").arg(1)
            .arg("v1:a").arg(first.author()).arg("v1:c").arg(first.contentJson()).arg("v1:s").arg("draft")
            .arg("v1:t").arg(now),
        Request.cmd(Command.SADD).arg(agencyKey(t.agency())).arg(t.id()))).mapEmpty();
  }

  private static Request pointers(String id) {
    return Request.cmd(Command.HMGET).arg(key(id)).arg("agency").arg("created").arg("latest").arg("approved");
  }

  private static Optional<Template> template(String id, Response r) {
    if (r == null || r.get(0) == null) {
      return Optional.empty();
    }
    Response approved = r.get(3);
    return Optional.of(new Template(id, r.get(0).toString(), Instant.ofEpochMilli(r.get(1).toLong()),
        r.get(2).toInteger(), approved == null ? null : approved.toInteger()));
  }

  @Override
  public Future<Optional<Template>> template(String id) {
    return redis.send(pointers(id)).map(r -> template(id, r));
  }

  @Override
  public Future<List<Template>> templates(String agency) {
    return redis.send(Request.cmd(Command.SMEMBERS).arg(agencyKey(agency))).compose(ids -> {
      List<String> list = new ArrayList<>();
      ids.forEach(x -> list.add(x.toString()));
      if (list.isEmpty()) {
        return Future.succeededFuture(List.<Template>of());
      }
      return redis.batch(list.stream().map(RedisTemplates::pointers).toList()).map(rs -> {
        List<Template> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
          template(list.get(i), rs.get(i)).ifPresent(out::add);
        }
        return out;
      });
    });
  }

  @Override
  public Future<Optional<Version>> version(String id, int version) {
    String p = "v" + version + ":";
    return redis.send(Request.cmd(Command.HMGET).arg(key(id)).arg(p + "a").arg(p + "c").arg(p + "s").arg(p + "t")
        .arg(p + "b").arg(p + "at")).map(r -> {
          if (r == null || r.get(0) == null) {
            return Optional.<Version>empty();
          }
          Response by = r.get(4);
          Response at = r.get(5);
          return Optional.of(new Version(id, version, r.get(0).toString(), r.get(1).toString(), r.get(2).toString(),
              by == null ? null : by.toString(), Instant.ofEpochMilli(r.get(3).toLong()),
              at == null ? null : Instant.ofEpochMilli(at.toLong())));
        });
  }

  @Override
  public Future<Optional<Integer>> addVersion(String id, String author, String contentJson, Instant now) {
    return redis.eval(ADD_VERSION, List.of(key(id)), List.of(author, contentJson, String.valueOf(now.toEpochMilli())))
        .map(r -> r.toInteger() == 0 ? Optional.<Integer>empty() : Optional.of(r.toInteger()));
  }

  @Override
  public Future<Boolean> approveVersion(String id, int version, String approver, Instant now) {
    return redis.eval(APPROVE, List.of(key(id)), List.of(String.valueOf(version), approver,
        String.valueOf(now.toEpochMilli()))).map(r -> r.toInteger() == 1);
  }
}
