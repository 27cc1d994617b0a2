package org.crisishub.edge;

import org.crisishub.auth.TokenService;
import org.crisishub.domain.Actor;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.notices.ResponderAuth;

/**
 * Who sent a request, from its bearer token ({@link Authenticator}): nobody, a person, a responder, or
 * the admin. One rule
 * for every route (docs/api.md, "Who may call what"): a missing, malformed, expired, revoked or
 * forged token, or a disabled account, is 401; a valid token without the right is 403; admin routes
 * are 403 while {@code HUB_ADMIN_TOKEN} is unset; public routes ignore a bad token.
 */
sealed interface Principal {
  /** No token (or, on a public route, a bad one). */
  record Nobody() implements Principal {
  }

  record Person(TokenService.Claims claims) implements Principal {
  }

  record Responder(ResponderAuth.Session session) implements Principal {
    org.crisishub.domain.Responder account() {
      return session.responder();
    }
  }

  record Admin() implements Principal {
  }

  Principal NOBODY = new Nobody();

  /** 401 for nobody, 403 for anyone else: the principal lacks the right for this route. */
  static HubException refused(Principal p, String what) {
    if (p instanceof Nobody) {
      return HubException.unauthorized("missing bearer token");
    }
    return new HubException(ErrorCode.FORBIDDEN, what);
  }

  /** The person's claims; 401 without a token, 403 for a responder or the admin. */
  static TokenService.Claims person(Principal p) {
    if (p instanceof Person person) {
      return person.claims();
    }
    throw refused(p, "this needs a person's session (sign in with a one-time code)");
  }

  /** The responder's account; 401 without a token, 403 for a person or the admin. */
  static org.crisishub.domain.Responder responder(Principal p) {
    if (p instanceof Responder r) {
      return r.account();
    }
    throw refused(p, "this needs a responder's session");
  }

  /** A responder or the admin as an {@link Actor}; 401 without a token, 403 for a person. */
  static Actor actor(Principal p) {
    if (p instanceof Responder r) {
      return Actor.of(r.account());
    }
    if (p instanceof Admin) {
      return Actor.admin();
    }
    throw refused(p, "this needs a responder's session or the admin token");
  }
}
