package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.function.Function;
import org.crisishub.auth.Limits;
import org.crisishub.auth.TokenService;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Status;
import org.crisishub.fanout.OutFrame;
import org.crisishub.sms.DevSmsSender;

/**
 * The HTTP interface: routes, parsing, validation, and mapping to the core; no business rules.
 * One instance per HTTP verticle.
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
  private static final int MAX_HISTORY = 1000;

  private final Vertx vertx;
  private final EdgeContext edge;
  private final ClientAddress clientAddress;

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

  public HttpApi(Vertx vertx, EdgeContext edge) {
    this.vertx = vertx;
    this.edge = edge;
    this.clientAddress = new ClientAddress(edge.config().trustedProxies());
    this.csp = contentSecurityPolicy(edge.config().mapTilesOrigin());
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
    r.route().handler(new HttpMetrics(edge.registry()));
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
    r.get("/health/ready").handler(ctx -> edge.readiness().get().onComplete(ar -> {
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
    r.get("/metrics").handler(ctx -> vertx.executeBlocking(() -> edge.registry().scrape(), false)
        .onSuccess(text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            .end(text))
        .onFailure(ctx::fail));

    BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_BODY);
    BodyHandler watchTerms = BodyHandler.create(false).setBodyLimit(MAX_WATCH_TERMS_BODY);
    BodyHandler safetyCheck = BodyHandler.create(false).setBodyLimit(MAX_SAFETY_CHECK_BODY);
    r.route("/api/v1/*").handler(ctx -> {
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
      if (edge.config().smsNumber() != null) {
        n.put("smsNumber", edge.config().smsNumber());
      }
      if (edge.config().mapTiles() != null) {
        n.put("mapTiles", edge.config().mapTiles());
      }
      return Future.succeededFuture(Reply.ok(n));
    }));
    r.post("/api/v1/otp").handler(ctx -> handle(ctx, this::sendCode));
    r.post("/api/v1/sessions").handler(ctx -> handle(ctx, this::createSession));
    // A responder's sign-out is a change by a responder: audited (a person's is not).
    r.delete("/api/v1/sessions").handler(ctx -> handle(ctx, c -> Principal.of(edge, bearerToken(c))
        .compose(p -> AuditedCall.change("session.revoke", null).run(edge, edge.clock(), c, p,
            () -> deleteSession(p)))));

    authed(r.post("/api/v1/checkins"), this::checkIn);
    authed(r.get("/api/v1/people/:phone/status"), this::status);
    authed(r.get("/api/v1/people/:phone/checkins"), this::history);

    authed(r.post("/api/v1/follows"), this::follow);
    authed(r.get("/api/v1/follows"), this::follows);
    authed(r.delete("/api/v1/follows/:phone"), this::unfollow);
    authed(r.put("/api/v1/follows/:phone"), this::label);
    authed(r.get("/api/v1/followers"), this::followers);
    authed(r.post("/api/v1/followers/:phone"), this::answer);
    authed(r.get("/api/v1/contacts"), this::contacts);
    authed(r.put("/api/v1/contacts/:phone"), this::trust);
    authed(r.delete("/api/v1/contacts/:phone"), this::distrust);

    r.get("/api/v1/ws").handler(this::webSocket);
    r.get("/api/v1/events").handler(this::events);

    if (edge.devSms() != null && !edge.config().devSmsOpen()) {
      // Dev SMS shows every one-time code and texts as any number: loopback clients only.
      r.route("/dev/sms*").handler(ctx -> {
        if (clientAddress.isLoopback(ctx.request())) {
          ctx.next();
        } else {
          Errors.send(ctx, new HubException(ErrorCode.FORBIDDEN,
              "the dev SMS endpoints answer loopback clients only (HUB_DEV_SMS_OPEN=true opens them)"));
        }
      });
    }
    new SmsRoutes(new SmsRoutes.Uses(edge.config().twilio().authToken(), edge.config().publicUrl(), edge.registry(),
        edge.devSms(), edge.sms(), edge.phones(), edge.store(), edge.clock(), edge.safety())).mount(r);
    new ResponderRoutes(edge, this).mount(r);
    new SafetyRoutes(edge, this).mount(r);
    new TemplateRoutes(edge, this).mount(r);
    if (edge.devSms() != null) {
      r.get("/dev/sms/messages").handler(ctx -> handle(ctx, this::devMessages));
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

  void handle(RoutingContext ctx, Function<RoutingContext, Future<Reply>> h) {
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
    Principal.of(edge, bearerToken(ctx)).onComplete(ar -> {
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

  /** A person's route: 401 without a valid token, 403 for a responder's or the admin's. */
  private void authed(Route route, Function<Call, Future<Reply>> h) {
    route.handler(ctx -> handle(ctx, c -> Principal.of(edge, bearerToken(c)).compose(p -> {
      TokenService.Claims claims = Principal.person(p);
      edge.limiter().acquire(Limits.API_PER_TOKEN, claims.tokenId(), System.currentTimeMillis());
      return h.apply(new Call(c, claims));
    })));
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

  private String pathPhone(RoutingContext ctx) {
    return edge.phones().normalise(ctx.pathParam("phone"));
  }

  // ------------------------------------------------------------------ sessions

  private Future<Reply> sendCode(RoutingContext ctx) {
    String phone = edge.phones().normalise(Fields.requiredString(bodyObject(ctx), "phone"));
    return edge.auth().sendCode(phone, clientAddress.of(ctx.request()))
        .map(v -> new Reply(202, Wire.object().put("phone", phone).put("sent", true)));
  }

  private Future<Reply> createSession(RoutingContext ctx) {
    JsonNode b = bodyObject(ctx);
    String phone = edge.phones().normalise(Fields.requiredString(b, "phone"));
    String code = Fields.requiredString(b, "code");
    return edge.auth().createSession(phone, code, clientAddress.of(ctx.request()))
        .map(t -> Reply.ok(Wire.object().put("token", t.token()).put("expiresAt", Wire.time(t.expiresAt()))
            .put("phone", phone)));
  }

  /** Revokes the caller's own token, a person's or a responder's, and closes its streams on every node. */
  private Future<Reply> deleteSession(Principal p) {
    if (p instanceof Principal.Responder r) {
      TokenService.Claims c = r.session().claims();
      return edge.responders().revoke(c).map(v -> {
        edge.fanOut().closeResponder(c.subject(), c.tokenId(), org.crisishub.fanout.ClientSession.CLOSE_REVOKED,
            "session revoked");
        return Reply.noContent();
      });
    }
    TokenService.Claims c = Principal.person(p);
    return edge.auth().revoke(c).map(v -> {
      edge.fanOut().closeToken(c.subject(), c.tokenId(), org.crisishub.fanout.ClientSession.CLOSE_REVOKED,
          "session revoked");
      return Reply.noContent();
    });
  }

  // ------------------------------------------------------------------ check-ins

  private Future<Reply> checkIn(Call call) {
    return edge.limiter().charge(Limits.CHECKIN_PER_PHONE, call.phone(), System.currentTimeMillis(), () -> {
      JsonNode b = bodyObject(call.ctx());
      String key = call.ctx().request().getHeader("Idempotency-Key");
      CheckInRequest req = new CheckInRequest(call.phone(), Status.parse(Fields.requiredString(b, "status")),
          Fields.optionalString(b, "note"), Fields.optionalLocation(b, "location"),
          Fields.optionalString(b, "incident"), Channel.WEB, key, Fields.optionalTime(b, "madeAt"));
      return edge.checkIns().record(req);
    }).map(r -> Reply.created(Wire.checkInAck(Wire.object(), r)));
  }

  private Future<Reply> status(Call call) {
    String phone = pathPhone(call.ctx());
    return edge.follows().maySee(call.phone(), phone).compose(ok -> {
      if (!ok) {
        return Future.failedFuture(HubException.forbidden());
      }
      return edge.store().latest(phone).compose(l -> l.isPresent()
          ? Future.succeededFuture(Reply.ok(Wire.status(l.get())))
          : Future.failedFuture(HubException.notFound("no check-in yet")));
    });
  }

  private Future<Reply> history(Call call) {
    String phone = pathPhone(call.ctx());
    long afterSeq = longParam(call.ctx(), "afterSeq", 0, 0, Long.MAX_VALUE);
    int limit = (int) longParam(call.ctx(), "limit", 100, 1, MAX_HISTORY);
    return edge.follows().maySee(call.phone(), phone).compose(ok -> {
      if (!ok) {
        return Future.failedFuture(HubException.forbidden());
      }
      return edge.store().history(phone, afterSeq, limit).map(list -> {
        ArrayNode a = Wire.array();
        list.forEach(c -> a.add(Wire.checkIn(c)));
        return Reply.ok(a);
      });
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

  private Future<Reply> follow(Call call) {
    return edge.limiter().charge(Limits.FOLLOW_PER_PHONE, call.phone(), System.currentTimeMillis(), () -> {
      JsonNode b = bodyObject(call.ctx());
      String subject = edge.phones().normalise(Fields.requiredString(b, "phone"));
      boolean sms = Fields.optionalBoolean(b, "sms", false);
      return edge.follows().follow(call.phone(), subject, sms);
    }).map(f -> Reply.created(Wire.object().put("phone", f.subject()).put("state", f.state().wire())));
  }

  private Future<Reply> follows(Call call) {
    return Future.all(edge.store().follows(call.phone()), edge.store().followLabels(call.phone())).map(both -> {
      List<org.crisishub.domain.Follow> list = both.resultAt(0);
      java.util.Map<String, String> labels = both.resultAt(1);
      ArrayNode a = Wire.array();
      list.forEach(f -> a.add(Wire.followAsFollower(f, labels.get(f.subject()))));
      return Reply.ok(a);
    });
  }

  /** {@code PUT /api/v1/follows/{phone} {label}}: the caller's private name for a person they follow. */
  private Future<Reply> label(Call call) {
    String subject = pathPhone(call.ctx());
    JsonNode b = bodyObject(call.ctx());
    JsonNode l = b.get("label");
    if (l == null || !(l.isTextual() || l.isNull())) {
      throw HubException.invalid("label must be a string (\"\" removes it)");
    }
    return edge.follows().label(call.phone(), subject, l.isNull() ? null : l.asText())
        .compose(kept -> edge.store().follow(call.phone(), subject).map(f -> Reply.ok(f
            .map(x -> Wire.followAsFollower(x, kept))
            .orElseGet(() -> Wire.object().put("phone", subject)))));
  }

  private Future<Reply> unfollow(Call call) {
    return edge.follows().unfollow(call.phone(), pathPhone(call.ctx())).map(x -> Reply.noContent());
  }

  private Future<Reply> followers(Call call) {
    return edge.store().followers(call.phone()).map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(f -> a.add(Wire.followAsSubject(f)));
      return Reply.ok(a);
    });
  }

  private Future<Reply> answer(Call call) {
    String follower = pathPhone(call.ctx());
    boolean allow = Fields.requiredBoolean(bodyObject(call.ctx()), "allow");
    return edge.follows().answer(call.phone(), follower, allow)
        .map(f -> Reply.ok(Wire.object().put("phone", f.follower()).put("state", f.state().wire())));
  }

  private Future<Reply> contacts(Call call) {
    return edge.store().contacts(call.phone()).map(list -> {
      ArrayNode a = Wire.array();
      list.forEach(p -> a.add(Wire.object().put("phone", p)));
      return Reply.ok(a);
    });
  }

  private Future<Reply> trust(Call call) {
    String contact = pathPhone(call.ctx());
    return edge.follows().trust(call.phone(), contact)
        .map(v -> Reply.ok(Wire.object().put("phone", contact).put("trusted", true)));
  }

  private Future<Reply> distrust(Call call) {
    return edge.follows().distrust(call.phone(), pathPhone(call.ctx())).map(x -> Reply.noContent());
  }

  // ------------------------------------------------------------------ live streams

  private void webSocket(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    Runnable release = edge.connections().admitStream(req, clientAddress.of(req));
    if (release == null) {
      return; // over the per-address cap: closed and counted
    }
    if (!originAllowed(req)) {
      release.run();
      Errors.send(ctx, HubException.forbidden());
      return;
    }
    // vertx-web wraps the WebSocket; the channel is the request's own (an upgrade keeps the socket).
    io.netty.channel.Channel channel = ConnectionGuard.channel(req.connection());
    req.toWebSocket().onSuccess(ws -> new WsSession(ws, channel, vertx.getOrCreateContext(), edge).start())
        .onFailure(t -> {
          release.run();
          if (!ctx.response().ended()) {
            Errors.send(ctx, HubException.invalid("not a WebSocket handshake"));
          }
        });
  }

  /** Browsers send {@code Origin}; a request without one is not from a browser and is allowed. */
  private boolean originAllowed(HttpServerRequest req) {
    String origin = req.getHeader("Origin");
    if (origin == null) {
      return true;
    }
    List<String> allowed = edge.config().allowedOrigins();
    if (allowed.isEmpty()) {
      String host = req.getHeader("Host");
      return host != null && origin.equalsIgnoreCase(req.scheme() + "://" + host);
    }
    return allowed.contains("*") || allowed.stream().anyMatch(a -> a.equalsIgnoreCase(origin));
  }

  /**
   * The SSE mirror. {@code token} (query or bearer; a person's or a responder's) gives the person's
   * stream; each {@code incident} parameter subscribes to that incident's notices (and help
   * requests, for a responder). Without a token, at least one incident is needed.
   */
  private void events(RoutingContext ctx) {
    Runnable release = edge.connections().admitStream(ctx.request(), clientAddress.of(ctx.request()));
    if (release == null) {
      return; // over the per-address cap: closed and counted
    }
    ctx.response().endHandler(v -> release.run());
    String token = ctx.queryParams().get("token") != null ? ctx.queryParams().get("token") : bearerToken(ctx);
    List<String> incidents = ctx.queryParam("incident");
    if (token == null && incidents.isEmpty()) {
      Errors.send(ctx, HubException.unauthorized("a token or an incident is required"));
      return;
    }
    List<String> codes = new java.util.ArrayList<>();
    for (String i : incidents) {
      try {
        codes.add(CheckInRequest.normaliseIncident(i));
      } catch (HubException e) {
        Errors.send(ctx, e);
        return;
      }
    }
    // With an incident the stream is public (its notices): a bad token is then ignored.
    Future<Principal> who = (codes.isEmpty() ? Principal.of(edge, token) : Principal.orNobody(edge, token))
        .map(p -> {
          if (codes.isEmpty() && !(p instanceof Principal.Person) && !(p instanceof Principal.Responder)) {
            throw Principal.refused(p, "a person's or a responder's token, or an incident, is required");
          }
          return p;
        });
    who.compose(w -> Future.all(codes.stream().map(c -> edge.notices().incident(c)).toList()).map(w)).onComplete(ar -> {
      if (ar.failed()) {
        Errors.send(ctx, ar.cause());
        return;
      }
      var resp = ctx.response();
      resp.setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("X-Accel-Buffering", "no");
      if (isHead(ctx)) {
        resp.end(); // HEAD: the stream's headers, and no stream
        return;
      }
      resp.write(": crisis hub\n\n");
      SseSession s = new SseSession(resp, ctx.request().connection(), vertx.getOrCreateContext(),
          edge.config().wsQueueFrames());
      edge.fanOut().add(s);
      // The stream ended (the hub closed it): it leaves the gauges and the per-address count now, even
      // if the connection stays for more requests. A stuck end is reset by the session's close grace.
      resp.endHandler(v -> {
        release.run();
        edge.fanOut().remove(s);
      });
      resp.closeHandler(v -> {
        s.clientLeft();
        edge.fanOut().remove(s);
      });
      Future<Void> begun;
      if (ar.result() instanceof Principal.Person person) {
        begun = Sessions.begin(edge, s, person.claims());
      } else {
        if (ar.result() instanceof Principal.Responder r) {
          Sessions.beginResponder(edge, s, r.session());
        }
        begun = Future.succeededFuture();
      }
      begun.compose(v -> {
        s.hold();
        List<OutFrame> first = new java.util.ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (String code : codes) {
          chain = chain.compose(x -> Sessions.subscribe(edge, s, code).map(frames -> {
            first.addAll(frames);
            return null;
          }));
        }
        return chain.andThen(x -> s.release(first));
      }).onFailure(t -> {
        HubException h = Errors.of(t);
        s.close(org.crisishub.fanout.ClientSession.CLOSE_GOING_AWAY, h.getMessage());
      });
    });
  }

  // ------------------------------------------------------------------ dev SMS

  private Future<Reply> devMessages(RoutingContext ctx) {
    String to = ctx.queryParams().get("to");
    String phone = to == null ? null : edge.phones().normalise(to);
    ArrayNode a = Wire.array();
    for (DevSmsSender.Message m : edge.devSms().messages(phone)) {
      a.add(Wire.object().put("to", m.to()).put("body", m.body()).put("at", Wire.time(m.at())));
    }
    return Future.succeededFuture(Reply.ok(a));
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
