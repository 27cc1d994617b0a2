package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.Area;

/**
 * Safety checks ("are you safe?") as store state, on both engines (docs/safety-checks.md). A check
 * is a draft, then (when it needs a second responder) approved, then running with an audience fixed
 * at start, then closed. Each member of the audience is in exactly one of the states
 * {@code no_answer}, {@code safe}, {@code need_help}, {@code unreachable}; the {@link Tallies} are
 * counters changed in the same unit of work as the change that moves them, so reading them never
 * scans an audience.
 *
 * <p>Same promises as {@link Store}: a succeeded future means the change is durable; store faults
 * fail with {@code HubException(UNAVAILABLE)}; futures complete on the caller's context; all
 * methods are thread-safe and never block.
 */
public interface SafetyCheckStore {

  /** Stores a new draft ({@code state = draft}, zero tallies). */
  Future<Void> createCheck(Check draft);

  Future<Optional<Check>> check(String id);

  /** The incident's checks, newest first. */
  Future<List<Check>> checks(String incident);

  /** Draft → approved by {@code approver}; empty when the check is not (or no longer) a draft. */
  Future<Optional<Check>> approveCheck(String id, String approver, Instant now);

  /**
   * Starts a check from one of {@code fromStates} with {@code audience} (distinct numbers) fixed:
   * each member starts as {@code no_answer}, or {@code unreachable} when the number opted out of SMS
   * (read in the same unit of work). When {@code smsBody} is not null, every member who did not opt
   * out is asked by SMS in the same unit: {@code smsBody} is queued in the outbox (broadcast class,
   * coalesce key {@code safety:<id>}) and the member counts as asked with delivery {@code queued}.
   * {@code repeatAt} / {@code followersAt} schedule the escalation's waves (null: no such wave).
   * From {@code starting} (after {@link #beginStart} and {@link #addAudience}), {@code audience}
   * adds to what was added before. Empty when the check was in none of {@code fromStates}.
   */
  Future<Optional<Check>> startCheck(String id, List<String> fromStates, List<Member> audience, String smsBody,
      Instant now, Instant repeatAt, Instant followersAt);

  /**
   * The first step of a start in batches: a check in one of {@code fromStates} becomes
   * {@code starting} (a check already {@code starting} stays so: an interrupted start resumes).
   * Empty when it was in none of them.
   */
  Future<Optional<Check>> beginStart(String id, List<String> fromStates);

  /**
   * Adds members to a {@code starting} check's audience in one unit of work, like
   * {@link #startCheck} does (a member already in it is left alone; opted-out ones unreachable;
   * the others asked by {@code smsBody} when not null); the counters grow by what was added. False
   * when the check is not {@code starting}.
   */
  Future<Boolean> addAudience(String id, List<Member> audience, String smsBody, Instant now);

  /** {@link #startCheck(String, List, List, String, Instant, Instant, Instant)} without escalation. */
  default Future<Optional<Check>> startCheck(String id, List<String> fromStates, List<Member> audience,
      String smsBody, Instant now) {
    return startCheck(id, fromStates, audience, smsBody, now, null, null);
  }

  /** Running → closed; empty when the check was not running. */
  Future<Optional<Check>> closeCheck(String id, Instant now);

  /**
   * The person's own answer ({@code safe} or {@code need_help}) to a running check: moves them, and
   * the tallies, in one unit of work. A later answer replaces an earlier one.
   */
  Future<AnswerResult> answer(String id, String phone, String status, String channel, Instant now);

  /**
   * The person's own answer to a running check together with its check-in, in one unit of work where
   * the engine allows it: {@code req} (its phone, status, incident = the check's, channel, idempotency
   * key) is recorded as {@link org.crisishub.store.CheckInLog#recordCheckIn} does, and the person and
   * the tallies move as {@link #answer} does, with the check-in's time. When the outcome is not
   * {@code ok} nothing is written and {@code checkIn} is null. Embedded store: one transaction (one
   * commit). Redis: the answer script on the safety-check tag, then the check-in script on the
   * person's shard (two tags cannot share a script); a failure between them fails the future and a
   * retry with the same key completes it (the check-in is idempotent, a repeated answer moves no
   * counter).
   */
  Future<AnsweredCheckIn> answerWithCheckIn(String id, org.crisishub.domain.CheckInRequest req, Instant now);

