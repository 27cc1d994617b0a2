package org.crisishub.domain;

/**
 * A failure with a stable {@link ErrorCode} and a message that is safe to show to the caller (it
 * never contains personal data). Edges map it to an HTTP status, a WebSocket error frame or an SMS
 * reply; anything that is not a {@code HubException} is reported as {@link ErrorCode#INTERNAL}.
 */
public class HubException extends RuntimeException {
  private final ErrorCode code;
  private final long retryAfterSeconds;

  public HubException(ErrorCode code, String message) {
    this(code, message, 0, null);
  }

  public HubException(ErrorCode code, String message, Throwable cause) {
    this(code, message, 0, cause);
  }

  private HubException(ErrorCode code, String message, long retryAfterSeconds, Throwable cause) {
    super(message, cause, false, false);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static HubException invalid(String message) {
    return new HubException(ErrorCode.INVALID_REQUEST, message);
  }

  public static HubException forbidden() {
    return new HubException(ErrorCode.FORBIDDEN, "not allowed");
  }

  public static HubException unauthorized(String message) {
    return new HubException(ErrorCode.UNAUTHORIZED, message);
  }

  public static HubException notFound(String message) {
    return new HubException(ErrorCode.NOT_FOUND, message);
  }

  public static HubException rateLimited(long retryAfterSeconds) {
    return new HubException(ErrorCode.RATE_LIMITED, "too many requests, retry later",
        Math.max(1, retryAfterSeconds), null);
  }

  public static HubException unavailable(String message, Throwable cause) {
    return new HubException(ErrorCode.UNAVAILABLE, message, cause);
  }

  public ErrorCode code() {
    return code;
  }

  /** Seconds a client should wait before retrying; only meaningful for {@link ErrorCode#RATE_LIMITED}. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
