package org.crisishub.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.crisishub.core.IncidentAccess.Act;
import org.crisishub.domain.Actor;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Phones;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsText;
import org.crisishub.domain.Status;
import org.crisishub.notices.NoticeService;
import org.crisishub.store.SafetyCheckStore;
import org.crisishub.store.SafetyCheckStore.Check;
import org.crisishub.store.SafetyCheckStore.Member;
import org.crisishub.store.FollowGraph;
import org.crisishub.store.Outbox;
import org.crisishub.store.SmsInbound;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Safety checks ("are you safe?", docs/safety-checks.md): drafting with the send estimate, the
 * second responder's approval, starting (audience fixed, asks by frame and by SMS through the
 * outbox), answers from every channel, delivery reports and live tallies. Rules live here; state
 * lives in the {@link SafetyCheckStore}. Thread-safe; never blocks.
 */
public final class SafetyCheckService {
  private static final Logger LOG = LoggerFactory.getLogger(SafetyCheckService.class);
  /** At most this many numbers in a check's own list. */
  public static final int MAX_NUMBERS = 5_000;
  public static final int MAX_QUESTION_CODE_POINTS = 200;
  public static final String DEFAULT_QUESTION = "Are you safe?";
  private static final long TALLY_EVERY_MS = 1000;

  private final Vertx vertx;
  private final SafetyCheckStore checks;
  private final SmsInbound smsInbound;
  private final Outbox outbox;
  private final FollowGraph follows;
  private final NoticeService notices;
  private final CheckInService checkIns;
  private final EventSink events;
  private final Phones phones;
  private final Clock clock;
  private final double smsRate;
  private final Runnable smsQueued;
  private final Map<String, Long> lastTally = new ConcurrentHashMap<>();
  private final Map<String, Boolean> tallyPending = new ConcurrentHashMap<>();
  private final SafetyReports reports;

  /**
   * Four store concerns besides its own ({@code checks}): {@code smsInbound} (who joined the incident
   * by SMS, who opted out), {@code outbox} (its backlog, in the send estimate and the waves) and
   * {@code follows} (the followers the escalation tells and who may report); all may be one store.
   */
  public SafetyCheckService(Vertx vertx, SafetyCheckStore checks, SmsInbound smsInbound, Outbox outbox,
      FollowGraph follows, NoticeService notices, CheckInService checkIns, EventSink events, Phones phones,
      Clock clock, double smsRate, Runnable smsQueued) {
    this.vertx = vertx;
    this.checks = checks;
    this.smsInbound = smsInbound;
    this.outbox = outbox;
    this.follows = follows;
    this.notices = notices;
    this.checkIns = checkIns;
    this.events = events;
    this.phones = phones;
    this.clock = clock;
    this.smsRate = smsRate;
    this.smsQueued = smsQueued;
    this.reports = new SafetyReports(checks, follows, notices, events, clock, this::tally);
  }

  // ---------------------------------------------------------------- texts

  /** The SMS asking a check's question, in English and Spanish; each ends with how to stop. */
  public static List<String> askTexts(String incident, String question) {
    return List.of(
        "Crisis Hub " + incident + ": " + question + " Reply SAFE or 1 if you are safe, SOS or 2 if you need help."
            + " Reply STOP to end.",
        "Crisis Hub " + incident + ": " + question + " Responda BIEN o 1 si esta a salvo, SOCORRO o 2 si necesita"
            + " ayuda. Responda PARAR para terminar.");
  }

  /** The variant that costs the most segments (the estimate counts it). */
  static String longest(List<String> variants) {
    String best = variants.get(0);
    for (String v : variants) {
      if (SmsText.segments(v) > SmsText.segments(best)) {
        best = v;
      }
    }
    return best;
  }

  // ---------------------------------------------------------------- drafting

