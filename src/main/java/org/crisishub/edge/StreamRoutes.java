package org.crisishub.edge;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.HubException;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.OutFrame;
import org.crisishub.notices.NoticeService;

/**
 * The live streams: the WebSocket ({@code /api/v1/ws}, transport {@link WsSession}, protocol
 * {@link WsProtocol}) and its SSE mirror ({@code /api/v1/events}, {@link SseSession}). Both start
 * sessions and subscriptions through the same {@link Sessions}. Thread-safe: one instance serves
 * every HTTP verticle.
 */
public final class StreamRoutes implements HttpApi.Routes {
  private final Uses uses;

  /**
   * What the streams use. Every member is thread-safe.
   *
   * @param connections this node's per-address stream caps
   * @param allowedOrigins {@code HUB_ALLOWED_ORIGINS} for the WebSocket handshake (empty: same origin only)
   * @param queueFrames {@code HUB_WS_QUEUE_FRAMES}: frames a session may queue before it is closed as slow
   * @param protocol what the WebSocket's frames call
   */
  public record Uses(ConnectionGuard connections, ClientAddress clientAddress, List<String> allowedOrigins,
      int queueFrames, Authenticator authenticator, Sessions sessions, FanOut fanOut, NoticeService notices,
      WsProtocol.Uses protocol) {
    public Uses {
      allowedOrigins = List.copyOf(allowedOrigins);
    }
  }

  public StreamRoutes(Uses uses) {
    this.uses = uses;
  }

  @Override
  public void mount(Router r) {
    r.get("/api/v1/ws").handler(this::webSocket);
    r.get("/api/v1/events").handler(this::events);
  }

  private void webSocket(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    Runnable release = uses.connections().admitStream(req, uses.clientAddress().of(req));
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
    req.toWebSocket().onSuccess(ws -> {
      WsSession transport = new WsSession(ws, channel, ctx.vertx().getOrCreateContext(), uses.queueFrames(),
          uses.fanOut());
      transport.start(new WsProtocol(transport, uses.protocol()));
    }).onFailure(t -> {
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
    List<String> allowed = uses.allowedOrigins();
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
    Runnable release = uses.connections().admitStream(ctx.request(), uses.clientAddress().of(ctx.request()));
    if (release == null) {
      return; // over the per-address cap: closed and counted
    }
    ctx.response().endHandler(v -> release.run());
    String token = ctx.queryParams().get("token") != null ? ctx.queryParams().get("token") : HttpApi.bearerToken(ctx);
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
    Authenticator auth = uses.authenticator();
    Future<Principal> who = (codes.isEmpty() ? auth.of(token) : auth.orNobody(token))
        .map(p -> {
          if (codes.isEmpty() && !(p instanceof Principal.Person) && !(p instanceof Principal.Responder)) {
            throw Principal.refused(p, "a person's or a responder's token, or an incident, is required");
          }
          return p;
        });
    who.compose(w -> Future.all(codes.stream().map(c -> uses.notices().incident(c)).toList()).map(w)).onComplete(ar -> {
      if (ar.failed()) {
        Errors.send(ctx, ar.cause());
        return;
      }
      var resp = ctx.response();
      resp.setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("X-Accel-Buffering", "no");
      if (HttpApi.isHead(ctx)) {
        resp.end(); // HEAD: the stream's headers, and no stream
        return;
      }
      resp.write(": crisis hub\n\n");
      SseSession s = new SseSession(resp, ctx.request().connection(), ctx.vertx().getOrCreateContext(),
          uses.queueFrames());
      uses.fanOut().add(s);
      // The stream ended (the hub closed it): it leaves the gauges and the per-address count now, even
      // if the connection stays for more requests. A stuck end is reset by the session's close grace.
      resp.endHandler(v -> {
        release.run();
        uses.fanOut().remove(s);
      });
      resp.closeHandler(v -> {
        s.clientLeft();
        uses.fanOut().remove(s);
      });
      Future<Void> begun;
      if (ar.result() instanceof Principal.Person person) {
        begun = uses.sessions().begin(s, person.claims());
      } else {
        if (ar.result() instanceof Principal.Responder r) {
          uses.sessions().beginResponder(s, r.session());
        }
        begun = Future.succeededFuture();
      }
      begun.compose(v -> {
        s.hold();
        List<OutFrame> first = new java.util.ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (String code : codes) {
          chain = chain.compose(x -> uses.sessions().subscribe(s, code).map(frames -> {
            first.addAll(frames);
            return null;
          }));
        }
        return chain.andThen(x -> s.release(first));
      }).onFailure(t -> {
        HubException h = Errors.of(t);
        s.close(ClientSession.CLOSE_GOING_AWAY, h.getMessage());
      });
    });
  }
}
