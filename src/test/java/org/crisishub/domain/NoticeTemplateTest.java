package org.crisishub.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Notice templates: declared placeholders, values, languages")
class NoticeTemplateTest {
  static NoticeTemplate template(String headline, Map<String, Integer> placeholders, List<NoticeTemplate.Variant> variants) {
    return new NoticeTemplate("Shelter", "en", headline, "Go to {place} before {time}.", null, "Safety", "Severe",
        "Immediate", "Observed", null, variants, placeholders);
  }

  static Map<String, Integer> both() {
    Map<String, Integer> m = new LinkedHashMap<>();
    m.put("place", 10);
    m.put("time", 5);
    return m;
  }

  static HubException invalid(Runnable r) {
    HubException e = assertThrows(HubException.class, r::run);
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    return e;
  }

  @Test
  @DisplayName("fills every language; values holding $, \\ or braces are copied literally, never re-read as placeholders")
  void fills() {
    NoticeTemplate t = template("Shelter at {place}", both(),
        List.of(new NoticeTemplate.Variant("es", "Refugio en {place}", "Vaya a {place} antes de {time}."))).validate();
    var out = t.fill(Map.of("place", "$1 {time}\\", "time", "18:00"));
    assertEquals(List.of("en", "es"), out.stream().map(NoticeTemplate.Text::language).toList());
    assertEquals("Shelter at $1 {time}\\", out.get(0).headline());
    assertEquals("Vaya a $1 {time}\\ antes de 18:00.", out.get(1).body());
    assertEquals(List.of("en", "es"), t.languages());
  }

  @Test
  @DisplayName("an undeclared {name}, a missing or out-of-range maxLength, a repeated language are refused; other braces are text")
  void rules() {
    assertTrue(invalid(() -> template("At {where}", both(), List.of()).validate()).getMessage().contains("{where}"));
    Map<String, Integer> noMax = both();
    noMax.put("where", null);
    invalid(() -> template("h", noMax, List.of()).validate());
    invalid(() -> template("h", Map.of("place", 0, "time", 5), List.of()).validate());
    invalid(() -> template("h", Map.of("place", 201, "time", 5), List.of()).validate());
    invalid(() -> template("h", both(), List.of(new NoticeTemplate.Variant("en", "h", "b"))).validate());
    invalid(() -> template("h", both(), List.of(new NoticeTemplate.Variant("es", "{nope}", "b"))).validate());
    template("Braces { } and {not a name} and {1x} stay text", both(), List.of()).validate();
    invalid(() -> template("At {shelter-name}", both(), List.of()).validate());
    Map<String, Integer> named = both();
    named.put("shelter-name", 20);
    assertEquals("At Lincoln High", template("At {shelter-name}", named, List.of()).validate()
        .fill(Map.of("place", "x", "time", "1", "shelter-name", "Lincoln High")).get(0).headline());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\nb", "a\rb", "a\tb", "a\u2028b", "a\u2029b", "a\u0085b", "a\u0000b", "", "   "})
  @DisplayName("a value with a line break or control character, or an empty one, is refused")
  void badValues(String v) {
    NoticeTemplate t = template("h", both(), List.of()).validate();
    invalid(() -> t.fill(Map.of("place", v, "time", "1")));
  }

  @Test
  @DisplayName("values: over maxLength (in code points), missing, or undeclared are refused; exactly maxLength fits")
  void valueLimits() {
    NoticeTemplate t = template("h", both(), List.of()).validate();
    t.fill(Map.of("place", "🏠".repeat(10), "time", "18:00"));
    invalid(() -> t.fill(Map.of("place", "x".repeat(11), "time", "18:00")));
    invalid(() -> t.fill(Map.of("place", "x")));
    invalid(() -> t.fill(Map.of("place", "x", "time", "1", "other", "y")));
  }

  @Test
  @DisplayName("language tags are checked and served in canonical form")
  void languages() {
    assertEquals("es-MX", NoticeTemplate.language("language", "ES-mx"));
    assertEquals("zh-Hant", NoticeTemplate.language("language", "zh-hant"));
    invalid(() -> NoticeTemplate.language("language", "not a tag!"));
    invalid(() -> NoticeTemplate.language("language", ""));
  }
}
