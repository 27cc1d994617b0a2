package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.BiFunction;
import org.crisishub.core.PersonCommands;
import org.crisishub.core.SafetyCheckService;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Responder;
import org.crisishub.domain.Status;
import org.crisishub.store.SafetyCheckStore;

/**
 * Routes of safety checks (docs/safety-checks.md): responders draft, approve, start, close and
 * watch; people answer. Parsing and mapping only; rules live in {@link SafetyCheckService}.
 */
public final class SafetyRoutes implements HttpApi.Routes {
  private final SafetyCheckService safety;
  private final PersonCommands commands;
  private final org.crisishub.domain.Phones phones;
  private final Access access;

  /**
   * {@code commands} takes a person's own answers (charged like a check-in, as on every channel).
   * Thread-safe: one instance serves every HTTP verticle.
   */
  public SafetyRoutes(SafetyCheckService safety, PersonCommands commands, org.crisishub.domain.Phones phones,
      Access access) {
    this.safety = safety;
    this.commands = commands;
    this.phones = phones;
    this.access = access;
  }

  @Override
  public void mount(Router r) {
    SafetyCheckService s = safety;
    r.post("/api/v1/incidents/:code/safety-checks").handler(ctx -> responder(ctx,
        AuditedCall.change("safety_check.create", null), (c, who) ->
        s.draft(who, c.pathParam("code"), HttpApi.bodyObject(c)).map(k -> HttpApi.Reply.created(check(k, false)))));
    r.get("/api/v1/incidents/:code/safety-checks").handler(ctx -> responder(ctx,
        AuditedCall.read("safety_check.list", "code"), (c, who) ->
        s.list(who, c.pathParam("code")).map(list -> {
          ArrayNode a = Wire.array();
          list.forEach(k -> a.add(check(k, true)));
          return HttpApi.Reply.ok(a);
        })));
    r.post("/api/v1/safety-checks/:id/approve").handler(ctx -> responder(ctx,
        AuditedCall.change("safety_check.approve", "id"), (c, who) ->
        s.approve(who, c.pathParam("id")).map(k -> HttpApi.Reply.ok(check(k, false)))));
    r.post("/api/v1/safety-checks/:id/start").handler(ctx -> responder(ctx,
        AuditedCall.change("safety_check.start", "id"), (c, who) ->
        s.start(who, c.pathParam("id")).map(k -> HttpApi.Reply.ok(check(k, true)))));
    r.post("/api/v1/safety-checks/:id/close").handler(ctx -> responder(ctx,
        AuditedCall.change("safety_check.close", "id"), (c, who) ->
        s.close(who, c.pathParam("id")).map(k -> HttpApi.Reply.ok(check(k, true)))));
    r.get("/api/v1/safety-checks/:id/people").handler(this::people);
    r.get("/api/v1/safety-checks/:id").handler(ctx -> responder(ctx, AuditedCall.read("safety_check.read", "id"),
        (c, who) ->
        s.get(who, c.pathParam("id")).map(k -> HttpApi.Reply.ok(check(k, true)))));
    r.post("/api/v1/safety-checks/:id/answers").handler(ctx -> HttpApi.handle(ctx, c ->
        access.authenticator().of(HttpApi.bearerToken(c)).compose(p -> access.personOnly(c, p)).compose(claims -> {
          String phone = claims.subject();
          JsonNode b = HttpApi.bodyObject(c);
          for (var it = b.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!List.of("status", "note", "phone").contains(f)) {
              throw HubException.invalid("unknown field \"" + f + "\"");
            }
          }
          if (b.hasNonNull("phone")) {
            Status status = Status.parse(Fields.requiredString(b, "status"));
            String note = Fields.optionalString(b, "note");
            CheckInRequest.normaliseNote(note);
            return report(c.pathParam("id"), phone, phones.normalise(Fields.requiredString(b, "phone")), status,
                note);
          }
          // The person's own answer: the same handler as the WebSocket's answer frame and an SMS reply.
          return commands.answer(phone, Channel.WEB, null, () -> new PersonCommands.SafetyAnswer(c.pathParam("id"),
              Status.parse(Fields.requiredString(b, "status")), Fields.optionalString(b, "note")))
              .map(a -> HttpApi.Reply.created(Wire.object().put("check", a.check()).put("status", a.status())
                  .put("at", Wire.time(a.at()))));
        })));
  }

  /**
   * A follower's report about someone else (only after the escalation told the follower about
   * them): 201 {@code {id, check, phone, status, note?, at}}, the follower's own view of their report
   * ({@code id}: of a {@code need_help}, the help request's, for its thread).
   */
  private Future<HttpApi.Reply> report(String id, String follower, String subject, Status status, String note) {
    return safety.report(follower, id, subject, status, note).map(r -> {
      ObjectNode n = Wire.object().put("id", r.id()).put("check", r.check()).put("phone", r.phone())
          .put("status", r.status());
      if (r.note() != null) {
        n.put("note", r.note());
      }
      return HttpApi.Reply.created(n.put("at", Wire.time(r.at())));
    });
  }

  /** Every read of a check's people is an audit entry (the state filter as its detail), JSON or CSV. */
  private static final AuditedCall PEOPLE_READ = AuditedCall.auditedRead("safety_check.people.read", "id",
      c -> c.queryParams().get("state"));

  /** The cursor of a page of people: the last phone of the page, base64url without padding (opaque to clients). */
  static String cursor(String phone) {
    return java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString(phone.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The phone a cursor stands for; 400 when it is none of ours. */
  static String afterCursor(String cursor) {
    if (cursor == null) {
      return null;
    }
    try {
      String phone = new String(java.util.Base64.getUrlDecoder().decode(cursor), java.nio.charset.StandardCharsets.UTF_8);
      if (phone.matches("\\+[0-9]{1,20}")) {
        return phone;
      }
    } catch (IllegalArgumentException e) {
      // falls through to the 400
    }
    throw HubException.invalid("after must be the cursor of a Link rel=\"next\" of this list");
  }

  /** {@code limit}: absent → 0 (the whole list, unpaged); otherwise 1 to the maximum (else 400). */
  static int limit(String text) {
    if (text == null) {
      return 0;
    }
    if (text.matches("[0-9]{1,6}")) {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= SafetyCheckService.PEOPLE_PAGE_MAX) {
        return n;
      }
    }
    throw HubException.invalid("limit must be 1 to " + SafetyCheckService.PEOPLE_PAGE_MAX);
  }

  /**
   * Without {@code limit} (and {@code after}), the whole list, as the contract gives it. With
   * {@code limit}, a page of people, and when more follow, {@code Link: <…?state=S&limit=L&after=C>;
   * rel="next"} on the response (the body stays the array of rows, JSON or CSV).
   */
  private Future<SafetyCheckStore.PeoplePage> page(RoutingContext ctx, Responder who) {
    String state = ctx.queryParams().get("state");
    int limit;
    String after;
    try {
      limit = limit(ctx.queryParams().get("limit"));
      after = afterCursor(ctx.queryParams().get("after"));
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    String id = ctx.pathParam("id");
    if (limit == 0) {
      if (after != null) {
        return Future.failedFuture(HubException.invalid("after needs limit (the Link rel=\"next\" of a page has both)"));
      }
      return safety.people(who, id, state).map(all -> new SafetyCheckStore.PeoplePage(all, null));
    }
    return safety.people(who, id, state, after, limit).map(page -> {
      if (page.next() != null) {
        String link = "/api/v1/safety-checks/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8)
            + "/people?" + (state == null ? "" : "state=" + java.net.URLEncoder.encode(state,
                java.nio.charset.StandardCharsets.UTF_8) + "&") + "limit=" + limit + "&after=" + cursor(page.next());
        ctx.response().putHeader("Link", "<" + link + ">; rel=\"next\"");
      }
      return page;
    });
  }

  private void people(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    boolean csv = accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/csv");
    if (!csv) {
      responder(ctx, PEOPLE_READ, (c, who) -> page(c, who).map(page -> {
        ArrayNode a = Wire.array();
        page.people().forEach(p -> a.add(person(p)));
        return HttpApi.Reply.ok(a);
      }));
      return;
    }
    access.authenticator().of(HttpApi.bearerToken(ctx))
        .compose(p -> PEOPLE_READ.run(access.trail(), ctx, p, () -> page(ctx, Principal.responder(p)).map(page -> {
              StringBuilder b = new StringBuilder("phone,state,at,channel,delivery,errorCode,reportStatus,reportAt,reportBy\r\n");
              for (SafetyCheckStore.Person x : page.people()) {
                b.append(csv(x.phone())).append(',').append(csv(x.state())).append(',')
                    .append(x.at() == null ? "" : Wire.time(x.at())).append(',').append(csv(x.channel())).append(',')
                    .append(csv(x.delivery())).append(',').append(csv(x.errorCode())).append(',')
                    .append(csv(x.reportStatus())).append(',').append(x.reportAt() == null ? "" : Wire.time(x.reportAt()))
                    .append(',').append(csv(x.reportBy())).append("\r\n");
              }
              return new HttpApi.Reply(200, Wire.JSON.getNodeFactory().textNode(b.toString()));
            })))
        .onComplete(ar -> {
          if (ar.failed()) {
            Errors.send(ctx, ar.cause());
            return;
          }
          ctx.response().putHeader("Content-Type", "text/csv; charset=utf-8")
              .putHeader("Cache-Control", "no-store").end(ar.result().body().asText());
        });
  }

  /** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; formula-leading text defused. */
  static String csv(String v) {
    if (v == null) {
      return "";
    }
    String s = v;
    if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 && !s.matches("\\+[0-9]+")) {
      s = "'" + s;
    }
    if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }

  static ObjectNode person(SafetyCheckStore.Person p) {
    ObjectNode n = Wire.object();
    n.put("phone", p.phone()).put("state", p.state());
    if (p.at() != null) {
      n.put("at", Wire.time(p.at()));
    }
    if (p.channel() != null) {
      n.put("channel", p.channel());
    }
    if (p.delivery() != null) {
      n.put("delivery", p.delivery());
      if (p.errorCode() != null) {
        n.put("errorCode", p.errorCode());
      }
    }
    if (p.reportStatus() != null) {
      // Only responders read people: they see who reported.
      n.putObject("report").put("status", p.reportStatus()).put("at", Wire.time(p.reportAt())).put("by", p.reportBy());
    }
    return n;
  }

  /** A check as the API shows it; {@code withTallies} adds {@code tallies}. */
  static ObjectNode check(SafetyCheckStore.Check k, boolean withTallies) {
    ObjectNode n = Wire.object();
    n.put("id", k.id()).put("incident", k.incident()).put("state", k.state()).put("question", k.question())
        .put("audienceSize", k.audienceSize()).put("smsRecipients", k.smsRecipients())
        .put("smsSegments", k.smsSegments()).put("smsEncoding", k.smsEncoding())
        .put("estimatedSendSeconds", k.estimatedSendSeconds()).put("createdAt", Wire.time(k.createdAt()))
        .put("author", k.author()).put("agency", k.agency()).put("needsApproval", k.needsApproval());
    try {
      n.set("audience", Wire.JSON.readTree(k.audienceJson()));
      if (k.escalationJson() != null) {
        n.set("escalation", Wire.JSON.readTree(k.escalationJson()));
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    if (k.approvedBy() != null) {
      n.put("approvedBy", k.approvedBy());
    }
    if (k.startedAt() != null) {
      n.put("startedAt", Wire.time(k.startedAt()));
    }
    if (k.closedAt() != null) {
      n.put("closedAt", Wire.time(k.closedAt()));
    }
    if (withTallies) {
      n.set("tallies", Wire.tallies(k.tallies()));
    }
    return n;
  }

  /** Responder endpoints: 401 without a valid token; 403 for a person's or the admin's. Audited as {@code call} says. */
  private void responder(RoutingContext ctx, AuditedCall call,
      BiFunction<RoutingContext, Responder, Future<HttpApi.Reply>> h) {
    access.responder(ctx, call, h);
  }
}
