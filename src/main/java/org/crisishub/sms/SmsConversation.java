package org.crisishub.sms;

import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
import org.crisishub.auth.Limits;
import org.crisishub.auth.RateLimiter;
import org.crisishub.core.FollowService;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Phones;
import org.crisishub.domain.SmsCommand;
import org.crisishub.domain.SmsCommand.Kind;
import org.crisishub.domain.SmsCommand.Lang;
import org.crisishub.domain.SmsLanguage;
import org.crisishub.domain.SmsReplies;
import org.crisishub.domain.Status;
import org.crisishub.store.FollowGraph;
import org.crisishub.store.SmsInbound;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles one inbound SMS, wherever it came from (the Twilio webhook or the dev simulator), and
 * returns the reply text ("" for none). A {@code MessageSid} seen before gets the reply it got the
 * first time and changes nothing. While a number is opted out (STOP) no reply is sent, except to
 * STOP, START and HELP (carrier rules).
 *
 * <p>The SMS grammar reaches nearly every command, hence the many collaborators: each command goes to
 * the same core handler the other channels use ({@code PersonCommands}, {@code Subscriptions},
 * {@code FollowService}, {@code TriageService}); what is left here is the SMS wire (parsing, which
 * running check or pending request a bare word answers, reply texts).
 */
public final class SmsConversation {
  private static final Logger LOG = LoggerFactory.getLogger(SmsConversation.class);
  /** The only replies sent to an opted-out number: what carrier rules require (STOP, START, HELP). */
  private static final java.util.Set<Kind> CARRIER_REPLIES = java.util.EnumSet.of(Kind.STOP, Kind.START, Kind.HELP);

  private final Phones phones;
  private final SmsInbound inbound;
  private final FollowGraph followGraph;
  private final org.crisishub.core.PersonCommands commands;
  private final org.crisishub.core.Subscriptions subscriptions;
  private final FollowService follows;
  private final RateLimiter limiter;
  private final Clock clock;
  private final java.time.ZoneId smsZone;
  private final org.crisishub.core.SafetyCheckService safety;
  private final org.crisishub.core.TriageService triage;
  /** The bare answers that go to a help thread while a responder wrote last in it (after normalisation). */
  private static final java.util.Set<String> BARE_ANSWERS = java.util.Set.of("yes", "y", "si", "no", "n", "ok");

  /**
   * @param inbound MessageSid dedupe, opt-outs ({@code STOP}, {@code START}) and the incident a check-in belongs to
   * @param followGraph the pending follow requests a bare {@code YES} or {@code NO} answers
   * @param commands check-in, safety-check answers, follow and consent: the same handlers as the other channels
   * @param subscriptions {@code JOIN} and {@code LEAVE}: the same rules as every subscription to an incident
   * @param follows who may see whose status ({@code STATUS}) and the names followers gave
   * @param smsZone the zone replies write clock times in ({@code HUB_TIMEZONE})
   * @param safety which running check {@code SAFE}, {@code SOS}, {@code 1}, {@code 2} answer; null: none
   * @param triage help threads: other text, and a bare YES/NO/OK after a responder's message; null: none
   */
  public SmsConversation(Phones phones, SmsInbound inbound, FollowGraph followGraph,
      org.crisishub.core.PersonCommands commands, org.crisishub.core.Subscriptions subscriptions, FollowService follows,
      RateLimiter limiter, Clock clock, java.time.ZoneId smsZone, org.crisishub.core.SafetyCheckService safety,
      org.crisishub.core.TriageService triage) {
    this.triage = triage;
    this.smsZone = smsZone;
    this.safety = safety;
    this.phones = phones;
    this.inbound = inbound;
    this.followGraph = followGraph;
    this.commands = commands;
    this.subscriptions = subscriptions;
    this.follows = follows;
    this.limiter = limiter;
    this.clock = clock;
  }

