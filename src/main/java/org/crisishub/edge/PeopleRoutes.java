package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Function;
import org.crisishub.auth.PersonAuth;
import org.crisishub.auth.TokenService;
import org.crisishub.core.FollowService;
import org.crisishub.core.PersonCommands;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Phones;
import org.crisishub.domain.Status;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.FanOut;
import org.crisishub.notices.ResponderAuth;
import org.crisishub.store.FollowGraph;

/**
 * Routes of people (docs/api.md): one-time codes and sessions, check-ins, status and history,
 * follows, followers and trusted contacts. Parsing and mapping only: the actions go through
 * {@link PersonCommands} (the same handlers as the WebSocket and SMS), who may see whose status is
 * decided by {@link FollowService}. Thread-safe: one instance serves every HTTP verticle.
 */
public final class PeopleRoutes implements HttpApi.Routes {
  private static final int MAX_HISTORY = 1000;
  private final Uses uses;

  /**
   * What the people's routes use. Every member is thread-safe.
   *
   * @param persons one-time codes, people's sessions and their revocation
   * @param responders a responder's sign-out ({@code DELETE /api/v1/sessions} takes either token)
   * @param fanOut closes a revoked token's streams on every node
   * @param followGraph the caller's own lists (follows, labels, followers, contacts)
   */
  public record Uses(Access access, PersonAuth persons, ResponderAuth responders, PersonCommands commands,
      FollowService follows, FollowGraph followGraph, FanOut fanOut, Phones phones, ClientAddress clientAddress) {
  }

  public PeopleRoutes(Uses uses) {
    this.uses = uses;
  }

  @Override
  public void mount(Router r) {
    r.post("/api/v1/otp").handler(ctx -> HttpApi.handle(ctx, this::sendCode));
    r.post("/api/v1/sessions").handler(ctx -> HttpApi.handle(ctx, this::createSession));
    // A responder's sign-out is a change by a responder: audited (a person's is not).
    r.delete("/api/v1/sessions").handler(ctx -> uses.access().anyone(ctx, AuditedCall.change("session.revoke", null),
        (c, p) -> deleteSession(p)));

    person(r.post("/api/v1/checkins"), this::checkIn);
    person(r.get("/api/v1/people/:phone/status"), this::status);
    person(r.get("/api/v1/people/:phone/checkins"), this::history);

    person(r.post("/api/v1/follows"), this::follow);
    person(r.get("/api/v1/follows"), this::follows);
    person(r.delete("/api/v1/follows/:phone"), this::unfollow);
    person(r.put("/api/v1/follows/:phone"), this::label);
    person(r.get("/api/v1/followers"), this::followers);
    person(r.post("/api/v1/followers/:phone"), this::answer);
    person(r.get("/api/v1/contacts"), this::contacts);
    person(r.put("/api/v1/contacts/:phone"), this::trust);
    person(r.delete("/api/v1/contacts/:phone"), this::distrust);
  }

  private void person(io.vertx.ext.web.Route route, Function<HttpApi.Call, Future<HttpApi.Reply>> h) {
    route.handler(ctx -> uses.access().person(ctx, h));
  }

  private String pathPhone(RoutingContext ctx) {
    return uses.phones().normalise(ctx.pathParam("phone"));
  }

  // ------------------------------------------------------------------ sessions

  private Future<HttpApi.Reply> sendCode(RoutingContext ctx) {
    String phone = uses.phones().normalise(Fields.requiredString(HttpApi.bodyObject(ctx), "phone"));
    return uses.persons().sendCode(phone, uses.clientAddress().of(ctx.request()))
        .map(v -> new HttpApi.Reply(202, Wire.object().put("phone", phone).put("sent", true)));
  }

  private Future<HttpApi.Reply> createSession(RoutingContext ctx) {
    JsonNode b = HttpApi.bodyObject(ctx);
    String phone = uses.phones().normalise(Fields.requiredString(b, "phone"));
    String code = Fields.requiredString(b, "code");
    return uses.persons().createSession(phone, code, uses.clientAddress().of(ctx.request()))
        .map(t -> HttpApi.Reply.ok(Wire.object().put("token", t.token()).put("expiresAt", Wire.time(t.expiresAt()))
            .put("phone", phone)));
  }

  /** Revokes the caller's own token, a person's or a responder's, and closes its streams on every node. */
  private Future<HttpApi.Reply> deleteSession(Principal p) {
    if (p instanceof Principal.Responder r) {
      TokenService.Claims c = r.session().claims();
      return uses.responders().revoke(c).map(v -> {
        uses.fanOut().closeResponder(c.subject(), c.tokenId(), ClientSession.CLOSE_REVOKED, "session revoked");
        return HttpApi.Reply.noContent();
      });
    }
    TokenService.Claims c = Principal.person(p);
    return uses.persons().revoke(c).map(v -> {
      uses.fanOut().closeToken(c.subject(), c.tokenId(), ClientSession.CLOSE_REVOKED, "session revoked");
      return HttpApi.Reply.noContent();
    });
  }

  // ------------------------------------------------------------------ check-ins

