package org.crisishub.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Random;
import org.crisishub.domain.SmsCommand.Kind;
import org.crisishub.domain.SmsCommand.Lang;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("SMS command grammar")
class SmsCommandTest {

  @ParameterizedTest(name = "\"{0}\" is {1} \"{2}\" ({3})")
  @CsvSource(delimiter = '|', value = {
      "SAFE at the school|SAFE|at the school|EN",
      "  safe   at   the school  |SAFE|at the school|EN",
      "Safe.|SAFE||EN",
      "safe: home now|SAFE|home now|EN",
      "BIEN en casa|SAFE|en casa|ES",
      "a salvo, en el refugio|SAFE|en el refugio|ES",
      "Estoy bien|SAFE||ES",
      "sos trapped 2nd floor|SOS|trapped 2nd floor|EN",
      "¡Socorro! atrapado|SOS|atrapado|ES",
      "AUXILIO|SOS||ES",
      "follow +1 (555) 123-4567|FOLLOW|+1 (555) 123-4567|EN",
      "Seguir 5551234567|FOLLOW|5551234567|ES",
      "unfollow 5551234567|UNFOLLOW|5551234567|EN",
      "dejar de seguir 5551234567|UNFOLLOW|5551234567|ES",
      "yes|YES||EN",
      "Sí +15551234567|YES|+15551234567|ES",
      "no|NO||EN",
      "status 555 123 4567|STATUS|555 123 4567|EN",
      "estado 5551234567|STATUS|5551234567|ES",
      "join flood7|JOIN|flood7|EN",
      "LEAVE FLOOD7|LEAVE|FLOOD7|EN",
      "STOP|STOP||EN",
      "stop all|STOP||EN",
      "Unsubscribe|STOP||EN",
      "cancel|STOP||EN",
      "PARAR|STOP||ES",
      "start|START||EN",
      "unstop|START||EN",
      "HELP|HELP||EN",
      "ayuda|HELP||ES",
      "info|HELP||EN",
      "hello there|UNKNOWN|hello there|EN",
      "safety first|UNKNOWN|safety first|EN"})
  void parses(String body, Kind kind, String arg, Lang lang) {
    SmsCommand c = SmsCommand.parse(body);
    assertEquals(kind, c.kind());
    assertEquals(arg == null ? "" : arg, c.arg());
    assertEquals(lang, c.lang());
  }

  /** Every command word and phrase of both languages, as the table of docs/sms.md lists them. */
  static final Object[][] COMMAND_WORDS = {
      {"SAFE", Kind.SAFE, Lang.EN}, {"OK", Kind.SAFE, Lang.EN}, {"BIEN", Kind.SAFE, Lang.ES},
      {"SALVO", Kind.SAFE, Lang.ES}, {"A SALVO", Kind.SAFE, Lang.ES}, {"ESTOY BIEN", Kind.SAFE, Lang.ES},
      {"SOS", Kind.SOS, Lang.EN}, {"SOCORRO", Kind.SOS, Lang.ES}, {"AUXILIO", Kind.SOS, Lang.ES},
      {"FOLLOW", Kind.FOLLOW, Lang.EN}, {"SEGUIR", Kind.FOLLOW, Lang.ES},
      {"UNFOLLOW", Kind.UNFOLLOW, Lang.EN}, {"DEJAR", Kind.UNFOLLOW, Lang.ES},
      {"DEJAR DE SEGUIR", Kind.UNFOLLOW, Lang.ES},
      {"YES", Kind.YES, Lang.EN}, {"Y", Kind.YES, Lang.EN}, {"SI", Kind.YES, Lang.ES}, {"SÍ", Kind.YES, Lang.ES},
      {"NO", Kind.NO, Lang.EN}, {"N", Kind.NO, Lang.EN},
      {"STATUS", Kind.STATUS, Lang.EN}, {"ESTADO", Kind.STATUS, Lang.ES},
      {"JOIN", Kind.JOIN, Lang.EN}, {"UNIR", Kind.JOIN, Lang.ES}, {"UNIRSE", Kind.JOIN, Lang.ES},
      {"LEAVE", Kind.LEAVE, Lang.EN}, {"SALIR", Kind.LEAVE, Lang.ES},
      {"STOP", Kind.STOP, Lang.EN}, {"STOPALL", Kind.STOP, Lang.EN}, {"STOP ALL", Kind.STOP, Lang.EN},
      {"UNSUBSCRIBE", Kind.STOP, Lang.EN}, {"CANCEL", Kind.STOP, Lang.EN}, {"END", Kind.STOP, Lang.EN},
      {"QUIT", Kind.STOP, Lang.EN}, {"OPTOUT", Kind.STOP, Lang.EN}, {"OPT OUT", Kind.STOP, Lang.EN},
      {"REVOKE", Kind.STOP, Lang.EN}, {"PARAR", Kind.STOP, Lang.ES}, {"ALTO", Kind.STOP, Lang.ES},
      {"BAJA", Kind.STOP, Lang.ES},
      {"START", Kind.START, Lang.EN}, {"UNSTOP", Kind.START, Lang.EN}, {"OPTIN", Kind.START, Lang.EN},
      {"OPT IN", Kind.START, Lang.EN}, {"INICIO", Kind.START, Lang.ES}, {"ALTA", Kind.START, Lang.ES},
      {"HELP", Kind.HELP, Lang.EN}, {"INFO", Kind.HELP, Lang.EN}, {"AYUDA", Kind.HELP, Lang.ES}};

