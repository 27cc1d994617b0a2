package org.crisishub.domain;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;

/**
 * Parses phone numbers as people write them and normalises them to E.164 with libphonenumber.
 * A number is accepted when it is possible for its country (digits and length), so that test
 * ranges and newly assigned ranges work too.
 * Thread-safe and immutable.
 */
public final class Phones {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
  private static final int MAX_INPUT = 64;

  private final String defaultRegion;

  public Phones(String defaultRegion) {
    if (!UTIL.getSupportedRegions().contains(defaultRegion)) {
      throw new IllegalArgumentException("unknown region " + defaultRegion);
    }
    this.defaultRegion = defaultRegion;
  }

  public String defaultRegion() {
    return defaultRegion;
  }

  /**
   * The E.164 form of {@code raw}, which may be international ({@code +1 555…}, {@code 00…}) or
   * national in the default region.
   *
   * @throws HubException {@code invalid_request} when it is not a valid number
   */
  public String normalise(String raw) {
    if (raw == null || raw.isBlank() || raw.length() > MAX_INPUT) {
      throw HubException.invalid("phone must be a valid phone number");
    }
    try {
      PhoneNumber number = UTIL.parse(raw.strip(), defaultRegion);
      // Possible (right length for its country), not only currently assigned: fictional and test
      // ranges (+1 555 ...) and ranges assigned after this library release must still work.
      if (!UTIL.isPossibleNumber(number)) {
        throw HubException.invalid("phone must be a valid phone number");
      }
      return UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.E164);
    } catch (NumberParseException e) {
      throw HubException.invalid("phone must be a valid phone number");
    }
  }

  /** A phone number with all but its first two and last two digits hidden, for logs. */
  public static String mask(String phone) {
    if (phone == null) {
      return "null";
    }
    int n = phone.length();
    if (n <= 4) {
      return "***";
    }
    int keepHead = phone.startsWith("+") ? Math.min(3, n - 2) : 0;
    return phone.substring(0, keepHead) + "*".repeat(n - keepHead - 2) + phone.substring(n - 2);
  }
}