  /** The outcome of {@link #answerWithCheckIn}: {@code outcome} as {@link AnswerResult}'s; {@code checkIn} when ok. */
  record AnsweredCheckIn(String outcome, org.crisishub.domain.CheckInResult checkIn) {
  }

  /**
   * Records that {@code phone} was asked ({@code sms}: an SMS was queued; {@code session}: an open
   * session got the frame). {@code asked} counts a person once.
   */
  Future<Void> asked(String id, String phone, boolean sms, boolean session, Instant now);

  /** Links the Twilio SID of the SMS that asked {@code phone} to the check. */
  Future<Void> askSent(String id, String phone, String sid, Instant now);

  /**
   * A Twilio status for an ask's SID: updates that person's delivery state; the first
   * {@code delivered} counts in {@code delivered}; {@code failed}/{@code undelivered} of a person who
   * has not answered and had no session open moves them to {@code unreachable}. Empty when the SID is
   * no ask; else the check id.
   */
  Future<Optional<String>> deliveryReport(String sid, String status, String errorCode, Instant now);

  /** The audience members in {@code state} (all when null), by phone. */
  Future<List<Person>> people(String id, String state);

  /**
   * A page of the members in {@code state} (all when null): at most {@code limit} (≥ 1) with a phone
   * after {@code after} (null: from the first), by phone. Read as an index range on the embedded
   * store; on Redis the state's set is read and sorted, and only the page's members are read.
   */
  Future<PeoplePage> people(String id, String state, String after, int limit);

  /**
   * One page of {@link #people(String, String, String, int)}: {@code people} by phone; {@code next}
   * the phone to pass as {@code after} for the next page, null when no member follows.
   */
  record PeoplePage(List<Person> people, String next) {
  }

  /** One member; empty when {@code phone} is not in the check's audience. */
  Future<Optional<Person>> person(String id, String phone);

  /** The running checks whose audience holds {@code phone} and that it has not answered, latest started first. */
  Future<List<Check>> openAsksOf(String phone);

  /**
   * Up to {@code limit} members of the audience after {@code after} (null: from the first), in phone
   * order: how a start walks a large audience to ask its open sessions, a page per read.
   */
  Future<List<String>> audiencePage(String id, String after, int limit);

  /**
   * Records in one unit of work that each of {@code phones} had an open session that got the ask
   * (as {@link #asked} with {@code session}); members not in the audience are skipped.
   */
  Future<Void> askedSessions(String id, List<String> phones, Instant now);

  /** Numbers whose latest retained check-in has a location inside {@code area}. */
  Future<List<String>> latestInside(Area area);

  // ---------------------------------------------------------------- escalation waves (part 2)

  /**
   * Running checks with a wave due at {@code now} that no live lease holds, at most {@code max},
   * earliest due first. Reads an index of due times, never the checks' audiences.
   */
  Future<List<String>> dueWaves(Instant now, int max);

  /**
   * Claims the check's earliest due, unfinished wave for {@code owner} until {@code now + lease}:
   * when no lease is held, the held one expired, or {@code owner} already holds it. Empty when the
   * check is not running, no wave is due, or another owner's lease is live. A lease, not a lock: a
   * holder that outlives it may find its next step refused.
   */
  Future<Optional<WaveClaim>> claimWave(String id, String owner, Instant now, Duration lease);

  /**
   * The next members of the claimed wave after its cursor, in phone order (at most {@code limit}
   * scanned), who are still to be reached in it: not answered, not yet done in this wave (for
   * {@code repeat}, only those an SMS may reach: asked by SMS before or not opted out). Renews the
   * lease. Empty when {@code owner} no longer holds the lease.
   */
  Future<Optional<WaveBatch>> waveBatch(String id, String wave, String owner, Instant now, Duration lease,
      int limit);

