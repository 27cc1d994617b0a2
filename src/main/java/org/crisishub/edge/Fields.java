package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Location;

/** Typed, validated reads of request fields: a wrong type is {@code invalid_request}, never a crash. */
public final class Fields {
  private Fields() {
  }

  public static String requiredString(JsonNode n, String field) {
    String s = optionalString(n, field);
    if (s == null) {
      throw HubException.invalid(field + " is required");
    }
    return s;
  }

  public static String optionalString(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw HubException.invalid(field + " must be a string");
    }
    return v.textValue();
  }

  public static boolean optionalBoolean(JsonNode n, String field, boolean dflt) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw HubException.invalid(field + " must be true or false");
    }
    return v.booleanValue();
  }

  public static boolean requiredBoolean(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isBoolean()) {
      throw HubException.invalid(field + " must be true or false");
    }
    return v.booleanValue();
  }

  public static Location optionalLocation(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isObject()) {
      throw HubException.invalid(field + " must be an object {lat, lon, accuracyM?}");
    }
    return new Location(number(v, "lat", field), number(v, "lon", field),
        v.hasNonNull("accuracyM") ? number(v, "accuracyM", field) : null);
  }

  /**
   * An RFC 3339 time with an offset ({@code 2026-11-22T14:05:09Z}, {@code …+01:00}, fractions of
   * a second allowed), or null when absent.
   */
  public static java.time.Instant optionalTime(JsonNode n, String field) {
    String s = optionalString(n, field);
    if (s == null) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(s).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      throw HubException.invalid(field + " must be an RFC 3339 time such as 2026-11-22T14:05:09Z");
    }
  }

  private static double number(JsonNode obj, String name, String parent) {
    JsonNode v = obj.get(name);
    if (v == null || !v.isNumber()) {
      throw HubException.invalid(parent + "." + name + " must be a number");
    }
    return v.doubleValue();
  }
}