  private Future<HttpApi.Reply> checkIn(HttpApi.Call call) {
    return uses.commands().checkIn(call.phone(), () -> {
      JsonNode b = HttpApi.bodyObject(call.ctx());
      String key = call.ctx().request().getHeader("Idempotency-Key");
      return Future.succeededFuture(new CheckInRequest(call.phone(), Status.parse(Fields.requiredString(b, "status")),
          Fields.optionalString(b, "note"), Fields.optionalLocation(b, "location"),
          Fields.optionalString(b, "incident"), Channel.WEB, key, Fields.optionalTime(b, "madeAt")));
    }).map(r -> HttpApi.Reply.created(Wire.checkInAck(Wire.object(), r)));
  }

  private Future<HttpApi.Reply> status(HttpApi.Call call) {
    String phone = pathPhone(call.ctx());
    return uses.follows().latestSeenBy(call.phone(), phone).compose(l -> l.isPresent()
        ? Future.succeededFuture(HttpApi.Reply.ok(Wire.status(l.get())))
        : Future.failedFuture(HubException.notFound("no check-in yet")));
  }

  private Future<HttpApi.Reply> history(HttpApi.Call call) {
    String phone = pathPhone(call.ctx());
    long afterSeq = longParam(call.ctx(), "afterSeq", 0, 0, Long.MAX_VALUE);
    int limit = (int) longParam(call.ctx(), "limit", 100, 1, MAX_HISTORY);
    return uses.follows().historySeenBy(call.phone(), phone, afterSeq, limit).map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(c -> a.add(Wire.checkIn(c)));
      return HttpApi.Reply.ok(a);
    });
  }

  private static long longParam(RoutingContext ctx, String name, long dflt, long min, long max) {
    List<String> values = ctx.queryParam(name);
    if (values.isEmpty()) {
      return dflt;
    }
    try {
      long v = Long.parseLong(values.get(0));
      if (v < min || v > max) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw HubException.invalid(name + " must be a whole number from " + min + " to " + max);
    }
  }

  // ------------------------------------------------------------------ follows and contacts

  private Future<HttpApi.Reply> follow(HttpApi.Call call) {
    return uses.commands().follow(call.phone(), () -> {
      JsonNode b = HttpApi.bodyObject(call.ctx());
      return new PersonCommands.FollowRequest(uses.phones().normalise(Fields.requiredString(b, "phone")),
          Fields.optionalBoolean(b, "sms", false));
    }).map(f -> HttpApi.Reply.created(Wire.object().put("phone", f.subject()).put("state", f.state().wire())));
  }

  private Future<HttpApi.Reply> follows(HttpApi.Call call) {
    return Future.all(uses.followGraph().follows(call.phone()), uses.followGraph().followLabels(call.phone())).map(both -> {
      List<org.crisishub.domain.Follow> list = both.resultAt(0);
      java.util.Map<String, String> labels = both.resultAt(1);
      ArrayNode a = Wire.array();
      list.forEach(f -> a.add(Wire.followAsFollower(f, labels.get(f.subject()))));
      return HttpApi.Reply.ok(a);
    });
  }

  /** {@code PUT /api/v1/follows/{phone} {label}}: the caller's private name for a person they follow. */
  private Future<HttpApi.Reply> label(HttpApi.Call call) {
    String subject = pathPhone(call.ctx());
    JsonNode b = HttpApi.bodyObject(call.ctx());
    JsonNode l = b.get("label");
    if (l == null || !(l.isTextual() || l.isNull())) {
      throw HubException.invalid("label must be a string (\"\" removes it)");
    }
    return uses.follows().label(call.phone(), subject, l.isNull() ? null : l.asText())
        .compose(kept -> uses.followGraph().follow(call.phone(), subject).map(f -> HttpApi.Reply.ok(f
            .map(x -> Wire.followAsFollower(x, kept))
            .orElseGet(() -> Wire.object().put("phone", subject)))));
  }

  private Future<HttpApi.Reply> unfollow(HttpApi.Call call) {
    return uses.commands().unfollow(call.phone(), pathPhone(call.ctx())).map(x -> HttpApi.Reply.noContent());
  }

  private Future<HttpApi.Reply> followers(HttpApi.Call call) {
    return uses.followGraph().followers(call.phone()).map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(f -> a.add(Wire.followAsSubject(f)));
      return HttpApi.Reply.ok(a);
    });
  }

  private Future<HttpApi.Reply> answer(HttpApi.Call call) {
    String follower = pathPhone(call.ctx());
    boolean allow = Fields.requiredBoolean(HttpApi.bodyObject(call.ctx()), "allow");
    return uses.commands().consent(call.phone(), follower, allow)
        .map(f -> HttpApi.Reply.ok(Wire.object().put("phone", f.follower()).put("state", f.state().wire())));
  }

  private Future<HttpApi.Reply> contacts(HttpApi.Call call) {
    return uses.followGraph().contacts(call.phone()).map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(p -> a.add(Wire.object().put("phone", p)));
      return HttpApi.Reply.ok(a);
    });
  }

  private Future<HttpApi.Reply> trust(HttpApi.Call call) {
    String contact = pathPhone(call.ctx());
    return uses.follows().trust(call.phone(), contact)
        .map(v -> HttpApi.Reply.ok(Wire.object().put("phone", contact).put("trusted", true)));
  }

  private Future<HttpApi.Reply> distrust(HttpApi.Call call) {
    return uses.follows().distrust(call.phone(), pathPhone(call.ctx())).map(x -> HttpApi.Reply.noContent());
  }
}
