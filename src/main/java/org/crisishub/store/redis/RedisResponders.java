package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.G;
import static org.crisishub.store.redis.RedisStore.GROUP;
import static org.crisishub.store.redis.RedisStore.OUTBOXES;
import static org.crisishub.store.redis.RedisStore.SHARDS;
import static org.crisishub.store.redis.RedisStore.hash;
import static org.crisishub.store.redis.RedisStore.outboxOfId;
import static org.crisishub.store.redis.RedisStore.shard;
import static org.crisishub.store.redis.RedisStore.shardOfId;
import static org.crisishub.store.redis.RedisStore.sortedStrings;
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
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;
import org.crisishub.domain.Agencies;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Location;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsReplies;
import org.crisishub.domain.Status;

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
