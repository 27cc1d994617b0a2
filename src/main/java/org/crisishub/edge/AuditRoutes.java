package org.crisishub.edge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.crisishub.core.AuditService;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.store.AuditChain;

/**
 * The audit trail for the admin (docs/api.md, "Audit"): paged reads of the hash chain and its
 * verification. A responder's or person's token gets 403 (a responder's refusal is itself audited).
 */
public final class AuditRoutes implements HttpApi.Routes {
  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1_000;
  private final org.crisishub.store.AuditTrail store;
  private final Access access;

  /** {@code store}: the chain it pages and verifies. Thread-safe: one instance serves every HTTP verticle. */
  public AuditRoutes(org.crisishub.store.AuditTrail store, Access access) {
    this.store = store;
    this.access = access;
  }

  @Override
  public void mount(Router r) {
    r.get("/api/v1/admin/audit/verify").handler(ctx -> admin(ctx, AuditedCall.read("audit.verify", null),
        c -> new AuditService(store).verify().map(v -> {
          ObjectNode n = Wire.object().put("ok", v.ok());
          if (v.ok()) {
            n.put("entries", v.entries()).put("head", v.head());
          } else {
            n.put("brokenAt", Long.toString(v.brokenAt()));
          }
          return HttpApi.Reply.ok(n);
        })));
    r.get("/api/v1/admin/audit").handler(ctx -> admin(ctx, AuditedCall.read("audit.read", null), this::page));
  }

  private Future<HttpApi.Reply> page(RoutingContext c) {
    long after = number(c.queryParams().get("after"), "after", 0, Long.MAX_VALUE, 0);
    int limit = (int) number(c.queryParams().get("limit"), "limit", 1, MAX_LIMIT, DEFAULT_LIMIT);
    return store.auditPage(after, limit + 1).map(list -> {
      ObjectNode n = Wire.object();
      ArrayNode a = n.putArray("entries");
      for (int i = 0; i < Math.min(limit, list.size()); i++) {
        a.add(AuditChain.json(list.get(i)));
      }
      if (list.size() > limit) {
        n.put("next", Long.toString(list.get(limit - 1).id()));
      }
      return HttpApi.Reply.ok(n);
    });
  }

  /** A decimal query parameter in [min, max], {@code dflt} when absent; 400 otherwise. */
  private static long number(String v, String name, long min, long max, long dflt) {
    if (v == null) {
      return dflt;
    }
    if (!v.matches("[0-9]{1,19}")) {
      throw HubException.invalid(name + " must be a decimal number");
    }
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw HubException.invalid(name + " is too large");
    }
    if (n < min || n > max) {
      throw HubException.invalid(name + " must be between " + min + " and " + max);
    }
    return n;
  }

  private void admin(RoutingContext ctx, AuditedCall call, java.util.function.Function<RoutingContext,
      Future<HttpApi.Reply>> h) {
    access.admin(ctx, call, h);
  }
}
