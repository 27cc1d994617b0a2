package org.crisishub.domain;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A validated request to record a check-in. Construction enforces the contract's rules, so a
 * {@code CheckInRequest} that exists is valid.
 *
 * @param key client-made idempotency key, or null
 */
public record CheckInRequest(
    String phone,
    Status status,
    String note,
    Location location,
    String incident,
    Channel channel,
    String key) {

  public static final int MAX_NOTE_CODE_POINTS = 280;
  public static final int MAX_KEY_LENGTH = 128;
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
