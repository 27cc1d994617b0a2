package org.crisishub.edge;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.crisishub.auth.Limits;
import org.crisishub.auth.RateLimiter;
import org.crisishub.auth.TokenService;
import org.crisishub.domain.Actor;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Responder;

/**
 * Who may call a route, once for every route class: the bearer token goes through the one
 * {@link Authenticator}, the principal is checked against the route's kind (person, responder,
 * responder or admin, admin), and a responder's or the admin's call is audited as its
 * {@link AuditedCall} says, before the reply is released. Each method answers the request (the
 * reply, or the contract's error body). Immutable and thread-safe: one instance serves every HTTP
 * verticle.
 */
public final class Access {
  private final Authenticator authenticator;
  private final AuditTrail trail;
  private final RateLimiter limiter;

  /**
   * @param limiter charges {@link Limits#API_PER_TOKEN} for each call of a person's route
   */
  public Access(Authenticator authenticator, AuditTrail trail, RateLimiter limiter) {
    this.authenticator = authenticator;
    this.trail = trail;
    this.limiter = limiter;
  }

  Authenticator authenticator() {
    return authenticator;
  }

  AuditTrail trail() {
    return trail;
  }

  /** A person's route: 401 without a valid token, 403 for a responder's or the admin's; rate-limited per token. */
  void person(RoutingContext ctx, Function<HttpApi.Call, Future<HttpApi.Reply>> h) {
    HttpApi.handle(ctx, c -> authenticator.of(HttpApi.bearerToken(c)).compose(p -> personOnly(c, p)).compose(claims -> {
      limiter.acquire(Limits.API_PER_TOKEN, claims.tokenId(), System.currentTimeMillis());
      return h.apply(new HttpApi.Call(c, claims));
    }));
  }

  /**
   * The person's claims behind {@code p}; 401 without a token. A responder's or the admin's token on a
   * person's route is refused with 403 and, as every refused attempt of theirs (v2 "Audit"), leaves an
   * entry {@code person_route} whose subject is the route, method and path template (e.g. {@code POST
   * /api/v1/follows/:phone}: never the path itself, which may hold a number). The failed future comes
   * after the entry is durable (503 when it cannot be stored).
   */
  Future<TokenService.Claims> personOnly(RoutingContext c, Principal p) {
    String actor = AuditedCall.actorName(p);
    if (actor == null) {
      return Future.succeededFuture(Principal.person(p));
    }
    HubException refused = Principal.refused(p, "this needs a person's session (sign in with a one-time code)");
    String route = c.request().method().name() + " "
        + (c.currentRoute() != null && c.currentRoute().getPath() != null ? c.currentRoute().getPath() : "?");
    return AuditedCall.refused(trail, actor, "person_route", route, refused);
  }

  /** Any caller with a valid token (or none), audited as {@code call} says; {@code h} decides what the principal may do. */
  void anyone(RoutingContext ctx, AuditedCall call, BiFunction<RoutingContext, Principal, Future<HttpApi.Reply>> h) {
    HttpApi.handle(ctx, c -> authenticator.of(HttpApi.bearerToken(c))
        .compose(p -> call.run(trail, c, p, () -> h.apply(c, p))));
  }

  /** Responder endpoints: 401 without a valid token; 403 for a person's token or the admin's. Audited. */
  void responder(RoutingContext ctx, AuditedCall call, BiFunction<RoutingContext, Responder, Future<HttpApi.Reply>> h) {
    anyone(ctx, call, (c, p) -> h.apply(c, Principal.responder(p)));
  }

  /** Endpoints of a responder or the admin (close, partners): 401 without a valid token; 403 for a person's. Audited. */
  void actor(RoutingContext ctx, AuditedCall call, BiFunction<RoutingContext, Actor, Future<HttpApi.Reply>> h) {
    anyone(ctx, call, (c, p) -> h.apply(c, Principal.actor(p)));
  }

  /**
   * Admin endpoints: 403 while {@code HUB_ADMIN_TOKEN} is unset (whatever is sent); 401 without a
   * valid token; 403 for a person's or a responder's token. Audited as {@code call} says.
   */
  void admin(RoutingContext ctx, AuditedCall call, Function<RoutingContext, Future<HttpApi.Reply>> h) {
    if (!authenticator.adminConfigured()) {
      HttpApi.handle(ctx, c -> Future.failedFuture(new HubException(ErrorCode.FORBIDDEN, "admin endpoints are disabled")));
      return;
    }
    anyone(ctx, call, (c, p) -> {
      if (!(p instanceof Principal.Admin)) {
        throw Principal.refused(p, "this needs the admin token");
      }
      return h.apply(c);
    });
  }

  /** The responder behind an optional bearer token (null without one); on a public route a bad token counts as none. */
  Future<Responder> optionalResponder(RoutingContext c) {
    return authenticator.orNobody(HttpApi.bearerToken(c))
        .map(p -> p instanceof Principal.Responder r ? r.account() : null);
  }
}
