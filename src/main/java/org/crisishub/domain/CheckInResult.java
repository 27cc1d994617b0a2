package org.crisishub.domain;

import java.util.List;

/**
 * The outcome of recording a check-in.
 *
 * @param checkIn the stored check-in (the first one, when {@code duplicate})
 * @param notified how many active followers it went to when it was first recorded
 * @param recipients the active followers at commit time, to notify live; empty for a duplicate
 * @param duplicate true when the idempotency key matched an earlier check-in: nothing new was stored
 * @param helpIncidents for a new {@code need_help} check-in, the open incidents whose responders'
 *     triage queue it joined (named, or its location inside their area); empty otherwise
 */
public record CheckInResult(CheckIn checkIn, int notified, List<Follow> recipients, boolean duplicate,
    List<String> helpIncidents) {
}
