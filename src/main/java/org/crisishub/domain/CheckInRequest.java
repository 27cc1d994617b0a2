package org.crisishub.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A validated request to record a check-in. Construction enforces the contract's rules, so a
 * {@code CheckInRequest} that exists is valid.
 *
 * @param key client-made idempotency key, or null
 * @param madeAt when the client says the person made the check-in (its own clock; it may have
 *     waited offline), or null; checked against the hub's clock by {@link #checkMadeAt}
 */
public record CheckInRequest(
    String phone,
    Status status,
    String note,
    Location location,
    String incident,
    Channel channel,
    String key,
    Instant madeAt) {

  public static final int MAX_NOTE_CODE_POINTS = 280;
  public static final int MAX_KEY_LENGTH = 128;
  /** How far ahead of the hub's clock a client's {@code madeAt} may be (clock skew). */
  public static final Duration MADE_AT_MAX_AHEAD = Duration.ofMinutes(5);
  /** How old a {@code madeAt} may be: a check-in kept offline longer is refused. */
  public static final Duration MADE_AT_MAX_AGE = Duration.ofHours(24);
  private static final Pattern INCIDENT_CODE = Pattern.compile("[A-Z0-9][A-Z0-9_-]{1,15}");

  public CheckInRequest {
    if (phone == null || status == null || channel == null) {
      throw HubException.invalid("phone, status and channel are required");
    }
    note = normaliseNote(note);
    incident = normaliseIncident(incident);
    if (key != null) {
      if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
        throw HubException.invalid("key must be 1 to " + MAX_KEY_LENGTH + " characters");
      }
    }
  }

  /** A check-in without a client time. */
  public CheckInRequest(String phone, Status status, String note, Location location, String incident,
      Channel channel, String key) {
    this(phone, status, note, location, incident, channel, key, null);
  }

  /**
   * Refuses ({@code invalid_request}) a {@code madeAt} more than 5 minutes after {@code now} or more
   * than 24 hours before it.
   */
  public void checkMadeAt(Instant now) {
    if (madeAt == null) {
      return;
    }
    if (madeAt.isAfter(now.plus(MADE_AT_MAX_AHEAD))) {
      throw HubException.invalid("madeAt must not be more than 5 minutes in the future");
    }
    if (madeAt.isBefore(now.minus(MADE_AT_MAX_AGE))) {
      throw HubException.invalid("madeAt must not be older than 24 hours");
    }
  }

  /**
   * A blank note is no note; a note longer than 280 Unicode code points is refused, and so is one
   * that is not well-formed text (an unpaired surrogate) or holds a control character other than
   * tab, line feed and carriage return (NUL, escape, bell...).
   */
  public static String normaliseNote(String note) {
    if (note == null) {
      return null;
    }
    if (!TextNormaliser.isWellFormed(note)) {
      throw HubException.invalid("note is not well-formed Unicode text (an unpaired surrogate or a NUL)");
    }
    for (int i = 0; i < note.length(); i++) {
      char c = note.charAt(i);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c <= 0x9F)) {
        throw HubException.invalid("note must not contain control characters other than tab and line breaks");
      }
    }
    String n = note.strip();
    if (n.isEmpty()) {
      return null;
    }
    if (n.codePointCount(0, n.length()) > MAX_NOTE_CODE_POINTS) {
      throw HubException.invalid("note must be at most " + MAX_NOTE_CODE_POINTS + " characters");
    }
    return n;
  }

  /** Incident codes are case-insensitive: stored upper-case. */
  public static String normaliseIncident(String incident) {
    if (incident == null) {
      return null;
    }
    String code = incident.strip().toUpperCase(Locale.ROOT);
    if (!INCIDENT_CODE.matcher(code).matches()) {
      throw HubException.invalid("incident must be an incident code (2 to 16 letters, digits, - or _)");
    }
    return code;
  }
}
