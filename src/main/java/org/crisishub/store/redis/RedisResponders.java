package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.G;
import static org.crisishub.store.redis.RedisStore.hash;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.crisishub.domain.Responder;

/**
 * {@link org.crisishub.store.ResponderAccounts} on Redis: one hash per account ({@code {g}:resp:<user>}),
 * created with HSETNX semantics ({@link Scripts#CREATE_HASH}). Thread-safe.
 */
final class RedisResponders implements org.crisishub.store.ResponderAccounts {
  private final RedisStore store;

  RedisResponders(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<Boolean> createResponder(String username, String passwordHash, String agency, Set<String> roles,
      Instant now) {
    return store.eval(Scripts.CREATE_HASH, List.of(G + ":resp:" + username), List.of("pw", passwordHash, "agency", agency,
        "roles", String.join(",", new TreeSet<>(roles)), "disabled", "0", "created", String.valueOf(now.toEpochMilli())))
        .compose(r -> r.toInteger() == 1 ? RedisIncidents.knowAgencies(store, List.of(agency)).map(true) : Future.succeededFuture(false));
  }

  @Override
  public Future<Optional<ResponderRecord>> responder(String username) {
    return store.send(Request.cmd(Command.HGETALL).arg(G + ":resp:" + username)).map(resp -> {
      Map<String, String> r = hash(resp);
      if (r.isEmpty()) {
        return Optional.empty();
      }
      String roles = r.get("roles");
      return Optional.of(new ResponderRecord(new Responder(username, r.get("agency"),
          roles.isEmpty() ? Set.of() : Set.of(roles.split(",")), r.get("disabled").equals("1")), r.get("pw")));
    });
  }

  @Override
  public Future<Boolean> disableResponder(String username) {
    return store.eval(Scripts.COMPARE_AND_SET, List.of(G + ":resp:" + username), List.of("disabled", "0", "1"))
        .compose(r -> r.toInteger() == 1 ? Future.succeededFuture(true)
            : store.send(Request.cmd(Command.EXISTS).arg(G + ":resp:" + username)).map(e -> e.toInteger() == 1));
  }

}
