package org.crisishub.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.crisishub.domain.SmsCommand.Lang;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("SMS replies: who was told, times in HUB_TIMEZONE, labels, the sender's language")
class SmsRepliesTest {
  static final String ME = "+15551234567";

  @ParameterizedTest(name = "{0} {1} followers {2} incidents")
  @CsvSource(delimiter = '|', textBlock = """
      EN | SAFE      | 0 |               | Recorded: you are SAFE (#3). No one follows you yet: ask family to text FOLLOW +15551234567 to this number.
      EN | SAFE      | 1 |               | Recorded: you are SAFE (#3). Told 1 follower.
      EN | SAFE      | 2 |               | Recorded: you are SAFE (#3). Told 2 followers.
      EN | NEED_HELP | 0 |               | Recorded: you NEED HELP (#3). No one follows you yet: ask family to text FOLLOW +15551234567 to this number. Call 911 if you can.
      EN | NEED_HELP | 0 | FLOOD7        | Recorded: you NEED HELP (#3). Told the responders of FLOOD7. No follower yet: ask family to text FOLLOW +15551234567 to this number. Call 911 if you can.
      EN | NEED_HELP | 3 | FLOOD7,QUAKE2 | Recorded: you NEED HELP (#3). Told 3 followers and the responders of FLOOD7, QUAKE2. Call 911 if you can.
      ES | SAFE      | 0 |               | Registrado: estas A SALVO (#3). Nadie te sigue aun: pide a tu familia que envie SEGUIR +15551234567 a este numero.
      ES | SAFE      | 1 |               | Registrado: estas A SALVO (#3). Avisamos a 1 contacto.
      ES | NEED_HELP | 0 | FLOOD7        | Registrado: NECESITAS AYUDA (#3). Avisamos a los equipos de FLOOD7. Aun no tienes contactos: pide a tu familia que envie SEGUIR +15551234567 a este numero. Llama al 911 si puedes.
      ES | NEED_HELP | 2 | FLOOD7        | Registrado: NECESITAS AYUDA (#3). Avisamos a 2 contactos y a los equipos de FLOOD7. Llama al 911 si puedes.
      """)
  @DisplayName("the check-in reply names who was told and never says 0 followers")
  void whoWasTold(Lang lang, Status status, int followers, String incidents, String expected) {
    List<String> inc = incidents == null ? List.of() : List.of(incidents.split(","));
    String reply = SmsReplies.checkedIn(lang, status, 3, followers, inc, ME);
    assertEquals(expected, reply);
    assertFalse(reply.contains(" 0 "), reply);
    assertTrue(SmsText.segments(reply) <= SmsReplies.REPLY_SEGMENTS, reply);
  }

  @Test
  @DisplayName("the rolling-upgrade fallback of a status SMS names the number, carries no status, fits one segment")
  void statusFallback() {
    String text = SmsReplies.statusFallback("+447700900123");
    assertEquals("Crisis Hub: +447700900123 has a new status. Text STATUS +447700900123 to see it.", text);
    assertEquals(1, SmsText.segments(text));
    assertFalse(text.contains("SAFE") || text.contains("HELP"));
  }

  @Test
  @DisplayName("times in HUB_TIMEZONE with the zone's name; a label names the person for that follower only")
  void timesAndLabels() {
    CheckIn c = new CheckIn("id", ME, Status.NEED_HELP, "at school", null, null, Channel.SMS,
        Instant.parse("2026-11-22T14:05:09Z"), 4);
    assertEquals("Crisis Hub: +15551234567 NEEDS HELP: at school (14:05 UTC, #4)", SmsReplies.statusNotice(c));
    assertEquals("Crisis Hub: Mom (+15551234567) NEEDS HELP: at school (08:05 CST, #4)",
        SmsReplies.statusNotice(c, "Mom", ZoneId.of("America/Chicago")));
    assertEquals("Mamá NECESITA AYUDA \"at school\" (09:05 EST, #4)",
        SmsReplies.status(Lang.ES, c, "Mamá", ZoneId.of("America/New_York")));
    assertEquals("14:05 UTC", SmsReplies.clock(c.at(), java.time.ZoneOffset.UTC));
  }

  @ParameterizedTest(name = "\"{0}\" → {1}")
  @CsvSource(delimiter = '|', textBlock = """
      hola                          | ES
      Hola, ¿qué hago?              | ES
      necesito ayuda por favor      | ES
      ¡auxilio!                     | ES
      hello                         | EN
      what do I do                  | EN
      I need help please            | EN
      no                            | EN
      12345                         | EN
      """)
  @DisplayName("a text that is no command is answered in the language it looks written in")
  void language(String body, Lang lang) {
    assertEquals(lang, SmsLanguage.guess(body));
  }
}