  /** A word written in full-width forms, as some Asian keyboards do. */
  static String fullWidth(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(c == ' ' ? '\u3000' : c >= '!' && c <= '~' ? (char) (c - '!' + 0xFF01) : c);
    }
    return b.toString();
  }

  /** A word with an acute accent on its first letter: combining (NFD) when {@code combining}, else precomposed. */
  static String accented(String s, boolean combining) {
    String d = s.charAt(0) + "\u0301" + s.substring(1);
    return combining ? d : java.text.Normalizer.normalize(d, java.text.Normalizer.Form.NFC);
  }

  /**
   * How phones and people write a command word {@code w} with the note {@code n}: each variant and the
   * argument it must give. Typographic quotes, dashes, ellipses, full-width letters, accents, case
   * and odd spaces.
   */
  static java.util.List<String[]> variants(String w) {
    String lower = w.toLowerCase(java.util.Locale.ROOT);
    String title = w.charAt(0) + lower.substring(1);
    String n = "at the gym";
    return java.util.List.of(
        new String[] {w, ""}, new String[] {lower, ""}, new String[] {title, ""},
        new String[] {"\u201C" + w + "\u201D", ""}, new String[] {"\u2018" + lower + "\u2019", ""},
        new String[] {"\u00AB" + title + "\u00BB", ""}, new String[] {"\"" + w + "\"", ""},
        new String[] {title + "\u2026", ""}, new String[] {title + "...", ""}, new String[] {w + "!!", ""},
        new String[] {"\u00A1" + title + "!", ""}, new String[] {"\u00BF" + title + "?", ""},
        new String[] {fullWidth(w), ""}, new String[] {fullWidth(lower), ""},
        new String[] {accented(w, true), ""}, new String[] {accented(lower, false), ""},
        new String[] {"\u00A0 " + w + "\u3000", ""}, new String[] {w + " \uD83D\uDE4F", "\uD83D\uDE4F"},
        new String[] {w + "\u2014" + n, n}, new String[] {w + " \u2013 " + n, n}, new String[] {w + " - " + n, n},
        new String[] {w + "-" + n, n}, new String[] {w + ": " + n, n}, new String[] {w + "\u2026 " + n, n},
        new String[] {title + ", " + n, n}, new String[] {"\u201C" + w + "\u201D " + n, n},
        new String[] {"\u201C" + w + " " + n + "\u201D", n}, new String[] {fullWidth(w) + "\u3000" + n, n},
        new String[] {w + "\u00A0" + n, n}, new String[] {w + "\u200B " + n, n},
        new String[] {accented(title, false) + " " + n, n});
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> commandWords() {
    return java.util.Arrays.stream(COMMAND_WORDS).map(org.junit.jupiter.params.provider.Arguments::of);
  }

  @ParameterizedTest(name = "{0} ({1}, {2}) in 31 spellings")
  @org.junit.jupiter.params.provider.MethodSource("commandWords")
  @DisplayName("every command word of both languages, written as phones write it")
  void typographicVariants(String word, Kind kind, Lang lang) {
    for (String[] v : variants(word)) {
      SmsCommand c = SmsCommand.parse(v[0]);
      assertEquals(kind, c.kind(), v[0]);
      assertEquals(v[1], c.arg(), v[0]);
      assertEquals(lang, c.lang(), v[0]);
    }
  }

  @ParameterizedTest(name = "\"{0}\" is {1} \"{2}\"")
  @CsvSource(delimiter = '|', value = {
      "\u201CSTOP\u201D|STOP|",
      "SOS\u2014trapped|SOS|trapped",
      "Stop\u2026|STOP|",
      "\uFF33\uFF2F\uFF33 trapped on 2nd floor|SOS|trapped on 2nd floor",
      "opt-out|STOP|",
      "Opt\u2010in|START|",
      "dejar\u2014de\u2014seguir 5551234567|UNFOLLOW|5551234567",
      "follow \u201C+1 (555) 123-4567\u201D|FOLLOW|\u201C+1 (555) 123-4567\u201D",
      "follow(555) 123-4567|FOLLOW|(555) 123-4567",
      "SAFE -5 degrees but fine|SAFE|-5 degrees but fine",
      "\u200FSTOP|STOP|",
      "S\u00ADTOP|STOP|",
      "N/A|UNKNOWN|N/A",
      "Y\u2019all ok?|UNKNOWN|Y\u2019all ok?",
      "safe\uFB01ne|UNKNOWN|safe\uFB01ne",
      "at \uDC00 gym|UNKNOWN|",
      "SAFE at \uDC00 gym|UNKNOWN|",
      "SAFE at the\u0000gym|UNKNOWN|"})
  @DisplayName("the issue's examples, and what must stay unknown or keep its argument")
  void edges(String body, Kind kind, String arg) {
    SmsCommand c = SmsCommand.parse(body);
    assertEquals(kind, c.kind(), body);
    assertEquals(arg == null ? "" : arg, c.arg(), body);
  }

  @Test
  @DisplayName("empty and null bodies are UNKNOWN")
  void empty() {
    assertEquals(Kind.UNKNOWN, SmsCommand.parse(null).kind());
    assertEquals(Kind.UNKNOWN, SmsCommand.parse("").kind());
    assertEquals(Kind.UNKNOWN, SmsCommand.parse(" \n\t ").kind());
  }

  @Test
  @DisplayName("segments: GSM-7 160/153, extension characters count twice, UCS-2 70/67")
  void segments() {
    assertEquals(1, SmsText.segments("a".repeat(160)));
    assertEquals(2, SmsText.segments("a".repeat(161)));
    assertEquals(2, SmsText.segments("a".repeat(306)));
    assertEquals(3, SmsText.segments("a".repeat(307)));
    assertEquals(2, SmsText.segments("€".repeat(81)), "euro signs take two septets");
    assertEquals(1, SmsText.segments("ü".repeat(160)), "ü is in the GSM alphabet");
    assertEquals(1, SmsText.segments("ú".repeat(70)), "ú is not: UCS-2");
    assertEquals(2, SmsText.segments("ú".repeat(71)));
    assertEquals(1, SmsText.segments("\uD83D\uDE00".repeat(35)), "an emoji is two UTF-16 units");
    assertEquals(2, SmsText.segments("\uD83D\uDE00".repeat(35) + "x"));
  }

  @Test
  @DisplayName("fit cuts to the budget with '...' and never splits an emoji")
  void fit() {
    String cut = SmsText.fit("a".repeat(400), 2);
    assertEquals(306, cut.length());
    assertTrue(cut.endsWith("..."));
    String emoji = SmsText.fit("\uD83D\uDE00".repeat(100), 1);
    assertTrue(SmsText.segments(emoji) <= 1);
    assertTrue(!Character.isHighSurrogate(emoji.charAt(emoji.length() - 4)));
    assertEquals("short", SmsText.fit("short", 1));
  }

  /** What a reply built from a parsed command can look like, worst case: the argument echoed back. */
  static void checkProperties(String body) {
    SmsCommand c = SmsCommand.parse(body);
    assertTrue(c.kind() != null && c.arg() != null && c.lang() != null);
    String[] replies = {
        SmsReplies.usage(c.lang()), SmsReplies.needNumber(c.lang(), c.kind().name()), SmsReplies.badNumber(c.lang()),
        SmsReplies.followPending(c.lang(), c.arg()), SmsReplies.noStatus(c.lang(), c.arg()),
        SmsReplies.joined(c.lang(), c.arg()), SmsReplies.stopped(c.lang()),
        SmsReplies.status(c.lang(), new CheckIn("id", "+15551234567", Status.NEED_HELP, c.arg().isEmpty() ? null : c.arg(),
            null, null, Channel.SMS, java.time.Instant.EPOCH, 7))};
    for (String r : replies) {
      assertTrue(SmsText.segments(r) <= SmsReplies.REPLY_SEGMENTS, "too long: " + r);
    }
    assertTrue(SmsText.segments(SmsReplies.usage(c.lang())) == 1, "usage fits one segment");
  }

  @Test
  @DisplayName("property: for 20,000 seeded random bodies, parsing never throws and every reply fits the budget")
  void randomBodies() {
    Random random = new Random(20261122L);
    String[] vocab = {"SAFE", "sos", "Follow", "YES", "no", "STATUS", "join", "STOP", "ayuda", "bien", "a", "salvo",
        "+1", "555", "(555)", "123-4567", "¡", "¿", "!", ",", "€", "ñ", "\uD83D\uDE00", "\u0000", "\n", " ", "\u200B"};
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int words = random.nextInt(12);
      for (int w = 0; w < words; w++) {
        if (random.nextInt(4) == 0) {
          int len = random.nextInt(40);
          for (int k = 0; k < len; k++) {
            b.append((char) random.nextInt(0x3000));
          }
        } else {
          b.append(vocab[random.nextInt(vocab.length)]);
        }
        b.append(random.nextBoolean() ? " " : "");
      }
      if (random.nextInt(50) == 0) {
        b.append("x".repeat(random.nextInt(3000)));
      }
      checkProperties(b.toString());
    }
  }

  /**
   * Jazzer: in a normal test run this replays the inputs under
   * {@code src/test/resources/org/crisishub/domain/SmsCommandTestInputs/parserNeverFails}; run with
   * {@code JAZZER_FUZZ=1} to fuzz for new ones.
   */
  @FuzzTest(maxDuration = "60s")
  void parserNeverFails(byte[] data) {
    checkProperties(new String(data, java.nio.charset.StandardCharsets.UTF_8));
  }
}
