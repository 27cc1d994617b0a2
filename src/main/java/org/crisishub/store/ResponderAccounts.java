package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.crisishub.domain.Responder;

/**
 * Responder accounts: username, password hash, agency, roles, disabled flag. Accounts are never
 * deleted (the audit trail names them).
 *
 * <p>Durability: a succeeded change is durable. {@link #createResponder} is atomic and first-wins:
 * of two racing creations of one username exactly one succeeds. Store faults fail with
 * {@code HubException(UNAVAILABLE)}; futures complete on the caller's context; thread-safe,
 * non-blocking.
 */
public interface ResponderAccounts {

  /** Creates a responder account; false when the username is taken. */
  Future<Boolean> createResponder(String username, String passwordHash, String agency, Set<String> roles, Instant now);

  /** The account and its password hash, if there is one. */
  Future<Optional<ResponderRecord>> responder(String username);

  /** Disables an account (kept for the audit trail); false when there is none. */
  Future<Boolean> disableResponder(String username);

  /** A responder account and its password hash. */
  record ResponderRecord(Responder responder, String passwordHash) {
  }
}
