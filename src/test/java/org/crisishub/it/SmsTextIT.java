package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.SmsCommand.Lang;
import org.crisishub.domain.SmsReplies;
import org.crisishub.domain.Status;
import org.crisishub.support.FakeTwilio;
import org.crisishub.support.TestHub;
import org.crisishub.support.TwilioWebhook;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("SMS text as phones send it: typographic punctuation, long non-Latin bodies, unreadable bytes")
class SmsTextIT {
  static final AtomicInteger NEXT = new AtomicInteger(100);
  static final AtomicInteger SIDS = new AtomicInteger(5000);
  @TempDir
  static Path dir;
  static FakeTwilio twilio;
  static TestHub hub;
  static TwilioWebhook webhook;

  @BeforeAll
  static void start() throws Exception {
    twilio = FakeTwilio.start();
    Map<String, String> env = SmsIT.env(twilio, "50");
    env.put("HUB_RATE_LIMITS", "off");
    hub = TestHub.start(dir, env);
    webhook = new TwilioWebhook(hub.vertx, hub.port(), SmsIT.PUBLIC, SmsIT.TOKEN);
  }

  @AfterAll
  static void stop() throws Exception {
    webhook.close();
    hub.close();
    twilio.close();
  }

  static String newPhone() {
    return "+1555640" + String.format("%04d", NEXT.incrementAndGet());
  }

  static String text(String from, String body) {
    var r = webhook.sms(from, body, String.format("SM%032d", SIDS.incrementAndGet()));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsString();
  }

  static List<CheckIn> history(String phone) throws Exception {
    return hub.hub.store().history(phone, 0, 10).await(5, TimeUnit.SECONDS);
  }

  static boolean optedOut(String phone) throws Exception {
    return hub.hub.store().isSmsOptedOut(phone).await(5, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("the issue's phone texts work: \u201CSTOP\u201D opts out, SOS\u2014trapped asks for help, Stop\u2026 opts out, full-width SAFE checks in")
  void typographic() throws Exception {
    String a = newPhone();
    assertTrue(text(a, "\u201CSTOP\u201D").contains("no more messages"));
    assertTrue(optedOut(a));
    assertTrue(text(a, "Start\u2026").contains("on again"));
    assertTrue(!optedOut(a));
    assertTrue(text(a, "Stop\u2026").contains("no more messages"));
    assertTrue(optedOut(a));
    text(a, "\u00ABstart\u00BB");

    String b = newPhone();
    assertTrue(text(b, "SOS\u2014trapped").contains("NEED HELP"));
    CheckIn c = history(b).get(0);
    assertEquals(Status.NEED_HELP, c.status());
    assertEquals("trapped", c.note());
    assertTrue(text(b, "\uFF33\uFF21\uFF26\uFF25\u3000at home").contains("SAFE"));
    assertEquals("at home", history(b).get(1).note());
    assertTrue(text(b, "\u00A1Socorro! \u2014 atrapada").contains("NECESITAS AYUDA"));
    assertEquals("atrapada", history(b).get(2).note());
    assertTrue(text(b, "\u201CEst\u00F3y bi\u00E9n\u201D").contains("A SALVO"));
    assertEquals(4, history(b).size());
  }

  @Test
  @DisplayName("long non-Latin bodies up to 1,600 characters are accepted; the note is cut to 280 code points")
  void longBodies() throws Exception {
    String cjk = "\u5730".repeat(911);
    String[][] bodies = {
        {"SOS " + cjk, "911 CJK characters"},
        {"SAFE " + "\u00E9".repeat(1595), "1,600 \u00E9"},
        {"SAFE " + "\u0436".repeat(1595), "1,600 Cyrillic letters"},
        {"SOS " + "\uD83D\uDE4F".repeat(1596), "1,600 emoji (astral, four UTF-8 bytes each)"},
        {"SAFE " + "\u0645".repeat(1595), "1,600 Arabic letters"}};
    for (String[] b : bodies) {
      String a = newPhone();
      String reply = text(a, b[0]);
      assertTrue(reply.contains("Recorded") || reply.contains("Registrado"), b[1] + ": " + reply);
      CheckIn c = history(a).get(0);
      assertEquals(280, c.note().codePointCount(0, c.note().length()), b[1]);
      assertTrue(b[0].contains(c.note()), b[1] + ": the note is the start of the text");
    }
  }

  @Test
  @DisplayName("a Body whose bytes are not UTF-8 cannot be read: the usage text, nothing recorded")
  void unreadable() throws Exception {
    for (String bytes : new String[] {"%ED%B0%80", "%C0%AF", "%E9t%E9", "%80"}) {
      String a = newPhone();
      String form = "From=" + a.replace("+", "%2B") + "&To=%2B15550009999&Body=SAFE+at+" + bytes + "+gym&MessageSid=SM"
          + String.format("%032d", SIDS.incrementAndGet()) + "&AccountSid=" + FakeTwilio.ACCOUNT;
      var r = webhook.postRaw("/sms/inbound", form);
      assertEquals(200, r.statusCode(), r.bodyAsString());
      assertTrue(r.bodyAsString().contains(SmsReplies.usage(Lang.EN).substring(0, 40)), r.bodyAsString());
      assertTrue(history(a).isEmpty(), "nothing recorded for " + bytes);
    }
  }
}
