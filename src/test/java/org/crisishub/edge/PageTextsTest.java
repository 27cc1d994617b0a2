package org.crisishub.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.crisishub.domain.Cap;
import org.crisishub.domain.ErrorCode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both languages everywhere: reads the text tables of {@code assets/hub.js} (the one place the pages
 * take their words from) and proves that every error code, every CAP word, every key a page uses
 * (statically in HTML and JS, and the keys pages build from codes and states) has an English and a
 * Spanish text, and that the Spanish one is not the English one left in place.
 */
@DisplayName("Page texts: every error code, CAP word and page text key has a Spanish text")
class PageTextsTest {
  private static final String WEB = "web/";
  private static final List<String> PAGES = List.of("index.html", "follow.html", "incident.html", "responder.html");
  private static final List<String> SCRIPTS = List.of("assets/hub.js", "assets/checkin.js", "assets/follow.js",
      "assets/incident.js", "assets/responder.js", "assets/queue.js", "assets/desk.js");
  /** Namespaces of text keys (storage keys like hub.token are not texts). */
  private static final Pattern KEY_LITERAL = Pattern.compile(
      "'((?:nav|signin|checkin|follow|conn|status|ago|inc|resp|err|help|cap|told|desk)\\.[A-Za-z_.]+|seq|signedInAs|signOut)'");
  /** The same word in both languages, on purpose. */
  private static final Set<String> SAME_IN_BOTH = Set.of();

  static String resource(String name) {
    try (InputStream in = PageTextsTest.class.getClassLoader().getResourceAsStream(WEB + name)) {
      assertNotNull(in, name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * One language's table: key → text (JS string literals in ' or "), from hub.js and from desk.js (the
   * desk's texts live there so a phone never downloads them; desk.js adds them to hub.js's tables).
   */
  static Map<String, String> table(String lang) {
    Map<String, String> out = table("assets/hub.js", lang);
    for (Map.Entry<String, String> e : table("assets/desk.js", lang).entrySet()) {
      assertEquals(null, out.put(e.getKey(), e.getValue()), "key in both hub.js and desk.js: " + e.getKey());
    }
    return out;
  }

  static Map<String, String> table(String file, String lang) {
    String js = resource(file);
    int start = js.indexOf("\n  " + lang + ": {");
    assertTrue(start >= 0, "no table " + lang);
    int end = js.indexOf("\n  }", start);
    String body = js.substring(start, end);
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = Pattern.compile("'([^']+)'\\s*:\\s*(?:'((?:[^'\\\\]|\\\\.)*)'|\"((?:[^\"\\\\]|\\\\.)*)\")").matcher(body);
    while (m.find()) {
      String value = m.group(2) != null ? m.group(2) : m.group(3);
      String before = out.put(m.group(1), value);
      assertEquals(null, before, "key twice in " + lang + ": " + m.group(1));
    }
    assertTrue(out.size() > 20, file + " " + lang + " table parsed: " + out.size());
    return out;
  }

  static final Map<String, String> EN = table("en");
  static final Map<String, String> ES = table("es");

  static void hasSpanish(String key) {
    assertTrue(EN.containsKey(key), "no English text for " + key);
    assertTrue(ES.containsKey(key), "no Spanish text for " + key);
    assertFalse(ES.get(key).isBlank(), "blank Spanish text for " + key);
    if (!SAME_IN_BOTH.contains(key)) {
      assertFalse(ES.get(key).equals(EN.get(key)) && ES.get(key).matches(".*[a-z]{3}.*"),
          "Spanish text of " + key + " is the English one: " + ES.get(key));
    }
  }

  static Stream<Arguments> errorCodes() {
    return Stream.of(ErrorCode.values()).map(c -> Arguments.of(c, "err." + c.wire()));
  }

  @ParameterizedTest(name = "{0} → {1}")
  @MethodSource("errorCodes")
  @DisplayName("every ErrorCode has a page text in English and Spanish")
  void everyErrorCode(ErrorCode code, String key) {
    hasSpanish(key);
  }

  static Stream<String> capWords() {
    Set<String> words = new TreeSet<>(Cap.SEVERITY);
    words.addAll(Cap.URGENCY);
    words.addAll(Cap.CERTAINTY);
    return words.stream().map(w -> "cap." + w);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("capWords")
  @DisplayName("every CAP severity, urgency and certainty word has a Spanish text")
  void everyCapWord(String key) {
    hasSpanish(key);
  }

  /** Every key a page or script names, plus the keys they build from states and codes. */
  static Stream<String> usedKeys() {
    Set<String> keys = new TreeSet<>();
    Pattern attr = Pattern.compile("data-i18n(?:-ph)?=\"([^\"]+)\"");
    for (String page : PAGES) {
      Matcher m = attr.matcher(resource(page));
      while (m.find()) {
        keys.add(m.group(1));
      }
    }
    for (String script : SCRIPTS) {
      String js = resource(script);
      if (script.equals("assets/hub.js")) {
        js = js.substring(js.indexOf("const Hub = {"));
      }
      Matcher m = KEY_LITERAL.matcher(js);
      while (m.find()) {
        if (!m.group(1).endsWith(".")) { // a prefix ('desk.s.' + state): its keys are listed below
          keys.add(m.group(1));
        }
      }
    }
    // Built at run time: 'conn.' + state, 'status.' + status, 'inc.' + state, 'help.' + state.
    keys.addAll(List.of("conn.live", "conn.connecting", "conn.offline", "status.safe", "status.need_help",
        "inc.cancelled", "inc.superseded", "inc.expired", "help.acknowledged", "help.resolved", "help.open"));
    // The desk's: 'desk.s.' + request state, 'desk.n.' + notice state, 'desk.' + safety-check state.
    for (String s : List.of("open", "acknowledged", "resolved")) {
      keys.add("desk.s." + s);
    }
    for (String s : List.of("draft", "approved", "published", "superseded", "cancelled", "expired")) {
      keys.add("desk.n." + s);
    }
    for (String s : List.of("safe", "need_help", "no_answer", "unreachable")) {
      keys.add("desk." + s);
    }
    for (String s : List.of("queued", "sent", "delivered", "undelivered", "failed")) {
      keys.add("desk.d." + s);
    }
    return keys.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("usedKeys")
  @DisplayName("every text key a page uses has a Spanish text")
  void everyUsedKey(String key) {
    hasSpanish(key);
  }

  @Test
  @DisplayName("both tables have the same keys, and every placeholder of a text is in its translation")
  void sameKeysSamePlaceholders() {
    assertEquals(new TreeSet<>(EN.keySet()), new TreeSet<>(ES.keySet()));
    List<String> wrong = new ArrayList<>();
    Pattern ph = Pattern.compile("\\{(\\w+)\\}");
    for (String key : EN.keySet()) {
      Set<String> en = new TreeSet<>();
      Set<String> es = new TreeSet<>();
      ph.matcher(EN.get(key)).results().forEach(r -> en.add(r.group(1)));
      ph.matcher(ES.get(key)).results().forEach(r -> es.add(r.group(1)));
      if (!en.equals(es)) {
        wrong.add(key + " " + en + " vs " + es);
      }
    }
    assertTrue(wrong.isEmpty(), "placeholders differ: " + wrong);
  }
}
