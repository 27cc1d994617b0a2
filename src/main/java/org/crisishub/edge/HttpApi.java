package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;
import org.crisishub.auth.TokenService;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;

/**
 * The HTTP interface's frame: the router of one HTTP verticle, with what every request shares (HEAD
 * as GET, metrics, request ids, {@code Cache-Control}, body limits, the error bodies), the health,
 * metrics and page routes, and the API areas mounted in order ({@link Routes}: people, live streams,
 * SMS, responders, audit, safety checks, templates). Parsing, validation and mapping to the core
 * only; no business rules. One instance per HTTP verticle; the areas are shared.
 */
public final class HttpApi {
  /** Largest request body accepted (413 {@code too_large} above). */
  public static final int MAX_BODY = 16 * 1024;
  /**
   * Largest body of {@code PUT /api/v1/incidents/{code}/watch-terms}: 1,000 terms of 64 code points,
   * each up to 4 bytes in UTF-8 (or 12 as a JSON {@code \\u} escape pair), with quotes and commas.
   */
  public static final int MAX_WATCH_TERMS_BODY = 800 * 1024;
  /**
   * Largest body of {@code POST /api/v1/incidents/{code}/safety-checks}: its {@code numbers} list may
   * hold 5,000 numbers (the contract's cap), about 80 KB in E.164 and more as people write them
   * ({@code "+1 (555) 123-4567"}), which {@link #MAX_BODY} would refuse with 413 past about 1,000.
   */
  public static final int MAX_SAFETY_CHECK_BODY = 256 * 1024;
  private final Vertx vertx;
  private final Site site;
  private final List<Routes> areas;

  /** An area of the API: mounts its routes on a router. Implementations are thread-safe and shared by every HTTP verticle. */
  public interface Routes {
    void mount(Router r);
  }

  /**
   * What the frame itself serves.
   *
   * @param registry the metrics scraped at {@code /metrics}
   * @param readiness succeeds while this node can serve ({@code /health/ready})
   * @param smsNumber the number people text ({@code HUB_SMS_NUMBER}), shown by {@code /api/v1/config}; null: none
   * @param mapTiles the desk's map tile URL template ({@code HUB_MAP_TILES}), shown by {@code /api/v1/config}; null: none
   * @param mapTilesOrigin that template's origin, which the pages' CSP allows images from; null: none
   * @param authenticator checks who calls a route with a long body before its body is read
   */
  public record Site(PrometheusMeterRegistry registry, Supplier<Future<Void>> readiness, String smsNumber,
      String mapTiles, String mapTilesOrigin, Authenticator authenticator) {
  }

  /** A reply: a status and a JSON body (null for 204). */
  record Reply(int status, JsonNode body) {
    static Reply ok(JsonNode body) {
      return new Reply(200, body);
    }

    static Reply created(JsonNode body) {
      return new Reply(201, body);
    }

    static Reply noContent() {
      return new Reply(204, null);
    }
  }

  /** An authenticated request: the body (when there is one) and who sent it. */
  record Call(RoutingContext ctx, TokenService.Claims claims) {
    String phone() {
      return claims.subject();
    }
  }

  /** {@code areas} are mounted in this order after the frame's own routes. */
  public HttpApi(Vertx vertx, Site site, List<Routes> areas) {
    this.vertx = vertx;
    this.site = site;
    this.areas = List.copyOf(areas);
    this.csp = contentSecurityPolicy(site.mapTilesOrigin());
  }

  private final String csp;

  /**
   * The pages' policy: everything from the hub only; images also from the map tile server of
   * {@code HUB_MAP_TILES} ({@code tilesOrigin}, {@code null} when none is configured).
   */
  static String contentSecurityPolicy(String tilesOrigin) {
    return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:"
        + (tilesOrigin == null ? "" : " " + tilesOrigin) + ";"
        + " connect-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self';"
        + " frame-ancestors 'none'";
  }

