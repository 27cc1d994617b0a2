package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.G;
import static org.crisishub.store.redis.RedisStore.hash;
import static org.crisishub.store.redis.RedisStore.tagOf;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

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
