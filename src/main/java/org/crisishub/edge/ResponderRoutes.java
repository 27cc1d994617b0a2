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
import org.crisishub.core.HelpService;
import org.crisishub.core.SafetyCheckService;
import org.crisishub.core.TriageService;
import org.crisishub.fanout.FanOut;
import org.crisishub.notices.NoticeService;
import org.crisishub.notices.ResponderAuth;

/**
 * Routes of responders and admins: accounts, incidents, notices (draft, approve, publish, CAP,
 * Atom, keys) and help triage. Parsing and mapping only; rules live in the services.
 */
public final class ResponderRoutes implements HttpApi.Routes {
  private final ResponderAuth responders;
  private final NoticeService notices;
  private final HelpService help;
  private final TriageService triage;
  private final SafetyCheckService safety;
  private final FanOut fanOut;
  private final Access access;
  private final ClientAddress clientAddress;
  private final String publicUrl;

  /**
   * Thread-safe: one instance serves every HTTP verticle.
   *
   * @param fanOut closes a disabled account's streams on every node
   * @param publicUrl {@code HUB_PUBLIC_URL}, the base of the Atom feed's links
   */
  public ResponderRoutes(ResponderAuth responders, NoticeService notices, HelpService help, TriageService triage,
      SafetyCheckService safety, FanOut fanOut, Access access, ClientAddress clientAddress, String publicUrl) {
    this.responders = responders;
    this.notices = notices;
    this.help = help;
    this.triage = triage;
    this.safety = safety;
    this.fanOut = fanOut;
    this.access = access;
    this.clientAddress = clientAddress;
    this.publicUrl = publicUrl;
  }

