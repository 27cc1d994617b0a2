package org.crisishub.core;

import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsReplies;
import org.crisishub.domain.TextNormaliser;
import org.crisishub.store.HelpQueue;
import org.crisishub.store.IncidentRegistry;
import org.crisishub.store.Outbox;
import org.crisishub.store.TriageStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Triage beyond acknowledge and resolve (docs/triage.md): setting an incident's watch terms (which
 * re-scores its open help requests), and the reply thread of a help request between the incident's
 * responders and the person who asked.
 *
 * <p>Who sees what: a thread message goes to the person's open sessions (else, for a responder's
 * message, by SMS) and to the responders of the incident's agencies, and to nobody else; only the
 * person's own messages are matched against watch terms. Thread-safe.
 */
public final class TriageService {
  private static final Logger LOG = LoggerFactory.getLogger(TriageService.class);
  /** A thread message has 1 to this many code points. */
  public static final int MAX_MESSAGE_CODE_POINTS = 280;

  private final HelpQueue queue;
  private final IncidentRegistry incidents;
  private final TriageStore triage;
  private final Outbox outbox;
  private final TriageEvents events;
  private final HelpService help;
  private final WatchService watch;
  private final Clock clock;
  private final Runnable smsQueued;

  /**
   * {@code queue} finds help requests and their incidents; {@code incidents} names the agencies a
   * message goes to; {@code triage} holds the threads; {@code outbox} takes a responder's message to a
   * person with no open session (all may be the same store).
   */
  public TriageService(HelpQueue queue, IncidentRegistry incidents, TriageStore triage, Outbox outbox,
      TriageEvents events, HelpService help, WatchService watch, Clock clock, Runnable smsQueued) {
    this.queue = queue;
    this.incidents = incidents;
    this.triage = triage;
    this.outbox = outbox;
    this.events = events;
    this.help = help;
    this.watch = watch;
    this.clock = clock;
    this.smsQueued = smsQueued;
  }

  // ---------------------------------------------------------------- watch terms

  /** {@code GET /api/v1/incidents/{code}/watch-terms}: the terms (the caller checked access). */
  public Future<List<String>> terms(Incident inc) {
    return watch.terms(inc.code());
  }

  /**
   * {@code PUT /api/v1/incidents/{code}/watch-terms}: validates and stores the terms (the caller checked
   * that {@code who} may), then re-scores the incident's open help requests. Requests whose matches
   * changed go to the incident's responders as a new {@code help} frame; those that gained terms also
   * as a {@code watch_match}. Returns the terms as stored. Fails {@code invalid_request}.
   */
  public Future<List<String>> setTerms(Responder who, Incident inc, List<?> raw) {
    // Audited at the edge (edge.AuditedCall), like every responder change.
    return watch.setTerms(inc.code(), raw).compose(m -> watch.rescore(inc.code(), m)
            .map(changed -> {
              announceRescored(inc, changed);
              return m.terms();
            }).recover(e -> {
              // The terms are stored; a failed re-score is logged and repaired by the next change.
              LOG.warn("re-scoring the help queue of {} failed: {}", inc.code(), e.toString());
              return Future.succeededFuture(m.terms());
            }));
  }

  private void announceRescored(Incident inc, List<WatchService.Rescored> changed) {
    for (WatchService.Rescored r : changed) {
      events.helpShown(r.request(), r.after(), inc.agencies());
      List<String> gained = r.after().stream().filter(t -> !r.before().contains(t)).toList();
      if (!gained.isEmpty()) {
        events.watchMatched(r.request(), gained, r.after(), null, inc.agencies());
      }
    }
  }

  // ---------------------------------------------------------------- threads

