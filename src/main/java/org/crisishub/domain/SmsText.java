package org.crisishub.domain;

/**
 * SMS segment arithmetic. A text that uses only the GSM 03.38 alphabet is sent as GSM-7: 160
 * characters in one segment, 153 per segment when split (extension characters such as {@code €}
 * or {@code [} count twice). Anything else is sent as UCS-2: 70 UTF-16 units in one segment, 67
 * per segment when split. Pure and thread-safe.
 */
public final class SmsText {
  private static final String GSM_BASIC =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001BÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  private static final String GSM_EXTENSION = "\f^{}\\[~]|€";

  private SmsText() {
  }

  /** True when {@code text} can be sent as GSM-7. */
  public static boolean isGsm7(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (GSM_BASIC.indexOf(c) < 0 && GSM_EXTENSION.indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Septets (GSM-7) or UTF-16 units (UCS-2) the text takes. */
  static int units(String text, boolean gsm) {
    if (!gsm) {
      return text.length();
    }
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      n += GSM_EXTENSION.indexOf(text.charAt(i)) >= 0 ? 2 : 1;
    }
    return n;
  }

  /** How many segments {@code text} is sent in. */
  public static int segments(String text) {
    boolean gsm = isGsm7(text);
    int units = units(text, gsm);
    int single = gsm ? 160 : 70;
    int multi = gsm ? 153 : 67;
    if (units <= single) {
      return 1;
    }
    return (units + multi - 1) / multi;
  }

  /** The most units that fit in {@code segments} segments. */
  static int capacity(boolean gsm, int segments) {
    if (segments <= 1) {
      return gsm ? 160 : 70;
    }
    return (gsm ? 153 : 67) * segments;
  }

  /**
   * {@code text} shortened, if needed, to fit in {@code maxSegments} segments, ending in "..." when
   * cut. Never splits a surrogate pair.
   */
  public static String fit(String text, int maxSegments) {
    if (text == null) {
      return "";
    }
    if (segments(text) <= maxSegments) {
      return text;
    }
    boolean gsm = isGsm7(text);
    int cap = capacity(gsm, maxSegments) - 3;
    int units = 0;
    int end = 0;
    while (end < text.length()) {
      int cp = text.codePointAt(end);
      int len = Character.charCount(cp);
      int u = gsm ? units(text.substring(end, end + len), true) : len;
      if (units + u > cap) {
        break;
      }
      units += u;
      end += len;
    }
    return text.substring(0, end).stripTrailing() + "...";
  }
}
