package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;

/**
 * A person's one-time codes (stored only as hashes) and revoked session tokens.
 *
 * <p>Durability: a succeeded change is durable. {@link #checkOtp} is atomic: a code is consumed at
 * most once even when two checks race, and tries are counted without loss. Revocations last until
 * the token would have expired ({@code Store#purge} forgets them after). Store faults fail with
 * {@code HubException(UNAVAILABLE)}; futures complete on the caller's context; thread-safe,
 * non-blocking.
 */
public interface PersonAuthStore {

  /** Replaces any one-time code of {@code phone} with a new one (stored only as a hash). */
  Future<Void> saveOtp(String phone, String codeHash, Instant expiresAt);

  /**
   * Checks a one-time code. A match consumes it (single use); a miss counts a try, and after
   * {@code maxTries} misses the code is gone.
   */
  Future<OtpOutcome> checkOtp(String phone, String codeHash, Instant now, int maxTries);

  /** Revokes a session token until it would have expired anyway (idempotent). */
  Future<Void> revokeToken(String tokenId, Instant expiresAt);

  /** True when the token was revoked. */
  Future<Boolean> isTokenRevoked(String tokenId);

  /** The outcome of {@link #checkOtp}. */
  enum OtpOutcome {
    /** The code matched and was consumed. */
    OK,
    /** Wrong code; tries are left. */
    WRONG,
    /** No live code for this number (never sent, expired, used, or too many tries). */
    NONE
  }
}
