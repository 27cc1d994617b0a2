package org.crisishub.domain;

/**
 * Who acts on an incident: a responder, or the admin (its secret token from configuration).
 * {@code responder} is null for the admin.
 */
public record Actor(Responder responder) {
  private static final Actor ADMIN = new Actor(null);

  public static Actor admin() {
    return ADMIN;
  }

  public static Actor of(Responder responder) {
    if (responder == null) {
      throw new IllegalArgumentException("a responder is required; use Actor.admin() for the admin");
    }
    return new Actor(responder);
  }

  public boolean isAdmin() {
    return responder == null;
  }

  /** The name written to the audit trail: the username, or {@code admin}. */
  public String name() {
    return responder == null ? "admin" : responder.username();
  }
}
