package org.crisishub.domain;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Times as the contract writes them: RFC 3339, UTC, whole seconds. */
public final class Rfc3339 {
  private Rfc3339() {
  }

  /** {@code 2026-11-22T14:05:09Z}: {@code t} truncated to the second. */
  public static String seconds(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
