package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiFunction;
import org.crisishub.domain.HubException;
import org.crisishub.domain.NoticeTemplate;
import org.crisishub.domain.Responder;
import org.crisishub.notices.TemplateService;

/**
 * Routes of notice templates (docs/notices.md, "Templates"): write, approve, list, read, preview.
 * Notices made from a template go through {@code POST /api/v1/notices}. Parsing and mapping only;
 * rules live in {@link TemplateService}.
 */
public final class TemplateRoutes implements HttpApi.Routes {
  private final TemplateService templates;
  private final Access access;

  /** Thread-safe: one instance serves every HTTP verticle. */
  public TemplateRoutes(TemplateService templates, Access access) {
    this.templates = templates;
    this.access = access;
  }

  @Override
  public void mount(Router r) {
    TemplateService t = templates;
    r.post("/api/v1/templates").handler(ctx -> responder(ctx, AuditedCall.change("template.create", null), (c, who) ->
        t.create(who, HttpApi.bodyObject(c)).map(v -> HttpApi.Reply.created(template(v)))));
    r.get("/api/v1/templates").handler(ctx -> responder(ctx, AuditedCall.read("template.list", null), (c, who) -> t.list(who).map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(v -> a.add(template(v)));
      return HttpApi.Reply.ok(a);
    })));
    r.get("/api/v1/templates/:id").handler(ctx -> responder(ctx, AuditedCall.read("template.read", "id"), (c, who) ->
        t.get(who, c.pathParam("id"), version(c.queryParams().get("version"))).map(v -> HttpApi.Reply.ok(template(v)))));
    r.put("/api/v1/templates/:id").handler(ctx -> responder(ctx, AuditedCall.change("template.update", "id"), (c, who) ->
        t.update(who, c.pathParam("id"), HttpApi.bodyObject(c)).map(v -> HttpApi.Reply.ok(template(v)))));
    r.post("/api/v1/templates/:id/approve").handler(ctx -> responder(ctx, AuditedCall.change("template.approve", "id"), (c, who) ->
        t.approve(who, c.pathParam("id")).map(v -> HttpApi.Reply.ok(template(v)))));
    r.post("/api/v1/templates/:id/preview").handler(ctx -> responder(ctx, AuditedCall.read("template.preview", "id"), (c, who) -> {
      JsonNode b = HttpApi.bodyObject(c);
      for (var it = b.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!java.util.Set.of("values", "incident", "version").contains(f)) {
          throw HubException.invalid("unknown field \"" + f + "\"");
        }
      }
      JsonNode ver = b.get("version");
      if (ver != null && !ver.isNull() && (!ver.isIntegralNumber() || ver.asInt() < 1)) {
        throw HubException.invalid("version must be a version number");
      }
      String incident = Fields.optionalString(b, "incident");
      return t.preview(who, c.pathParam("id"), ver == null || ver.isNull() ? 0 : ver.asInt(),
          TemplateService.values(b.get("values")),
          incident == null ? null : org.crisishub.domain.CheckInRequest.normaliseIncident(incident))
          .map(p -> {
            ObjectNode n = Wire.object();
            n.putObject("template").put("id", p.view().template().id()).put("version", p.view().version().version());
            ArrayNode a = n.putArray("languages");
            for (TemplateService.PreviewText x : p.texts()) {
              a.addObject().put("language", x.language()).put("headline", x.headline()).put("body", x.body())
                  .put("sms", x.sms()).put("smsSegments", x.smsSegments()).put("smsEncoding", x.smsEncoding())
                  .put("smsCut", x.smsCut());
            }
            return HttpApi.Reply.ok(n);
          });
    }));
  }

  private static int version(String q) {
    if (q == null) {
      return 0;
    }
    try {
      int v = Integer.parseInt(q);
      if (v < 1) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw HubException.invalid("version must be a version number");
    }
  }

  /**
   * A template as served: the shown version's content and state, the template's identity and
   * pointers ({@code latestVersion}, {@code approvedVersion} when one is approved).
   */
  static ObjectNode template(TemplateService.View v) {
    NoticeTemplate c = v.content();
    ObjectNode n = Wire.object();
    n.put("id", v.template().id());
    n.put("name", c.name());
    n.put("version", v.version().version());
    n.put("state", v.version().state());
    n.put("latestVersion", v.template().latestVersion());
    if (v.template().approvedVersion() != null) {
      n.put("approvedVersion", v.template().approvedVersion());
    }
    n.put("agency", v.template().agency());
    n.put("language", c.language());
    n.put("headline", c.headline());
    n.put("body", c.body());
    ArrayNode vs = n.putArray("variants");
    for (NoticeTemplate.Variant x : c.variants()) {
      vs.addObject().put("language", x.language()).put("headline", x.headline()).put("body", x.body());
    }
    ObjectNode ps = n.putObject("placeholders");
    c.placeholders().forEach((k, max) -> ps.putObject(k).put("maxLength", max));
    if (c.event() != null) {
      n.put("event", c.event());
    }
    n.put("category", c.category());
    n.put("severity", c.severity());
    n.put("urgency", c.urgency());
    n.put("certainty", c.certainty());
    if (c.area() != null) {
      n.put("area", c.area());
    }
    n.put("author", v.version().author());
    n.put("createdAt", Wire.time(v.version().createdAt()));
    if (v.version().approvedBy() != null) {
      n.put("approvedBy", v.version().approvedBy());
      n.put("approvedAt", Wire.time(v.version().approvedAt()));
    }
    return n;
  }

  /** A responder route whose audit entry (the change, or any refusal) the edge writes before replying. */
  private void responder(RoutingContext ctx, AuditedCall call,
      BiFunction<RoutingContext, Responder, Future<HttpApi.Reply>> h) {
    access.responder(ctx, call, h);
  }
}
