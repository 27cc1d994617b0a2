package org.crisishub.sms;

/**
 * A message was not accepted. {@code permanent}: sending it again will not help (invalid number,
 * number unsubscribed); otherwise a later attempt may (429, 5xx, network).
 */
public final class SmsSendException extends RuntimeException {
  private final boolean permanent;
  private final boolean rateLimited;
  private final Integer providerCode;

  public SmsSendException(String message, boolean permanent, boolean rateLimited, Integer providerCode, Throwable cause) {
    super(message, cause, false, false);
    this.permanent = permanent;
    this.rateLimited = rateLimited;
    this.providerCode = providerCode;
  }

  public boolean permanent() {
    return permanent;
  }

  public boolean rateLimited() {
    return rateLimited;
  }

  /** Twilio's error code (e.g. 21211 invalid number, 21610 unsubscribed), or null. */
  public Integer providerCode() {
    return providerCode;
  }
}
