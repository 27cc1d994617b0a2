package org.crisishub.domain;

import java.util.Collection;
import java.util.Locale;

/**
 * Agency names identify an agency without regard to letter case: "Red Cross" and "red cross" are one
 * agency (they also share one sender id, {@code red-cross@…}). The hub keeps the spelling it first
 * learnt (a responder's account, an incident's owner or partner) and compares names with
 * {@link #same}. Stateless and thread-safe.
 */
public final class Agencies {
  private Agencies() {
  }

  /** The form names are compared in: locale-independent lower case. {@code null} stays null. */
  public static String key(String name) {
    return name == null ? null : name.toLowerCase(Locale.ROOT);
  }

  /** True when {@code a} and {@code b} name the same agency (both non-null, equal ignoring case). */
  public static boolean same(String a, String b) {
    return a != null && b != null && key(a).equals(key(b));
  }

  /** True when {@code names} holds an agency the same as {@code name}. */
  public static boolean contains(Collection<String> names, String name) {
    if (name == null) {
      return false;
    }
    for (String n : names) {
      if (same(n, name)) {
        return true;
      }
    }
    return false;
  }
}
