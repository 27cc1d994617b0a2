package org.crisishub.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Domain rules")
class DomainRulesTest {
  final Phones us = new Phones("US");

  @Test
  @DisplayName("numbers as people write them normalise to E.164")
  void normalises() {
    assertEquals("+15551234567", us.normalise("+1 (555) 123-4567"));
    assertEquals("+15551234567", us.normalise("555.123.4567"));
    assertEquals("+15551234567", us.normalise("  5551234567 "));
    assertEquals("+442079460958", us.normalise("+44 20 7946 0958"));
    assertEquals("+442079460958", new Phones("GB").normalise("020 7946 0958"));
    // 00 is the international prefix where people dial it (most of Europe): the input as typed.
    assertEquals("+34612345678", new Phones("GB").normalise("0034 612 345 678"));
    assertEquals("+34612345678", new Phones("ES").normalise("0034 612 345 678"));
    // From the US the international prefix is 011.
    assertEquals("+34612345678", us.normalise("011 34 612 345 678"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "hello", "123", "+1 555", "+999 1234567", "5551234567890123456789"})
  @DisplayName("anything that is not a possible number is invalid_request")
  void rejects(String raw) {
    HubException e = assertThrows(HubException.class, () -> us.normalise(raw));
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
  }

  @Test
  @DisplayName("masking keeps only the first two and the last two digits")
  void mask() {
    assertEquals("+15*******67", Phones.mask("+15551234567"));
    assertEquals("***", Phones.mask("+1"));
  }

  @Test
  @DisplayName("notes: blank means none, 280 code points is the limit, emoji count once")
  void notes() {
    assertNull(CheckInRequest.normaliseNote("   "));
    assertEquals("ok", CheckInRequest.normaliseNote(" ok "));
    String emoji = "\uD83D\uDE00".repeat(280);
    assertEquals(emoji, CheckInRequest.normaliseNote(emoji));
    assertThrows(HubException.class, () -> CheckInRequest.normaliseNote("a".repeat(281)));
  }

  @Test
  @DisplayName("incident codes are case-insensitive and short")
  void incidents() {
    assertEquals("FLOOD7", CheckInRequest.normaliseIncident(" flood7 "));
    assertThrows(HubException.class, () -> CheckInRequest.normaliseIncident("x"));
    assertThrows(HubException.class, () -> CheckInRequest.normaliseIncident("has space"));
    assertThrows(HubException.class, () -> CheckInRequest.normaliseIncident("A".repeat(17)));
  }

  @Test
  @DisplayName("status (lower-case, exactly as written) and location are validated")
  void statusAndLocation() {
    assertEquals(Status.NEED_HELP, Status.parse("need_help"));
    assertEquals(Status.SAFE, Status.parse("safe"));
    for (String bad : new String[] {"ok", "NEED_HELP", "SAFE", " safe ", "safe\n", "Safe", "\uFF53afe", ""}) {
      assertThrows(HubException.class, () -> Status.parse(bad), bad);
    }
    assertThrows(HubException.class, () -> Status.parse(null));
    assertThrows(HubException.class, () -> new Location(90.1, 0, null));
    assertThrows(HubException.class, () -> new Location(0, 180.5, null));
    assertThrows(HubException.class, () -> new Location(Double.NaN, 0, null));
    assertThrows(HubException.class, () -> new Location(0, 0, -1.0));
  }

  @Test
  @DisplayName("consent: pending unless trusted or already active; allow activates, refuse revokes")
  void consentRules() {
    assertEquals(FollowState.PENDING, Follow.stateForRequest(null, false));
    assertEquals(FollowState.ACTIVE, Follow.stateForRequest(null, true));
    assertEquals(FollowState.ACTIVE, Follow.stateForRequest(FollowState.ACTIVE, false));
    assertEquals(FollowState.PENDING, Follow.stateForRequest(FollowState.REVOKED, false));
    assertEquals(FollowState.ACTIVE, Follow.stateForConsent(true));
    assertEquals(FollowState.REVOKED, Follow.stateForConsent(false));
  }
}
