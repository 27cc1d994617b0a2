package org.crisishub.store;

import io.vertx.core.Future;
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
   * Empty when the check was in none of {@code fromStates}.
   */
  Future<Optional<Check>> startCheck(String id, List<String> fromStates, List<Member> audience, String smsBody,
      Instant now);

  /** Running → closed; empty when the check was not running. */
  Future<Optional<Check>> closeCheck(String id, Instant now);

  /**
   * The person's own answer ({@code safe} or {@code need_help}) to a running check: moves them, and
   * the tallies, in one unit of work. A later answer replaces an earlier one.
   */
  Future<AnswerResult> answer(String id, String phone, String status, String channel, Instant now);

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

  /** One member; empty when {@code phone} is not in the check's audience. */
  Future<Optional<Person>> person(String id, String phone);

  /** The running checks whose audience holds {@code phone} and that it has not answered, latest started first. */
  Future<List<Check>> openAsksOf(String phone);

  /** Numbers whose latest retained check-in has a location inside {@code area}. */
  Future<List<String>> latestInside(Area area);

  /** The counters of a check. */
  record Tallies(long asked, long delivered, long safe, long needHelp, long noAnswer, long unreachable,
      long reportedSafe, long reportedNeedHelp) {
    public static final Tallies ZERO = new Tallies(0, 0, 0, 0, 0, 0, 0, 0);
  }

  /**
   * A safety check. {@code audienceJson} is the requested audience ({@code joined}, {@code inArea},
   * {@code numbers}) and {@code escalationJson} the requested escalation, both as given (JSON text);
   * {@code audienceSize} and {@code smsRecipients} are the draft's estimate until the start fixes them.
   * {@code state}: draft, approved, running, closed.
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
   * {@code errorCode}: the latest Twilio status of the last ask ({@code queued} once queued).
   */
  record Person(String phone, boolean byLocation, String state, Instant at, String channel, String delivery,
      String errorCode) {
  }

  /** The outcome of {@link #answer}: {@code ok}, {@code not_running}, {@code not_in_audience}, {@code no_such_check}. */
  record AnswerResult(String outcome, Check check) {
  }
}
