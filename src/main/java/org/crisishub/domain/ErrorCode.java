package org.crisishub.domain;

/**
 * The one table of error codes of the hub's interfaces. Each code has a stable wire name and the
 * HTTP status it maps to; WebSocket error frames carry the same name.
 */
public enum ErrorCode {
  INVALID_REQUEST("invalid_request", 400),
  UNAUTHORIZED("unauthorized", 401),
  FORBIDDEN("forbidden", 403),
  NOT_FOUND("not_found", 404),
  CONFLICT("conflict", 409),
  TOO_LARGE("too_large", 413),
  RATE_LIMITED("rate_limited", 429),
  INTERNAL("internal", 500),
  UNAVAILABLE("unavailable", 503);

  private final String wire;
  private final int httpStatus;

  ErrorCode(String wire, int httpStatus) {
    this.wire = wire;
    this.httpStatus = httpStatus;
  }

  public String wire() {
    return wire;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
