package org.crisishub.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps failures to the contract's error body, once, at the edge. */
public final class Errors {
  private static final Logger LOG = LoggerFactory.getLogger(Errors.class);

  private Errors() {
  }

  /** The failure as a {@link HubException}; anything unexpected is logged once and becomes internal. */
  public static HubException of(Throwable t) {
    if (t instanceof HubException h) {
      if (h.code() == ErrorCode.UNAVAILABLE) {
        LOG.warn("request refused, store or cluster unavailable: {}", h.getCause() == null
            ? h.getMessage() : h.getCause().toString());
      }
      return h;
    }
    LOG.error("unexpected failure", t);
    return new HubException(ErrorCode.INTERNAL, "internal error");
  }

  public static ObjectNode body(ErrorCode code, String message) {
    ObjectNode n = Wire.object();
    ObjectNode e = n.putObject("error");
    e.put("code", code.wire());
    e.put("message", message);
    return n;
  }

  public static void send(RoutingContext ctx, Throwable t) {
    HubException h = of(t);
    HttpServerResponse r = ctx.response();
    if (r.ended() || r.closed()) {
      return;
    }
    if (r.headWritten()) {
      r.reset();
      return;
    }
    r.setStatusCode(h.code().httpStatus());
    if (h.code() == ErrorCode.RATE_LIMITED) {
      r.putHeader("Retry-After", Long.toString(h.retryAfterSeconds()));
    }
    r.putHeader("Content-Type", "application/json").end(body(h.code(), h.getMessage()).toString());
  }

  public static void send(RoutingContext ctx, ErrorCode code, String message) {
    send(ctx, new HubException(code, message));
  }
}
