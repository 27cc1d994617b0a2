package org.crisishub.core;

import org.crisishub.domain.Actor;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Responder;

/**
 * The one place that decides whether someone may act on an incident (docs/api.md, "Agencies").
 * An incident is served by its owning agency and its partners; responders of other agencies, and
 * people, may do none of the acts below. Pure and thread-safe.
 */
public final class IncidentAccess {
  /** What is done to an incident, and who may do it. */
  public enum Act {
    /** Read the help queue, acknowledge or resolve a call for help, receive help frames: any responder of its agencies. */
    TRIAGE(null, false),
    /** Draft a notice: a {@code publisher} of its agencies. */
    DRAFT(Responder.PUBLISHER, false),
    /** Approve a notice: an {@code approver} of its agencies. */
    APPROVE(Responder.APPROVER, false),
    /** Publish (sign) a notice: a {@code publisher} of its agencies; never the admin, who has no agency key. */
    PUBLISH(Responder.PUBLISHER, false),
    /** See its drafts and approval queue: any responder of its agencies. */
    SEE_DRAFTS(null, false),
    /** Close it: any responder of its agencies, or the admin. */
    CLOSE(null, true),
    /** Add or remove partners: any responder of the owning agency, or the admin. */
    MANAGE_PARTNERS(null, true);

    private final String role;
    private final boolean admin;

    Act(String role, boolean admin) {
      this.role = role;
      this.admin = admin;
    }
  }

  private IncidentAccess() {
  }

  /** True when {@code who} may do {@code act} on {@code incident}. */
  public static boolean allows(Incident incident, Actor who, Act act) {
    if (who.isAdmin()) {
      return act.admin;
    }
    Responder r = who.responder();
    if (r.disabled() || act.role != null && !r.roles().contains(act.role)) {
      return false;
    }
    if (act == Act.MANAGE_PARTNERS) {
      return org.crisishub.domain.Agencies.same(r.agency(), incident.agency());
    }
    return incident.servedBy(r.agency());
  }

  /** True when a responder of {@code agency} may receive the incident's frames carrying people's data. */
  public static boolean seesPeople(Incident incident, String agency) {
    return incident.servedBy(agency);
  }

  /**
   * Fails with 403 {@code forbidden} unless {@code who} may do {@code act} on {@code incident}; the
   * message says why (a missing role, or another agency's incident).
   */
  public static void require(Incident incident, Actor who, Act act) {
    if (allows(incident, who, act)) {
      return;
    }
    if (who.isAdmin()) {
      throw new HubException(ErrorCode.FORBIDDEN, "the admin cannot do this; a responder of the incident's agencies can");
    }
    Responder r = who.responder();
    if (act.role != null && !r.roles().contains(act.role)) {
      throw new HubException(ErrorCode.FORBIDDEN, "this needs the " + act.role + " role");
    }
    if (act == Act.MANAGE_PARTNERS) {
      throw new HubException(ErrorCode.FORBIDDEN, "only a responder of the owning agency (or the admin) manages partners");
    }
    throw new HubException(ErrorCode.FORBIDDEN, "incident " + incident.code() + " is not served by your agency");
  }
}