  /**
   * Commits part of a wave in one unit of work, when {@code owner} still holds the lease: each item
   * whose person is still unanswered and not yet done in this wave is marked done, its SMS are
   * queued in the outbox (broadcast class; coalesce key {@code safety:<id>} for a repeat ask,
   * {@code safety:<id>:f:<phone>} for a follower told about {@code phone}) and the followers it
   * reached are recorded (they may then report), and in a followers wave the frames owed to them are
   * recorded as pending ({@link #pendingFrames}); the wave's cursor moves to {@code cursor}. Returns
   * the items it did (others were already done, or answered meanwhile); empty when the lease is lost.
   */
  Future<Optional<List<WaveItem>>> waveCommit(String id, String wave, String owner, Instant now, Duration lease,
      String cursor, List<WaveItem> items);

  /**
   * The followers-wave frames committed by {@link #waveCommit} and not yet confirmed by
   * {@link #framesSent}, at most {@code max}, by phone: each item is the person with the followers
   * reached about them ({@code sms} empty; {@code reached} empty when the person answered since, so
   * nothing is owed). A node that takes a wave over sends these again: a node that died between its
   * commit and its frames leaves them here.
   */
  Future<List<WaveItem>> pendingFrames(String id, int max);

  /** The frames about {@code phones} were handed to the fan-out: no longer pending. */
  Future<Void> framesSent(String id, List<String> phones);

  /** Marks the wave finished and releases the lease of {@code owner}; false when it held none. */
  Future<Boolean> finishWave(String id, String wave, String owner, Instant now);

  /** Releases every wave lease (embedded store at start: the only runner is gone). */
  Future<Integer> releaseWaveLeases();

  /** True when {@code follower} was told in the check's escalation that {@code phone} had not answered. */
  Future<Boolean> reached(String id, String phone, String follower);

  /**
   * A follower's report about {@code phone} in one unit of work: recorded (the person's latest
   * report, by any follower, is their {@code report*} and {@code reportedSafe}/{@code reportedNeedHelp}
   * count people by it); never moves the person's own state. Reports by different followers are
   * independent: each follower's latest report about the person is that follower's "current" one. A
   * {@code need_help} is a help request (state {@code open}); a later {@code need_help} by the same
   * follower while their request is not resolved updates that request's note (same id, same
   * {@code at}); any other later report by them replaces theirs (their request leaves the queue).
   * Outcomes: {@code ok},
   * {@code no_such_check}, {@code not_running}, {@code not_reached} (the escalation did not tell
   * {@code follower} about {@code phone}), {@code answered} (the person answered themself).
   */
  Future<ReportResult> report(String id, String phone, String follower, String status, String note, Instant now);

  /**
   * The reported {@code need_help} requests of the incident's checks still in the help queue: the
   * reporting follower's current report, {@code open} or {@code acknowledged}, about a person who
   * has not answered themself; oldest first. Reports by other followers never remove one.
   */
  Future<List<Report>> reportedHelp(String incident);

  /**
   * The newest reported {@code need_help} by {@code follower} still in the queue's states
   * ({@code open} or {@code acknowledged}, their current report): where an SMS from the reporter goes
   * when it is a thread message. Empty when there is none.
   */
  Future<Optional<Report>> newestOpenReported(String follower);

  /** A reported {@code need_help} as a help request, by its id (any state); empty when there is none. */
  Future<Optional<Report>> reportedRequest(String reportId);

  /**
   * Moves a reported help request forward ({@code acknowledged}, {@code resolved}: states only go
   * forward, as for any help request), recording who. Outcomes: {@code ok} (with the request as it
   * now is), {@code not_found}, {@code conflict} (already in that state or past it; with the request).
   */
  Future<HelpStateResult> setReportedState(String reportId, String state, String responder, String agency,
      Instant now);

