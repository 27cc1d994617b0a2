package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What triage keeps besides the help queue itself (docs/triage.md), on both engines: each incident's
 * watch terms, the terms each help request matched, and the reply thread of each help request.
 * Matches and thread messages belong to their help request: retention deletes them with its
 * check-in ({@link Store#purge}).
 *
 * <p>Same promises as {@link Store}: a succeeded future means the change is durable; store faults fail
 * with {@code HubException(UNAVAILABLE)}; futures complete on the caller's context; all methods are
 * thread-safe and never block.
 */
public interface TriageStore {

  /** The incident's watch terms in the order they were set; empty when none. */
  default Future<List<String>> watchTerms(String incident) {
    return stampedWatchTerms(incident).map(WatchTerms::terms);
  }

  /**
   * The incident's watch terms with their stamp, read in one step (the stamp belongs to the terms
   * returned): no terms ever set is an empty list with stamp 0.
   */
  Future<WatchTerms> stampedWatchTerms(String incident);

  /**
   * Replaces the incident's watch terms (already validated) and raises their stamp, in one step;
   * returns the new stamp. The incident exists (the caller checked access).
   */
  Future<Long> setWatchTerms(String incident, List<String> terms);

  /**
   * An incident's watch terms and their stamp: a number that only grows, raised each time the terms
   * are set (0 before the first time). {@code Store#recordCheckIn} reads the stamp of each incident a
   * {@code need_help} check-in joins in its commit ({@code CheckInResult#watchStamps}), so a node knows
   * whether its compiled matcher is current without another read. Immutable.
   */
  record WatchTerms(List<String> terms, long stamp) {
    public WatchTerms {
      terms = List.copyOf(terms);
    }
  }

  /** The watch terms each help request of the incident matched, by check-in id (only those with matches). */
  Future<Map<String, List<String>>> watchMatches(String incident);

  /** The watch terms the help request of {@code checkinId} in {@code incident} matched; empty when none. */
  Future<List<String>> watchMatches(String incident, String checkinId);

  /**
   * Sets the terms the help requests of {@code incident} matched, one entry per check-in id; an empty
   * list removes that request's matches. Ids not named are unchanged.
   */
  Future<Void> setWatchMatches(String incident, Map<String, List<String>> byCheckIn);

  /** Appends a message to the thread of the help request {@code checkinId} (the caller checked it exists). */
  Future<Void> addHelpMessage(String checkinId, HelpMessage message);

  /** The thread of a help request, oldest first; empty when it has no messages. */
  Future<List<HelpMessage>> helpMessages(String checkinId);

  /**
   * The newest help request of {@code phone} that is not resolved (open or acknowledged), by check-in
   * id; empty when there is none. Looks at the person's latest {@value #RECENT_CHECKINS} check-ins.
   */
  Future<Optional<String>> newestOpenHelp(String phone);

  /** How far back {@link #newestOpenHelp} looks, in the person's check-ins. */
  int RECENT_CHECKINS = 100;

  /**
   * One message of a help thread. {@code from}: {@code responder} or {@code person}; {@code by}: the
   * responder's username (null for the person); {@code agency}: the responder's agency (null for the
   * person); {@code text}: 1–280 code points.
   */
  record HelpMessage(String id, String from, String by, String agency, String text, Instant at) {
  }
}
