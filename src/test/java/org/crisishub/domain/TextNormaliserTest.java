package org.crisishub.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("TextNormaliser: NFKD, drop Mn, NFKC, root lower-case; words; well-formed text")
class TextNormaliserTest {
  @ParameterizedTest(name = "\"{0}\" -> \"{1}\"")
  @CsvSource(delimiter = '|', value = {
      "STOP|stop", "Stóp|stop", "S\u0301top|stop", "ＳＴＯＰ|stop", "ﬁre|fire", "Ｆｌｏｏｄ ７|flood 7",
      "İstanbul|istanbul", "ÉVACUATION|evacuation", "niño|nino", "Straße|straße", "①|1", "Ａ\u3000Ｂ|a b"})
  void normalise(String in, String out) {
    assertEquals(out, TextNormaliser.normalise(in));
  }

  @org.junit.jupiter.api.Test
  @DisplayName("words split on typographic punctuation and keep their place in the original text")
  void words() {
    String t = "\u201CSOS\u201D\u2014trapped… don’t N/A \uD83C\uDD98help";
    List<TextNormaliser.Word> w = TextNormaliser.words(t, 10);
    assertEquals(List.of("sos", "trapped", "don’t", "n/a", "help"), w.stream().map(TextNormaliser.Word::normalised).toList());
    assertEquals("SOS", t.substring(w.get(0).start(), w.get(0).end()));
    assertEquals(2, TextNormaliser.words(t, 2).size());
  }

  @org.junit.jupiter.api.Test
  @DisplayName("well-formed: paired surrogates yes; lone surrogates and NUL no")
  void wellFormed() {
    assertTrue(TextNormaliser.isWellFormed("ok \uD83D\uDE00 \u2028"));
    assertFalse(TextNormaliser.isWellFormed("at \uDC00 gym"));
    assertFalse(TextNormaliser.isWellFormed("at \uD83D"));
    assertFalse(TextNormaliser.isWellFormed("\uDE00\uD83D"));
    assertFalse(TextNormaliser.isWellFormed("a\u0000b"));
    assertFalse(TextNormaliser.isWellFormed(null));
  }
}
