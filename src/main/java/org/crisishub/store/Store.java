package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Responder;
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

  /** The safety checks of this store, on the same engine (and the same durability promise). */
  SafetyCheckStore safetyChecks();

  /** Watch terms, their matches and help threads, on the same engine (and the same durability promise). */
  TriageStore triage();
  /** The notice templates of this store, on the same engine (and the same durability promise). */
  TemplateStore templates();

  /** Finishes queued writes, then closes. */
  Future<Void> close();

  /** Succeeds when the store can serve reads and writes right now. */
  Future<Void> ping();

  /**
   * Appends a check-in with the next {@code seq} of that person, unless {@code request.key()} was
   * used by the same person within the last 24 h, in which case the first result is returned with
   * {@code duplicate = true}. The active followers are read in the same transaction, and an SMS
   * notification is queued there for each of them who asked for SMS (see {@link #enqueueSms}).
   *
   * <p>In the same transaction the check-in's time ({@code madeAt}, else {@code now}) is compared
   * with that of the person's latest status: when earlier, it is stored {@code late} (with its
   * {@code seq}), does not become the status ({@link #latest}) and queues no SMS.
   */
  Future<CheckInResult> recordCheckIn(CheckInRequest request, Instant now);

  /** The person's latest retained status: the newest check-in that was not late. */
  Future<Optional<CheckIn>> latest(String phone);

  /** The latest retained status (see {@link #latest}) of each of {@code phones} that has one. */
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

  /**
   * Sets the private label {@code follower} gives {@code subject} (at most 40 code points, checked by
   * the caller), or removes it when {@code label} is null. Labels are the follower's alone: they are
   * returned only by {@link #followLabels} of that follower and used in SMS sent to that follower.
   * False (nothing changed) when {@code follower} has no follow of {@code subject} (in any state).
   * Unfollowing removes the label.
   */
  Future<Boolean> setFollowLabel(String follower, String subject, String label);

  /** The labels {@code follower} gave, by subject (E.164); empty when none. */
  Future<java.util.Map<String, String>> followLabels(String follower);

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

  /**
   * Makes the messages {@code owner} claimed due again at once (a sender stopping gracefully hands
   * its claims back instead of letting them wait for the lease to run out).
   */
  Future<Integer> releaseSmsClaims(String owner);

  /** Messages waiting (queued or claimed), and the age of the oldest. */
  Future<OutboxStats> outboxStats(Instant now);

  /** Opts a number out of (STOP) or back into (START) every outbound SMS. */
  Future<Void> setSmsOptOut(String phone, boolean optedOut, Instant now);

  Future<Boolean> isSmsOptedOut(String phone);

  /**
   * Tells {@code counter} of every SMS this store withholds because its recipient opted out: not
   * queued, dropped when claimed, or a safety-check ask never queued. Set once at start (it feeds
   * {@code hub_sms_outcomes_total{outcome="opted_out"}}); called on store threads, so it must be
   * thread-safe. Counted by the node that withheld the message.
   */
  void onSmsOptedOut(Runnable counter);

  /** The reply given to an inbound SMS with this {@code MessageSid}, if it was handled before. */
  Future<Optional<String>> inboundReply(String messageSid);

  /** Remembers that an inbound SMS was handled and what was answered. */
  Future<Void> saveInboundReply(String messageSid, String reply, Instant now);

  /** JOIN / LEAVE an incident's notices by SMS; true when it changed something. */
  Future<Boolean> setIncidentSms(String phone, String incident, boolean joined, Instant now);

  /** The open incidents {@code phone} joined by SMS, most recently joined first. */
  Future<List<String>> joinedOpenIncidents(String phone);

  /** Numbers that joined an incident's notices by SMS. */
  Future<List<String>> incidentSmsSubscribers(String incident);

  /** Records a Twilio delivery report. */
  Future<Void> recordDeliveryReport(String sid, String status, String errorCode, Instant now);

  // ------------------------------------------------------------------ responders and notices

  /** Creates a responder account; false when the username is taken. */
  Future<Boolean> createResponder(String username, String passwordHash, String agency, Set<String> roles, Instant now);

  Future<Optional<ResponderRecord>> responder(String username);

  /** Disables an account (kept for the audit trail); false when there is none. */
  Future<Boolean> disableResponder(String username);

  /** Creates an incident (with its owning agency and partners); false when the code is taken. */
  Future<Boolean> createIncident(Incident incident);

  Future<Optional<Incident>> incident(String code);

  /** All incidents, newest first. */
  Future<List<Incident>> incidents();

  /** Closes an open incident (starts the retention clock of its check-ins). */
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

  /** The agency's active signing key, created with {@code generate} on first use. */
  Future<AgencyKey> activeKey(String agency, Supplier<AgencyKey> generate);

  /** Makes {@code fresh} the agency's active key; older keys stay listed for verification. */
  Future<AgencyKey> rotateKey(AgencyKey fresh);

  /** Every signing key ever used, for {@code /api/v1/keys}. */
  Future<List<AgencyKey>> keys();

  Future<Void> insertNotice(NoticeRecord draft);

  Future<Optional<NoticeRecord>> notice(String id);

  /** Notices, newest first, filtered by incident and state when those are not null. */
  Future<List<NoticeRecord>> notices(String incident, String state);

  /** Draft → approved by {@code approver}; false when the notice is no longer a draft. */
  Future<Boolean> approveNotice(String id, String approver, Instant now);

  /**
   * Publishes a draft or approved notice (from one of {@code fromStates}) as {@code signedJson}, in
   * one transaction with: the notice it references becoming {@code referencedState} (superseded or
   * cancelled), and {@code smsBody} queued to every number that joined the incident by SMS. False
   * when the notice was no longer in one of {@code fromStates}.
   */
  Future<Boolean> publishNotice(String id, Set<String> fromStates, String signedJson, Instant publishedAt,
      String referencesId, String referencedState, String smsBody);

  /**
   * Appends an entry to the hash-chained audit trail ({@link AuditChain}); never edited, never
   * deleted. The future succeeds once the entry is durable: chained in the same commit (embedded),
   * or stored as an intent that exactly one chainer appends to the chain later, in order, also
   * after a crash (Redis). Callers acknowledge the change it records only after that. Entries hold
   * ids, usernames and agency names only, never personal data: {@code subject} and {@code detail}
   * may be null.
   */
  Future<Void> audit(String actor, String action, String subject, String outcome, String detail, Instant now);

  /**
   * Chained audit entries with {@code id > after}, ascending, at most {@code limit}. On Redis,
   * intents waiting to be chained are chained first when this node can (best effort).
   */
  Future<List<AuditChain.Entry>> auditPage(long after, int limit);

  /** Help requests of an incident, oldest first; only open and acknowledged ones when {@code openOnly}. */
  Future<List<HelpRequest>> helpRequests(String incident, boolean openOnly);

  /** The codes of the incidents whose help queue holds check-in {@code checkinId} (none: not a help request). */
  Future<List<String>> helpIncidents(String checkinId);

  /**
   * The help-request states in their order. A request only moves forward: open → acknowledged →
   * resolved, or open → resolved at once; never back, and never to the state it is in.
   */
  List<String> HELP_STATES = List.of("open", "acknowledged", "resolved");

  /** Whether a help request in state {@code from} may move to {@code to} (see {@link #HELP_STATES}). */
  static boolean helpStateAdvances(String from, String to) {
    int a = HELP_STATES.indexOf(from);
    return a >= 0 && HELP_STATES.indexOf(to) > a;
  }

  /**
   * Moves a help request to {@code state} (acknowledged, resolved), recording who did it: the
   * responder's username and agency. Empty when there is no such help request. Fails with
   * {@code HubException(CONFLICT)}, changing nothing, when the request is not in a state before
   * {@code state} ({@link #helpStateAdvances}); judged and changed atomically, so of two racing
   * changes to the same state one succeeds.
   */
  Future<Optional<HelpRequest>> setHelpState(String checkinId, String state, String responder, String agency,
      Instant now);

  /** The help request of a check-in (its first incident, when it joined several), if any. */
  Future<Optional<HelpRequest>> helpRequest(String checkinId);

  /** A responder account and its password hash. */
  record ResponderRecord(Responder responder, String passwordHash) {
  }

  /** An Ed25519 key of an agency: PKCS#8 private key (never served) and X.509 public key. */
  record AgencyKey(String kid, String agency, byte[] privatePkcs8, byte[] publicSpki, boolean active,
      Instant createdAt) {
  }

  /**
   * A notice as stored: its draft fields (JSON), and once published its signed JSON, verbatim.
   * {@code state}: draft, approved, published, superseded, cancelled.
   */
  record NoticeRecord(String id, String incident, String author, String agency, String state, String approvedBy,
      String draftJson, String signedJson, Instant expires, Instant createdAt, Instant publishedAt) {
  }

  /**
   * A need_help check-in in an incident's triage queue; {@code state}: open, acknowledged, resolved.
   * {@code byResponder} and {@code byAgency}: who last acted on it (null while nobody did);
   * {@code updatedAt}: when its state last changed (when it was filed, while open).
   */
  record HelpRequest(CheckIn checkIn, String incident, String state, String byResponder, String byAgency,
      Instant updatedAt) {
  }

  /**
   * One claimed outbound SMS; {@code coalesceKey} is the key it was queued with (null without one):
   * {@code safety:<checkId>} marks a safety-check ask.
   */
  record OutboxItem(long id, String to, String body, int attempts, String coalesceKey) {
    public OutboxItem(long id, String to, String body, int attempts) {
      this(id, to, body, attempts, null);
    }
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
