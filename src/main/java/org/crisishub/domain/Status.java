package org.crisishub.domain;

/** What a person says about themselves in a check-in. */
public enum Status {
  SAFE("safe"),
  NEED_HELP("need_help");

  private final String wire;

  Status(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /**
   * The status named exactly as written: lower-case, without spaces ({@code "SAFE"} and {@code " safe "}
   * are refused).
   *
   * @throws HubException {@code invalid_request} for anything but {@code safe} or {@code need_help}
   */
  public static Status parse(String s) {
    if (s != null) {
      for (Status st : values()) {
        if (st.wire.equals(s)) {
          return st;
        }
      }
    }
    throw HubException.invalid("status must be \"safe\" or \"need_help\"");
  }
}
