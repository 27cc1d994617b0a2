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
 * {@link org.crisishub.store.PersonAuthStore} on Redis: a code hash per number ({@code {sN}:otp:<phone>},
 * checked by one script) and revocations in {@code {g}:revoked} (score: expiry). Thread-safe.
 */
final class RedisPersonAuth implements org.crisishub.store.PersonAuthStore {
  /** KEYS[1] = otp hash. ARGV: code hash, now, max tries. */
  private static final String CHECK_OTP = """
      local v = redis.call('HMGET', KEYS[1], 'h', 'exp', 'tries')
      if not v[1] or tonumber(v[2]) <= tonumber(ARGV[2]) then return 'NONE' end
      if v[1] == ARGV[1] then redis.call('DEL', KEYS[1]) return 'OK' end
      local t = tonumber(v[3]) + 1
      if t >= tonumber(ARGV[3]) then redis.call('DEL', KEYS[1]) else redis.call('HSET', KEYS[1], 'tries', t) end
      return 'WRONG'
      """;

  private final RedisStore store;

  RedisPersonAuth(RedisStore store) {
    this.store = store;
  }

  // ---------------------------------------------------------------- codes and tokens

  private static String otpKey(String phone) {
    return tagOf(phone) + ":otp:" + phone;
  }

  @Override
  public Future<Void> saveOtp(String phone, String codeHash, Instant expiresAt) {
    // The expiry is checked against the caller's clock; the TTL only cleans up, with a day of slack.
    long ttl = Math.max(0, expiresAt.toEpochMilli() - System.currentTimeMillis()) + Duration.ofDays(1).toMillis();
    return store.multi(List.of(Request.cmd(Command.DEL).arg(otpKey(phone)),
        Request.cmd(Command.HSET).arg(otpKey(phone)).arg("h").arg(codeHash).arg("exp").arg(expiresAt.toEpochMilli())
            .arg("tries").arg(0),
        Request.cmd(Command.PEXPIRE).arg(otpKey(phone)).arg(ttl))).mapEmpty();
  }

  @Override
  public Future<OtpOutcome> checkOtp(String phone, String codeHash, Instant now, int maxTries) {
    return store.eval(CHECK_OTP, List.of(otpKey(phone)),
        List.of(codeHash, String.valueOf(now.toEpochMilli()), String.valueOf(maxTries)))
        .map(r -> OtpOutcome.valueOf(r.toString()));
  }

  @Override
  public Future<Void> revokeToken(String tokenId, Instant expiresAt) {
    return store.send(Request.cmd(Command.ZADD).arg(G + ":revoked").arg(expiresAt.toEpochMilli()).arg(tokenId)).mapEmpty();
  }

  @Override
  public Future<Boolean> isTokenRevoked(String tokenId) {
    return store.send(Request.cmd(Command.ZSCORE).arg(G + ":revoked").arg(tokenId)).map(r -> r != null);
  }

}
