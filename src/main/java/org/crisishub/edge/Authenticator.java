package org.crisishub.edge;

import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.crisishub.auth.PersonAuth;
import org.crisishub.auth.TokenService;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.notices.ResponderAuth;

/**
 * The one place a bearer token becomes a {@link Principal}, for every channel (HTTP routes, the
 * WebSocket {@code auth} frame, the SSE stream): the admin token, else a person's token, else a
 * responder's. Immutable and thread-safe; the returned futures complete on the caller's context.
 */
public final class Authenticator {
  private final byte[] adminToken;
  private final PersonAuth persons;
  private final ResponderAuth responders;

  /**
   * @param adminToken {@code HUB_ADMIN_TOKEN}, or null (then no token is the admin's and admin routes are 403)
   * @param persons checks people's session tokens
   * @param responders checks responders' session tokens
   */
  public Authenticator(String adminToken, PersonAuth persons, ResponderAuth responders) {
    this.adminToken = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
    this.persons = persons;
    this.responders = responders;
  }

  /** Whether an admin token is configured (admin routes are 403 without one, whatever is sent). */
  boolean adminConfigured() {
    return adminToken != null;
  }

  /**
   * The principal behind {@code token} (null or empty: {@link Principal#NOBODY}); fails
   * {@code unauthorized} for a token that is neither the admin token nor a valid, unrevoked person or
   * responder token of an enabled account.
   */
  Future<Principal> of(String token) {
    if (token == null || token.isEmpty()) {
      return Future.succeededFuture(Principal.NOBODY);
    }
    if (adminToken != null && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), adminToken)) {
      return Future.succeededFuture(new Principal.Admin());
    }
    // A token names its kind: a responder's token is refused by the person check as WrongKind.
    return persons.authenticate(token).<Principal>map(Principal.Person::new)
        .recover(e -> e instanceof TokenService.WrongKind
            ? responders.authenticate(token).map(Principal.Responder::new) : Future.failedFuture(e));
  }

  /** As {@link #of}, for a public route: a bad token counts as none. */
  Future<Principal> orNobody(String token) {
    return of(token).recover(e -> e instanceof HubException h && h.code() == ErrorCode.UNAUTHORIZED
        ? Future.succeededFuture(Principal.NOBODY) : Future.failedFuture(e));
  }
}
