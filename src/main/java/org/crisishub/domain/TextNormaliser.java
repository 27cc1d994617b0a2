package org.crisishub.domain;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One normalisation for matching words that people type on phones and in browsers, so that the way a
 * keyboard wrote a word does not decide whether it matches: Unicode NFKD, combining marks (category
 * Mn) dropped, NFKC, then lower-case in {@link Locale#ROOT}. So {@code ＳＴＯＰ} (full-width),
 * {@code Stóp}, {@code STOP} and {@code stop} all normalise to {@code stop}; a ligature such as
 * {@code ﬁ} becomes {@code fi}. Used by the SMS command parser and by keyword watch ({@link #tokens}).
 *
 * <p>{@link #words} splits a text into words on the punctuation phones insert: spaces of every kind,
 * dashes ({@code - – —}), quotes ({@code " “ ” « »}, and {@code ' ’} unless inside a word, as in
 * {@code don’t}), ellipses, {@code . , : ; ! ? ¡ ¿}, brackets and emoji. Other characters ({@code / # @ +}
 * and digits) belong to the word they touch.
 *
 * <p>Pure, stateless and thread-safe.
 */
public final class TextNormaliser {
  private TextNormaliser() {
  }

  /**
   * A word of a text: its place in the original text ({@code [start, end)} in UTF-16 units) and its
   * normalised form.
   */
  public record Word(int start, int end, String normalised) {
  }

  /** The normalised form of {@code text} (see the class comment); null stays null. */
  public static String normalise(String text) {
    if (text == null) {
      return null;
    }
    String d = Normalizer.normalize(text, Normalizer.Form.NFKD);
    StringBuilder b = new StringBuilder(d.length());
    for (int i = 0; i < d.length(); ) {
      int cp = d.codePointAt(i);
      int type = Character.getType(cp);
      if (type != Character.NON_SPACING_MARK) {
        b.appendCodePoint(cp);
      }
      i += Character.charCount(cp);
    }
    return Normalizer.normalize(b, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
  }

  /**
   * True when {@code text} is well-formed Unicode text: no unpaired surrogate (which no UTF-8 or UTF-16
   * encoder can write faithfully) and no NUL. Null is not text.
   */
  public static boolean isWellFormed(String text) {
    if (text == null) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          return false;
        }
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The normalised words of {@code text} for keyword matching, in order, at most {@code max}: the text
   * is {@link #normalise normalised} first, then a word is a run of letters, digits and marks; an
   * apostrophe ({@code ' ’ ʼ}) between two letters stays in the word, written {@code '}; invisible
   * format characters (soft hyphen, zero-width joiner, direction marks) are left out; everything else
   * separates words. Scripts written without spaces between words (Han, Hiragana, Katakana) give one
   * word per character, so a term written in them matches as a phrase of its characters. Null gives
   * no words.
   */
  public static List<String> tokens(String text, int max) {
    List<String> out = new ArrayList<>();
    if (text == null) {
      return out;
    }
    String n = normalise(text);
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < n.length() && out.size() < max; ) {
      int cp = n.codePointAt(i);
      int len = Character.charCount(cp);
      int type = Character.getType(cp);
      if (type == Character.FORMAT) {
        i += len;
        continue;
      }
      boolean mark = type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
          || type == Character.ENCLOSING_MARK;
      if (Character.isLetterOrDigit(cp) || mark && word.length() > 0) {
        if (writtenWithoutSpaces(cp)) {
          flush(word, out);
          if (out.size() < max) {
            out.add(new String(Character.toChars(cp)));
          }
        } else {
          word.appendCodePoint(cp);
        }
      } else if (isApostrophe(cp) && word.length() > 0 && i + len < n.length()
          && Character.isLetter(word.codePointBefore(word.length())) && Character.isLetter(n.codePointAt(i + len))) {
        word.append('\'');
      } else {
        flush(word, out);
      }
      i += len;
    }
    if (out.size() < max) {
      flush(word, out);
    }
    return out;
  }

  private static void flush(StringBuilder word, List<String> out) {
    if (word.length() > 0) {
      out.add(word.toString());
      word.setLength(0);
    }
  }

  private static boolean writtenWithoutSpaces(int cp) {
    if (Character.isIdeographic(cp)) {
      return true;
    }
    Character.UnicodeScript s = Character.UnicodeScript.of(cp);
    return s == Character.UnicodeScript.HAN || s == Character.UnicodeScript.HIRAGANA
        || s == Character.UnicodeScript.KATAKANA;
  }

  /** True for the characters that separate words (see the class comment). */
  public static boolean isSeparator(int cp) {
    if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x200B || cp == 0x2060 || cp == 0xFEFF) {
      return true;
    }
    switch (cp) {
      case '.', ',', ':', ';', '!', '?', '"', '\'', 0xA1, 0xBF, 0x2026, 0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF01,
          0xFF1F, 0x3001, 0x3002, 0xFF02, 0xFF07 -> {
        return true;
      }
      default -> {
      }
    }
    int type = Character.getType(cp);
    return type == Character.DASH_PUNCTUATION || type == Character.START_PUNCTUATION
        || type == Character.END_PUNCTUATION || type == Character.INITIAL_QUOTE_PUNCTUATION
        || type == Character.FINAL_QUOTE_PUNCTUATION || type == Character.OTHER_SYMBOL
        || type == Character.SURROGATE || type == Character.CONTROL;
  }

  private static boolean isApostrophe(int cp) {
    return cp == '\'' || cp == 0x2019 || cp == 0x02BC || cp == 0xFF07;
  }

  /** {@code s} without invisible format characters (category Cf: soft hyphen, ZWJ, direction marks). */
  private static String withoutFormat(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().filter(cp -> Character.getType(cp) != Character.FORMAT).forEach(b::appendCodePoint);
    return b.toString();
  }

  /**
   * The words of {@code text}, in order, at most {@code max} of them. A word's normalised form also
   * leaves out invisible format characters (soft hyphen, zero-width joiner, direction marks), which
   * phones insert and which never change what a word says.
   */
  public static List<Word> words(String text, int max) {
    List<Word> out = new ArrayList<>();
    if (text == null) {
      return out;
    }
    int i = 0;
    int n = text.length();
    while (i < n && out.size() < max) {
      while (i < n && isSeparator(text.codePointAt(i))) {
        i += Character.charCount(text.codePointAt(i));
      }
      if (i >= n) {
        break;
      }
      int start = i;
      while (i < n) {
        int cp = text.codePointAt(i);
        int len = Character.charCount(cp);
        if (isSeparator(cp)) {
          // An apostrophe between two letters is part of the word (don't, don’t).
          if (isApostrophe(cp) && i > start && i + len < n && Character.isLetter(text.codePointBefore(i))
              && Character.isLetter(text.codePointAt(i + len))) {
            i += len;
            continue;
          }
          break;
        }
        i += len;
      }
      out.add(new Word(start, i, normalise(withoutFormat(text.substring(start, i)))));
    }
    return out;
  }
}
