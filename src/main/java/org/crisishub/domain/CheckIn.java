package org.crisishub.domain;

import java.time.Instant;

/**
 * A stored check-in. {@code seq} increases by one per person, starting at 1; {@code note},
 * {@code location}, {@code incident} and {@code madeAt} may be null (absent). {@code at} is the
 * hub's time of recording; {@code madeAt} the client's time of making it (sent later from an
 * offline queue). {@code late}: its time ({@link #time()}) was earlier than that of the person's
 * latest status when it was recorded, so it did not replace that status.
 */
public record CheckIn(
    String id,
    String phone,
    Status status,
    String note,
    Location location,
    String incident,
    Channel channel,
    Instant at,
    long seq,
    Instant madeAt,
    boolean late) {

  /** A check-in made when it was recorded (no client time), not late. */
  public CheckIn(String id, String phone, Status status, String note, Location location, String incident,
      Channel channel, Instant at, long seq) {
    this(id, phone, status, note, location, incident, channel, at, seq, null, false);
  }

  /** The check-in's time for ordering statuses: {@code madeAt}, else {@code at}. */
  public Instant time() {
    return madeAt != null ? madeAt : at;
  }
}
