package org.crisishub.domain;

import java.time.Instant;

/** An incident: a short textable {@code code}; {@code area} and {@code closedAt} may be null. */
public record Incident(String id, String code, String name, Area area, boolean twoPersonRule, String state,
    Instant createdAt, Instant closedAt) {
  public boolean open() {
    return "open".equals(state);
  }
}
