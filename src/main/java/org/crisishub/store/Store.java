package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;

/**
 * Everything that must survive a crash. One interface, one contract test suite
 * ({@code StoreContractTest}), one implementation per engine.
 *
 * <p>Delivery promise: a returned future succeeds only after the change is durably committed
 * (fsynced); a failed future means nothing was changed. Failures that are the store's fault (disk,
 * connection) fail with {@code HubException(UNAVAILABLE)}. Futures complete on the Vert.x context
 * of the caller. All methods are thread-safe and never block the calling thread.
 */
public interface Store {

  /** Opens the store and applies pending schema migrations. */
  Future<Void> start();

  /** Finishes queued writes, then closes. */
  Future<Void> close();

  /** Succeeds when the store can serve reads and writes right now. */
  Future<Void> ping();

  /**
   * Appends a check-in with the next {@code seq} of that person, unless {@code request.key()} was
   * used by the same person within the last 24 h, in which case the first result is returned with
   * {@code duplicate = true}. The active followers are read in the same transaction, and an SMS
   * notification is queued there for each of them who asked for SMS (see {@link #enqueueSms}).
   */
  Future<CheckInResult> recordCheckIn(CheckInRequest request, Instant now);

  /** The person's latest retained check-in. */
  Future<Optional<CheckIn>> latest(String phone);

  /** The latest retained check-in of each of {@code phones} that has one. */
  Future<List<CheckIn>> latestOf(Collection<String> phones);

  /** Retained check-ins of a person with {@code seq > afterSeq}, ascending, at most {@code limit}. */
  Future<List<CheckIn>> history(String phone, long afterSeq, int limit);

  /**
   * Records that {@code follower} asks to follow {@code subject}: the follow becomes active at once
   * when the subject lists the follower as a trusted contact or it already was active, pending
   * otherwise. {@code created} is true when this request is new for the subject to answer.
   */
  Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now);

  /** Removes the follow; true when there was one. */
  Future<Boolean> unfollow(String follower, String subject);

  /**
   * The subject's answer to a follow (pending or active): allow makes it active, refuse revokes.
   * Empty when {@code follower} never asked to follow {@code subject}.
   */
  Future<Optional<Follow>> answerFollow(String subject, String follower, boolean allow, Instant now);

  /** The follow of {@code follower} on {@code subject}, if any. */
  Future<Optional<Follow>> follow(String follower, String subject);

  /** Everybody {@code follower} follows or asked to follow. */
  Future<List<Follow>> follows(String follower);

  /** Everybody who follows or asked to follow {@code subject}. */
  Future<List<Follow>> followers(String subject);

  /**
   * Makes {@code contact} a trusted contact of {@code owner}; a pending follow of {@code contact}
   * on {@code owner} becomes active (returned).
   */
  Future<Optional<Follow>> putContact(String owner, String contact, Instant now);

  /** Removes a trusted contact; existing follows are unchanged. True when there was one. */
  Future<Boolean> deleteContact(String owner, String contact);

  /** The trusted contacts of {@code owner}. */
  Future<List<String>> contacts(String owner);

  /** Replaces any one-time code of {@code phone} with a new one (stored only as a hash). */
  Future<Void> saveOtp(String phone, String codeHash, Instant expiresAt);

  /**
   * Checks a one-time code. A match consumes it (single use); a miss counts a try, and after
   * {@code maxTries} misses the code is gone.
   */
  Future<OtpOutcome> checkOtp(String phone, String codeHash, Instant now, int maxTries);

  /** Revokes a session token until it would have expired anyway. */
  Future<Void> revokeToken(String tokenId, Instant expiresAt);

  /** True when the token was revoked. */
  Future<Boolean> isTokenRevoked(String tokenId);

  /**
   * Deletes what the retention rules no longer allow to keep: check-ins without an incident older
   * than {@code retention}, idempotency keys older than 24 h, expired codes and revocations.
   * Returns the number of check-ins deleted.
   */
  Future<Integer> purge(Instant now, Duration retention);

  // ------------------------------------------------------------------ SMS

  /**
   * Queues an SMS to {@code to}, unless the number opted out (STOP). While a message with the same
   * {@code coalesceKey} to the same number still waits, its text is replaced instead (only the
   * latest is sent). {@code subject}, when not null, is the person the message is about: it is
   * not sent if {@code to} no longer actively follows them.
   */
  Future<Void> enqueueSms(String to, String coalesceKey, String subject, String body, Instant now);

  /**
   * Claims up to {@code max} due messages for {@code owner} until {@code now + lease}: queued ones
   * whose retry time has come, and ones whose previous claim expired (a crashed sender's). Each
   * claim counts an attempt.
   */
  Future<List<OutboxItem>> claimSms(String owner, Instant now, int max, Duration lease);

  /** Twilio accepted the message: it is never sent again. */
  Future<Void> smsSent(long id, String sid, Instant now);

  /** A transient failure: the message is due again at {@code nextAt}. */
  Future<Void> smsRetry(long id, Instant nextAt, String error, Instant now);

  /** A permanent failure: the message is not sent; {@code error} says why. */
  Future<Void> smsFailed(long id, String error, Instant now);

  /** Makes every claimed message due again (embedded store at start: the only sender is gone). */
  Future<Integer> releaseSmsClaims();

  /** Messages waiting (queued or claimed), and the age of the oldest. */
  Future<OutboxStats> outboxStats(Instant now);

  /** Opts a number out of (STOP) or back into (START) every outbound SMS. */
  Future<Void> setSmsOptOut(String phone, boolean optedOut, Instant now);

  Future<Boolean> isSmsOptedOut(String phone);

  /** The reply given to an inbound SMS with this {@code MessageSid}, if it was handled before. */
  Future<Optional<String>> inboundReply(String messageSid);

  /** Remembers that an inbound SMS was handled and what was answered. */
  Future<Void> saveInboundReply(String messageSid, String reply, Instant now);

  /** JOIN / LEAVE an incident's notices by SMS; true when it changed something. */
  Future<Boolean> setIncidentSms(String phone, String incident, boolean joined, Instant now);

  /** Numbers that joined an incident's notices by SMS. */
  Future<List<String>> incidentSmsSubscribers(String incident);

  /** Records a Twilio delivery report. */
  Future<Void> recordDeliveryReport(String sid, String status, String errorCode, Instant now);

  /** One claimed outbound SMS. */
  record OutboxItem(long id, String to, String body, int attempts) {
  }

  /** Outbox depth and the age of the oldest waiting message (0 when empty). */
  record OutboxStats(long waiting, long oldestAgeMs, long failed) {
  }

  /** The outcome of {@link #requestFollow}. */
  record FollowRequestOutcome(Follow follow, boolean created) {
  }

  /** The outcome of {@link #checkOtp}. */
  enum OtpOutcome {
    /** The code matched and was consumed. */
    OK,
    /** Wrong code; tries are left. */
    WRONG,
    /** No live code for this number (never sent, expired, used, or too many tries). */
    NONE
  }
}
