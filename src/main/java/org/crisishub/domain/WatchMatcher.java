package org.crisishub.domain;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An incident's watch terms compiled once into a matcher (docs/triage.md). Terms and texts are cut into
 * normalised words by {@link TextNormaliser#tokens} (accents, letter case and character width do not
 * count); a term matches where its words appear as consecutive whole words of the text, so
 * {@code "no insulin"} matches "NO INSULIN left" but not "no more insulin", and {@code "trap"} does
 * not match "trapped".
 *
 * <p>The terms are a trie over words: matching walks it from each word of the text, one hash lookup
 * per word and step, so the cost grows with the text's words times the longest phrase, not with the
 * number of terms (1,000 terms cost what 10 do).
 *
 * <p>Immutable and thread-safe once compiled.
 */
public final class WatchMatcher {
  /** At most this many terms per incident. */
  public static final int MAX_TERMS = 1000;
  /** A term has 1 to this many code points. */
  public static final int MAX_TERM_CODE_POINTS = 64;
  /** Words of a text looked at: notes and messages hold at most 280 code points. */
  static final int MAX_TEXT_WORDS = 2000;
  /** A compiled list without terms: matches nothing. */
  public static final WatchMatcher NONE = new WatchMatcher(List.of());

  private final List<String> terms;
  private final Node root = new Node();

  private static final class Node {
    final Map<String, Node> next = new HashMap<>(4);
    /** Index into {@link #terms} of the term that ends here, or -1. */
    int term = -1;
  }

  private WatchMatcher(List<String> terms) {
    this.terms = List.copyOf(terms);
    for (int t = 0; t < this.terms.size(); t++) {
      Node n = root;
      for (String w : TextNormaliser.tokens(this.terms.get(t), MAX_TERM_CODE_POINTS)) {
        n = n.next.computeIfAbsent(w, k -> new Node());
      }
      if (n != root && n.term < 0) {
        n.term = t;
      }
    }
  }

  /** Compiles terms that passed {@link #validate}. */
  public static WatchMatcher compile(List<String> terms) {
    return terms.isEmpty() ? NONE : new WatchMatcher(terms);
  }

  /** The terms, as the responder wrote them (after {@link #validate}). */
  public List<String> terms() {
    return terms;
  }

  /**
   * The terms found in {@code text}, each once, in the order of the term list; empty when none (or
   * when {@code text} is null).
   */
  public List<String> match(String text) {
    if (terms.isEmpty() || text == null || text.isEmpty()) {
      return List.of();
    }
    List<String> words = TextNormaliser.tokens(text, MAX_TEXT_WORDS);
    BitSet found = null;
    for (int i = 0; i < words.size(); i++) {
      Node n = root;
      for (int j = i; j < words.size(); j++) {
        n = n.next.get(words.get(j));
        if (n == null) {
          break;
        }
        if (n.term >= 0) {
          if (found == null) {
            found = new BitSet(terms.size());
          }
          found.set(n.term);
        }
      }
    }
    if (found == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>(found.cardinality());
    found.stream().forEach(t -> out.add(terms.get(t)));
    return out;
  }

  /**
   * Checks and tidies a list of terms as a responder sent it: at most {@value #MAX_TERMS} strings of 1
   * to {@value #MAX_TERM_CODE_POINTS} code points (surrounding spaces trimmed and inner runs of spaces made one
   * first), each
   * well-formed text holding at least one word. Terms that normalise to the same words as an earlier
   * one are dropped (the first spelling stays). Fails {@code invalid_request} naming the position
   * ({@code terms[3]}), never echoing the term.
   */
  public static List<String> validate(List<?> raw) {
    if (raw == null) {
      throw HubException.invalid("terms must be a list of strings");
    }
    if (raw.size() > MAX_TERMS) {
      throw HubException.invalid("at most " + MAX_TERMS + " terms");
    }
    Map<List<String>, String> byWords = new LinkedHashMap<>();
    for (int i = 0; i < raw.size(); i++) {
      if (!(raw.get(i) instanceof String s)) {
        throw HubException.invalid("terms[" + i + "] must be a string");
      }
      String t = s.strip().replaceAll("\\s+", " ");
      int cps = t.codePointCount(0, t.length());
      if (!TextNormaliser.isWellFormed(t) || cps < 1 || cps > MAX_TERM_CODE_POINTS) {
        throw HubException.invalid("terms[" + i + "] must be 1 to " + MAX_TERM_CODE_POINTS + " characters");
      }
      List<String> words = TextNormaliser.tokens(t, MAX_TERM_CODE_POINTS);
      if (words.isEmpty()) {
        throw HubException.invalid("terms[" + i + "] holds no word (letters or digits)");
      }
      byWords.putIfAbsent(words, t);
    }
    return List.copyOf(byWords.values());
  }
}
