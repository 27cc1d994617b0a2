package org.crisishub.domain;

import java.util.List;
import java.util.Locale;

/**
 * The OASIS CAP 1.2 value sets the hub uses, accepted in any letter case and served as CAP writes
 * them.
 */
public final class Cap {
  public static final List<String> SEVERITY = List.of("Extreme", "Severe", "Moderate", "Minor", "Unknown");
  public static final List<String> URGENCY = List.of("Immediate", "Expected", "Future", "Past", "Unknown");
  public static final List<String> CERTAINTY = List.of("Observed", "Likely", "Possible", "Unlikely", "Unknown");
  public static final List<String> MSG_TYPE = List.of("Alert", "Update", "Cancel");
  public static final List<String> CATEGORY = List.of("Geo", "Met", "Safety", "Security", "Rescue", "Fire",
      "Health", "Env", "Transport", "Infra", "CBRNE", "Other");

  private Cap() {
  }

  /**
   * The canonical spelling of {@code value} in {@code allowed}.
   *
   * @throws HubException {@code invalid_request} naming the field and the allowed values
   */
  public static String canonical(String field, String value, List<String> allowed) {
    if (value != null) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      for (String a : allowed) {
        if (a.toLowerCase(Locale.ROOT).equals(v)) {
          return a;
        }
      }
    }
    throw HubException.invalid(field + " must be one of " + allowed);
  }
}
