package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crisishub.domain.Follow;

/**
 * Who follows whom (pending, active, revoked), the private labels followers give, and each
 * person's trusted contacts.
 *
 * <p>Durability: a succeeded change is durable; a failed one changed nothing. Each change to one
 * follow is atomic (judged and written together: of two racing answers, both see a consistent
 * follow; Redis retries a lost compare-and-set up to 20 times, then fails UNAVAILABLE). Requests are
 * idempotent in effect: asking again, allowing again or adding a contact again changes nothing more.
 * Lists are sorted (by subject, follower or contact). Store faults fail with
 * {@code HubException(UNAVAILABLE)}; futures complete on the caller's context; thread-safe,
 * non-blocking.
 */
public interface FollowGraph {

  /**
   * Records that {@code follower} asks to follow {@code subject}: the follow becomes active at once
   * when the subject lists the follower as a trusted contact or it already was active, pending
   * otherwise. {@code created} is true when this request is new for the subject to answer.
   */
  Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now);

  /** Removes the follow (and the follower's label of the subject); true when there was one. */
  Future<Boolean> unfollow(String follower, String subject);

  /**
   * The subject's answer to a follow (pending or active): allow makes it active, refuse revokes.
   * Empty when {@code follower} never asked to follow {@code subject}.
   */
  Future<Optional<Follow>> answerFollow(String subject, String follower, boolean allow, Instant now);

  /** The follow of {@code follower} on {@code subject}, if any. */
  Future<Optional<Follow>> follow(String follower, String subject);

  /** Everybody {@code follower} follows or asked to follow, by subject. */
  Future<List<Follow>> follows(String follower);

  /**
   * Sets the private label {@code follower} gives {@code subject} (at most 40 code points, checked by
   * the caller), or removes it when {@code label} is null. Labels are the follower's alone: they are
   * returned only by {@link #followLabels} of that follower and used in SMS sent to that follower.
   * False (nothing changed) when {@code follower} has no follow of {@code subject} (in any state).
   * Unfollowing removes the label.
   */
  Future<Boolean> setFollowLabel(String follower, String subject, String label);

  /**
   * The label {@code follower} gives {@code subject} now, empty when none (read by the SMS sender to
   * name the subject in a status notification the way the follower does).
   */
  Future<Optional<String>> followLabel(String follower, String subject);

  /** The labels {@code follower} gave, by subject (E.164), sorted by subject; empty when none. */
  Future<Map<String, String>> followLabels(String follower);

  /** Everybody who follows or asked to follow {@code subject}, by follower. */
  Future<List<Follow>> followers(String subject);

  /**
   * Makes {@code contact} a trusted contact of {@code owner}; a pending follow of {@code contact}
   * on {@code owner} becomes active (returned), in the same unit of work.
   */
  Future<Optional<Follow>> putContact(String owner, String contact, Instant now);

  /** Removes a trusted contact; existing follows are unchanged. True when there was one. */
  Future<Boolean> deleteContact(String owner, String contact);

  /** The trusted contacts of {@code owner}, sorted. */
  Future<List<String>> contacts(String owner);

  /** The outcome of {@link #requestFollow}. */
  record FollowRequestOutcome(Follow follow, boolean created) {
  }
}
