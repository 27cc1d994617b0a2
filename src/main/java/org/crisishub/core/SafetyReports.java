package org.crisishub.core;

import io.vertx.core.Future;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.crisishub.domain.Actor;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Responder;
import org.crisishub.domain.Status;
import org.crisishub.notices.NoticeService;
import org.crisishub.store.SafetyCheckStore;
import org.crisishub.store.SafetyCheckStore.Report;
import org.crisishub.store.FollowGraph;
import org.crisishub.store.HelpQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follower reports in a safety check's escalation (docs/safety-checks.md, "Reports"): who may report,
 * what the person and the responders are told, and the reported calls for help as help requests in
 * the incident's queue: listed, acknowledged, resolved and threaded like any other, marked
 * {@code reported}, their author (the reporting follower) shown only to the incident's responders.
 * Reports by different followers are independent. State lives in the {@link SafetyCheckStore}.
 * Thread-safe; never blocks.
 */
public final class SafetyReports {
  private static final Logger LOG = LoggerFactory.getLogger(SafetyReports.class);
  private final SafetyCheckStore checks;
  private final FollowGraph follows;
  private final NoticeService notices;
  private final EventSink events;
  private final Clock clock;
  private final Consumer<String> tally;
  private volatile WatchService watch;

  /** {@code checks} holds the reports; {@code follows} tells who actively follows whom. */
  SafetyReports(SafetyCheckStore checks, FollowGraph follows, NoticeService notices, EventSink events, Clock clock,
      Consumer<String> tally) {
    this.checks = checks;
    this.follows = follows;
    this.notices = notices;
    this.events = events;
    this.clock = clock;
    this.tally = tally;
  }

  /** Uses keyword watch to score reported calls for help (own and reported need_help are matched). */
  void useWatch(WatchService watch) {
    this.watch = watch;
  }

  /**
   * What a follower's report returns to its author: {@code id} the report's (for a {@code need_help},
   * the help request's id: its thread is at {@code /api/v1/help/{id}/messages}); {@code at} when it
   * was filed (a repeated {@code need_help} of the same follower keeps the first time).
   */
  public record Reported(String id, String check, String phone, String status, String note, java.time.Instant at) {
  }

  /** A reported call for help with the incident's watch terms its note matches now ({@code []} for none). */
  public record ReportedHelp(Report report, List<String> matched) {
  }

