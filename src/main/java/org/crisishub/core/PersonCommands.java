package org.crisishub.core;

import io.vertx.core.Future;
import java.time.Clock;
import java.util.function.Supplier;
import org.crisishub.auth.Limits;
import org.crisishub.auth.RateLimiter;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;
import org.crisishub.domain.Status;
import org.crisishub.store.SafetyCheckStore.Check;

/**
 * What a signed-in person does, one handler per action, the same for every channel: HTTP, the
 * WebSocket, SMS (the SSE stream only reads): check in, answer a safety check, follow, unfollow,
 * consent. The channel translates its wire form to the domain
 * request and the result back to its reply; the limits and the rules are here and in the services
 * behind. Thread-safe; futures complete on the caller's context.
 *
 * <p>A request is built by the channel inside the charge (a {@link Supplier}): a request refused as
 * invalid gives its token back, and a caller over its limit is told {@code rate_limited} before its
 * request is read.
 */
public final class PersonCommands {
  private final CheckInService checkIns;
  private final FollowService follows;
  private final SafetyCheckService safety;
  private final RateLimiter limiter;
  private final Clock clock;

  /**
   * {@code limiter} holds the per-phone limits ({@link Limits#CHECKIN_PER_PHONE}, {@link Limits#FOLLOW_PER_PHONE});
   * {@code safety} takes the answers to safety checks.
   */
  public PersonCommands(CheckInService checkIns, FollowService follows, SafetyCheckService safety, RateLimiter limiter,
      Clock clock) {
    this.checkIns = checkIns;
    this.follows = follows;
    this.safety = safety;
    this.limiter = limiter;
    this.clock = clock;
  }

  /** The subject of a follow request and whether the follower also wants its status by SMS. */
  public record FollowRequest(String subject, boolean sms) {
  }

  /** A person's answer to the safety check {@code check}; {@code note} may be null. */
  public record SafetyAnswer(String check, Status status, String note) {
  }

  /**
   * Records {@code phone}'s check-in, charged to {@link Limits#CHECKIN_PER_PHONE}.
   *
   * @param request builds the request (it may throw {@code invalid_request}, or fail); its phone is {@code phone}
   * @return the recorded check-in (or the earlier one with the same idempotency key); fails
   *     {@code rate_limited}, {@code invalid_request}, or as {@link CheckInService#record} fails
   */
  public Future<CheckInResult> checkIn(String phone, Supplier<Future<CheckInRequest>> request) {
    return limiter.charge(Limits.CHECKIN_PER_PHONE, phone, clock.millis(), () -> request.get().compose(checkIns::record));
  }

  /**
   * {@code follower} asks to follow a person, charged to {@link Limits#FOLLOW_PER_PHONE}: pending
   * until the subject allows it, active at once when the subject pre-approved the follower.
   *
   * @return the follow; fails {@code rate_limited}, {@code invalid_request} (for oneself), or as
   *     {@link FollowService#follow} fails
   */
  public Future<Follow> follow(String follower, Supplier<FollowRequest> request) {
    return limiter.charge(Limits.FOLLOW_PER_PHONE, follower, clock.millis(), () -> {
      FollowRequest r = request.get();
      return follows.follow(follower, r.subject(), r.sms());
    });
  }

  /**
   * {@code phone} answers a safety check: an answer is a check-in (of the check's incident), so it is
   * charged to {@link Limits#CHECKIN_PER_PHONE} like one, on every channel (HTTP, the WebSocket's
   * {@code answer} frame, an SMS reply), and a refused answer gives its token back. The note is
   * checked as a check-in's note before the check is looked up.
   *
   * @param channel the channel the answer came by; {@code key} its idempotency key (null: none)
   * @param request builds the answer (it may throw {@code invalid_request})
   * @return as {@link SafetyCheckService#answer}: fails {@code rate_limited}, {@code invalid_request},
   *     {@code not_found} (no such check), {@code conflict} (not running), {@code forbidden} (not asked)
   */
  public Future<SafetyCheckService.Answered> answer(String phone, Channel channel, String key,
      Supplier<SafetyAnswer> request) {
    return limiter.charge(Limits.CHECKIN_PER_PHONE, phone, clock.millis(), () -> {
      SafetyAnswer a = request.get();
      CheckInRequest.normaliseNote(a.note());
      return safety.answer(phone, a.check(), a.status(), a.note(), channel, key);
    });
  }

  /**
   * As {@link #answer(String, Channel, String, Supplier)}, to {@code asked}: the check the caller has
   * just read as the person's open ask (an SMS answer's {@link SafetyCheckService#openAskOf}), so it
   * is not read again by id. Its state and the person's membership are still checked in the answer's
   * store unit ({@link SafetyCheckService#answer(String, Check, Status, String, Channel, String)}).
   */
  public Future<SafetyCheckService.Answered> answer(String phone, Channel channel, String key, Check asked,
      Status status, String note) {
    return limiter.charge(Limits.CHECKIN_PER_PHONE, phone, clock.millis(), () -> {
      CheckInRequest.normaliseNote(note);
      return safety.answer(phone, asked, status, note, channel, key);
    });
  }

  /** {@code follower} stops following {@code subject}; true when there was a follow. */
  public Future<Boolean> unfollow(String follower, String subject) {
    return follows.unfollow(follower, subject);
  }

  /**
   * {@code subject} answers {@code follower}'s request (or revokes an active follow): allowed, it is
   * active; refused, it ends. Fails {@code not_found} when there is no such follow.
   */
  public Future<Follow> consent(String subject, String follower, boolean allow) {
    return follows.answer(subject, follower, allow);
  }
}
