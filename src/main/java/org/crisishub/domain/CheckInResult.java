package org.crisishub.domain;

import java.util.List;
import java.util.Map;

/**
 * The outcome of recording a check-in.
 *
 * @param checkIn the stored check-in (the first one, when {@code duplicate})
 * @param notified how many active followers it went to when it was first recorded
 * @param recipients the active followers at commit time, to notify live; empty for a duplicate
 * @param duplicate true when the idempotency key matched an earlier check-in: nothing new was stored
 * @param helpIncidents for a new {@code need_help} check-in, the open incidents whose responders'
 *     triage queue it joined (named, or its location inside their area); empty otherwise
 * @param watchStamps for each of {@code helpIncidents}, the stamp of its watch terms read in the same
 *     commit ({@code TriageStore.WatchTerms#stamp}: it grows whenever the terms are set; 0 before the
 *     first time), so that a node can tell whether the matcher it compiled is still current without
 *     reading the terms again; an incident missing here has an unknown stamp
 */
public record CheckInResult(CheckIn checkIn, int notified, List<Follow> recipients, boolean duplicate,
    List<String> helpIncidents, Map<String, Long> watchStamps) {

  public CheckInResult {
    watchStamps = watchStamps == null ? Map.of() : Map.copyOf(watchStamps);
  }

  /** An outcome without watch stamps (none read: no help incidents, or a duplicate). */
  public CheckInResult(CheckIn checkIn, int notified, List<Follow> recipients, boolean duplicate,
      List<String> helpIncidents) {
    this(checkIn, notified, recipients, duplicate, helpIncidents, Map.of());
  }
}