  /**
   * A follower's report about {@code subject}: 404 unknown check; 403 unless {@code follower}
   * actively follows {@code subject}; 409 when the check is not running, its escalation has not
   * told {@code follower} about {@code subject}, or {@code subject} answered. Counted apart (never
   * a check-in of the subject, never their own state); the subject is told that someone reported
   * them (never who); a {@code need_help} report joins the help queue marked {@code reported}.
   */
  public Future<Reported> report(String follower, String id, String subject, Status status, String note) {
    return checks.check(id).compose(c -> {
      if (c.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such safety check"));
      }
      return follows.follow(follower, subject).compose(f -> {
        if (f.isEmpty() || f.get().state() != FollowState.ACTIVE) {
          return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN, "only an active follower may report"));
        }
        return checks.report(id, subject, follower, status.wire(), note, clock.instant()).map(r -> switch (r.outcome()) {
          case "ok" -> {
            reported(r.report());
            yield new Reported(r.report().id(), id, subject, status.wire(), note, r.report().at());
          }
          case "no_such_check" -> throw HubException.notFound("no such safety check");
          case "not_running" -> throw new HubException(ErrorCode.CONFLICT, "this safety check is not running");
          case "answered" -> throw new HubException(ErrorCode.CONFLICT, "they answered this safety check themself");
          default -> throw new HubException(ErrorCode.CONFLICT, "this check's escalation has not reached you");
        });
      });
    });
  }

  private void reported(Report r) {
    tally.accept(r.check());
    events.publish(new DomainEvent.SafetyCheckReported(r));
    if ("need_help".equals(r.status())) {
      shown(r, true).onFailure(e -> LOG.warn("safety check {}: announcing a reported call for help failed: {}",
          r.check(), e.toString()));
    }
  }

  /** Shows the reported call for help, as it now is, to the incident's responders ({@code count}: a new match). */
  private Future<List<String>> shown(Report r, boolean count) {
    return notices.incident(r.incident()).compose(inc -> matched(r, count).map(m -> {
      events.publish(new DomainEvent.ReportedHelpShown(r, m, inc.agencies()));
      return m;
    }));
  }

  /**
   * The incident's reported calls for help still in the queue (each reporting follower's current
   * {@code need_help}, open or acknowledged, about a person who has not answered), oldest first.
   */
  public Future<List<ReportedHelp>> reportedHelp(String incident) {
    return checks.reportedHelp(incident).compose(list -> {
      List<Future<List<String>>> scores = list.stream().map(r -> matched(r, false)).toList();
      return Future.all(scores).map(x -> {
        List<ReportedHelp> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
          out.add(new ReportedHelp(list.get(i), scores.get(i).result()));
        }
        return out;
      });
    });
  }

  private Future<List<String>> matched(Report r, boolean count) {
    WatchService w = watch;
    return w == null ? Future.succeededFuture(List.of()) : w.scoreReport(r.incident(), r.note(), count);
  }

  // ---------------------------------------------------------------- as help requests

  /**
   * A reported call for help as a help request of the help APIs: the "person who asked" is the
   * reporting follower (they get {@code help_update} and the thread's messages); its id is the
   * report's; never the reported person's location or number in the check-in part.
   */
  static HelpQueue.HelpRequest asHelpRequest(Report r) {
    CheckIn ci = new CheckIn(r.id(), r.follower(), Status.NEED_HELP, r.note(), null, r.incident(), Channel.WEB,
        r.at(), 0);
    return new HelpQueue.HelpRequest(ci, r.incident(), r.helpState(), r.byResponder(), r.byAgency(), r.updatedAt());
  }

  /** True when {@code who} triages the help queue of the report's incident. */
  private Future<Boolean> triages(Responder who, Report r) {
    return notices.incident(r.incident()).map(inc -> IncidentAccess.allows(inc, Actor.of(who), IncidentAccess.Act.TRIAGE))
        .recover(e -> e instanceof HubException h && h.code() == ErrorCode.NOT_FOUND ? Future.succeededFuture(false)
            : Future.failedFuture(e));
  }

  /**
   * The reported call for help {@code id} when {@code phone} (the reporting follower) or
   * {@code responder} (of the incident's agencies) may see it: empty when there is none;
   * {@code forbidden} for anyone else.
   */
  Future<Optional<Report>> readable(String phone, Responder responder, String id) {
    return checks.reportedRequest(id).compose(o -> {
      if (o.isEmpty()) {
        return Future.succeededFuture(Optional.<Report>empty());
      }
      if (responder == null) {
        // A person who did not report it: the same refusal as for another person's own call for help.
        return phone != null && phone.equals(o.get().follower()) ? Future.succeededFuture(o)
            : Future.failedFuture(HubException.forbidden());
      }
      return triages(responder, o.get()).compose(ok -> ok ? Future.succeededFuture(o) : Future.failedFuture(
          new HubException(ErrorCode.FORBIDDEN, "this call for help belongs to an incident your agency does not serve")));
    });
  }

  /**
   * Acknowledges or resolves a reported call for help, like {@link HelpService#set}: 404 unknown,
   * 403 not a responder of its incident's agencies, 409 already in that state or past it. The
   * responders get the request as it now is ({@code help} frame), the reporting follower a
   * {@code help_update}.
   */
  Future<HelpService.Triaged> setState(Responder who, String id, String state) {
    return checks.reportedRequest(id).compose(o -> {
      if (o.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such help request"));
      }
      return triages(who, o.get()).compose(ok -> {
        if (!ok) {
          return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN,
              "this call for help belongs to an incident your agency does not serve"));
        }
        return checks.setReportedState(id, state, who.username(), who.agency(), clock.instant());
      });
    }).compose(r -> switch (r.outcome()) {
      case "ok" -> {
        Report now = r.report();
        events.publish(new DomainEvent.HelpAnswered(asHelpRequest(now)));
        yield shown(now, false).recover(e -> {
          LOG.warn("safety check {}: showing a reported call for help failed: {}", now.check(), e.toString());
          return matched(now, false);
        }).map(m -> new HelpService.Triaged(asHelpRequest(now), m, now));
      }
      case "conflict" -> Future.failedFuture(new HubException(ErrorCode.CONFLICT,
          "this call for help is already " + r.report().helpState()));
      default -> Future.failedFuture(HubException.notFound("no such help request"));
    });
  }
}
