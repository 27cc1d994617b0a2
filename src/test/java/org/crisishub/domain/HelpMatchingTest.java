package org.crisishub.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Help matching and SMS coalescing keys (the rules both store engines share)")
class HelpMatchingTest {
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  static final Incident QUAKE = new Incident("i1", "QUAKE3", "Quake", Area.circle(10, 10, 5000), false, "open", T0,
      null);
  static final Incident FLOOD = new Incident("i2", "FLOOD7", "Flood", null, false, "open", T0, null);
  static final Incident CLOSED = new Incident("i3", "OLD1", "Old", Area.circle(10, 10, 5000), false, "closed", T0,
      T0);

  static CheckIn checkIn(Status status, Location at, String incident) {
    return new CheckIn("c1", "+15550000001", status, null, at, incident, Channel.WEB, T0, 1, null, false);
  }

  @Test
  @DisplayName("a need_help check-in joins the open incident it names, or the open ones whose area holds it")
  void admits() {
    assertTrue(HelpMatching.admits(FLOOD, checkIn(Status.NEED_HELP, null, "FLOOD7")));
    assertTrue(HelpMatching.admits(QUAKE, checkIn(Status.NEED_HELP, new Location(10.01, 10.01, null), null)));
    assertFalse(HelpMatching.admits(QUAKE, checkIn(Status.NEED_HELP, new Location(10.01, 10.01, null), "FLOOD7")),
        "naming another incident: not matched by area");
    assertFalse(HelpMatching.admits(QUAKE, checkIn(Status.NEED_HELP, new Location(20, 20, null), null)));
    assertFalse(HelpMatching.admits(FLOOD, checkIn(Status.SAFE, null, "FLOOD7")), "only need_help");
    assertFalse(HelpMatching.admits(CLOSED, checkIn(Status.NEED_HELP, new Location(10.01, 10.01, null), null)),
        "only open incidents");
    assertEquals(List.of("QUAKE3"), HelpMatching.incidentsFor(checkIn(Status.NEED_HELP,
        new Location(10.01, 10.01, null), null), List.of(FLOOD, QUAKE, CLOSED)));
    assertEquals(List.of(), HelpMatching.incidentsFor(checkIn(Status.SAFE, null, "FLOOD7"), List.of(FLOOD)));
  }

  @Test
  @DisplayName("coalescing keys: one per subject's status and per notice; notices and safety checks are broadcast")
  void smsKeys() {
    assertEquals("status:+15550000001", SmsKeys.status("+15550000001"));
    assertEquals("notice:n1", SmsKeys.notice("n1"));
    assertTrue(SmsKeys.broadcast("notice:n1"));
    assertTrue(SmsKeys.broadcast("safety:s1:f:+15550000001"));
    assertFalse(SmsKeys.broadcast("status:+15550000001"));
    assertFalse(SmsKeys.broadcast(null));
  }
}