  /** The counters of a check. */
  record Tallies(long asked, long delivered, long safe, long needHelp, long noAnswer, long unreachable,
      long reportedSafe, long reportedNeedHelp) {
    public static final Tallies ZERO = new Tallies(0, 0, 0, 0, 0, 0, 0, 0);
  }

  /**
   * A safety check. {@code audienceJson} is the requested audience ({@code joined}, {@code inArea},
   * {@code numbers}) and {@code escalationJson} the requested escalation, both as given (JSON text);
   * {@code audienceSize} and {@code smsRecipients} are the draft's estimate until the start fixes them.
   * {@code state}: draft, approved, starting (its audience being fixed in batches), running, closed.
   */
  record Check(String id, String incident, String author, String agency, String state, String question,
      String audienceJson, String escalationJson, boolean needsApproval, String approvedBy, long audienceSize,
      long smsRecipients, int smsSegments, String smsEncoding, long estimatedSendSeconds, Instant createdAt,
      Instant startedAt, Instant closedAt, Tallies tallies) {
  }

  /** A member of an audience; {@code byLocation}: chosen only for their latest check-in's location. */
  record Member(String phone, boolean byLocation) {
  }

  /**
   * A member's state. {@code at}/{@code channel}: of their latest own answer; {@code delivery} and
   * {@code errorCode}: the latest Twilio status of the last ask ({@code queued} once queued);
   * {@code report*}: the latest follower's report about them (status, time, the follower's number).
   */
  record Person(String phone, boolean byLocation, String state, Instant at, String channel, String delivery,
      String errorCode, String reportStatus, Instant reportAt, String reportBy) {
    public Person(String phone, boolean byLocation, String state, Instant at, String channel, String delivery,
        String errorCode) {
      this(phone, byLocation, state, at, channel, delivery, errorCode, null, null, null);
    }
  }

  /** Waves of the escalation: {@code repeat} (ask again by SMS) and {@code followers} (tell followers). */
  String REPEAT = "repeat";
  String FOLLOWERS = "followers";

  /** A claimed wave: which one, and the last phone done before (null: from the start). */
  record WaveClaim(String id, String wave, String cursor) {
  }

  /**
   * A batch of a wave: {@code phones} to reach, {@code cursor} the last phone scanned (the next
   * cursor), {@code end} when the scan reached the end of the audience.
   */
  record WaveBatch(List<String> phones, String cursor, boolean end) {
  }

  /**
   * One person's part of a wave: {@code phone} the unanswered person; {@code sms} the messages to
   * queue; {@code reached} the followers told about them (empty in a repeat wave).
   */
  record WaveItem(String phone, List<Sms> sms, List<String> reached) {
  }

  /** An SMS to queue: to {@code to}; {@code subject} when it is about a person {@code to} follows. */
  record Sms(String to, String subject, String body) {
  }

  /**
   * A follower's report about {@code phone}. As a help request (a {@code need_help}): {@code helpState}
   * open, acknowledged or resolved (null for a {@code safe} report), {@code byResponder}/{@code byAgency}
   * who last acted on it, {@code updatedAt} when its state last changed (when filed, while open).
   */
  record Report(String id, String check, String incident, String phone, String follower, String status, String note,
      Instant at, String helpState, String byResponder, String byAgency, Instant updatedAt) {
    /** A new report: a {@code need_help} is an open help request. */
    public Report(String id, String check, String incident, String phone, String follower, String status,
        String note, Instant at) {
      this(id, check, incident, phone, follower, status, note, at, "need_help".equals(status) ? "open" : null, null,
          null, at);
    }
  }

  /** The outcome of {@link #setReportedState}: {@code ok}, {@code not_found} or {@code conflict}. */
  record HelpStateResult(String outcome, Report report) {
  }

  /** The outcome of {@link #report}; {@code report} when {@code ok}. */
  record ReportResult(String outcome, Report report, Check check) {
  }

  /** The outcome of {@link #answer}: {@code ok}, {@code not_running}, {@code not_in_audience}, {@code no_such_check}. */
  record AnswerResult(String outcome, Check check) {
  }
}
