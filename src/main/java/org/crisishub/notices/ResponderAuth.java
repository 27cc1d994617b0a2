package org.crisishub.notices;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;
import org.crisishub.auth.RateLimiter;
import org.crisishub.auth.TokenService;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Responder;
import org.crisishub.store.IncidentRegistry;
import org.crisishub.store.PersonAuthStore;
import org.crisishub.store.ResponderAccounts;

/**
 * Responder accounts (created by an admin) and their sessions: salted PBKDF2 password hashes
 * computed on worker threads, signed expiring tokens carrying agency and roles. A disabled
 * account's tokens stop working at once (every request checks the account).
 */
public final class ResponderAuth {
  public static final Duration TOKEN_TTL = Duration.ofHours(12);
  private static final Pattern USERNAME = Pattern.compile("[a-z0-9][a-z0-9._-]{2,63}");
  private static final RateLimiter.Limit LOGIN_PER_USER = new RateLimiter.Limit("login-user", 10, 60);
  private static final RateLimiter.Limit LOGIN_PER_IP = new RateLimiter.Limit("login-ip", 50, 600);

  /** An authenticated responder: the account as it is now, and the token's claims. */
  public record Session(Responder responder, TokenService.Claims claims) {
  }

  private final Vertx vertx;
  private final ResponderAccounts accounts;
  private final PersonAuthStore revocations;
  private final IncidentRegistry incidents;
  private final TokenService tokens;
  private final RateLimiter limiter;
  private final Clock clock;

  /**
   * {@code accounts}: the responder accounts; {@code revocations}: revoked tokens (shared with people's
   * sessions); {@code incidents}: the agency names an account's agency is spelled as.
   */
  public ResponderAuth(Vertx vertx, ResponderAccounts accounts, PersonAuthStore revocations,
      IncidentRegistry incidents, TokenService tokens, RateLimiter limiter, Clock clock) {
    this.vertx = vertx;
    this.accounts = accounts;
    this.revocations = revocations;
    this.incidents = incidents;
    this.tokens = tokens;
    this.limiter = limiter;
    this.clock = clock;
  }

  /** Creates an account; {@code conflict} when the username is taken. */
  public Future<Responder> create(String username, String password, String agency, Set<String> roles) {
    if (username == null || !USERNAME.matcher(username).matches()) {
      return Future.failedFuture(HubException.invalid(
          "username must be 3 to 64 lower-case letters, digits, '.', '_' or '-'"));
    }
    if (password == null || password.length() < 10 || password.length() > 200) {
      return Future.failedFuture(HubException.invalid("password must be 10 to 200 characters"));
    }
    if (agency == null || agency.isBlank() || agency.length() > 100) {
      return Future.failedFuture(HubException.invalid("agency must be 1 to 100 characters"));
    }
    if (roles.isEmpty() || !Set.of(Responder.PUBLISHER, Responder.APPROVER).containsAll(roles)) {
      return Future.failedFuture(HubException.invalid("roles must be a non-empty list of publisher, approver"));
    }
    // One agency, one name: an agency the hub knows in another letter case keeps its first spelling.
    return incidents.agencyNamed(agency.strip()).compose(a -> vertx.executeBlocking(() -> PasswordHasher.hash(password), false)
        .compose(hash -> accounts.createResponder(username, hash, a, roles, clock.instant()))
        .compose(created -> created
            ? Future.succeededFuture(new Responder(username, a, Set.copyOf(roles), false))
            : Future.failedFuture(new HubException(ErrorCode.CONFLICT, "that username is taken"))));
  }

  /** Disables an account: its tokens stop working at once; the caller closes its open streams. */
  public Future<Boolean> disable(String username) {
    return accounts.disableResponder(username);
  }

  /** Revokes a responder's token until it would have expired anyway. */
  public Future<Void> revoke(TokenService.Claims claims) {
    return revocations.revokeToken(claims.tokenId(), claims.expiresAt());
  }

  /** True while the token is unrevoked and its account exists and is enabled. */
  public Future<Boolean> stillValid(TokenService.Claims claims) {
    return revocations.isTokenRevoked(claims.tokenId()).compose(revoked -> revoked ? Future.succeededFuture(false)
        : accounts.responder(claims.subject()).map(r -> r.isPresent() && !r.get().responder().disabled()));
  }

  /** A session token for a right username and password; {@code unauthorized} otherwise. */
  public Future<TokenService.Issued> login(String username, String password, String ip) {
    try {
      limiter.acquire(LOGIN_PER_IP, ip, clock.millis());
      limiter.acquire(LOGIN_PER_USER, String.valueOf(username), clock.millis());
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    if (username == null || password == null) {
      return Future.failedFuture(HubException.invalid("username and password are required"));
    }
    return accounts.responder(username).compose(r -> {
      // Hash even for unknown users, so timing does not tell which usernames exist.
      String hash = r.map(ResponderAccounts.ResponderRecord::passwordHash).orElse(null);
      return vertx.executeBlocking(() -> PasswordHasher.verify(password, hash != null ? hash : Dummy.HASH), false)
          .compose(ok -> {
        if (!ok || r.isEmpty() || r.get().responder().disabled()) {
          return Future.failedFuture(HubException.unauthorized("wrong username or password"));
        }
        Responder resp = r.get().responder();
        return Future.succeededFuture(tokens.issueResponder(resp.username(), resp.agency(), resp.roles(),
            clock.instant(), TOKEN_TTL));
      });
    });
  }

  /** Computed on first use, on a worker thread (it is slow by design). */
  private static final class Dummy {
    static final String HASH = PasswordHasher.hash("not a real password, only for timing");
  }

  /** The session of a valid, unrevoked responder token of an enabled account; {@code unauthorized} otherwise. */
  public Future<Session> authenticate(String token) {
    TokenService.Claims claims;
    try {
      claims = tokens.verify(token, clock.instant());
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    if (!"responder".equals(claims.kind())) {
      return Future.failedFuture(new TokenService.WrongKind("not a responder token"));
    }
    return revocations.isTokenRevoked(claims.tokenId()).compose(revoked -> revoked
        ? Future.failedFuture(HubException.unauthorized("token revoked"))
        : accounts.responder(claims.subject()).compose(r -> r.isEmpty() || r.get().responder().disabled()
            ? Future.failedFuture(HubException.unauthorized("account disabled"))
            : Future.succeededFuture(new Session(r.get().responder(), claims))));
  }
}