  private void pageHeaders(io.vertx.ext.web.RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", csp)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Permissions-Policy", "geolocation=(self), camera=(), microphone=()");
  }

  private void page(io.vertx.ext.web.RoutingContext ctx, String file) {
    pageHeaders(ctx);
    WebAssets.shared().page(ctx, file);
  }

  /** Routing-context key set on a HEAD request routed as GET. */
  private static final String HEAD = "hub.head";

  /** Whether this request arrived as HEAD (it is routed as GET: {@code request().method()} says GET). */
  static boolean isHead(RoutingContext ctx) {
    return ctx.get(HEAD) != null;
  }

  public Router router() {
    Router r = Router.router(vertx);
    // HEAD is GET without the body (RFC 9110 9.3.2) on every GET route: Vert.x Web routes a HEAD
    // request only to routes that name HEAD, so it is routed again as GET here, once, at the router.
    // The response still knows the request was HEAD: Vert.x sends no body, and the Content-Length a
    // GET would have is set (Vert.x leaves it out for HEAD).
    r.route().method(HttpMethod.HEAD).handler(ctx -> {
      ctx.put(HEAD, Boolean.TRUE);
      ctx.reroute(HttpMethod.GET, ctx.request().uri());
    });
    r.route().handler(ctx -> {
      if (isHead(ctx)) {
        var res = ctx.response();
        ctx.addHeadersEndHandler(v -> {
          if (res.getStatusCode() != 304 && !res.isChunked() && !res.headers().contains("Content-Length")) {
            res.putHeader("Content-Length", Long.toString(res.bytesWritten()));
          }
        });
      }
      ctx.next();
    });
    r.route().handler(new HttpMetrics(site.registry()));
    r.route().handler(ctx -> {
      ctx.response().putHeader("Cache-Control", "no-store");
      // A caller's (or proxy's) X-Request-Id is kept when it is short and plain; otherwise a new one.
      String rid = ctx.request().getHeader("X-Request-Id");
      if (rid == null || !rid.matches("[A-Za-z0-9._-]{1,64}")) {
        rid = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
      }
      ctx.response().putHeader("X-Request-Id", rid);
      org.crisishub.logging.RequestIds.bind(rid);
      ctx.next();
    });

    r.get("/health/live").handler(ctx -> json(ctx, Reply.ok(Wire.object().put("status", "up"))));
    r.get("/health/ready").handler(ctx -> site.readiness().get().onComplete(ar -> {
      if (ar.succeeded()) {
        json(ctx, Reply.ok(Wire.object().put("status", "ready")));
      } else {
        Errors.send(ctx, ErrorCode.UNAVAILABLE, "not ready: " + ar.cause().getMessage());
      }
    }));
    // The web pages (docs/web.md): from the jar, versioned assets with ETags, no external resource,
    // strict CSP; a service worker keeps the check-in page working offline.
    WebAssets web = WebAssets.shared();
    r.get("/assets/:name").handler(ctx -> {
      pageHeaders(ctx);
      if (!web.asset(ctx, ctx.pathParam("name"))) {
        Errors.send(ctx, ErrorCode.NOT_FOUND, "no such resource");
      }
    });
    // Leaflet for the responder desk, from its WebJar (WebAssets): only the files it lists.
    r.getWithRegex("/assets/(vendor/leaflet/(?:images/)?[A-Za-z0-9._-]+)").handler(ctx -> {
      pageHeaders(ctx);
      if (!web.asset(ctx, ctx.pathParam("param0"))) {
        Errors.send(ctx, ErrorCode.NOT_FOUND, "no such resource");
      }
    });
    r.get("/sw.js").handler(ctx -> {
      pageHeaders(ctx);
      web.serviceWorker(ctx);
    });
    r.get("/manifest.webmanifest").handler(ctx -> {
      pageHeaders(ctx);
      web.manifest(ctx);
    });
    r.get("/").handler(ctx -> page(ctx, "index.html"));
    r.get("/follow").handler(ctx -> page(ctx, "follow.html"));
    r.get("/responder").handler(ctx -> page(ctx, "responder.html"));
    r.get("/incidents/:code").handler(ctx -> page(ctx, "incident.html"));

    // Rendering grows with the series (a histogram per route and status): on a worker, not the loop.
    r.get("/metrics").handler(ctx -> vertx.executeBlocking(() -> site.registry().scrape(), false)
        .onSuccess(text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            .end(text))
        .onFailure(ctx::fail));

    BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_BODY);
    BodyHandler watchTerms = BodyHandler.create(false).setBodyLimit(MAX_WATCH_TERMS_BODY);
    BodyHandler safetyCheck = BodyHandler.create(false).setBodyLimit(MAX_SAFETY_CHECK_BODY);
    r.route("/api/v1/*").handler(ctx -> {
      readAsJsonWhateverTheType(ctx.request());
      HttpMethod m = ctx.request().method();
      int limit = bodyLimit(m, ctx.request().path());
      if (limit == MAX_WATCH_TERMS_BODY) {
        readBodyOfResponderOnly(ctx, watchTerms);
      } else if (limit == MAX_SAFETY_CHECK_BODY) {
        safetyCheck.handle(ctx);
      } else if (m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.DELETE) {
        body.handle(ctx);
      } else {
        ctx.next();
      }
    });

    // Public settings the pages need, also while offline later (they keep a copy): the number people
    // text for the sms: fallback, absent when there is none; the responder desk's map tile URL
    // template (HUB_MAP_TILES), absent when there is none.
    r.get("/api/v1/config").handler(ctx -> handle(ctx, c -> {
      ObjectNode n = Wire.object();
      if (site.smsNumber() != null) {
        n.put("smsNumber", site.smsNumber());
      }
      if (site.mapTiles() != null) {
        n.put("mapTiles", site.mapTiles());
      }
      return Future.succeededFuture(Reply.ok(n));
    }));
    for (Routes area : areas) {
      area.mount(r);
    }

    r.errorHandler(404, ctx -> Errors.send(ctx, ErrorCode.NOT_FOUND, "no such resource"));
    r.errorHandler(405, ctx -> {
      ctx.response().setStatusCode(405).putHeader("Content-Type", "application/json")
          .end(Errors.body(ErrorCode.INVALID_REQUEST, "method not allowed").toString());
    });
    r.errorHandler(413, ctx -> Errors.send(ctx, ErrorCode.TOO_LARGE, "request body larger than "
        + (ctx.request().path().startsWith("/sms/") || ctx.request().path().startsWith("/dev/sms/")
            ? SmsRoutes.MAX_FORM_BODY : bodyLimit(ctx.request().method(), ctx.request().path()))
        + " bytes"));
    r.errorHandler(400, ctx -> Errors.send(ctx,
        ctx.failure() instanceof HubException h ? h : HubException.invalid("bad request")));
    r.errorHandler(500, ctx -> Errors.send(ctx, ctx.failure() == null
        ? new HubException(ErrorCode.INTERNAL, "internal error") : ctx.failure()));
    return r;
  }

  // ------------------------------------------------------------------ plumbing

  /** Answers the request with {@code h}'s reply, or the contract's error body when it fails or throws. */
  static void handle(RoutingContext ctx, Function<RoutingContext, Future<Reply>> h) {
    Future<Reply> f;
    try {
      f = h.apply(ctx);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      if (ar.succeeded()) {
        json(ctx, ar.result());
      } else {
        Errors.send(ctx, ar.cause());
      }
    });
  }

  /**
   * For a route whose body may be long (the watch terms: up to {@link #MAX_WATCH_TERMS_BODY} bytes):
   * who calls is checked before any of the body is read. The request is paused while the token is
   * checked; only a responder's session has its body buffered by {@code body}. A bad token is
   * answered 401 here; anyone else (no token, a person, the admin) goes on to the route without a
   * body, which refuses them (401/403, audited as any refusal). The unread body is never read: the
   * connection closes after that answer.
   */
  private void readBodyOfResponderOnly(RoutingContext ctx, BodyHandler body) {
    ctx.request().pause();
    site.authenticator().of(bearerToken(ctx)).onComplete(ar -> {
      if (ar.succeeded() && ar.result() instanceof Principal.Responder) {
        body.handle(ctx);
        return;
      }
      // The hub speaks HTTP/1.1 only (HttpVerticle): the connection cannot carry another request
      // before this body, so it closes once the refusal is written.
      ctx.response().putHeader("Connection", "close");
      ctx.addEndHandler(v -> ctx.request().connection().close());
      if (ar.failed()) {
        Errors.send(ctx, ar.cause());
      } else {
        ctx.next();
      }
    });
  }

  /**
   * API bodies are JSON whatever their Content-Type (api.md, Conventions), but Vert.x's body handler
   * decodes a form or multipart Content-Type as a form: a {@code %} in a note (a bad percent escape)
   * or a body longer than the server's form limits (64 KiB, set for the SMS webhooks) then failed with
   * a bare 400, and {@code curl -d}, as the README uses it, sends the form type. The API reads no
   * forms (the SMS webhooks, outside {@code /api/v1}, do), so that type is dropped before the body
   * is read.
   */
  private static void readAsJsonWhateverTheType(HttpServerRequest req) {
    String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
    if (type == null) {
      return;
    }
    String t = type.strip().toLowerCase(Locale.ROOT);
    if (t.startsWith("application/x-www-form-urlencoded") || t.startsWith("multipart/form-data")) {
      req.headers().remove(HttpHeaders.CONTENT_TYPE);
    }
  }

  /** The token of an {@code Authorization: Bearer} header, or null. */
  static String bearerToken(RoutingContext ctx) {
    String h = ctx.request().getHeader("Authorization");
    if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return h.substring(7).strip();
  }

  private static void json(RoutingContext ctx, Reply reply) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(reply.status());
    if (reply.body() == null) {
      ctx.response().end();
    } else {
      ctx.response().putHeader("Content-Type", "application/json").end(reply.body().toString());
    }
  }

  /**
   * The request body as one strict JSON object ({@link RequestJson}).
   *
   * @throws HubException {@code invalid_request} for an empty body, malformed UTF-8 or JSON, duplicate
   *     keys, trailing data, or text with an unpaired surrogate or NUL
   */
  static JsonNode bodyObject(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().buffer() == null || ctx.body().length() == 0) {
      throw HubException.invalid("a JSON object body is required");
    }
    return RequestJson.object(ctx.body().buffer().getBytes());
  }

  /**
   * The largest body accepted for {@code method} on {@code path} (an API route): the watch terms'
   * and a safety check's draft lists may be longer than other bodies.
   */
  static int bodyLimit(HttpMethod method, String path) {
    if (method == HttpMethod.PUT && isWatchTerms(path)) {
      return MAX_WATCH_TERMS_BODY;
    }
    if (method == HttpMethod.POST && isSafetyCheckDraft(path)) {
      return MAX_SAFETY_CHECK_BODY;
    }
    return MAX_BODY;
  }

  /** True for the path that drafts an incident's safety check ({@code /api/v1/incidents/{code}/safety-checks}). */
  static boolean isSafetyCheckDraft(String path) {
    return path != null && path.startsWith("/api/v1/incidents/") && path.endsWith("/safety-checks")
        && path.indexOf('/', "/api/v1/incidents/".length()) == path.length() - "/safety-checks".length();
  }

  /** True for the path of an incident's watch terms, whose list may be longer than other bodies. */
  static boolean isWatchTerms(String path) {
    return path != null && path.startsWith("/api/v1/incidents/") && path.endsWith("/watch-terms")
        && path.indexOf('/', "/api/v1/incidents/".length()) == path.length() - "/watch-terms".length();
  }
}