  @Override
  public void mount(Router r) {
    r.post("/api/v1/admin/responders").handler(ctx -> admin(ctx, AuditedCall.change("responder.create", null),
        this::createResponder));
    r.delete("/api/v1/admin/responders/:username").handler(ctx -> admin(ctx,
        AuditedCall.change("responder.disable", "username"), c -> {
      String username = c.pathParam("username");
      return responders.disable(username).map(x -> {
        // Every open stream of the account closes at once, on every node.
        fanOut.closeResponder(username, null, org.crisishub.fanout.ClientSession.CLOSE_REVOKED,
            "account disabled");
        return HttpApi.Reply.noContent();
      });
    }));
    r.post("/api/v1/admin/agencies/:agency/keys/rotate").handler(ctx -> admin(ctx,
        AuditedCall.change("agency.key.rotate", "agency"), c ->
        notices.rotate(c.pathParam("agency")).map(k -> HttpApi.Reply.created(
            org.crisishub.notices.NoticeSigner.jwk(k)))));

    r.post("/api/v1/responders/sessions").handler(ctx -> HttpApi.handle(ctx, c -> {
      JsonNode b = HttpApi.bodyObject(c);
      String username = Fields.requiredString(b, "username");
      // A session made is a change by that responder: audited before the token is handed out.
      return responders.login(username, Fields.requiredString(b, "password"), clientAddress.of(c.request()))
          .compose(t -> access.trail().write(username, "session.create", null, "done", null)
              .map(HttpApi.Reply.ok(Wire.object().put("token", t.token()).put("expiresAt", Wire.time(t.expiresAt())))));
    }));

    r.post("/api/v1/incidents").handler(ctx -> responder(ctx, AuditedCall.change("incident.create", null), (c, who) -> {
      JsonNode b = HttpApi.bodyObject(c);
      return notices.createIncident(who, Fields.requiredString(b, "code"), Fields.requiredString(b, "name"),
          b.get("area"), Fields.optionalBoolean(b, "twoPersonRule", false))
          .map(i -> HttpApi.Reply.created(incident(i)));
    }));
    r.get("/api/v1/incidents").handler(ctx -> HttpApi.handle(ctx, c -> notices.incidents().map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(i -> a.add(incident(i)));
      return HttpApi.Reply.ok(a);
    })));
    r.post("/api/v1/incidents/:code/close").handler(ctx -> actor(ctx, AuditedCall.change("incident.close", "code"),
        (c, who) ->
        notices.closeIncident(who, c.pathParam("code")).map(i -> HttpApi.Reply.ok(incident(i)))));
    r.post("/api/v1/incidents/:code/partners").handler(ctx -> actor(ctx, AuditedCall.change("incident.partner.add",
        "code", c -> HttpApi.bodyObject(c).path("agency").asText(null)), (c, who) ->
        notices.partner(who, c.pathParam("code"), Fields.requiredString(HttpApi.bodyObject(c), "agency"), true)
            .map(i -> HttpApi.Reply.ok(incident(i)))));
    r.delete("/api/v1/incidents/:code/partners/:agency").handler(ctx -> actor(ctx,
        AuditedCall.change("incident.partner.remove", "code", c -> c.pathParam("agency")), (c, who) ->
        notices.partner(who, c.pathParam("code"), c.pathParam("agency"), false)
            .map(i -> HttpApi.Reply.ok(incident(i)))));
    r.get("/api/v1/incidents/:code/notices.atom").handler(ctx -> notices
        .atom(ctx.pathParam("code"), publicUrl).onComplete(ar -> {
          if (ar.failed()) {
            Errors.send(ctx, ar.cause());
          } else {
            ctx.response().putHeader("Content-Type", "application/atom+xml; charset=utf-8").end(ar.result());
          }
        }));
    r.get("/api/v1/incidents/:code/notices").handler(ctx -> HttpApi.handle(ctx, c ->
        notices.published(c.pathParam("code")).map(list -> {
          ArrayNode a = Wire.array();
          list.forEach(v -> a.add(v.notice()));
          return HttpApi.Reply.ok(a);
        })));
    // ?include=resolved: also the resolved requests (the responder desk's counts and map; docs/api.md).
    r.get("/api/v1/incidents/:code/help").handler(ctx -> responder(ctx, AuditedCall.read("help.read", "code"), (c, who) -> {
      boolean withResolved = includeResolved(c);
      return notices.incidentFor(Actor.of(who), c.pathParam("code"), IncidentAccess.Act.TRIAGE, "help.read")
          .compose(i -> help.queue(i.code(), withResolved).compose(q -> safety.reportedHelp(i.code())
              .map(reported -> Wire.helpRequests(q, reported)))).map(HttpApi.Reply::ok);
    }));
    // A read: a responder's or the admin's refusal (403, 404) is an audit entry, like the queue's (help.read).
    r.get("/api/v1/help/:id").handler(ctx -> access.anyone(ctx, AuditedCall.read("help.read", "id"), (c, p) ->
        // The person who asked, or a responder of the incident's agencies: HelpService decides.
        (p instanceof Principal.Person person
            ? help.read(person.claims().subject(), null, c.pathParam("id"))
            : help.read(null, Principal.responder(p), c.pathParam("id")))
            .map(Wire::helpSummary).map(HttpApi.Reply::ok)));
    r.get("/api/v1/incidents/:code/watch-terms").handler(ctx -> responder(ctx,
        AuditedCall.read("watch_terms.read", "code"), (c, who) ->
        notices.incidentFor(Actor.of(who), c.pathParam("code"), IncidentAccess.Act.TRIAGE, "watch.read")
            .compose(i -> triage.terms(i)).map(t -> HttpApi.Reply.ok(TriageFrames.terms(t)))));
    r.put("/api/v1/incidents/:code/watch-terms").handler(ctx -> responder(ctx,
        AuditedCall.change("watch_terms.set", "code"), (c, who) -> {
      JsonNode b = HttpApi.bodyObject(c);
      JsonNode terms = b.get("terms");
      if (terms == null || !terms.isArray()) {
        throw HubException.invalid("terms must be a list of strings");
      }
      java.util.List<Object> raw = new java.util.ArrayList<>();
      terms.forEach(t -> raw.add(t.isTextual() ? t.asText() : t));
      return notices.incidentFor(Actor.of(who), c.pathParam("code"), IncidentAccess.Act.WATCH_TERMS,
          "watch.set").compose(i -> triage.setTerms(who, i, raw)).map(t -> HttpApi.Reply.ok(TriageFrames.terms(t)));
    }));
    r.get("/api/v1/help/:id/messages").handler(ctx -> HttpApi.handle(ctx, c -> access.authenticator().of(HttpApi.bearerToken(c))
        .compose(p -> AuditedCall.read("help.thread.read", "id").run(access.trail(), c, p, () ->
            (p instanceof Principal.Person person
                ? triage.thread(person.claims().subject(), null, c.pathParam("id"))
                    .map(t -> TriageFrames.thread(t, false))
                : triage.thread(null, Principal.responder(p), c.pathParam("id"))
                    .map(t -> TriageFrames.thread(t, true))).map(HttpApi.Reply::ok)))));
    r.post("/api/v1/help/:id/messages").handler(ctx -> HttpApi.handle(ctx, c -> access.authenticator().of(HttpApi.bearerToken(c))
        .compose(p -> AuditedCall.change("help.message", "id").run(access.trail(), c, p, () -> {
          JsonNode b = HttpApi.bodyObject(c);
          JsonNode t = b.get("text");
          if (t == null || !t.isTextual()) {
            throw HubException.invalid("text must be 1 to 280 characters");
          }
          return (p instanceof Principal.Person person
              ? triage.post(person.claims().subject(), null, c.pathParam("id"), t.asText())
                  .map(m -> TriageFrames.message(m, false))
              : triage.post(null, Principal.responder(p), c.pathParam("id"), t.asText())
                  .map(m -> TriageFrames.message(m, true))).map(HttpApi.Reply::created);
        }))));
    r.post("/api/v1/help/:id/ack").handler(ctx -> responder(ctx, AuditedCall.change("help.acknowledged", "id"),
        (c, who) -> help.set(who, c.pathParam("id"), "acknowledged").map(Wire::helpRequest)
            .map(HttpApi.Reply::ok)));
    r.post("/api/v1/help/:id/resolve").handler(ctx -> responder(ctx, AuditedCall.change("help.resolved", "id"),
        (c, who) -> help.set(who, c.pathParam("id"), "resolved").map(Wire::helpRequest)
            .map(HttpApi.Reply::ok)));

    r.post("/api/v1/notices").handler(ctx -> responder(ctx, AuditedCall.change("notice.draft", null), (c, who) ->
        notices.draft(who, HttpApi.bodyObject(c)).map(v -> HttpApi.Reply.created(draftBody(v)))));
    r.get("/api/v1/notices").handler(ctx -> responder(ctx, AuditedCall.read("notice.list", null), (c, who) ->
        notices.list(who, c.queryParams().get("incident"), c.queryParams().get("state")).map(list -> {
          ArrayNode a = Wire.array();
          list.forEach(v -> a.add(Wire.object().<ObjectNode>set("notice", v.notice()).put("state", v.state())));
          return HttpApi.Reply.ok(a);
        })));
    r.post("/api/v1/notices/:id/approve").handler(ctx -> responder(ctx, AuditedCall.change("notice.approve", "id"),
        (c, who) ->
        notices.approve(who, c.pathParam("id")).map(v -> HttpApi.Reply.ok(draftBody(v)))));
    r.post("/api/v1/notices/:id/publish").handler(ctx -> responder(ctx, AuditedCall.change("notice.publish", "id"),
        (c, who) ->
        notices.publish(who, c.pathParam("id")).map(HttpApi.Reply::ok)));
    r.getWithRegex("/api/v1/notices/(?<id>[^/]+)\\.cap").handler(ctx -> notices.cap(ctx.pathParam("id"))
        .onComplete(ar -> {
          if (ar.failed()) {
            Errors.send(ctx, ar.cause());
          } else {
            ctx.response().putHeader("Content-Type", "application/cap+xml; charset=utf-8").end(ar.result());
          }
        }));
    r.get("/api/v1/notices/:id").handler(ctx -> HttpApi.handle(ctx, c -> optionalResponder(c).compose(who ->
        notices.get(c.pathParam("id"), who)).map(v -> HttpApi.Reply.ok(
            Wire.object().<ObjectNode>set("notice", v.notice()).put("state", v.state())))));
    r.get("/api/v1/keys").handler(ctx -> HttpApi.handle(ctx, c -> notices.jwks().map(HttpApi.Reply::ok)));
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
    return responders.create(Fields.requiredString(b, "username"), Fields.requiredString(b, "password"),
        Fields.requiredString(b, "agency"), roles).map(resp -> {
          ObjectNode n = Wire.object();
          n.put("username", resp.username());
          n.put("agency", resp.agency());
          ArrayNode a = n.putArray("roles");
          resp.roles().stream().sorted().forEach(a::add);
          return HttpApi.Reply.created(n);
        });
  }

  private void admin(RoutingContext ctx, AuditedCall call, Function<RoutingContext, Future<HttpApi.Reply>> h) {
    access.admin(ctx, call, h);
  }

  private void responder(RoutingContext ctx, AuditedCall call,
      BiFunction<RoutingContext, Responder, Future<HttpApi.Reply>> h) {
    access.responder(ctx, call, h);
  }

  private void actor(RoutingContext ctx, AuditedCall call, BiFunction<RoutingContext, Actor, Future<HttpApi.Reply>> h) {
    access.actor(ctx, call, h);
  }

  private Future<Responder> optionalResponder(RoutingContext c) {
    return access.optionalResponder(c);
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
