package org.crisishub.core;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.crisishub.domain.Incident;
import org.crisishub.store.IncidentRegistry;
import org.crisishub.store.NoticeBoard;
import org.crisishub.store.NoticeBoard.NoticeRecord;
import org.crisishub.store.SmsInbound;

/**
 * Subscribing to an incident, for every channel: the one place that decides what a subscriber gets.
 *
 * <ul>
 *   <li>A live session (WebSocket {@code subscribe}, SSE {@code ?incident=}) of anyone: the
 *       incident's current notices; a responder's session of an agency that serves the incident
 *       ({@link IncidentAccess#seesPeople}) also its help queue and the reported calls for help.
 *       Closed incidents may be subscribed to (their notices stay readable).</li>
 *   <li>A number by SMS ({@code JOIN} / {@code LEAVE}): the incident's notices by SMS; only an
 *       open incident can be joined.</li>
 * </ul>
 *
 * The channels only translate: the edge encodes {@link Live} into frames and registers the session
 * with the fan-out, SMS turns the outcome into a reply text. Thread-safe; never blocks; futures
 * complete on the caller's context.
 */
public final class Subscriptions {
  private final IncidentRegistry incidents;
  private final NoticeBoard notices;
  private final SmsInbound smsInbound;
  private final HelpService help;
  private final SafetyReports reports;
  private final Clock clock;

  /**
   * @param notices the published notices a live subscriber is sent first
   * @param smsInbound the numbers that joined an incident by SMS
   * @param help the incident's help queue (responders of its agencies only)
   * @param reports the reported calls for help of safety checks (likewise)
   */
  public Subscriptions(IncidentRegistry incidents, NoticeBoard notices, SmsInbound smsInbound, HelpService help,
      SafetyReports reports, Clock clock) {
    this.incidents = incidents;
    this.notices = notices;
    this.smsInbound = smsInbound;
    this.help = help;
    this.reports = reports;
    this.clock = clock;
  }

  /**
   * What a live session is sent first when it subscribes to {@code incident}, in this order.
   *
   * @param notices the signed JSON of each current notice (published, not expired), oldest first
   * @param help the open and acknowledged help requests in queue order; empty unless the subscriber
   *     may see people's data
   * @param reported the reported calls for help still in the queue, oldest first; likewise
   */
  public record Live(Incident incident, List<String> notices, List<HelpService.Triaged> help,
      List<SafetyReports.ReportedHelp> reported) {
    public Live {
      notices = List.copyOf(notices);
      help = List.copyOf(help);
      reported = List.copyOf(reported);
    }
  }

  /**
   * Subscribes a live session to the incident {@code code}. Fails {@code not_found} (nothing
   * registered) for an unknown or malformed code. Otherwise {@code register} is called with the
   * incident's code before anything is read, so a notice published during the subscription is not
   * missed (it may arrive twice, same id), and the future gives what the session is sent first.
   *
   * @param responderAgency the agency of a responder's session; null for a person's or a public one
   * @param register registers the session for the incident's live frames (the edge's fan-out)
   */
  public Future<Live> live(String code, String responderAgency, Consumer<String> register) {
    return incident(code).compose(inc -> {
      register.accept(inc.code());
      Future<List<String>> current = currentNotices(inc.code());
      // Calls for help (people's data) only to responders of the agencies that serve the incident.
      if (responderAgency == null || !IncidentAccess.seesPeople(inc, responderAgency)) {
        return current.map(n -> new Live(inc, n, List.of(), List.of()));
      }
      return current.compose(n -> help.queue(inc.code()).compose(queue -> reports.reportedHelp(inc.code())
          .map(reported -> new Live(inc, n, queue, reported))));
    });
  }

  /**
   * {@code phone} joins the incident {@code code} by SMS (its notices by SMS; its check-ins by SMS
   * belong to it). False, storing nothing, when there is no open incident of that code.
   */
  public Future<Boolean> joinBySms(String phone, String code) {
    // Joining an incident that does not exist (a typo) would promise notices that never come.
    return incidents.incident(code).compose(i -> i.isEmpty() || i.get().closedAt() != null
        ? Future.succeededFuture(false)
        : smsInbound.setIncidentSms(phone, code, true, clock.instant()).map(true));
  }

  /** {@code phone} leaves the incident {@code code} by SMS (whether or not it had joined it). */
  public Future<Void> leaveBySms(String phone, String code) {
    return smsInbound.setIncidentSms(phone, code, false, clock.instant()).mapEmpty();
  }

  private Future<Incident> incident(String code) {
    return incidents.existing(code);
  }

  /** The signed JSON of the incident's published, unexpired notices, oldest first. */
  private Future<List<String>> currentNotices(String code) {
    return notices.notices(code, null).map(newestFirst -> {
      Instant now = clock.instant();
      List<String> out = new ArrayList<>();
      for (NoticeRecord r : newestFirst) {
        if (r.signedJson() != null && "published".equals(r.shownState(now))) {
          out.add(0, r.signedJson());
        }
      }
      return out;
    });
  }
}
