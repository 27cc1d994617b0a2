package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import java.util.function.Supplier;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;

/**
 * The audit entry of one admin or responder request (product spec, v2 "Audit"), written before the
 * reply goes out: a change that succeeded is {@code done}; a request of an authenticated admin or
 * responder refused with 403, 404, 409 or 429 is {@code refused} with the error code as
 * {@code detail}; a read is audited only where the contract asks (a safety check's people). Requests
 * refused with 400, 401 or 413, and people's requests, leave none. When the entry cannot be made
 * durable the reply is 503 {@code unavailable} (not acknowledged), whatever the change did.
 *
 * <p>Entries name ids, usernames and agency names only: {@code subject} comes from a path parameter
 * or, for a create, the new object's {@code code} (an incident), {@code id}, {@code username} or {@code kid};
 * {@code detail} from a function the route gives (an agency name, a state filter). Immutable and
 * thread-safe.
 *
 * @param action the entry's {@code action}, e.g. {@code notice.publish}
 * @param subjectParam the path parameter naming the subject, or null (then taken from the reply)
 * @param detail the entry's {@code detail} of a done request, or null
 * @param audited whether a successful request is audited (changes, and audited reads)
 */
record AuditedCall(String action, String subjectParam, Function<RoutingContext, String> detail, boolean audited) {

  /** A change whose subject is path parameter {@code param} (null: the created object's id). */
  static AuditedCall change(String action, String param) {
    return new AuditedCall(action, param, null, true);
  }

  static AuditedCall change(String action, String param, Function<RoutingContext, String> detail) {
    return new AuditedCall(action, param, detail, true);
  }

  /** A read: only its refusals are audited. */
  static AuditedCall read(String action, String param) {
    return new AuditedCall(action, param, null, false);
  }

  /** A read that is always audited (who looked at people's answers). */
  static AuditedCall auditedRead(String action, String param, Function<RoutingContext, String> detail) {
    return new AuditedCall(action, param, detail, true);
  }

  /**
   * Runs {@code work} for {@code principal} and writes its entry before the reply is released.
   * {@code work} may throw; it is then treated as its failed future.
   */
  Future<HttpApi.Reply> run(AuditTrail trail, RoutingContext c, Principal principal,
      Supplier<Future<HttpApi.Reply>> work) {
    Future<HttpApi.Reply> f;
    try {
      f = work.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    String actor = actorName(principal);
    if (actor == null) {
      return f;
    }
    return f.transform(ar -> {
      if (ar.succeeded()) {
        if (!audited) {
          return Future.succeededFuture(ar.result());
        }
        String subject = subjectParam != null ? param(c) : subjectOf(ar.result());
        String d = detail == null ? null : detail.apply(c);
        return trail.write(actor, action, subject, "done", d)
            .transform(w -> w.succeeded() ? Future.succeededFuture(ar.result())
                : Future.failedFuture(HubException.unavailable("the audit entry could not be stored", w.cause())));
      }
      Throwable cause = ar.cause();
      if (cause instanceof HubException h && refusal(h.code())) {
        return refused(trail, actor, action, subjectParam != null ? param(c) : null, h);
      }
      return Future.failedFuture(cause);
    });
  }

  /**
   * Writes the {@code refused} entry of {@code cause} (its error code as {@code detail}) and then fails
   * with {@code cause}; fails 503 {@code unavailable} instead when the entry cannot be stored.
   */
  static <T> Future<T> refused(AuditTrail trail, String actor, String action, String subject, HubException cause) {
    return trail.write(actor, action, subject, "refused", cause.code().wire())
        .transform(w -> w.succeeded() ? Future.<T>failedFuture(cause)
            : Future.failedFuture(HubException.unavailable("the audit entry could not be stored", w.cause())));
  }

  /** The subject from the path; incident codes are case-insensitive and kept upper-case, as stored. */
  private String param(RoutingContext c) {
    String v = c.pathParam(subjectParam);
    return v != null && subjectParam.equals("code") ? v.toUpperCase(java.util.Locale.ROOT) : v;
  }

  private static boolean refusal(ErrorCode code) {
    return code == ErrorCode.FORBIDDEN || code == ErrorCode.NOT_FOUND || code == ErrorCode.CONFLICT
        || code == ErrorCode.RATE_LIMITED;
  }

  /** The name an entry carries: {@code admin}, a responder's username; null for anyone else (no entry). */
  static String actorName(Principal p) {
    if (p instanceof Principal.Admin) {
      return "admin";
    }
    if (p instanceof Principal.Responder r) {
      return r.account().username();
    }
    return null;
  }

  private static String subjectOf(HttpApi.Reply reply) {
    JsonNode b = reply.body();
    if (b == null || !b.isObject()) {
      return null;
    }
    // An incident is named by its code everywhere in the trail (its close, its partners), also at creation.
    for (String f : new String[] {"code", "id", "username", "kid"}) {
      if (b.hasNonNull(f) && b.get(f).isValueNode()) {
        return b.get(f).asText();
      }
    }
    return null;
  }
}
