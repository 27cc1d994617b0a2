package org.crisishub.domain;

/** The consent state of a follow: nobody sees a status until its subject made it {@link #ACTIVE}. */
public enum FollowState {
  PENDING("pending"),
  ACTIVE("active"),
  REVOKED("revoked");

  private final String wire;

  FollowState(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static FollowState fromWire(String s) {
    for (FollowState f : values()) {
      if (f.wire.equals(s)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown follow state " + s);
  }
}
