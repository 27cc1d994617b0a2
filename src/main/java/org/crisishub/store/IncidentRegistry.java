package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Incident;

/**
 * Incidents (code, name, area, owning agency and partners, open or closed) and the spelling of
 * agency names.
 *
 * <p>Durability: a succeeded change is durable. Creation is first-wins on the code; closing and
 * partner changes are atomic per incident and idempotent (closing a closed incident, adding a
 * partner twice, change nothing). Store faults fail with {@code HubException(UNAVAILABLE)};
 * futures complete on the caller's context; thread-safe, non-blocking.
 */
public interface IncidentRegistry {

  /** Creates an incident (with its owning agency and partners); false when the code is taken. */
  Future<Boolean> createIncident(Incident incident);

  /** The incident with this code, if any. */
  Future<Optional<Incident>> incident(String code);

  /**
   * The incident a caller names: {@code code} as a client sent it (normalised like a check-in's
   * {@code incident}: trimmed, upper-case). Fails with {@code HubException(NOT_FOUND)} "no such
   * incident" when the code is malformed or unknown (a malformed code is no incident, not a 400).
   */
  default Future<Incident> existing(String code) {
    String c;
    try {
      c = CheckInRequest.normaliseIncident(code);
    } catch (HubException e) {
      return Future.failedFuture(HubException.notFound("no such incident"));
    }
    return incident(c).compose(i -> i.isPresent() ? Future.succeededFuture(i.get())
        : Future.failedFuture(HubException.notFound("no such incident")));
  }

  /** All incidents, newest first (then by code). */
  Future<List<Incident>> incidents();

  /** Closes an open incident (starts the retention clock of its check-ins); the incident as it is then. */
  Future<Optional<Incident>> closeIncident(String code, Instant now);

  /**
   * Adds ({@code add}) or removes a partner agency of an incident, atomically, and returns the
   * incident as it is then (empty when there is no such incident). Adding to an incident without an
   * owner makes {@code agency} its owner; adding the owner or a partner again, or removing an agency
   * that is not a partner, changes nothing. Agencies compare ignoring case ({@code Agencies.same}).
   */
  Future<Optional<Incident>> setIncidentPartner(String code, String agency, boolean add);

  /**
   * The spelling under which the hub already knows the agency {@code name} names, ignoring letter
   * case ({@code Agencies.same}): a responder's agency, or an incident's owner or partner, as first
   * stored; {@code name} itself for an agency not known yet. Callers store agencies in this spelling,
   * so one agency has one name (one key, one sender id).
   */
  Future<String> agencyNamed(String name);
}
