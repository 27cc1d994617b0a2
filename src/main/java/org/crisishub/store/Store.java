package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;
import org.crisishub.domain.Incident;

/**
 * Everything that must survive a crash: one engine (embedded SQLite, or Redis; made by
 * {@link StoreFactory}) and its concerns, each a narrow interface with its own promise and its own
 * class per engine: {@link CheckInLog}, {@link FollowGraph}, {@link PersonAuthStore}, {@link Outbox},
 * {@link SmsInbound}, {@link ResponderAccounts}, {@link IncidentRegistry}, {@link NoticeBoard},
 * {@link AuditTrail}, {@link HelpQueue}, and {@link SafetyCheckStore}, {@link TriageStore},
 * {@link TemplateStore}. A caller that needs one concern takes its interface; {@code Store} extends
 * them all and delegates each method to the concern's accessor, so a caller may also hold the
 * whole store.
 *
 * <p>Shared promise of every concern: a returned future succeeds only after the change is durably
 * committed (fsynced); a failed future means nothing was changed. Failures that are the store's
 * fault (disk, connection) fail with {@code HubException(UNAVAILABLE)}. Futures complete on the
 * Vert.x context of the caller. All methods are thread-safe and never block the calling thread.
 * What must change together across concerns (a check-in with its outbox rows and help requests; a
 * notice's publication with its SMS fan-out) is one unit of work of the engine: one transaction of
 * the embedded writer, one Lua script on one hash tag on Redis.
 */
