package org.crisishub.domain;

/**
 * Coalescing keys of outbound SMS. While a message with a key still waits in the outbox, queuing
 * another one with the same key to the same number replaces its text (only the latest is sent).
 * Keys of broadcast traffic (notices, safety-check asks) mark it as such: the outbox sends
 * person-to-person traffic first. Pure functions; thread-safe.
 */
public final class SmsKeys {
  /** Prefix of a status notification: {@code status:<subject E.164>}. */
  public static final String STATUS = "status:";
  /** Prefix of a published notice's SMS: {@code notice:<notice id>}. */
  public static final String NOTICE = "notice:";
  /** Prefix of a safety-check ask: {@code safety:<check id>} (and its follow-ups). */
  public static final String SAFETY = "safety:";

  private SmsKeys() {
  }

  /** The key of the status notification about {@code subject}: one waiting text per follower and person. */
  public static String status(String subject) {
    return STATUS + subject;
  }

  /** The key of the SMS of notice {@code noticeId}. */
  public static String notice(String noticeId) {
    return NOTICE + noticeId;
  }

  /** Whether {@code key} (null: none) marks broadcast traffic (notices, safety checks). */
  public static boolean broadcast(String key) {
    return key != null && (key.startsWith(SAFETY) || key.startsWith(NOTICE));
  }
}
