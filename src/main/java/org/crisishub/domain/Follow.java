package org.crisishub.domain;

import java.time.Instant;

/** {@code follower} asked to follow {@code subject}; {@code sms}: also notify the follower by SMS. */
public record Follow(String follower, String subject, FollowState state, boolean sms, Instant updatedAt) {

  /**
   * The state a new or renewed follow request starts in: active at once when the subject has
   * pre-approved the follower as a trusted contact, an active follow stays active, anything else
   * waits for the subject's consent.
   */
  public static FollowState stateForRequest(FollowState existing, boolean trustedContact) {
    if (existing == FollowState.ACTIVE || trustedContact) {
      return FollowState.ACTIVE;
    }
    return FollowState.PENDING;
  }

  /** The state after the subject answers: allow makes it active, refuse or revoke makes it revoked. */
  public static FollowState stateForConsent(boolean allow) {
    return allow ? FollowState.ACTIVE : FollowState.REVOKED;
  }
}
