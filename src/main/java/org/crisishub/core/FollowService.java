package org.crisishub.core;

import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.HubException;
import org.crisishub.domain.SmsCommand;
import org.crisishub.domain.SmsReplies;
import org.crisishub.store.CheckInLog;
import org.crisishub.store.FollowGraph;
import org.crisishub.store.Outbox;

/**
 * Follows, consent and trusted contacts. Nobody sees anybody's status without that person's
 * consent: a follow starts pending unless the subject pre-approved the follower, and only the
 * subject can make it active. When a follow becomes active the follower is sent the subject's
 * latest status at once; when a new request waits, the subject is told. When the subject answers
 * (allows, refuses, revokes, or trusts a number that asked), the follower is sent
 * {@code follow_update} on its open sessions, on every node.
 */
public final class FollowService {
  private final FollowGraph graph;
  private final CheckInLog checkIns;
  private final Outbox outbox;
  private final EventSink events;
  private final Clock clock;
  private final Runnable smsQueued;

  /**
   * {@code graph} holds the follows, labels and contacts; {@code checkIns} the statuses a follower may
   * be shown; {@code outbox} takes the follow-request and status SMS. {@code smsQueued} is told
   * whenever an SMS was queued in the outbox. Status SMS are queued as subject and seq; the sender
   * renders them (in {@code HUB_TIMEZONE}) when it sends them.
   */
  public FollowService(FollowGraph graph, CheckInLog checkIns, Outbox outbox, EventSink events, Clock clock,
      Runnable smsQueued) {
    this.graph = graph;
    this.checkIns = checkIns;
    this.outbox = outbox;
    this.events = events;
    this.clock = clock;
    this.smsQueued = smsQueued;
  }

  public Future<Follow> follow(String follower, String subject, boolean sms) {
    if (follower.equals(subject)) {
      return Future.failedFuture(HubException.invalid("you cannot follow yourself"));
    }
    return graph.requestFollow(follower, subject, sms, clock.instant()).compose(out -> {
      Follow f = out.follow();
      Future<Void> told = Future.succeededFuture();
      if (out.created()) {
        // The subject may be online, or reachable by SMS only: ask on both channels.
        events.publish(new DomainEvent.FollowRequested(follower, subject));
        told = outbox.enqueueSms(subject, "followreq:" + follower, null,
            SmsReplies.followRequest(SmsCommand.Lang.EN, follower), clock.instant()).andThen(x -> smsQueued.run());
      }
      if (f.state() == FollowState.ACTIVE) {
        return told.compose(x -> pushLatest(f)).map(f);
      }
      return told.map(f);
    });
  }

  public Future<Boolean> unfollow(String follower, String subject) {
    return graph.unfollow(follower, subject);
  }

  /** Longest label, in Unicode code points. */
  public static final int MAX_LABEL_CODE_POINTS = 40;

  /**
   * Sets the follower's private label of {@code subject} (trimmed; blank removes it). Fails with
   * {@code invalid_request} over {@value #MAX_LABEL_CODE_POINTS} code points or with control
   * characters, {@code not_found} when {@code follower} has no follow of {@code subject}. Returns the
   * label kept (null when removed).
   */
  public Future<String> label(String follower, String subject, String label) {
    String l = label == null ? null : label.strip();
    if (l != null && l.isEmpty()) {
      l = null;
    }
    if (l != null && l.codePointCount(0, l.length()) > MAX_LABEL_CODE_POINTS) {
      return Future.failedFuture(HubException.invalid("label must be at most " + MAX_LABEL_CODE_POINTS
          + " characters"));
    }
    if (l != null && l.codePoints().anyMatch(cp -> Character.getType(cp) == Character.CONTROL)) {
      return Future.failedFuture(HubException.invalid("label must not contain control characters"));
    }
    String kept = l;
    return graph.setFollowLabel(follower, subject, kept).compose(ok -> ok
        ? Future.succeededFuture(kept)
        : Future.failedFuture(HubException.notFound("you do not follow that number")));
  }

