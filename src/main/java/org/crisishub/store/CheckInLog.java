package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;

/**
 * The check-in log: each person's check-ins, numbered by a per-person {@code seq}.
 *
 * <p>Durability: a succeeded {@link #recordCheckIn} is committed and fsynced (embedded: after its
 * group commit; Redis: after the AOF fsync of its script); a failed one changed nothing. Ordering:
 * {@code seq} starts at 1 and grows by exactly one per person, without gaps, also under concurrent
 * check-ins of one person. Idempotency: a request {@code key} used by the same person within 24 h
 * returns the first result ({@code duplicate = true}). Store faults fail with
 * {@code HubException(UNAVAILABLE)}. Futures complete on the caller's Vert.x context; every method
 * is thread-safe and never blocks.
 */
public interface CheckInLog {

  /**
   * Appends a check-in with the next {@code seq} of that person, unless {@code request.key()} was
   * used by the same person within the last 24 h, in which case the first result is returned with
   * {@code duplicate = true}. One unit of work with it: the active followers are read, an SMS
   * notification is queued for each of them who asked for SMS ({@link Outbox#enqueueStatusSms}: the
   * subject and seq, rendered when sent; coalesced per follower and subject), and a need_help check-in is filed in the help queue of every open
   * incident that admits it ({@link HelpQueue}, {@code HelpMatching.admits}).
   *
   * <p>In the same unit the check-in's time ({@code madeAt}, else {@code now}) is compared with that
   * of the person's latest status: when earlier, it is stored {@code late} (with its {@code seq}),
   * does not become the status ({@link #latest}) and queues no SMS.
   */
  Future<CheckInResult> recordCheckIn(CheckInRequest request, Instant now);

  /** The person's latest retained status: the newest check-in that was not late. */
  Future<Optional<CheckIn>> latest(String phone);

  /** The latest retained status (see {@link #latest}) of each of {@code phones} that has one. */
  Future<List<CheckIn>> latestOf(Collection<String> phones);

  /**
   * The retained check-in {@code seq} of {@code phone} (late or not), empty when there is none (never
   * made, or deleted by the retention purge). Read by the SMS sender to render a status notification.
   */
  Future<Optional<CheckIn>> checkIn(String phone, long seq);

  /** Retained check-ins of a person with {@code seq > afterSeq}, ascending, at most {@code limit}. */
  Future<List<CheckIn>> history(String phone, long afterSeq, int limit);
}
