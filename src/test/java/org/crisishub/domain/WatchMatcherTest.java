package org.crisishub.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("WatchMatcher: terms match normalised whole words and phrases, in English and Spanish")
class WatchMatcherTest {
  private static final WatchMatcher M = WatchMatcher.compile(WatchMatcher.validate(List.of(
      "trapped", "no insulin", "atrapado", "sin insulina", "niño", "Herido", "ＳＯＳ", "don't", "地震", "oxígeno")));

  /** text | the terms it must match, comma-separated ("" for none). */
  @ParameterizedTest(name = "\"{0}\" -> [{1}]")
  @CsvSource(delimiter = '|', emptyValue = "", value = {
      // case
      "TRAPPED under the roof|trapped",
      "Trapped|trapped",
      // word boundaries: no match inside a longer word, punctuation and typographic quotes are boundaries
      "entrapped in the car|",
      "trappedd|",
      "“trapped”—second floor|trapped",
      "(trapped)!!!|trapped",
      "trapped/injured|trapped",
      // phrases: consecutive words only, any spacing and punctuation between them
      "we have NO   INSULIN left|no insulin",
      "no more insulin|",
      "no-insulin|no insulin",
      "insulin no|",
      // accents ignored both ways (the term has one, the text not, and the other way round)
      "el nino esta solo|niño",
      "EL NIÑO|niño",
      "estoy ATRAPÁDO|atrapado",
      "estamos sin insulína|sin insulina",
      "necesitamos oxigeno|oxígeno",
      "hay un herido grave|Herido",
      "HERÍDO|Herido",
      // width: full-width text and a full-width term
      "ｔｒａｐｐｅｄ|trapped",
      "sos now|ＳＯＳ",
      "ＳＯＳ|ＳＯＳ",
      // decomposed accents (e + combining acute) and invisible characters phones insert
      "atrapa\u0301do|atrapado",
      "trap\u00ADped|trapped",
      // apostrophes: straight and typographic are the same
      "I don’t know|don't",
      // several terms, each once, in the order of the term list
      "atrapado, sin insulina; trapped trapped|trapped,atrapado,sin insulina",
      // scripts without spaces: a term matches as the phrase of its characters
      "大きな地震がありました|地震",
      "地 震|地震",
      "nothing to see|"})
  void table(String text, String expected) {
    List<String> want = expected == null || expected.isEmpty() ? List.of() : Arrays.asList(expected.split(","));
    assertEquals(want, M.match(text));
  }

  @Test
  @DisplayName("tokens: normalised words, apostrophes inside words, format characters dropped")
  void tokens() {
    assertEquals(List.of("no", "insulin", "don't", "nino", "1"), TextNormaliser.tokens("NO—Insulin! don’t NIÑO ①", 10));
    assertEquals(List.of("a", "b"), TextNormaliser.tokens("a b c", 2));
    assertEquals(List.of(), TextNormaliser.tokens(null, 5));
  }

  @Test
  @DisplayName("validate: 0 to 1,000 terms of 1 to 64 code points with a word; duplicates by normalised words dropped")
  void validate() {
    assertEquals(List.of("Trapped", "no insulin"), WatchMatcher.validate(List.of(" Trapped ", "TRAPPED", "no  insulin")));
    assertEquals(List.of(), WatchMatcher.validate(List.of()));
    assertThrows(HubException.class, () -> WatchMatcher.validate(List.of("ok", "")));
    assertThrows(HubException.class, () -> WatchMatcher.validate(List.of("x".repeat(65))));
    assertThrows(HubException.class, () -> WatchMatcher.validate(List.of("!!!")));
    assertThrows(HubException.class, () -> WatchMatcher.validate(List.of(42)));
    assertThrows(HubException.class, () -> WatchMatcher.validate(null));
    HubException e = assertThrows(HubException.class, () -> WatchMatcher.validate(List.of("a", "b", "\uD800")));
    assertTrue(e.getMessage().contains("terms[2]"), e.getMessage());
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      many.add("term" + i);
    }
    assertThrows(HubException.class, () -> WatchMatcher.validate(many));
    assertEquals(1000, WatchMatcher.validate(many.subList(0, 1000)).size());
    assertEquals(64, WatchMatcher.validate(List.of("é".repeat(64))).get(0).length());
  }

  @Test
  @DisplayName("1,000 terms: a note matches the one term it holds, among them")
  void manyTerms() {
    List<String> terms = new ArrayList<>();
    for (int i = 0; i < 999; i++) {
      terms.add("word" + i + " phrase" + i);
    }
    terms.add("gas leak");
    WatchMatcher m = WatchMatcher.compile(WatchMatcher.validate(terms));
    assertEquals(List.of("gas leak"), m.match("Strong smell, GAS LEAK in the basement, word5 phrase6"));
    assertEquals(List.of("word5 phrase5"), m.match("word5 phrase5"));
  }
}
