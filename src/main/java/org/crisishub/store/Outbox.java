package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Outbound SMS waiting to be sent, claimed by senders under a lease.
 *
 * <p>Durability: a queued message is durable when the future succeeds, and is sent at least once
 * unless it is coalesced, cancelled (its recipient no longer actively follows its subject) or
 * withheld (opted out). Claims are leases: a claim whose lease ran out is claimable again (a
 * crashed sender's, or one whose call outlived its lease), so a message may be sent twice only across
 * a crash or such a call; each claim's outcome counts only while it still holds the message (its
 * {@code attempts} is the claim's token). Ordering: person-to-person
 * traffic is claimed before broadcast traffic (coalescing keys {@code safety:} and
 * {@code notice:}), then by due time. Store faults fail with {@code HubException(UNAVAILABLE)};
 * futures complete on the caller's context; thread-safe, non-blocking.
 */
public interface Outbox {

  /**
   * Queues an SMS to {@code to}, unless the number opted out (STOP). While a message with the same
   * {@code coalesceKey} to the same number still waits, its text is replaced instead (only the
   * latest is sent). {@code subject}, when not null, is the person the message is about: it is
   * not sent if {@code to} no longer actively follows them.
   */
  Future<Void> enqueueSms(String to, String coalesceKey, String subject, String body, Instant now);

  /**
   * Queues the status notification of check-in {@code seq} of {@code subject} to {@code to}, unless
   * the number opted out: the row holds what to render (subject and seq, an empty body), not the
   * text, which the sender renders when it sends it ({@code sms.StatusNotices}), with the
   * follower's label of the subject at that time. Coalesced like {@link #enqueueSms} under
   * {@code SmsKeys.status(subject)}: a waiting status SMS to {@code to} about {@code subject}
   * (rendered or not) is replaced by this one; cancelled at claim time when {@code to} no longer
   * actively follows {@code subject}.
   */
  Future<Void> enqueueStatusSms(String to, String subject, long seq, Instant now);

  /**
   * Claims up to {@code max} due messages for {@code owner} until {@code now + lease}: queued ones
   * whose retry time has come, and ones whose previous claim expired (a crashed sender's). Each
   * claim counts an attempt.
   */
  Future<List<OutboxItem>> claimSms(String owner, Instant now, int max, Duration lease);

  /**
   * Twilio accepted the message {@code claim} (as {@link #claimSms} returned it) sent: it is never
   * sent again. Recorded when the message is still held by this claim ({@code attempts} is the
   * claim's token), or ended without being sent (failed or cancelled: the other send's outcome). A
   * stale claim's success (its lease ran out and the message was claimed again, or handed back)
   * changes nothing while the message waits or is held by another claim: its text may be newer
   * (coalesced), so it is sent again rather than lost. A message recorded as sent keeps its first
   * SID. Completes with true when this call recorded the send, false when it changed nothing.
   */
  Future<Boolean> smsSent(OutboxItem claim, String sid, Instant now);

  /**
   * A transient failure of {@code claim}: the message is due again at {@code nextAt}. No effect
   * unless the message is still held by this claim.
   */
  Future<Void> smsRetry(OutboxItem claim, Instant nextAt, String error, Instant now);

  /**
   * A permanent failure of {@code claim}: the message is not sent; {@code error} says why. No effect
   * unless the message is still held by this claim (a late failure of a stale claim, or of a second
   * send of a message already recorded as sent).
   */
  Future<Void> smsFailed(OutboxItem claim, String error, Instant now);

  /** Makes every claimed message due again (embedded store at start: the only sender is gone). */
  Future<Integer> releaseSmsClaims();

  /**
   * Makes the messages {@code owner} claimed due again at once (a sender stopping gracefully hands
   * its claims back instead of letting them wait for the lease to run out).
   */
  Future<Integer> releaseSmsClaims(String owner);

  /** Messages waiting (queued or claimed), and the age of the oldest. */
  Future<OutboxStats> outboxStats(Instant now);

  /** Records a Twilio delivery report. */
  Future<Void> recordDeliveryReport(String sid, String status, String errorCode, Instant now);

  /**
   * Tells {@code counter} of every SMS this store withholds because its recipient opted out: not
   * queued, dropped when claimed, or a safety-check ask never queued. Set once at start (it feeds
   * {@code hub_sms_outcomes_total{outcome="opted_out"}}); called on store threads, so it must be
   * thread-safe. Counted by the node that withheld the message.
   */
  void onSmsOptedOut(Runnable counter);

  /**
   * One claimed outbound SMS; {@code coalesceKey} is the key it was queued with (null without one):
   * {@code safety:<checkId>} marks a safety-check ask. {@code subject} is the person it is about
   * (null: none). {@code statusSeq} is not null on a status notification queued by
   * {@link #enqueueStatusSms}: its {@code body} is empty and the text is rendered from check-in
   * {@code statusSeq} of {@code subject} at send time; null on a row whose {@code body} is the text
   * (every other SMS, and status notifications queued pre-rendered by older releases).
   */
  record OutboxItem(long id, String to, String body, int attempts, String coalesceKey, String subject,
      Long statusSeq) {
    public OutboxItem(long id, String to, String body, int attempts) {
      this(id, to, body, attempts, null);
    }

    public OutboxItem(long id, String to, String body, int attempts, String coalesceKey) {
      this(id, to, body, attempts, coalesceKey, null, null);
    }

    /** Whether the text is rendered at send time (a status notification that stores its seq). */
    public boolean rendersAtSend() {
      return statusSeq != null && subject != null;
    }

    /** This item with {@code text} as its body (the rendered text of a status notification). */
    public OutboxItem withBody(String text) {
      return new OutboxItem(id, to, text, attempts, coalesceKey, subject, statusSeq);
    }
  }

  /** Outbox depth and the age of the oldest waiting message (0 when empty). */
  record OutboxStats(long waiting, long oldestAgeMs, long failed) {
  }
}
