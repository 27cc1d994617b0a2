package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.crisishub.core.IncidentAccess;
import org.crisishub.domain.Actor;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Responder;
import org.crisishub.notices.NoticeService;

/**
 * Routes of responders and admins: accounts, incidents, notices (draft, approve, publish, CAP,
 * Atom, keys) and help triage. Parsing and mapping only; rules live in the services.
 */
final class ResponderRoutes {
  private final EdgeContext edge;
  private final HttpApi api;
  private final ClientAddress clientAddress;

  ResponderRoutes(EdgeContext edge, HttpApi api) {
    this.edge = edge;
    this.api = api;
    this.clientAddress = new ClientAddress(edge.config().trustedProxies());
  }

  void mount(Router r) {
    r.post("/api/v1/admin/responders").handler(ctx -> admin(ctx, AuditedCall.change("responder.create", null),
        this::createResponder));
    r.delete("/api/v1/admin/responders/:username").handler(ctx -> admin(ctx,
        AuditedCall.change("responder.disable", "username"), c -> {
      String username = c.pathParam("username");
      return edge.responders().disable(username).map(x -> {
        // Every open stream of the account closes at once, on every node.
        edge.fanOut().closeResponder(username, null, org.crisishub.fanout.ClientSession.CLOSE_REVOKED,
            "account disabled");
        return HttpApi.Reply.noContent();
      });
    }));
    r.post("/api/v1/admin/agencies/:agency/keys/rotate").handler(ctx -> admin(ctx,
        AuditedCall.change("agency.key.rotate", "agency"), c ->
        edge.notices().rotate(c.pathParam("agency")).map(k -> HttpApi.Reply.created(
            org.crisishub.notices.NoticeSigner.jwk(k)))));
    new AuditRoutes(edge, api).mount(r);

    r.post("/api/v1/responders/sessions").handler(ctx -> api.handle(ctx, c -> {
      JsonNode b = HttpApi.bodyObject(c);
      String username = Fields.requiredString(b, "username");
      // A session made is a change by that responder: audited before the token is handed out.
      return edge.responders().login(username, Fields.requiredString(b, "password"), clientAddress.of(c.request()))
          .compose(t -> edge.store().audit(username, "session.create", null, "done", null, edge.clock().instant())
              .map(HttpApi.Reply.ok(Wire.object().put("token", t.token()).put("expiresAt", Wire.time(t.expiresAt())))));
    }));

    r.post("/api/v1/incidents").handler(ctx -> responder(ctx, AuditedCall.change("incident.create", null), (c, who) -> {
      JsonNode b = HttpApi.bodyObject(c);
      return edge.notices().createIncident(who, Fields.requiredString(b, "code"), Fields.requiredString(b, "name"),
          b.get("area"), Fields.optionalBoolean(b, "twoPersonRule", false))
          .map(i -> HttpApi.Reply.created(incident(i)));
    }));
    r.get("/api/v1/incidents").handler(ctx -> api.handle(ctx, c -> edge.notices().incidents().map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(i -> a.add(incident(i)));
      return HttpApi.Reply.ok(a);
    })));
    r.post("/api/v1/incidents/:code/close").handler(ctx -> actor(ctx, AuditedCall.change("incident.close", "code"),
        (c, who) ->
        edge.notices().closeIncident(who, c.pathParam("code")).map(i -> HttpApi.Reply.ok(incident(i)))));
    r.post("/api/v1/incidents/:code/partners").handler(ctx -> actor(ctx, AuditedCall.change("incident.partner.add",
        "code", c -> HttpApi.bodyObject(c).path("agency").asText(null)), (c, who) ->
        edge.notices().partner(who, c.pathParam("code"), Fields.requiredString(HttpApi.bodyObject(c), "agency"), true)
            .map(i -> HttpApi.Reply.ok(incident(i)))));
    r.delete("/api/v1/incidents/:code/partners/:agency").handler(ctx -> actor(ctx,
        AuditedCall.change("incident.partner.remove", "code", c -> c.pathParam("agency")), (c, who) ->
        edge.notices().partner(who, c.pathParam("code"), c.pathParam("agency"), false)
            .map(i -> HttpApi.Reply.ok(incident(i)))));
    r.get("/api/v1/incidents/:code/notices.atom").handler(ctx -> edge.notices()
        .atom(ctx.pathParam("code"), edge.config().publicUrl()).onComplete(ar -> {
          if (ar.failed()) {
            Errors.send(ctx, ar.cause());
          } else {
            ctx.response().putHeader("Content-Type", "application/atom+xml; charset=utf-8").end(ar.result());
          }
        }));
    r.get("/api/v1/incidents/:code/notices").handler(ctx -> api.handle(ctx, c ->
        edge.notices().published(c.pathParam("code")).map(list -> {
          ArrayNode a = Wire.array();
          list.forEach(v -> a.add(v.notice()));
          return HttpApi.Reply.ok(a);
        })));
    // ?include=resolved: also the resolved requests (the responder desk's counts and map; docs/api.md).
    r.get("/api/v1/incidents/:code/help").handler(ctx -> responder(ctx, AuditedCall.read("help.read", "code"), (c, who) -> {
      boolean withResolved = includeResolved(c);
      return edge.notices().incidentFor(Actor.of(who), c.pathParam("code"), IncidentAccess.Act.TRIAGE, "help.read")
          .compose(i -> edge.help().queue(i.code(), withResolved).compose(q -> edge.safety().reportedHelp(i.code())
              .map(reported -> Wire.helpRequests(q, reported)))).map(HttpApi.Reply::ok);
    }));
    r.get("/api/v1/help/:id").handler(ctx -> api.handle(ctx, c -> Principal.of(edge, HttpApi.bearerToken(c))
        .compose(p -> {
          // The person who asked, or a responder of the incident's agencies: HelpService decides.
          if (p instanceof Principal.Person person) {
            return edge.help().read(person.claims().subject(), null, c.pathParam("id")).map(Wire::helpSummary);
          }
          return edge.help().read(null, Principal.responder(p), c.pathParam("id")).map(Wire::helpSummary);
        }).map(HttpApi.Reply::ok)));
    r.get("/api/v1/incidents/:code/watch-terms").handler(ctx -> responder(ctx,
        AuditedCall.read("watch_terms.read", "code"), (c, who) ->
        edge.notices().incidentFor(Actor.of(who), c.pathParam("code"), IncidentAccess.Act.TRIAGE, "watch.read")
            .compose(i -> edge.triage().terms(i)).map(t -> HttpApi.Reply.ok(TriageFrames.terms(t)))));
    r.put("/api/v1/incidents/:code/watch-terms").handler(ctx -> responder(ctx,
        AuditedCall.change("watch_terms.set", "code"), (c, who) -> {
      JsonNode b = HttpApi.bodyObject(c);
      JsonNode terms = b.get("terms");
      if (terms == null || !terms.isArray()) {
        throw HubException.invalid("terms must be a list of strings");
      }
      java.util.List<Object> raw = new java.util.ArrayList<>();
      terms.forEach(t -> raw.add(t.isTextual() ? t.asText() : t));
      return edge.notices().incidentFor(Actor.of(who), c.pathParam("code"), IncidentAccess.Act.WATCH_TERMS,
          "watch.set").compose(i -> edge.triage().setTerms(who, i, raw)).map(t -> HttpApi.Reply.ok(TriageFrames.terms(t)));
    }));
    r.get("/api/v1/help/:id/messages").handler(ctx -> api.handle(ctx, c -> Principal.of(edge, HttpApi.bearerToken(c))
        .compose(p -> AuditedCall.read("help.thread.read", "id").run(edge, edge.clock(), c, p, () ->
            (p instanceof Principal.Person person
                ? edge.triage().thread(person.claims().subject(), null, c.pathParam("id"))
                    .map(t -> TriageFrames.thread(t, false))
                : edge.triage().thread(null, Principal.responder(p), c.pathParam("id"))
                    .map(t -> TriageFrames.thread(t, true))).map(HttpApi.Reply::ok)))));
    r.post("/api/v1/help/:id/messages").handler(ctx -> api.handle(ctx, c -> Principal.of(edge, HttpApi.bearerToken(c))
        .compose(p -> AuditedCall.change("help.message", "id").run(edge, edge.clock(), c, p, () -> {
          JsonNode b = HttpApi.bodyObject(c);
          JsonNode t = b.get("text");
          if (t == null || !t.isTextual()) {
            throw HubException.invalid("text must be 1 to 280 characters");
          }
          return (p instanceof Principal.Person person
              ? edge.triage().post(person.claims().subject(), null, c.pathParam("id"), t.asText())
                  .map(m -> TriageFrames.message(m, false))
              : edge.triage().post(null, Principal.responder(p), c.pathParam("id"), t.asText())
                  .map(m -> TriageFrames.message(m, true))).map(HttpApi.Reply::created);
        }))));
    r.post("/api/v1/help/:id/ack").handler(ctx -> responder(ctx, AuditedCall.change("help.acknowledged", "id"),
        (c, who) -> edge.help().set(who, c.pathParam("id"), "acknowledged").map(Wire::helpRequest)
            .map(HttpApi.Reply::ok)));
    r.post("/api/v1/help/:id/resolve").handler(ctx -> responder(ctx, AuditedCall.change("help.resolved", "id"),
        (c, who) -> edge.help().set(who, c.pathParam("id"), "resolved").map(Wire::helpRequest)
            .map(HttpApi.Reply::ok)));

    r.post("/api/v1/notices").handler(ctx -> responder(ctx, AuditedCall.change("notice.draft", null), (c, who) ->
        edge.notices().draft(who, HttpApi.bodyObject(c)).map(v -> HttpApi.Reply.created(draftBody(v)))));
    r.get("/api/v1/notices").handler(ctx -> responder(ctx, AuditedCall.read("notice.list", null), (c, who) ->
        edge.notices().list(who, c.queryParams().get("incident"), c.queryParams().get("state")).map(list -> {
          ArrayNode a = Wire.array();
          list.forEach(v -> a.add(Wire.object().<ObjectNode>set("notice", v.notice()).put("state", v.state())));
          return HttpApi.Reply.ok(a);
        })));
    r.post("/api/v1/notices/:id/approve").handler(ctx -> responder(ctx, AuditedCall.change("notice.approve", "id"),
        (c, who) ->
        edge.notices().approve(who, c.pathParam("id")).map(v -> HttpApi.Reply.ok(draftBody(v)))));
    r.post("/api/v1/notices/:id/publish").handler(ctx -> responder(ctx, AuditedCall.change("notice.publish", "id"),
        (c, who) ->
        edge.notices().publish(who, c.pathParam("id")).map(HttpApi.Reply::ok)));
    r.getWithRegex("/api/v1/notices/(?<id>[^/]+)\\.cap").handler(ctx -> edge.notices().cap(ctx.pathParam("id"))
        .onComplete(ar -> {
          if (ar.failed()) {
            Errors.send(ctx, ar.cause());
          } else {
            ctx.response().putHeader("Content-Type", "application/cap+xml; charset=utf-8").end(ar.result());
          }
        }));
    r.get("/api/v1/notices/:id").handler(ctx -> api.handle(ctx, c -> optionalResponder(c).compose(who ->
        edge.notices().get(c.pathParam("id"), who)).map(v -> HttpApi.Reply.ok(
            Wire.object().<ObjectNode>set("notice", v.notice()).put("state", v.state())))));
    r.get("/api/v1/keys").handler(ctx -> api.handle(ctx, c -> edge.notices().jwks().map(HttpApi.Reply::ok)));
  }

  /** A draft or approved notice as returned by draft / approve: its fields plus {@code state}. */
  private static ObjectNode draftBody(NoticeService.View v) {
    ObjectNode n = v.notice().deepCopy();
    n.put("state", v.state());
    return n;
  }

  static ObjectNode incident(Incident i) {
    ObjectNode n = Wire.object();
    n.put("id", i.id());
    n.put("code", i.code());
    n.put("name", i.name());
    if (i.area() != null) {
      n.set("area", org.crisishub.store.AreaJson.toJson(i.area()));
    }
    n.put("state", i.state());
    n.put("twoPersonRule", i.twoPersonRule());
    if (i.agency() != null) {
      n.put("agency", i.agency());
    }
    ArrayNode partners = n.putArray("partners");
    i.partners().forEach(partners::add);
    n.put("createdAt", Wire.time(i.createdAt()));
    if (i.closedAt() != null) {
      n.put("closedAt", Wire.time(i.closedAt()));
    }
    return n;
  }

  private Future<HttpApi.Reply> createResponder(RoutingContext c) {
    JsonNode b = HttpApi.bodyObject(c);
    JsonNode rolesNode = b.get("roles");
    if (rolesNode == null || !rolesNode.isArray()) {
      throw HubException.invalid("roles must be a list such as [\"publisher\", \"approver\"]");
    }
    Set<String> roles = new HashSet<>();
    rolesNode.forEach(n -> roles.add(n.asText()));
    return edge.responders().create(Fields.requiredString(b, "username"), Fields.requiredString(b, "password"),
        Fields.requiredString(b, "agency"), roles).map(resp -> {
          ObjectNode n = Wire.object();
          n.put("username", resp.username());
          n.put("agency", resp.agency());
          ArrayNode a = n.putArray("roles");
          resp.roles().stream().sorted().forEach(a::add);
          return HttpApi.Reply.created(n);
        });
  }

  /**
   * Admin endpoints: 403 while {@code HUB_ADMIN_TOKEN} is unset (whatever is sent); 401 without a
   * valid token; 403 for a person's or a responder's token. Audited as {@code call} says.
   */
  private void admin(RoutingContext ctx, AuditedCall call, Function<RoutingContext, Future<HttpApi.Reply>> h) {
    api.handle(ctx, c -> {
      if (edge.config().adminToken() == null) {
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN, "admin endpoints are disabled"));
      }
      return Principal.of(edge, HttpApi.bearerToken(c)).compose(p -> call.run(edge, edge.clock(), c, p, () -> {
        if (!(p instanceof Principal.Admin)) {
          throw Principal.refused(p, "this needs the admin token");
        }
        return h.apply(c);
      }));
    });
  }

  /** Responder endpoints: 401 without a valid token; 403 for a person's token or the admin's. Audited. */
  private void responder(RoutingContext ctx, AuditedCall call,
      BiFunction<RoutingContext, Responder, Future<HttpApi.Reply>> h) {
    api.handle(ctx, c -> Principal.of(edge, HttpApi.bearerToken(c))
        .compose(p -> call.run(edge, edge.clock(), c, p, () -> h.apply(c, Principal.responder(p)))));
  }

  /** Endpoints of a responder or the admin (close, partners): 401 without a valid token; 403 for a person's. Audited. */
  private void actor(RoutingContext ctx, AuditedCall call, BiFunction<RoutingContext, Actor, Future<HttpApi.Reply>> h) {
    api.handle(ctx, c -> Principal.of(edge, HttpApi.bearerToken(c))
        .compose(p -> call.run(edge, edge.clock(), c, p, () -> h.apply(c, Principal.actor(p)))));
  }

  /** The responder behind an optional bearer token (null without one); on this public route a bad token counts as none. */
  private Future<Responder> optionalResponder(RoutingContext c) {
    return Principal.orNobody(edge, HttpApi.bearerToken(c))
        .map(p -> p instanceof Principal.Responder r ? r.account() : null);
  }

  /** {@code include=resolved} on the help queue; absent: only open and acknowledged requests. */
  private static boolean includeResolved(RoutingContext ctx) {
    String include = ctx.request().getParam("include");
    if (include == null) {
      return false;
    }
    if (!include.equals("resolved")) {
      throw HubException.invalid("include must be resolved (or absent)");
    }
    return true;
  }
}