  private static Map<String, Boolean> members(Incident inc, SafetyDraft.Audience a, List<String> joined, List<String> inside) {
    Map<String, Boolean> byLocation = new LinkedHashMap<>();
    if (a.joined()) {
      joined.forEach(p -> byLocation.put(p, false));
    }
    a.numbers().forEach(p -> byLocation.put(p, false));
    if (a.inArea()) {
      inside.forEach(p -> byLocation.putIfAbsent(p, true));
    }
    return byLocation;
  }

  /** The audience as it is now: numbers → chosen only by location. */
  private Future<Map<String, Boolean>> resolve(Incident inc, SafetyDraft.Audience a) {
    Future<List<String>> joined = a.joined() ? smsInbound.incidentSmsSubscribers(inc.code())
        : Future.succeededFuture(List.of());
    Future<List<String>> inside = a.inArea() && inc.area() != null ? checks.latestInside(inc.area())
        : Future.succeededFuture(List.of());
    return Future.all(joined, inside).map(x -> members(inc, a, joined.result(), inside.result()));
  }

  /** Drafts a check (a publisher of the incident's agencies) with its send estimate. */
  public Future<Check> draft(Responder who, String code, JsonNode body) {
    Actor actor = Actor.of(who);
    return notices.incidentFor(actor, code, Act.DRAFT, "safety_check.create").compose(inc -> {
      String question;
      SafetyDraft.Audience audience;
      String escalation;
      try {
        for (var it = body.fieldNames(); it.hasNext();) {
          String f = it.next();
          if (!List.of("question", "audience", "escalation").contains(f)) {
            throw HubException.invalid("unknown field \"" + f + "\"");
          }
        }
        JsonNode q = body.get("question");
        if (q != null && !q.isNull() && !q.isTextual()) {
          throw HubException.invalid("question must be text");
        }
        question = q == null || q.isNull() ? DEFAULT_QUESTION : q.textValue().strip();
        int cps = question.codePointCount(0, question.length());
        if (cps < 1 || cps > MAX_QUESTION_CODE_POINTS || question.contains("\n") || question.contains("\r")) {
          throw HubException.invalid("question must be 1 to " + MAX_QUESTION_CODE_POINTS
              + " characters on one line");
        }
        audience = SafetyDraft.audience(body.get("audience"), phones);
        escalation = SafetyDraft.escalation(body.get("escalation"));
      } catch (HubException e) {
        return Future.failedFuture(e);
      }
      if (!inc.open()) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "incident " + inc.code() + " is closed"));
      }
      return resolve(inc, audience).compose(m -> reachable(m.keySet()).compose(smsCount -> outbox
          .outboxStats(clock.instant()).compose(stats -> {
            String text = longest(askTexts(inc.code(), question));
            int segments = SmsText.segments(text);
            long estimate = (long) Math.ceil((smsCount * (double) segments + stats.waiting()) / smsRate);
            Instant now = clock.instant();
            Check d = new Check(UUID.randomUUID().toString(), inc.code(), who.username(), who.agency(), "draft",
                question, audience.json(), escalation, inc.twoPersonRule() || !audience.numbers().isEmpty(), null,
                m.size(), smsCount, segments, SmsText.isGsm7(text) ? "GSM-7" : "UCS-2", estimate, now, null, null,
                SafetyCheckStore.Tallies.ZERO);
            return checks.createCheck(d)
                .map(d);
          })));
    });
  }

  /** How many of {@code numbers} can receive an SMS (have not opted out). */
  private Future<Long> reachable(java.util.Collection<String> numbers) {
    List<Future<Boolean>> all = new ArrayList<>();
    numbers.forEach(p -> all.add(smsInbound.isSmsOptedOut(p)));
    return Future.all(all).map(x -> all.stream().filter(f -> !f.result()).count());
  }

  // ---------------------------------------------------------------- lifecycle

  /** The check and its incident when {@code who} may do {@code act} on it; 404 for an unknown id. */
  private Future<Map.Entry<Check, Incident>> checkFor(Actor who, String id, Act act, String action) {
    return checks.check(id).compose(c -> {
      if (c.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such safety check"));
      }
      return notices.incidentFor(who, c.get().incident(), act, action).map(inc -> Map.entry(c.get(), inc));
    });
  }

  /** Approval by an approver of the check's agency other than its author; 409 unless a draft. */
  public Future<Check> approve(Responder who, String id) {
    Actor actor = Actor.of(who);
    return checkFor(actor, id, Act.APPROVE, "safety_check.approve").compose(e -> {
      Check c = e.getKey();
      if (!org.crisishub.domain.Agencies.same(who.agency(), c.agency())) {
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN,
            "an approver of " + c.agency() + " approves this check"));
      }
      if (who.username().equals(c.author())) {
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN, "the author cannot approve their own check"));
      }
      return checks.approveCheck(id, who.username(), clock.instant()).compose(ok -> ok.isPresent()
          ? Future.succeededFuture(ok.get())
          : Future.failedFuture(new HubException(ErrorCode.CONFLICT,
              "only a draft can be approved (this check is " + c.state() + ")")));
    });
  }

  /** Starts a check: the audience is fixed, and everyone in it is asked. 409 out of order. */
  public Future<Check> start(Responder who, String id) {
    Actor actor = Actor.of(who);
    return checkFor(actor, id, Act.DRAFT, "safety_check.start").compose(e -> {
      Check c = e.getKey();
      Incident inc = e.getValue();
      // "starting": a start interrupted (a crash while its audience was being fixed in batches) resumes.
      List<String> from = c.needsApproval() ? List.of("approved", "starting")
          : List.of("draft", "approved", "starting");
      if (!from.contains(c.state())) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT, c.needsApproval()
            && "draft".equals(c.state()) ? "this check needs a second responder's approval first"
            : "this check is " + c.state()));
      }
      if (!inc.open()) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "incident " + inc.code() + " is closed"));
      }
      return resolve(inc, SafetyDraft.Audience.parse(c.audienceJson())).compose(m -> {
        List<Member> audience = new ArrayList<>();
        m.forEach((p, loc) -> audience.add(new Member(p, loc)));
        // The asks by SMS are queued in the outbox, and the escalation's waves scheduled, in the same
        // unit of work as the start: durable.
        Long repeat = SafetyDraft.delay(c.escalationJson(), "repeatAfterSeconds");
        Long followers = SafetyDraft.delay(c.escalationJson(), "followersAfterSeconds");
        String body = askTexts(inc.code(), c.question()).get(0);
        if (audience.size() <= START_BATCH) {
          Instant now = clock.instant();
          return checks.startCheck(id, from, audience, body, now, repeat == null ? null : now.plusSeconds(repeat),
              followers == null ? null : now.plusSeconds(followers));
        }
        // A large audience is fixed in batches, each its own unit of work, so no single transaction
        // or script holds the store for the whole of it; then one last unit makes the check run.
        return checks.beginStart(id, from).compose(b -> b.isEmpty() ? Future.succeededFuture(Optional.<Check>empty())
            : addInBatches(id, audience, 0, body).compose(ok -> {
              Instant now = clock.instant();
              return ok ? checks.startCheck(id, List.of("starting"), List.of(), body, now,
                  repeat == null ? null : now.plusSeconds(repeat), followers == null ? null : now.plusSeconds(followers))
                  : Future.succeededFuture(Optional.<Check>empty());
            }));
      }).compose(started -> {
        if (started.isEmpty()) {
          return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "this check was started or closed meanwhile"));
        }
        return Future.succeededFuture(started.get());
      }).onSuccess(s -> ask(s, inc));
    });
  }

  /** Members per unit of work when a start fixes a large audience. */
  static final int START_BATCH = 2_000;

  private Future<Boolean> addInBatches(String id, List<Member> audience, int from, String body) {
    if (from >= audience.size()) {
      return Future.succeededFuture(true);
    }
    List<Member> part = audience.subList(from, Math.min(audience.size(), from + START_BATCH));
    return checks.addAudience(id, List.copyOf(part), body, clock.instant())
        .compose(ok -> ok ? addInBatches(id, audience, from + START_BATCH, body) : Future.succeededFuture(false));
  }

  /** Members per page when a start asks the open sessions: one read, one relay message per shard, one write. */
  static final int ASK_PAGE = 1_000;

  /**
   * After the start (whose unit of work queued the SMS asks): wakes the outbox and sends the frame to
   * the members' open sessions a page at a time (the audience read by phone order), recording per
   * page, in one unit of work, who had a session on this node (a failed SMS then does not make them
   * unreachable).
   */
  private void ask(Check c, Incident inc) {
    smsQueued.run();
    askPage(c, null).onComplete(ar -> {
      tally(c.id());
      if (ar.failed()) {
        LOG.warn("safety check {}: asking the open sessions failed: {}", c.id(), ar.cause().toString());
      }
    });
  }

  private Future<Void> askPage(Check c, String after) {
    return checks.audiencePage(c.id(), after, ASK_PAGE).compose(page -> {
      if (page.isEmpty()) {
        return Future.succeededFuture();
      }
      List<String> here = new ArrayList<>();
      events.publish(new DomainEvent.SafetyCheckAsked(c, page, here::add));
      return checks.askedSessions(c.id(), here, clock.instant()).compose(v -> page.size() < ASK_PAGE
          ? Future.<Void>succeededFuture() : askPage(c, page.get(page.size() - 1)));
    });
  }

  /** Running → closed (a publisher of the incident's agencies); 409 otherwise. */
  public Future<Check> close(Responder who, String id) {
    Actor actor = Actor.of(who);
    return checkFor(actor, id, Act.DRAFT, "safety_check.close").compose(e ->
        checks.closeCheck(id, clock.instant()).compose(ok -> ok.isPresent()
            ? Future.succeededFuture(ok.get())
            : Future.failedFuture(new HubException(ErrorCode.CONFLICT,
                "only a running check can be closed (this check is " + e.getKey().state() + ")"))));
  }

  /** One check with its tallies (any responder of the incident's agencies). */
  public Future<Check> get(Responder who, String id) {
    return checkFor(Actor.of(who), id, Act.TRIAGE, "safety_check.read").map(Map.Entry::getKey);
  }

  /** The incident's checks, newest first. */
  public Future<List<Check>> list(Responder who, String code) {
    return notices.incidentFor(Actor.of(who), code, Act.TRIAGE, "safety_check.read")
        .compose(inc -> checks.checks(inc.code()));
  }

  /**
   * The members in {@code state} (all when null); people chosen only by location appear once they
   * answered. Every read is audited at the edge (edge.AuditedCall).
   */
  public Future<List<SafetyCheckStore.Person>> people(Responder who, String id, String state) {
    if (state != null && !List.of("safe", "need_help", "no_answer", "unreachable").contains(state)) {
      return Future.failedFuture(HubException.invalid("state must be safe, need_help, no_answer or unreachable"));
    }
    Actor actor = Actor.of(who);
    return checkFor(actor, id, Act.TRIAGE, "safety_check.people.read").compose(e -> checks.people(id, state))
        .map(all -> all.stream().filter(p -> !p.byLocation() || p.at() != null).toList());
  }

  /** The largest {@code limit} of a page of people (without one, the whole list is read). */
  public static final int PEOPLE_PAGE_MAX = 5000;

  /**
   * A page of {@link #people(Responder, String, String)}: at most {@code limit} members after the
   * phone {@code after} (null: from the first), by phone; {@code next} of the result is where the
   * next page starts (null: the end). A page may hold fewer than {@code limit} rows while more
   * follow (people chosen by location who have not answered are left out). Same errors as
   * {@link #people(Responder, String, String)}; {@code limit} outside 1–{@value #PEOPLE_PAGE_MAX} → 400.
   */
  public Future<SafetyCheckStore.PeoplePage> people(Responder who, String id, String state, String after, int limit) {
    if (state != null && !List.of("safe", "need_help", "no_answer", "unreachable").contains(state)) {
      return Future.failedFuture(HubException.invalid("state must be safe, need_help, no_answer or unreachable"));
    }
    if (limit < 1 || limit > PEOPLE_PAGE_MAX) {
      return Future.failedFuture(HubException.invalid("limit must be 1 to " + PEOPLE_PAGE_MAX));
    }
    Actor actor = Actor.of(who);
    return checkFor(actor, id, Act.TRIAGE, "safety_check.people.read").compose(e -> checks.people(id, state, after,
        limit)).map(page -> new SafetyCheckStore.PeoplePage(page.people().stream()
            .filter(p -> !p.byLocation() || p.at() != null).toList(), page.next()));
  }

  // ---------------------------------------------------------------- answers

  /** What an answer returns. */
  public record Answered(String check, String status, Instant at) {
  }

  /**
   * The person's own answer: 404 unknown check, 409 not running, 403 outside its audience. Recorded
   * as a check-in of the person in the check's incident (seq, fan-out, consent; need_help joins the
   * help queue), then as the answer.
   */
  public Future<Answered> answer(String phone, String id, Status status, String note, Channel channel, String key) {
    return checks.check(id).compose(c -> {
      if (c.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such safety check"));
      }
      return answer(phone, c.get(), status, note, channel, key);
    });
  }

  /**
   * The answer to {@code check} as read by the caller (an SMS answer's {@link #openAskOf}): its state
   * and the person's membership are checked again in the store's unit of work that records the
   * check-in and the answer together ({@link SafetyCheckStore#answerWithCheckIn}), so nothing is read
   * twice and the answer is written once. Errors as {@link #answer(String, String, Status, String,
   * Channel, String)}.
   */
  public Future<Answered> answer(String phone, Check check, Status status, String note, Channel channel, String key) {
    if (!"running".equals(check.state())) {
      return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "this safety check is not running"));
    }
    String id = check.id();
    CheckInRequest req = new CheckInRequest(phone, status, note, null, check.incident(), channel, key);
    return checkIns.record(req, now -> checks.answerWithCheckIn(id, req, now).map(a -> switch (a.outcome()) {
      case "ok" -> a.checkIn();
      case "no_such_check" -> throw HubException.notFound("no such safety check");
      case "not_in_audience" -> throw new HubException(ErrorCode.FORBIDDEN, "you are not asked by this safety check");
      default -> throw new HubException(ErrorCode.CONFLICT, "this safety check is not running");
    }), false).map(r -> {
      tally(id);
      if (!r.duplicate()) {
        // The check-in also answers the incident's other running checks (what onCheckIn does for any
        // other check-in), off the answer's path; this check's answer is already written.
        onCheckIn(r.checkIn(), id);
      }
      return new Answered(id, status.wire(), r.checkIn().at());
    });
  }

  /**
   * A check-in naming an incident made after a running check of it started answers that check for
   * the person (when they are in its audience). Called after every stored check-in.
   */
  public void onCheckIn(CheckIn c) {
    onCheckIn(c, null);
  }

  private void onCheckIn(CheckIn c, String except) {
    if (c.incident() == null) {
      return;
    }
    checks.checks(c.incident()).onSuccess(list -> {
      for (Check k : list) {
        if (k.id().equals(except)) {
          continue;
        }
        if ("running".equals(k.state()) && k.startedAt() != null && !c.at().isBefore(k.startedAt())) {
          checks.answer(k.id(), c.phone(), c.status().wire(), c.channel().wire(), c.at()).onSuccess(a -> {
            if ("ok".equals(a.outcome())) {
              tally(k.id());
            }
          });
        }
      }
    });
  }

  /** The running check an SMS answer goes to: the latest started one the number has not answered. */
  public Future<Optional<Check>> openAskOf(String phone) {
    return checks.openAsksOf(phone).map(l -> l.stream().findFirst());
  }

  /**
   * The running checks a person's session is asked after {@code ready} (a {@code safety_check}
   * frame each): those they have not answered (each then counts the person as asked, with a session
   * open).
   */
  public Future<List<Check>> pendingAsks(String phone) {
    return checks.openAsksOf(phone).map(l -> {
      for (Check c : l) {
        checks.asked(c.id(), phone, false, true, clock.instant()).onSuccess(x -> tally(c.id()))
            .onFailure(e -> LOG.warn("safety check {}: recording an asked session failed: {}", c.id(), e.toString()));
      }
      return l;
    });
  }

  // ---------------------------------------------------------------- escalation and reports

  private volatile SafetyEscalation escalation;

  /**
   * Starts running due escalation waves on this node as {@code owner} (unique per process): see
   * {@link SafetyEscalation}. {@code lease}: a claim's life without renewal; {@code batch}: members
   * per step; {@code backlog}: outbox depth above which a wave waits; {@code tickMs}: how often to
   * look for due waves.
   */
  public void startWaves(String owner, java.time.Duration lease, int batch, int backlog, long tickMs) {
    SafetyEscalation e = new SafetyEscalation(vertx, checks, follows, outbox, events, clock, smsQueued, this::tally, owner, lease, batch,
        backlog, tickMs);
    escalation = e;
    e.start();
  }

  /** Stops looking for waves (a running step ends at its next store call; its lease then expires). */
  public void stopWaves() {
    SafetyEscalation e = escalation;
    if (e != null) {
      e.stop();
    }
  }

  /** Follower reports and the reported calls for help (see {@link SafetyReports}). */
  public SafetyReports reports() {
    return reports;
  }

  /** {@link SafetyReports#report}. */
  public Future<SafetyReports.Reported> report(String follower, String id, String subject, Status status, String note) {
    return reports.report(follower, id, subject, status, note);
  }

  /** {@link SafetyReports#reportedHelp}. */
  public Future<List<SafetyReports.ReportedHelp>> reportedHelp(String incident) {
    return reports.reportedHelp(incident);
  }

  /** Uses keyword watch to score reported calls for help (own and reported need_help are matched). */
  public void useWatch(WatchService watch) {
    reports.useWatch(watch);
  }

  // ---------------------------------------------------------------- delivery and tallies

  /** An SMS of the outbox was accepted by Twilio: links its SID when it was an ask. */
  public void sent(String coalesceKey, String to, String sid) {
    if (coalesceKey != null && coalesceKey.startsWith("safety:") && coalesceKey.indexOf(':', 7) < 0) {
      String id = coalesceKey.substring("safety:".length());
      checks.askSent(id, to, sid, clock.instant())
          .onFailure(e -> LOG.warn("safety check {}: recording an ask's SID failed: {}", id, e.toString()));
    }
  }

  /** A Twilio status callback: updates the delivery state of the ask it names, if any. */
  public Future<Void> deliveryReport(String sid, String status, String errorCode) {
    String s = status.toLowerCase(java.util.Locale.ROOT);
    if (!List.of("queued", "sent", "delivered", "undelivered", "failed").contains(s)) {
      return Future.succeededFuture();
    }
    return checks.deliveryReport(sid, s, errorCode, clock.instant()).map(id -> {
      id.ifPresent(this::tally);
      return null;
    });
  }

  /**
   * Sends the check's tallies to its incident's responders, at most once a second per check (per
   * node): a change within the second is sent when it ends.
   */
  public void tally(String id) {
    long now = System.currentTimeMillis();
    Long last = lastTally.get(id);
    if (last != null && now - last < TALLY_EVERY_MS) {
      if (tallyPending.putIfAbsent(id, true) == null) {
        vertx.setTimer(TALLY_EVERY_MS - (now - last), t -> {
          tallyPending.remove(id);
          tally(id);
        });
      }
      return;
    }
    lastTally.put(id, now);
    checks.check(id).compose(c -> c.isEmpty() ? Future.succeededFuture()
        : notices.incident(c.get().incident()).map(inc -> {
          events.publish(new DomainEvent.SafetyCheckTallied(id, c.get().tallies(), inc.code(), inc.agencies()));
          return null;
        })).onFailure(e -> LOG.warn("safety check {}: sending its tallies failed: {}", id, e.toString()));
  }
}
