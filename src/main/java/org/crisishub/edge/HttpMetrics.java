package org.crisishub.edge;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Handler;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of the router: times every HTTP request into
 * {@code hub_http_requests_seconds{method,route,status}} (a Prometheus histogram: {@code _count} is
 * requests, {@code _bucket} the latency distribution). {@code route} is the route's template
 * ({@code /api/v1/people/:phone/status}), never the path a client sent, so the series stay few:
 * prefix routes show as {@code /assets/*}, requests no route answered as {@code unmatched}.
 * WebSocket upgrades and SSE streams are counted only when they are refused (status 400 and up):
 * their duration is a connection's life, not a request's latency, and {@code hub_connections}
 * tracks them. Thread-safe; one instance may serve every router.
 */
public final class HttpMetrics implements Handler<RoutingContext> {
  private static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

  private final MeterRegistry registry;

  public HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(ar -> record(ctx, System.nanoTime() - start));
    ctx.next();
  }

  private void record(RoutingContext ctx, long nanos) {
    int status = ctx.response().getStatusCode();
    String route = template(ctx.currentRoute(), status);
    if ((route.equals("/api/v1/ws") || route.equals("/api/v1/events")) && status < 400) {
      return;
    }
    Timer.builder("hub.http.requests")
        .description("HTTP requests by method, route template and status, with their latency (to the last byte)")
        .tags("method", ctx.request().method().name(), "route", route, "status", Integer.toString(status))
        .serviceLevelObjectives(BUCKETS)
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The route's template; {@code unmatched} for the catch-all routes every request passes. */
  static String template(Route route, int status) {
    String path = route == null ? null : route.getPath();
    if (path == null || status == 404 && !route.isExactPath()) {
      // A 404 after only the prefix routes (request ids, /api/v1/* bodies): no route answered.
      return "unmatched";
    }
    return !route.isExactPath() && path.endsWith("/") ? path + "*" : path;
  }
}
