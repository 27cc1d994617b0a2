package org.crisishub.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Request ids in the logs. An HTTP request's id ({@code X-Request-Id}, or a fresh one) is kept in
 * the request's own Vert.x context, which follows it through every asynchronous step; this logback
 * turbo filter puts it into the MDC ({@code req}) for each log line written on that context, so
 * every line about one request carries its id, in text and in JSON logs.
 */
public final class RequestIds extends TurboFilter {
  static final String KEY = "hub.request.id";

  /** Remembers {@code id} on the current context, when that context belongs to one request. */
  public static void bind(String id) {
    Context c = Vertx.currentContext();
    if (c instanceof ContextInternal ci && ci.isDuplicate()) {
      ci.getLocal(ContextInternal.LOCAL_MAP, ConcurrentHashMap::new).put(KEY, id);
    }
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    Context c = Vertx.currentContext();
    Object id = c instanceof ContextInternal ci && ci.isDuplicate() ? localData(ci) : null;
    if (id != null) {
      MDC.put("req", (String) id);
    } else if (MDC.get("req") != null) {
      MDC.remove("req");
    }
    return FilterReply.NEUTRAL;
  }

  /** The request id in the context's local map (the map localContextData() returned before it was deprecated). */
  private static Object localData(ContextInternal ci) {
    java.util.concurrent.ConcurrentMap<Object, Object> m = ci.getLocal(ContextInternal.LOCAL_MAP);
    return m == null ? null : m.get(KEY);
  }
}
