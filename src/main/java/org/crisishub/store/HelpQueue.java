package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.CheckIn;

/**
 * Each incident's triage queue of need_help check-ins. Requests are filed by
 * {@link CheckInLog#recordCheckIn}, in the check-in's own unit of work; retention deletes them with
 * their check-in.
 *
 * <p>Durability: a succeeded change is durable. {@link #setHelpState} is judged and changed
 * atomically (forward only, {@link #HELP_STATES}). Store faults fail with
 * {@code HubException(UNAVAILABLE)}; futures complete on the caller's context; thread-safe,
 * non-blocking.
 */
public interface HelpQueue {

  /** Help requests of an incident, oldest first; only open and acknowledged ones when {@code openOnly}. */
  Future<List<HelpRequest>> helpRequests(String incident, boolean openOnly);

  /** The codes of the incidents whose help queue holds check-in {@code checkinId} (none: not a help request), sorted. */
  Future<List<String>> helpIncidents(String checkinId);

  /**
   * The help-request states in their order. A request only moves forward: open → acknowledged →
   * resolved, or open → resolved at once; never back, and never to the state it is in.
   */
  List<String> HELP_STATES = List.of("open", "acknowledged", "resolved");

  /** Whether a help request in state {@code from} may move to {@code to} (see {@link #HELP_STATES}). */
  static boolean advances(String from, String to) {
    int a = HELP_STATES.indexOf(from);
    return a >= 0 && HELP_STATES.indexOf(to) > a;
  }

  /**
   * Moves a help request to {@code state} (acknowledged, resolved), recording who did it: the
   * responder's username and agency. Empty when there is no such help request. Fails with
   * {@code HubException(CONFLICT)}, changing nothing, when the request is not in a state before
   * {@code state} ({@link #advances}); judged and changed atomically, so of two racing
   * changes to the same state one succeeds.
   */
  Future<Optional<HelpRequest>> setHelpState(String checkinId, String state, String responder, String agency,
      Instant now);

  /** The help request of a check-in (its first incident, when it joined several), if any. */
  Future<Optional<HelpRequest>> helpRequest(String checkinId);

  /**
   * A need_help check-in in an incident's triage queue; {@code state}: open, acknowledged, resolved.
   * {@code byResponder} and {@code byAgency}: who last acted on it (null while nobody did);
   * {@code updatedAt}: when its state last changed (when it was filed, while open).
   */
  record HelpRequest(CheckIn checkIn, String incident, String state, String byResponder, String byAgency,
      Instant updatedAt) {
  }
}
