package org.crisishub.domain;

import java.util.Set;

/** A responder account: belongs to an agency, holds roles {@code publisher} and/or {@code approver}. */
public record Responder(String username, String agency, Set<String> roles, boolean disabled) {
  public static final String PUBLISHER = "publisher";
  public static final String APPROVER = "approver";

  public boolean can(String role) {
    return !disabled && roles.contains(role);
  }
}