public interface Store extends CheckInLog, FollowGraph, PersonAuthStore, Outbox, SmsInbound, ResponderAccounts,
    IncidentRegistry, NoticeBoard, AuditTrail, HelpQueue {

  /** Opens the store and applies pending schema migrations. */
  Future<Void> start();

  /** Finishes queued writes, then closes. */
  Future<Void> close();

  /** Succeeds when the store can serve reads and writes right now. */
  Future<Void> ping();

  /**
   * Deletes what the retention rules no longer allow to keep, across every concern: check-ins
   * without an incident older than {@code retention}, those of incidents closed longer than that
   * (with their help requests, watch matches, threads and safety checks), idempotency keys older
   * than 24 h, expired codes and revocations, finished SMS and delivery reports older than
   * {@code retention}, inbound MessageSids older than 7 days. Returns the number of check-ins deleted.
   */
  Future<Integer> purge(Instant now, Duration retention);

  /** The check-in log of this store. */
  CheckInLog checkInLog();

  /** The follow graph (follows, labels, trusted contacts) of this store. */
  FollowGraph followGraph();

  /** One-time codes and token revocations. */
  PersonAuthStore personAuth();

  /** The SMS outbox. */
  Outbox outbox();

  /** Inbound SMS dedupe, opt-outs and incident SMS subscriptions. */
  SmsInbound smsInbound();

  /** Responder accounts. */
  ResponderAccounts responderAccounts();

  /** Incidents and agency names. */
  IncidentRegistry incidentRegistry();

  /** Notices and signing keys. */
  NoticeBoard noticeBoard();

  /** The audit trail. */
  AuditTrail auditTrail();

  /** The help queues. */
  HelpQueue helpQueue();

  /** The safety checks of this store, on the same engine (and the same durability promise). */
  SafetyCheckStore safetyChecks();

  /** Watch terms, their matches and help threads, on the same engine (and the same durability promise). */
  TriageStore triage();

  /** The notice templates of this store, on the same engine (and the same durability promise). */
  TemplateStore templates();

  /** Whether a help request in state {@code from} may move to {@code to} ({@link HelpQueue#advances}). */
  static boolean helpStateAdvances(String from, String to) {
    return HelpQueue.advances(from, to);
  }

  // ---------------------------------------------------------------- CheckInLog (delegated to checkInLog())
  @Override
  default Future<CheckInResult> recordCheckIn(CheckInRequest request, Instant now) {
    return checkInLog().recordCheckIn(request, now);
  }

  @Override
  default Future<Optional<CheckIn>> latest(String phone) {
    return checkInLog().latest(phone);
  }

  @Override
  default Future<List<CheckIn>> latestOf(Collection<String> phones) {
    return checkInLog().latestOf(phones);
  }

  @Override
  default Future<Optional<CheckIn>> checkIn(String phone, long seq) {
    return checkInLog().checkIn(phone, seq);
  }

  @Override
  default Future<List<CheckIn>> history(String phone, long afterSeq, int limit) {
    return checkInLog().history(phone, afterSeq, limit);
  }

  // ---------------------------------------------------------------- FollowGraph (delegated to followGraph())
  @Override
  default Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now) {
    return followGraph().requestFollow(follower, subject, sms, now);
  }

  @Override
  default Future<Boolean> unfollow(String follower, String subject) {
    return followGraph().unfollow(follower, subject);
  }

  @Override
  default Future<Optional<Follow>> answerFollow(String subject, String follower, boolean allow, Instant now) {
    return followGraph().answerFollow(subject, follower, allow, now);
  }

  @Override
  default Future<Optional<Follow>> follow(String follower, String subject) {
    return followGraph().follow(follower, subject);
  }

  @Override
  default Future<List<Follow>> follows(String follower) {
    return followGraph().follows(follower);
  }

  @Override
  default Future<Boolean> setFollowLabel(String follower, String subject, String label) {
    return followGraph().setFollowLabel(follower, subject, label);
  }

  @Override
  default Future<Optional<String>> followLabel(String follower, String subject) {
    return followGraph().followLabel(follower, subject);
  }

  @Override
  default Future<Map<String, String>> followLabels(String follower) {
    return followGraph().followLabels(follower);
  }

  @Override
  default Future<List<Follow>> followers(String subject) {
    return followGraph().followers(subject);
  }

  @Override
  default Future<Optional<Follow>> putContact(String owner, String contact, Instant now) {
    return followGraph().putContact(owner, contact, now);
  }

  @Override
  default Future<Boolean> deleteContact(String owner, String contact) {
    return followGraph().deleteContact(owner, contact);
  }

  @Override
  default Future<List<String>> contacts(String owner) {
    return followGraph().contacts(owner);
  }

  // ---------------------------------------------------------------- PersonAuthStore (delegated to personAuth())
  @Override
  default Future<Void> saveOtp(String phone, String codeHash, Instant expiresAt) {
    return personAuth().saveOtp(phone, codeHash, expiresAt);
  }

  @Override
  default Future<OtpOutcome> checkOtp(String phone, String codeHash, Instant now, int maxTries) {
    return personAuth().checkOtp(phone, codeHash, now, maxTries);
  }

  @Override
  default Future<Void> revokeToken(String tokenId, Instant expiresAt) {
    return personAuth().revokeToken(tokenId, expiresAt);
  }

  @Override
  default Future<Boolean> isTokenRevoked(String tokenId) {
    return personAuth().isTokenRevoked(tokenId);
  }

  // ---------------------------------------------------------------- Outbox (delegated to outbox())
  @Override
  default Future<Void> enqueueSms(String to, String coalesceKey, String subject, String body, Instant now) {
    return outbox().enqueueSms(to, coalesceKey, subject, body, now);
  }

  @Override
  default Future<Void> enqueueStatusSms(String to, String subject, long seq, Instant now) {
    return outbox().enqueueStatusSms(to, subject, seq, now);
  }

  @Override
  default Future<List<OutboxItem>> claimSms(String owner, Instant now, int max, Duration lease) {
    return outbox().claimSms(owner, now, max, lease);
  }

  @Override
  default Future<Boolean> smsSent(OutboxItem claim, String sid, Instant now) {
    return outbox().smsSent(claim, sid, now);
  }

  @Override
  default Future<Void> smsRetry(OutboxItem claim, Instant nextAt, String error, Instant now) {
    return outbox().smsRetry(claim, nextAt, error, now);
  }

  @Override
  default Future<Void> smsFailed(OutboxItem claim, String error, Instant now) {
    return outbox().smsFailed(claim, error, now);
  }

  @Override
  default Future<Integer> releaseSmsClaims() {
    return outbox().releaseSmsClaims();
  }

  @Override
  default Future<Integer> releaseSmsClaims(String owner) {
    return outbox().releaseSmsClaims(owner);
  }

  @Override
  default Future<OutboxStats> outboxStats(Instant now) {
    return outbox().outboxStats(now);
  }

  @Override
  default Future<Void> recordDeliveryReport(String sid, String status, String errorCode, Instant now) {
    return outbox().recordDeliveryReport(sid, status, errorCode, now);
  }

  @Override
  default void onSmsOptedOut(Runnable counter) {
    outbox().onSmsOptedOut(counter);
  }

  // ---------------------------------------------------------------- SmsInbound (delegated to smsInbound())
  @Override
  default Future<Optional<String>> inboundReply(String messageSid) {
    return smsInbound().inboundReply(messageSid);
  }

  @Override
  default Future<Void> saveInboundReply(String messageSid, String reply, Instant now) {
    return smsInbound().saveInboundReply(messageSid, reply, now);
  }

  @Override
  default Future<Void> setSmsOptOut(String phone, boolean optedOut, Instant now) {
    return smsInbound().setSmsOptOut(phone, optedOut, now);
  }

  @Override
  default Future<Boolean> isSmsOptedOut(String phone) {
    return smsInbound().isSmsOptedOut(phone);
  }

  @Override
  default Future<Boolean> setIncidentSms(String phone, String incident, boolean joined, Instant now) {
    return smsInbound().setIncidentSms(phone, incident, joined, now);
  }

  @Override
  default Future<List<String>> joinedOpenIncidents(String phone) {
    return smsInbound().joinedOpenIncidents(phone);
  }

  @Override
  default Future<List<String>> incidentSmsSubscribers(String incident) {
    return smsInbound().incidentSmsSubscribers(incident);
  }

  // ---------------------------------------------------------------- ResponderAccounts (delegated to responderAccounts())
  @Override
  default Future<Boolean> createResponder(String username, String passwordHash, String agency, Set<String> roles, Instant now) {
    return responderAccounts().createResponder(username, passwordHash, agency, roles, now);
  }

  @Override
  default Future<Optional<ResponderRecord>> responder(String username) {
    return responderAccounts().responder(username);
  }

  @Override
  default Future<Boolean> disableResponder(String username) {
    return responderAccounts().disableResponder(username);
  }

  // ---------------------------------------------------------------- IncidentRegistry (delegated to incidentRegistry())
  @Override
  default Future<Boolean> createIncident(Incident incident) {
    return incidentRegistry().createIncident(incident);
  }

  @Override
  default Future<Optional<Incident>> incident(String code) {
    return incidentRegistry().incident(code);
  }

  @Override
  default Future<List<Incident>> incidents() {
    return incidentRegistry().incidents();
  }

  @Override
  default Future<Optional<Incident>> closeIncident(String code, Instant now) {
    return incidentRegistry().closeIncident(code, now);
  }

  @Override
  default Future<Optional<Incident>> setIncidentPartner(String code, String agency, boolean add) {
    return incidentRegistry().setIncidentPartner(code, agency, add);
  }

  @Override
  default Future<String> agencyNamed(String name) {
    return incidentRegistry().agencyNamed(name);
  }

  // ---------------------------------------------------------------- NoticeBoard (delegated to noticeBoard())
  @Override
  default Future<AgencyKey> activeKey(String agency, Supplier<AgencyKey> generate) {
    return noticeBoard().activeKey(agency, generate);
  }

  @Override
  default Future<AgencyKey> rotateKey(AgencyKey fresh) {
    return noticeBoard().rotateKey(fresh);
  }

  @Override
  default Future<List<AgencyKey>> keys() {
    return noticeBoard().keys();
  }

  @Override
  default Future<Void> insertNotice(NoticeRecord draft) {
    return noticeBoard().insertNotice(draft);
  }

  @Override
  default Future<Optional<NoticeRecord>> notice(String id) {
    return noticeBoard().notice(id);
  }

  @Override
  default Future<List<NoticeRecord>> notices(String incident, String state) {
    return noticeBoard().notices(incident, state);
  }

  @Override
  default Future<Boolean> approveNotice(String id, String approver, Instant now) {
    return noticeBoard().approveNotice(id, approver, now);
  }

  @Override
  default Future<Boolean> publishNotice(String id, Set<String> fromStates, String signedJson, Instant publishedAt, String referencesId, String referencedState, String smsBody) {
    return noticeBoard().publishNotice(id, fromStates, signedJson, publishedAt, referencesId, referencedState, smsBody);
  }

  // ---------------------------------------------------------------- AuditTrail (delegated to auditTrail())
  @Override
  default Future<Void> audit(String actor, String action, String subject, String outcome, String detail, Instant now) {
    return auditTrail().audit(actor, action, subject, outcome, detail, now);
  }

  @Override
  default Future<List<AuditChain.Entry>> auditPage(long after, int limit) {
    return auditTrail().auditPage(after, limit);
  }

  // ---------------------------------------------------------------- HelpQueue (delegated to helpQueue())
  @Override
  default Future<List<HelpRequest>> helpRequests(String incident, boolean openOnly) {
    return helpQueue().helpRequests(incident, openOnly);
  }

  @Override
  default Future<List<String>> helpIncidents(String checkinId) {
    return helpQueue().helpIncidents(checkinId);
  }

  @Override
  default Future<Optional<HelpRequest>> setHelpState(String checkinId, String state, String responder, String agency, Instant now) {
    return helpQueue().setHelpState(checkinId, state, responder, agency, now);
  }

  @Override
  default Future<Optional<HelpRequest>> helpRequest(String checkinId) {
    return helpQueue().helpRequest(checkinId);
  }
}
