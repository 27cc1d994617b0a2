package org.crisishub.sms;

import io.vertx.core.Future;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.Phones;
import org.crisishub.domain.SmsReplies;
import org.crisishub.store.CheckInLog;
import org.crisishub.store.FollowGraph;
import org.crisishub.store.Outbox.OutboxItem;

/**
 * Renders status notifications when they are sent. A status notification is queued as what to
 * render (its subject and the check-in's seq, {@link OutboxItem#rendersAtSend()}); this reads the
 * check-in from the {@link CheckInLog} and the recipient's label of the subject as it is now from
 * the {@link FollowGraph}, and writes {@link SmsReplies#statusNotice(CheckIn, String, ZoneId)}.
 * Rows whose body is already the text (every other SMS, and status notifications queued by older
 * releases) pass unchanged.
 *
 * <p>The reads of one claim are made together: one per distinct check-in and one per distinct
 * (recipient, subject), in parallel. Thread-safe (no state of its own); futures complete on the
 * caller's context.
 */
public final class StatusNotices {
  private final CheckInLog checkIns;
  private final FollowGraph follows;
  private final ZoneId zone;

  /**
   * @param zone the zone status notifications write their clock time in ({@code HUB_TIMEZONE})
   */
  public StatusNotices(CheckInLog checkIns, FollowGraph follows, ZoneId zone) {
    this.checkIns = checkIns;
    this.follows = follows;
    this.zone = zone;
  }

  /**
   * One claimed message made ready: {@code item} with its text as body, or (when {@code failure}
   * is not null) the reason it cannot be rendered, {@code permanent} when it never can be (its
   * check-in is gone) or transient (a store read failed: try again later).
   */
  public record Rendered(OutboxItem item, String failure, boolean permanent) {
    static Rendered ready(OutboxItem item) {
      return new Rendered(item, null, false);
    }
  }

  /**
   * The items in the same order, each rendered when it {@link OutboxItem#rendersAtSend() renders at
   * send}. Never fails: a failed read is reported per item ({@link Rendered#failure}).
   */
  public Future<List<Rendered>> render(List<OutboxItem> items) {
    Map<String, Future<Optional<CheckIn>>> cis = new HashMap<>();
    Map<String, Future<Optional<String>>> labels = new HashMap<>();
    for (OutboxItem i : items) {
      if (i.rendersAtSend()) {
        cis.computeIfAbsent(i.subject() + "#" + i.statusSeq(), k -> checkIns.checkIn(i.subject(), i.statusSeq()));
        labels.computeIfAbsent(i.to() + "|" + i.subject(), k -> follows.followLabel(i.to(), i.subject()));
      }
    }
    if (cis.isEmpty()) {
      return Future.succeededFuture(items.stream().map(Rendered::ready).toList());
    }
    List<Future<?>> all = new ArrayList<>(cis.values());
    all.addAll(labels.values());
    return Future.join(all).transform(done -> {
      List<Rendered> out = new ArrayList<>(items.size());
      for (OutboxItem i : items) {
        out.add(i.rendersAtSend() ? render(i, cis.get(i.subject() + "#" + i.statusSeq()),
            labels.get(i.to() + "|" + i.subject())) : Rendered.ready(i));
      }
      return Future.succeededFuture(out);
    });
  }

  private Rendered render(OutboxItem i, Future<Optional<CheckIn>> ci, Future<Optional<String>> label) {
    if (ci.failed() || label.failed()) {
      Throwable e = ci.failed() ? ci.cause() : label.cause();
      return new Rendered(i, "rendering the status SMS failed: " + e.getMessage(), false);
    }
    if (ci.result().isEmpty()) {
      return new Rendered(i, "check-in #" + i.statusSeq() + " of " + Phones.mask(i.subject())
          + " is no longer kept (deleted by retention): status SMS not rendered", true);
    }
    CheckIn c = ci.result().get();
    String name = label.result().orElse(c.phone());
    return Rendered.ready(i.withBody(SmsReplies.statusNotice(c, name, zone)));
  }
}
