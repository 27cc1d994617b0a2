package org.crisishub.domain;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An incident: a short textable {@code code}; {@code area} and {@code closedAt} may be null.
 * {@code agency} is the owning agency (the creating responder's); null only for an incident made
 * before agencies existed whose creator could not be found (the first partner the admin adds then
 * becomes its owner). {@code partners} are the other agencies that serve it, in the order added.
 */
public record Incident(String id, String code, String name, Area area, boolean twoPersonRule, String state,
    Instant createdAt, Instant closedAt, String agency, List<String> partners) {

  public Incident {
    partners = partners == null ? List.of() : List.copyOf(partners);
  }

  /** An incident without owner or partners (tests, and incidents from before agencies). */
  public Incident(String id, String code, String name, Area area, boolean twoPersonRule, String state,
      Instant createdAt, Instant closedAt) {
    this(id, code, name, area, twoPersonRule, state, createdAt, closedAt, null, List.of());
  }

  public boolean open() {
    return "open".equals(state);
  }

  /** The agencies that serve this incident: the owner (when known) and the partners. */
  public Set<String> agencies() {
    Set<String> all = new LinkedHashSet<>();
    if (agency != null) {
      all.add(agency);
    }
    all.addAll(partners);
    return all;
  }

  /** True when {@code agency} is the owner or a partner. */
  public boolean servedBy(String agency) {
    return Agencies.same(agency, this.agency) || Agencies.contains(partners, agency);
  }
}