  /** How {@code viewer} calls {@code subject}: the viewer's own label, else the number. */
  public Future<String> nameFor(String viewer, String subject) {
    return graph.followLabels(viewer).map(m -> m.getOrDefault(subject, subject));
  }

  /** The subject allows, refuses or revokes a follower. Fails {@code not_found} without a request. */
  public Future<Follow> answer(String subject, String follower, boolean allow) {
    return graph.answerFollow(subject, follower, allow, clock.instant()).compose(o -> {
      if (o.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no follow request from that number"));
      }
      Follow f = o.get();
      // The follower's board changes live: approved, or revoked (then it shows nothing more).
      events.publish(new DomainEvent.FollowAnswered(f));
      return f.state() == FollowState.ACTIVE ? pushLatest(f).map(f) : Future.succeededFuture(f);
    });
  }

  public Future<Void> trust(String owner, String contact) {
    if (owner.equals(contact)) {
      return Future.failedFuture(HubException.invalid("you cannot be your own trusted contact"));
    }
    return graph.putContact(owner, contact, clock.instant()).compose(activated -> {
      if (activated.isEmpty()) {
        return Future.succeededFuture();
      }
      // Trusting a number that asked answers its request: it is told like an approval.
      events.publish(new DomainEvent.FollowAnswered(activated.get()));
      return pushLatest(activated.get());
    });
  }

  public Future<Boolean> distrust(String owner, String contact) {
    return graph.deleteContact(owner, contact);
  }

  /** True when {@code viewer} is {@code phone} or an active follower of it. */
  public Future<Boolean> maySee(String viewer, String phone) {
    if (viewer.equals(phone)) {
      return Future.succeededFuture(true);
    }
    return graph.follow(viewer, phone).map(f -> f.isPresent() && f.get().state() == FollowState.ACTIVE);
  }

  /**
   * {@code phone}'s latest check-in as {@code viewer} may see it: the person themself or an active
   * follower (see {@link #maySee}). Empty when there is none yet; fails {@code forbidden} for anyone
   * else, whether or not there is one. The one rule every channel (HTTP, SMS {@code STATUS}) asks.
   */
  public Future<java.util.Optional<org.crisishub.domain.CheckIn>> latestSeenBy(String viewer, String phone) {
    return maySee(viewer, phone).compose(ok -> ok ? checkIns.latest(phone) : Future.failedFuture(HubException.forbidden()));
  }

  /**
   * Up to {@code limit} of {@code phone}'s check-ins after {@code afterSeq}, oldest first, as
   * {@code viewer} may see them (as {@link #latestSeenBy}); fails {@code forbidden} for anyone else.
   */
  public Future<List<org.crisishub.domain.CheckIn>> historySeenBy(String viewer, String phone, long afterSeq,
      int limit) {
    return maySee(viewer, phone).compose(ok -> ok ? checkIns.history(phone, afterSeq, limit)
        : Future.failedFuture(HubException.forbidden()));
  }

  /** The latest status of each person {@code follower} actively follows. */
  public Future<List<org.crisishub.domain.CheckIn>> snapshot(String follower) {
    return graph.follows(follower).compose(list -> checkIns.latestOf(list.stream()
        .filter(f -> f.state() == FollowState.ACTIVE).map(Follow::subject).toList()));
  }

  /** A follow just became active: the follower gets the subject's latest status at once. */
  private Future<Void> pushLatest(Follow active) {
    return checkIns.latest(active.subject()).compose(latest -> {
      if (latest.isEmpty()) {
        return Future.succeededFuture();
      }
      events.publish(new DomainEvent.StatusChanged(latest.get(), List.of(active.follower())));
      if (!active.sms()) {
        return Future.succeededFuture();
      }
      // Queued as subject and seq: the sender renders the text (with the follower's label of then).
      return outbox.enqueueStatusSms(active.follower(), active.subject(), latest.get().seq(), clock.instant())
          .andThen(x -> smsQueued.run());
    });
  }
}
