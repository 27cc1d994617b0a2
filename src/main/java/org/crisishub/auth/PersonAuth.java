package org.crisishub.auth;

import io.vertx.core.Future;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Phones;
import org.crisishub.sms.SmsSender;
import org.crisishub.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves that a browser user owns a number: a 6-digit one-time code by SMS (expiring after
 * {@value #CODE_MINUTES} minutes, single use, {@link Limits#OTP_MAX_TRIES} tries), exchanged for a
 * signed, expiring session token that can be revoked.
 */
public final class PersonAuth {
  private static final Logger LOG = LoggerFactory.getLogger(PersonAuth.class);
  static final int CODE_MINUTES = 10;

  private final Store store;
  private final TokenService tokens;
  private final SmsSender sms;
  private final RateLimiter limiter;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public PersonAuth(Store store, TokenService tokens, SmsSender sms, RateLimiter limiter, Clock clock) {
    this.store = store;
    this.tokens = tokens;
    this.sms = sms;
    this.limiter = limiter;
    this.clock = clock;
  }

  /** Sends a new code to {@code phone} (E.164), replacing any earlier one. */
  /** Takes a token from both buckets, or from neither: a refusal by the second gives the first back. */
  private void acquireBoth(RateLimiter.Limit first, String firstKey, RateLimiter.Limit second, String secondKey,
      long nowMs) {
    limiter.acquire(first, firstKey, nowMs);
    try {
      limiter.acquire(second, secondKey, nowMs);
    } catch (HubException e) {
      limiter.refund(first, firstKey, nowMs);
      throw e;
    }
  }

  public Future<Void> sendCode(String phone, String ip) {
    Instant now = clock.instant();
    try {
      acquireBoth(Limits.OTP_SEND_PER_IP, ip, Limits.OTP_SEND_PER_PHONE, phone, now.toEpochMilli());
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    String code = String.format("%06d", random.nextInt(1_000_000));
    return store.saveOtp(phone, tokens.codeHash(phone, code), now.plus(Duration.ofMinutes(CODE_MINUTES)))
        // Sent at once, not through the outbox: the person is waiting for it, and can ask again.
        .compose(v -> sms.send(phone, "Crisis Hub code: " + code + " (valid " + CODE_MINUTES
            + " min). Do not share it."))
        .<Void>mapEmpty()
        .recover(e -> {
          if (e instanceof HubException) {
            return Future.failedFuture(e);
          }
          if (org.crisishub.sms.OptOutGuard.optedOut(e)) {
            // The number sent STOP: nothing is texted to it, and the answer is the usual 202, so a
            // code request does not tell whether a number opted out.
            LOG.info("no code sent to {}: the number opted out", Phones.mask(phone));
            return Future.succeededFuture();
          }
          LOG.warn("sending a code to {} failed: {}", Phones.mask(phone), e.getMessage());
          return Future.failedFuture(HubException.unavailable("could not send the code; try again", e));
        });
  }

  /** Exchanges a code for a session token; {@code forbidden} for a wrong, used or expired code. */
  public Future<TokenService.Issued> createSession(String phone, String code, String ip) {
    Instant now = clock.instant();
    // A malformed code is refused before it costs a try: only real attempts count.
    if (code == null || !code.strip().matches("[0-9]{6}")) {
      return Future.failedFuture(HubException.invalid("code must be the 6 digits sent by SMS"));
    }
    try {
      acquireBoth(Limits.OTP_TRY_PER_IP, ip, Limits.OTP_TRY_PER_PHONE, phone, now.toEpochMilli());
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    return store.checkOtp(phone, tokens.codeHash(phone, code.strip()), now, Limits.OTP_MAX_TRIES)
        .compose(outcome -> outcome == Store.OtpOutcome.OK
            ? Future.succeededFuture(tokens.issuePerson(phone, now))
            : Future.failedFuture(new HubException(org.crisishub.domain.ErrorCode.FORBIDDEN,
                "wrong or expired code")));
  }

  /** The claims of a valid, unrevoked person token; {@code unauthorized} otherwise. */
  public Future<TokenService.Claims> authenticate(String token) {
    TokenService.Claims claims;
    try {
      claims = tokens.verify(token, clock.instant());
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    if (!"person".equals(claims.kind())) {
      return Future.failedFuture(new TokenService.WrongKind("not a person token"));
    }
    return store.isTokenRevoked(claims.tokenId()).compose(revoked -> revoked
        ? Future.failedFuture(HubException.unauthorized("token revoked"))
        : Future.succeededFuture(claims));
  }

  public Future<Void> revoke(TokenService.Claims claims) {
    return store.revokeToken(claims.tokenId(), claims.expiresAt());
  }
}