  /**
   * @param from the sender as Twilio gives it (E.164)
   * @param messageSid Twilio's id of the message, the key of idempotency
   */
  public Future<String> handle(String from, String body, String messageSid) {
    String sender;
    try {
      sender = phones.normalise(from);
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    // The dedupe read and the opt-out read go to the store together (both are needed for a new
    // message; a duplicate wastes one small read).
    Future<java.util.Optional<String>> saved = inbound.inboundReply(messageSid);
    Future<Boolean> optOut = inbound.isSmsOptedOut(sender);
    return Future.join(saved, optOut).transform(x -> saved).compose(seen -> {
      if (seen.isPresent()) {
        return Future.succeededFuture(seen.get());
      }
      SmsCommand parsed = SmsCommand.parse(body);
      // Text that is no command ("hola") gets the usage text in the language it seems written in.
      SmsCommand cmd = parsed.kind() == Kind.UNKNOWN && parsed.lang() == Lang.EN
          && SmsLanguage.guess(body) == Lang.ES ? new SmsCommand(parsed.kind(), parsed.arg(), Lang.ES) : parsed;
      return optOut.compose(optedOut -> safely(sender, cmd, body, messageSid)
          .recover(e -> Future.succeededFuture(replyFor(e, cmd.lang())))
          .map(reply -> optedOut && !CARRIER_REPLIES.contains(cmd.kind()) ? "" : reply))
          .compose(reply -> inbound.saveInboundReply(messageSid, reply, clock.instant()).map(reply));
    });
  }

  private static String replyFor(Throwable e, Lang lang) {
    if (e instanceof HubException h) {
      if (h.code() == ErrorCode.RATE_LIMITED) {
        return SmsReplies.tooMany(lang);
      }
      if (h.code() == ErrorCode.UNAVAILABLE) {
        return SmsReplies.unavailable(lang);
      }
      return SmsReplies.usage(lang);
    }
    LOG.error("handling an SMS failed", e);
    return SmsReplies.unavailable(lang);
  }

  private Future<String> safely(String from, SmsCommand cmd, String body, String messageSid) {
    try {
      return route(from, cmd, body, messageSid);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * The routing order of docs/sms.md: carrier words (STOP, START, HELP) act at once; then, while a
   * responder wrote last in the sender's newest unresolved help thread, a bare YES, NO or OK goes to
   * that thread (not to a follow request); then safety-check answers and the v1 commands
   * ({@link #apply}); text that is no command goes to that thread when there is one.
   */
  private Future<String> route(String from, SmsCommand cmd, String body, String messageSid) {
    if (triage == null || CARRIER_REPLIES.contains(cmd.kind())) {
      return apply(from, cmd, body, messageSid);
    }
    List<String> words = org.crisishub.domain.TextNormaliser.tokens(body, 2);
    boolean bare = words.size() == 1 && BARE_ANSWERS.contains(words.get(0));
    if (!bare) {
      return apply(from, cmd, body, messageSid);
    }
    return triage.openThread(from).compose(open -> open.isPresent() && open.get().responderWroteLast()
        ? toThread(from, open.get().checkinId(), body, cmd.lang(), true)
        : apply(from, cmd, body, messageSid));
  }

  /** Text that is no command: into the sender's newest unresolved help thread, else the usage text. */
  private Future<String> otherText(String from, SmsCommand cmd, String body) {
    if (triage == null) {
      return Future.succeededFuture(SmsReplies.usage(cmd.lang()));
    }
    return triage.openThread(from).compose(open -> open.isPresent()
        ? toThread(from, open.get().checkinId(), body, cmd.lang(), false)
        : Future.succeededFuture(SmsReplies.usage(cmd.lang())));
  }

  private Future<String> toThread(String from, String checkinId, String body, Lang lang, boolean bare) {
    limiter.acquire(Limits.CHECKIN_PER_PHONE, from, clock.millis());
    return triage.fromSms(from, checkinId, body).map(x -> SmsReplies.threadReply(lang, bare));
  }

  private Future<String> apply(String from, SmsCommand cmd, String body, String messageSid) {
    // SAFE / SOS / 1 / 2 answer the sender's latest running unanswered safety check first.
    Status answer = null;
    String note = cmd.arg();
    if (cmd.kind() == Kind.SAFE || cmd.kind() == Kind.SOS) {
      answer = cmd.kind() == Kind.SAFE ? Status.SAFE : Status.NEED_HELP;
    } else if (cmd.kind() == Kind.UNKNOWN) {
      String[] words = cmd.arg().split(" ", 2);
      String first = words[0].replaceAll("[\\p{Punct}]+$", "");
      if (first.equals("1") || first.equals("2")) {
        answer = first.equals("1") ? Status.SAFE : Status.NEED_HELP;
        note = words.length > 1 ? words[1].strip() : "";
      }
    }
    if (answer != null && safety != null) {
      Status status = answer;
      String text = clip(note);
      boolean numeric = cmd.kind() == Kind.UNKNOWN;
      return safety.openAskOf(from).compose(open -> {
        if (open.isEmpty()) {
          return numeric ? otherText(from, cmd, body) : apply1(from, cmd, body, messageSid);
        }
        return commands.answer(from, Channel.SMS, "sms:" + messageSid, open.get(), status, text.isEmpty() ? null : text)
            .map(a -> SmsReplies.safetyAnswered(cmd.lang(), status, open.get().incident()));
      });
    }
    return apply1(from, cmd, body, messageSid);
  }

  private static String clip(String note) {
    if (note.codePointCount(0, note.length()) > CheckInRequest.MAX_NOTE_CODE_POINTS) {
      return note.substring(0, note.offsetByCodePoints(0, CheckInRequest.MAX_NOTE_CODE_POINTS));
    }
    return note;
  }

  private Future<String> apply1(String from, SmsCommand cmd, String body, String messageSid) {
    Lang lang = cmd.lang();
    return switch (cmd.kind()) {
      case SAFE, SOS -> checkIn(from, cmd, messageSid);
      case FOLLOW -> withNumber(cmd, "FOLLOW", subject -> from.equals(subject)
          ? Future.succeededFuture(SmsReplies.followSelf(lang))
          : commands.follow(from, () -> new org.crisishub.core.PersonCommands.FollowRequest(subject, true))
              .map(f -> f.state() == FollowState.ACTIVE
              ? SmsReplies.followActive(lang, subject) : SmsReplies.followPending(lang, subject)));
      case UNFOLLOW -> withNumber(cmd, "UNFOLLOW",
          subject -> commands.unfollow(from, subject).map(x -> SmsReplies.unfollowed(lang, subject)));
      case YES, NO -> answer(from, cmd, cmd.kind() == Kind.YES);
      // Who may see whose status is decided in the core; anyone else is told there is none.
      case STATUS -> withNumber(cmd, "STATUS", phone -> follows.latestSeenBy(from, phone)
          .compose(l -> l.isEmpty() ? Future.succeededFuture(SmsReplies.noStatus(lang, phone))
              : follows.nameFor(from, phone).map(name -> SmsReplies.status(lang, l.get(), name, smsZone)))
          .recover(e -> e instanceof HubException h && h.code() == ErrorCode.FORBIDDEN
              ? Future.succeededFuture(SmsReplies.noStatus(lang, phone)) : Future.failedFuture(e)));
      case JOIN, LEAVE -> incident(from, cmd, cmd.kind() == Kind.JOIN);
      case STOP -> inbound.setSmsOptOut(from, true, clock.instant()).map(x -> SmsReplies.stopped(lang));
      case START -> inbound.setSmsOptOut(from, false, clock.instant()).map(x -> SmsReplies.started(lang));
      case HELP -> Future.succeededFuture(SmsReplies.usage(lang));
      case UNKNOWN -> otherText(from, cmd, body);
    };
  }

  private Future<String> checkIn(String from, SmsCommand cmd, String messageSid) {
    Status status = cmd.kind() == Kind.SAFE ? Status.SAFE : Status.NEED_HELP;
    String note = cmd.arg();
    // Someone typing on a phone cannot easily shorten a note: keep the first 280 characters.
    if (note.codePointCount(0, note.length()) > CheckInRequest.MAX_NOTE_CODE_POINTS) {
      note = note.substring(0, note.offsetByCodePoints(0, CheckInRequest.MAX_NOTE_CODE_POINTS));
    }
    String text = note;
    // An SMS cannot name an incident: a check-in belongs to the open incident the sender last JOINed.
    return commands.checkIn(from, () -> inbound.joinedOpenIncidents(from).map(joined ->
          new CheckInRequest(from, status, text, null, joined.isEmpty() ? null : joined.get(0),
              Channel.SMS, "sms:" + messageSid))).map(r -> SmsReplies.checkedIn(cmd.lang(), status, r.checkIn().seq(), r.notified(), r.helpIncidents(),
            from));
  }

  private Future<String> withNumber(SmsCommand cmd, String command,
      java.util.function.Function<String, Future<String>> then) {
    if (cmd.arg().isEmpty()) {
      return Future.succeededFuture(SmsReplies.needNumber(cmd.lang(), command));
    }
    String phone;
    try {
      phone = phones.normalise(cmd.arg());
    } catch (HubException e) {
      return Future.succeededFuture(SmsReplies.badNumber(cmd.lang()));
    }
    return then.apply(phone);
  }

  private Future<String> answer(String subject, SmsCommand cmd, boolean allow) {
    Lang lang = cmd.lang();
    if (!cmd.arg().isEmpty()) {
      return withNumber(cmd, allow ? "YES" : "NO", follower -> commands.consent(subject, follower, allow)
          .map(f -> SmsReplies.answered(lang, follower, allow))
          .recover(e -> e instanceof HubException h && h.code() == ErrorCode.NOT_FOUND
              ? Future.succeededFuture(SmsReplies.noRequestFrom(lang, follower)) : Future.failedFuture(e)));
    }
    return followGraph.followers(subject).compose(all -> {
      List<String> pending = all.stream().filter(f -> f.state() == FollowState.PENDING).map(Follow::follower).toList();
      if (pending.isEmpty()) {
        return Future.succeededFuture(SmsReplies.noPending(lang));
      }
      if (pending.size() > 1) {
        return Future.succeededFuture(SmsReplies.severalPending(lang, allow, pending));
      }
      String follower = pending.get(0);
      return commands.consent(subject, follower, allow).map(f -> SmsReplies.answered(lang, follower, allow));
    });
  }

  private Future<String> incident(String from, SmsCommand cmd, boolean join) {
    Lang lang = cmd.lang();
    if (cmd.arg().isEmpty()) {
      return Future.succeededFuture(SmsReplies.needCode(lang, join ? "JOIN" : "LEAVE"));
    }
    String code;
    try {
      code = CheckInRequest.normaliseIncident(cmd.arg().split(" ")[0]);
    } catch (HubException e) {
      return Future.succeededFuture(SmsReplies.badCode(lang));
    }
    if (!join) {
      return subscriptions.leaveBySms(from, code).map(x -> SmsReplies.left(lang, code));
    }
    return subscriptions.joinBySms(from, code).map(joined -> joined ? SmsReplies.joined(lang, code)
        : SmsReplies.noSuchIncident(lang, code));
  }
}
