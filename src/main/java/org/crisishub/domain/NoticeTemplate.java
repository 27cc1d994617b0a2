package org.crisishub.domain;

import java.util.ArrayList;
import java.util.IllformedLocaleException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One version of a notice template: pre-approved content in one or more languages with declared
 * placeholders ({@code {name}} in the texts), each with a maximum length, and the CAP fields of the
 * notices made from it. Pure and immutable; thread-safe.
 *
 * <p>Rules (docs/notices.md, "Templates"): a placeholder name is a letter followed by up to 39
 * letters, digits, {@code _}, {@code -} or {@code .}; every {@code {name}} in a text must be declared; every declared
 * placeholder has a {@code maxLength} of 1–200 code points. Other braces are plain text. Filling
 * needs a value for every declared placeholder and nothing else: non-empty, at most its
 * {@code maxLength} code points, with no line break or other control character.
 *
 * @param language BCP 47 tag of the main texts (canonical form, e.g. {@code en}, {@code es-MX})
 * @param variants the same content in other languages, each language once
 * @param placeholders name → maximum length in code points, in declaration order
 */
public record NoticeTemplate(String name, String language, String headline, String body, String event,
    String category, String severity, String urgency, String certainty, String area, List<Variant> variants,
    Map<String, Integer> placeholders) {

  /** The longest template headline (as written, before filling), in code points; as a notice's. */
  public static final int MAX_HEADLINE = 160;
  /** The longest template body (as written, before filling), in code points; as a notice's. */
  public static final int MAX_BODY = 4000;
  public static final int MAX_NAME = 100;
  public static final int MAX_VARIANTS = 20;
  public static final int MAX_PLACEHOLDERS = 20;
  public static final int MAX_VALUE_LENGTH = 200;

  /** {@code {name}}: the only form that is a placeholder. */
  public static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\p{L}[\\p{L}\\p{N}_.-]{0,39})\\}");
  private static final Pattern NAME = Pattern.compile("\\p{L}[\\p{L}\\p{N}_.-]{0,39}");

  /** The content in one more language. */
  public record Variant(String language, String headline, String body) {
  }

  /** A filled text in one language. */
  public record Text(String language, String headline, String body) {
  }

  public NoticeTemplate {
    variants = List.copyOf(variants);
    placeholders = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(placeholders));
  }

  /**
   * Checks the rules above, the CAP values and the languages (distinct, well-formed BCP 47).
   *
   * @throws HubException {@code invalid_request} naming the first fault
   */
  public NoticeTemplate validate() {
    requireText("name", name, MAX_NAME);
    requireText("headline", headline, MAX_HEADLINE);
    requireText("body", body, MAX_BODY);
    if (placeholders.size() > MAX_PLACEHOLDERS) {
      throw HubException.invalid("at most " + MAX_PLACEHOLDERS + " placeholders");
    }
    for (var p : placeholders.entrySet()) {
      if (!NAME.matcher(p.getKey()).matches()) {
        throw HubException.invalid("placeholder name \"" + p.getKey()
            + "\" must be a letter followed by up to 39 letters, digits, _, - or .");
      }
      Integer max = p.getValue();
      if (max == null || max < 1 || max > MAX_VALUE_LENGTH) {
        throw HubException.invalid("placeholders." + p.getKey() + ".maxLength must be 1 to " + MAX_VALUE_LENGTH);
      }
    }
    if (variants.size() > MAX_VARIANTS) {
      throw HubException.invalid("at most " + MAX_VARIANTS + " variants");
    }
    Set<String> languages = new LinkedHashSet<>();
    languages.add(language);
    checkDeclared("headline", headline);
    checkDeclared("body", body);
    if (event != null) {
      checkDeclared("event", event);
    }
    for (int i = 0; i < variants.size(); i++) {
      Variant v = variants.get(i);
      requireText("variants[" + i + "].headline", v.headline(), MAX_HEADLINE);
      requireText("variants[" + i + "].body", v.body(), MAX_BODY);
      if (!languages.add(v.language())) {
        throw HubException.invalid("variants[" + i + "].language " + v.language() + " appears twice");
      }
      checkDeclared("variants[" + i + "].headline", v.headline());
      checkDeclared("variants[" + i + "].body", v.body());
    }
    return this;
  }

  private static void requireText(String field, String s, int max) {
    if (s == null || s.isBlank()) {
      throw HubException.invalid(field + " is required");
    }
    if (s.codePointCount(0, s.length()) > max) {
      throw HubException.invalid(field + " must be at most " + max + " characters");
    }
  }

  private void checkDeclared(String field, String text) {
    Matcher m = PLACEHOLDER.matcher(text);
    while (m.find()) {
      if (!placeholders.containsKey(m.group(1))) {
        throw HubException.invalid(field + " uses {" + m.group(1) + "}, which is not declared in placeholders");
      }
    }
  }

  /** Every language of the template, the main one first. */
  public List<String> languages() {
    List<String> out = new ArrayList<>();
    out.add(language);
    variants.forEach(v -> out.add(v.language()));
    return out;
  }

  /**
   * Checks {@code values} against the declared placeholders.
   *
   * @throws HubException {@code invalid_request}: a missing, empty, undeclared, over-long value, or
   *     one with a line break or another control character
   */
  public void checkValues(Map<String, String> values) {
    for (String k : values.keySet()) {
      if (!placeholders.containsKey(k)) {
        throw HubException.invalid("values." + k + " is not a placeholder of this template");
      }
    }
    for (var p : placeholders.entrySet()) {
      String v = values.get(p.getKey());
      if (v == null || v.isBlank()) {
        throw HubException.invalid("values." + p.getKey() + " is required");
      }
      if (v.codePointCount(0, v.length()) > p.getValue()) {
        throw HubException.invalid("values." + p.getKey() + " must be at most " + p.getValue() + " characters");
      }
      if (v.codePoints().anyMatch(NoticeTemplate::breaksLine)) {
        throw HubException.invalid("values." + p.getKey() + " must be one line without control characters");
      }
    }
  }

  /** Line and paragraph separators and every control character (tabs, CR, LF, NEL included). */
  static boolean breaksLine(int cp) {
    return Character.getType(cp) == Character.CONTROL || cp == 0x2028 || cp == 0x2029;
  }

  /**
   * The texts in every language (the main one first) with {@code values} filled in.
   *
   * @throws HubException {@code invalid_request} as {@link #checkValues}, or when a filled text
   *     is longer than a notice allows
   */
  public List<Text> fill(Map<String, String> values) {
    checkValues(values);
    List<Text> out = new ArrayList<>();
    out.add(new Text(language, fillOne("headline", headline, values, MAX_HEADLINE),
        fillOne("body", body, values, MAX_BODY)));
    for (Variant v : variants) {
      out.add(new Text(v.language(), fillOne(v.language() + " headline", v.headline(), values, MAX_HEADLINE),
          fillOne(v.language() + " body", v.body(), values, MAX_BODY)));
    }
    return out;
  }

  /** The event with {@code values} filled in (null when the template has none: the headline is used). */
  public String filledEvent(Map<String, String> values) {
    return event == null ? null : fillOne("event", event, values, MAX_HEADLINE);
  }

  private static String fillOne(String field, String text, Map<String, String> values, int max) {
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(values.get(m.group(1))));
    }
    m.appendTail(sb);
    String s = sb.toString();
    if (s.codePointCount(0, s.length()) > max) {
      throw HubException.invalid("the filled " + field + " would be longer than " + max + " characters");
    }
    return s;
  }

  /**
   * A language tag in canonical BCP 47 form ({@code EN-us} → {@code en-US}).
   *
   * @throws HubException {@code invalid_request} for a tag that is not well-formed
   */
  public static String language(String field, String tag) {
    if (tag == null || tag.isBlank() || tag.length() > 35) {
      throw HubException.invalid(field + " must be a language tag such as en or es-MX");
    }
    try {
      Locale l = new Locale.Builder().setLanguageTag(tag.strip()).build();
      String out = l.toLanguageTag();
      if (out.equals("und") || l.getLanguage().isEmpty()) {
        throw HubException.invalid(field + " must be a language tag such as en or es-MX");
      }
      return out;
    } catch (IllformedLocaleException e) {
      throw HubException.invalid(field + " must be a language tag such as en or es-MX");
    }
  }
}