  /**
   * {@code POST /api/v1/help/{checkinId}/messages}: a message from the person who asked ({@code phone})
   * or from a responder of the agencies of the request's incident ({@code responder}); exactly one of
   * the two is non-null. Returns the stored message. Fails {@code invalid_request} (text not 1–280 code
   * points), {@code not_found} (no such help request), {@code forbidden} (anyone else).
   */
  public Future<TriageStore.HelpMessage> post(String phone, Responder responder, String checkinId, String text) {
    String t;
    try {
      t = checkText(text);
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    return access(phone, responder, checkinId, "help.message")
        .compose(h -> append(h, responder, t));
  }

  /** {@code GET /api/v1/help/{checkinId}/messages}: the thread, oldest first; same access as {@link #post}. */
  public Future<List<TriageStore.HelpMessage>> thread(String phone, Responder responder, String checkinId) {
    return access(phone, responder, checkinId, "help.thread.read")
        .compose(h -> triage.helpMessages(checkinId));
  }

  /** The newest unresolved help request of a number, and whether a responder wrote last in its thread. */
  public record OpenThread(String checkinId, boolean responderWroteLast) {
  }

  /**
   * The sender's newest unresolved help thread, if any (for SMS routing): their own calls for help and
   * the ones they reported as a follower in a safety check's escalation, the newest filed.
   */
  public Future<Optional<OpenThread>> openThread(String phone) {
    Future<Optional<HelpQueue.HelpRequest>> own = triage.newestOpenHelp(phone).compose(id -> id.isEmpty()
        ? Future.succeededFuture(Optional.<HelpQueue.HelpRequest>empty()) : queue.helpRequest(id.get()));
    Future<Optional<HelpQueue.HelpRequest>> reported = help.newestReported(phone);
    return Future.all(own, reported).compose(x -> {
      Optional<HelpQueue.HelpRequest> a = own.result();
      Optional<HelpQueue.HelpRequest> b = reported.result();
      Optional<HelpQueue.HelpRequest> newest = a.isEmpty() ? b : b.isEmpty() ? a
          : b.get().checkIn().at().isAfter(a.get().checkIn().at()) ? b : a;
      if (newest.isEmpty()) {
        return Future.succeededFuture(Optional.<OpenThread>empty());
      }
      String id = newest.get().checkIn().id();
      return triage.helpMessages(id).map(list -> Optional.of(new OpenThread(id,
          !list.isEmpty() && "responder".equals(list.get(list.size() - 1).from()))));
    });
  }

  /**
   * An SMS from the person into their help thread {@code checkinId} (found by {@link #openThread}): the
   * same access and delivery as {@link #post} by the person; only the text rule differs: it is cut to
   * 280 code points (someone on a phone cannot easily shorten it) rather than refused. Fails
   * {@code invalid_request} (empty), {@code not_found} or {@code forbidden} as {@link #post}.
   */
  public Future<Void> fromSms(String phone, String checkinId, String text) {
    String t = text.strip();
    if (t.codePointCount(0, t.length()) > MAX_MESSAGE_CODE_POINTS) {
      t = t.substring(0, t.offsetByCodePoints(0, MAX_MESSAGE_CODE_POINTS));
    }
    if (t.isEmpty()) {
      return Future.failedFuture(HubException.invalid("empty message"));
    }
    String body = t;
    return access(phone, null, checkinId, "help.message").compose(h -> append(h, null, body)).mapEmpty();
  }

  private static String checkText(String text) {
    if (text == null || !TextNormaliser.isWellFormed(text)) {
      throw HubException.invalid("text must be 1 to " + MAX_MESSAGE_CODE_POINTS + " characters");
    }
    String t = text.strip();
    int n = t.codePointCount(0, t.length());
    if (n < 1 || n > MAX_MESSAGE_CODE_POINTS) {
      throw HubException.invalid("text must be 1 to " + MAX_MESSAGE_CODE_POINTS + " characters");
    }
    return t;
  }

  /** The help request, when {@code phone} asked for it or {@code responder} triages its incident. */
  private Future<HelpQueue.HelpRequest> access(String phone, Responder responder, String checkinId, String action) {
    return queue.helpRequest(checkinId).compose(o -> {
      if (o.isEmpty()) {
        // A follower's reported call for help: its thread is between the responders and the reporter.
        return help.reported(phone, responder, checkinId).compose(r -> r.isPresent() ? Future.succeededFuture(r.get())
            : Future.failedFuture(HubException.notFound("no such help request")));
      }
      HelpQueue.HelpRequest h = o.get();
      if (responder == null) {
        return phone != null && phone.equals(h.checkIn().phone()) ? Future.succeededFuture(h)
            : Future.failedFuture(HubException.forbidden());
      }
      return queue.helpIncidents(checkinId).compose(codes -> help.triages(responder, codes)).compose(ok -> {
        if (ok) {
          return Future.succeededFuture(h);
        }
        // The refusal is audited at the edge (edge.AuditedCall).
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN,
            "this call for help belongs to an incident your agency does not serve"));
      });
    });
  }

  /** Stores a message, then hands it to the person and the incident's responders (and matches the person's). */
  private Future<TriageStore.HelpMessage> append(HelpQueue.HelpRequest h, Responder responder, String text) {
    String id = h.checkIn().id();
    TriageStore.HelpMessage m = new TriageStore.HelpMessage(UUID.randomUUID().toString(),
        responder == null ? "person" : "responder", responder == null ? null : responder.username(),
        responder == null ? null : responder.agency(), text, clock.instant());
    Future<Void> stored = triage.addHelpMessage(id, m);
    return stored.compose(x -> incidents.incident(h.incident())).compose(inc -> {
      String person = h.checkIn().phone();
      int sessions = events.messagePosted(h, m, inc.<java.util.Collection<String>>map(Incident::agencies).orElse(List.of()));
      Future<Void> after = Future.succeededFuture();
      if (responder != null && sessions == 0) {
        // No open session of the person on this node: the message goes by SMS (the person-to-person class).
        after = outbox.enqueueSms(person, "thread:" + m.id(), null, SmsReplies.threadMessage(m.agency(), text),
            clock.instant()).andThen(y -> smsQueued.run());
      }
      // A reporter's message is not the person's own words: not matched against watch terms (seq 0:
      // a reported call for help, see SafetyReports#asHelpRequest).
      if (responder == null && inc.isPresent() && h.checkIn().seq() > 0) {
        Incident i = inc.get();
        after = after.compose(y -> watch.scoreMessage(h.incident(), id, text)).compose(score -> {
          if (score.matched().isEmpty()) {
            return Future.<Void>succeededFuture();
          }
          events.watchMatched(h, score.matched(), score.all(), m, i.agencies());
          return Future.<Void>succeededFuture();
        }).recover(e -> {
          LOG.warn("matching a thread message against watch terms failed: {}", e.toString());
          return Future.succeededFuture();
        });
      }
      return after.map(m);
    });
  }
}
