package org.crisishub.domain;

import java.util.Locale;
import java.util.Map;

/**
 * One inbound SMS, parsed. Case-insensitive and forgiving: extra spaces, typographic punctuation around the
 * keyword and accents are ignored; Spanish keywords are recognised and answered in Spanish. The
 * first word (or a two-word alias such as {@code A SALVO}) decides; the rest is the argument.
 * {@link #parse} never throws. Pure and thread-safe.
 *
 * @param kind what the sender asked for
 * @param arg the rest of the message, trimmed (a note, a number, an incident code), or ""
 * @param lang the language to answer in
 */
public record SmsCommand(Kind kind, String arg, Lang lang) {

  /** The commands of the SMS grammar. */
  public enum Kind { SAFE, SOS, FOLLOW, UNFOLLOW, YES, NO, STATUS, JOIN, LEAVE, STOP, START, HELP, UNKNOWN }

  /** Reply language. */
  public enum Lang { EN, ES }

  /** Longest message body looked at; Twilio concatenates at most 1,600 characters. */
  static final int MAX_BODY = 1600;

  private record Alias(Kind kind, Lang lang) {
  }

  private static final Map<String, Alias> WORDS = Map.ofEntries(
      Map.entry("SAFE", new Alias(Kind.SAFE, Lang.EN)),
      Map.entry("OK", new Alias(Kind.SAFE, Lang.EN)),
      Map.entry("BIEN", new Alias(Kind.SAFE, Lang.ES)),
      Map.entry("SALVO", new Alias(Kind.SAFE, Lang.ES)),
      Map.entry("SOS", new Alias(Kind.SOS, Lang.EN)),
      Map.entry("SOCORRO", new Alias(Kind.SOS, Lang.ES)),
      Map.entry("AUXILIO", new Alias(Kind.SOS, Lang.ES)),
      Map.entry("FOLLOW", new Alias(Kind.FOLLOW, Lang.EN)),
      Map.entry("SEGUIR", new Alias(Kind.FOLLOW, Lang.ES)),
      Map.entry("UNFOLLOW", new Alias(Kind.UNFOLLOW, Lang.EN)),
      Map.entry("DEJAR", new Alias(Kind.UNFOLLOW, Lang.ES)),
      Map.entry("YES", new Alias(Kind.YES, Lang.EN)),
      Map.entry("Y", new Alias(Kind.YES, Lang.EN)),
      Map.entry("SI", new Alias(Kind.YES, Lang.ES)),
      Map.entry("NO", new Alias(Kind.NO, Lang.EN)),
      Map.entry("N", new Alias(Kind.NO, Lang.EN)),
      Map.entry("STATUS", new Alias(Kind.STATUS, Lang.EN)),
      Map.entry("ESTADO", new Alias(Kind.STATUS, Lang.ES)),
      Map.entry("JOIN", new Alias(Kind.JOIN, Lang.EN)),
      Map.entry("UNIR", new Alias(Kind.JOIN, Lang.ES)),
      Map.entry("UNIRSE", new Alias(Kind.JOIN, Lang.ES)),
      Map.entry("LEAVE", new Alias(Kind.LEAVE, Lang.EN)),
      Map.entry("SALIR", new Alias(Kind.LEAVE, Lang.ES)),
      // Carrier opt-out keywords (CTIA / Twilio) and Spanish ones.
      Map.entry("STOP", new Alias(Kind.STOP, Lang.EN)),
      Map.entry("STOPALL", new Alias(Kind.STOP, Lang.EN)),
      Map.entry("UNSUBSCRIBE", new Alias(Kind.STOP, Lang.EN)),
      Map.entry("CANCEL", new Alias(Kind.STOP, Lang.EN)),
      Map.entry("END", new Alias(Kind.STOP, Lang.EN)),
      Map.entry("QUIT", new Alias(Kind.STOP, Lang.EN)),
      Map.entry("OPTOUT", new Alias(Kind.STOP, Lang.EN)),
      Map.entry("REVOKE", new Alias(Kind.STOP, Lang.EN)),
      Map.entry("PARAR", new Alias(Kind.STOP, Lang.ES)),
      Map.entry("ALTO", new Alias(Kind.STOP, Lang.ES)),
      Map.entry("BAJA", new Alias(Kind.STOP, Lang.ES)),
      Map.entry("START", new Alias(Kind.START, Lang.EN)),
      Map.entry("UNSTOP", new Alias(Kind.START, Lang.EN)),
      Map.entry("OPTIN", new Alias(Kind.START, Lang.EN)),
      Map.entry("INICIO", new Alias(Kind.START, Lang.ES)),
      Map.entry("ALTA", new Alias(Kind.START, Lang.ES)),
      Map.entry("HELP", new Alias(Kind.HELP, Lang.EN)),
      Map.entry("INFO", new Alias(Kind.HELP, Lang.EN)),
      Map.entry("AYUDA", new Alias(Kind.HELP, Lang.ES)));

  private static final Map<String, Alias> PHRASES = Map.of(
      "A SALVO", new Alias(Kind.SAFE, Lang.ES),
      "ESTOY BIEN", new Alias(Kind.SAFE, Lang.ES),
      "DEJAR DE SEGUIR", new Alias(Kind.UNFOLLOW, Lang.ES),
      "STOP ALL", new Alias(Kind.STOP, Lang.EN),
      "OPT OUT", new Alias(Kind.STOP, Lang.EN),
      "OPT IN", new Alias(Kind.START, Lang.EN));

  public SmsCommand {
    arg = arg == null ? "" : arg;
  }

  /**
   * Parses an SMS body; anything unrecognised is {@link Kind#UNKNOWN} with the body as argument. The
   * command words are matched on {@link TextNormaliser normalised} words, so typographic quotes,
   * dashes, ellipses, full-width letters, accents and case do not hide a command ({@code “STOP”},
   * {@code SOS—trapped}, {@code Stop…}, {@code ＳＴＯＰ}). A body that is not well-formed text (an
   * unpaired surrogate, a NUL) cannot be read: {@link Kind#UNKNOWN} with no argument.
   */
  public static SmsCommand parse(String body) {
    if (body == null || !TextNormaliser.isWellFormed(body)) {
      return new SmsCommand(Kind.UNKNOWN, "", Lang.EN);
    }
    String text = body;
    if (text.length() > MAX_BODY) {
      int cut = Character.isHighSurrogate(text.charAt(MAX_BODY - 1)) ? MAX_BODY - 1 : MAX_BODY;
      text = text.substring(0, cut);
    }
    java.util.List<TextNormaliser.Word> words = TextNormaliser.words(text, 3);
    if (words.isEmpty()) {
      return new SmsCommand(Kind.UNKNOWN, "", Lang.EN);
    }
    for (int n = words.size(); n >= 1; n--) {
      StringBuilder key = new StringBuilder();
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          key.append(' ');
        }
        key.append(words.get(i).normalised().toUpperCase(Locale.ROOT));
      }
      Alias a = n == 1 ? WORDS.get(key.toString()) : PHRASES.get(key.toString());
      if (a != null) {
        boolean quoted = text.substring(0, words.get(0).start()).codePoints().anyMatch(SmsCommand::isQuote);
        return new SmsCommand(a.kind(), argument(text.substring(words.get(n - 1).end()), quoted), a.lang());
      }
    }
    return new SmsCommand(Kind.UNKNOWN, collapse(text), Lang.EN);
  }

  private static String collapse(String s) {
    return s.replaceAll("[\\s\\u00A0\\u2000-\\u200B\\u202F\\u205F\\u3000]+", " ").strip();
  }

  private static boolean isQuote(int cp) {
    int t = Character.getType(cp);
    return cp == '"' || cp == '\'' || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION;
  }

  /** Label punctuation between a command word and its argument: {@code SAFE - home}, {@code SOS: home}. */
  private static boolean isLabel(int cp) {
    return cp == ':' || cp == ';' || cp == ',' || cp == '.' || cp == '!' || cp == 0x2026
        || Character.getType(cp) == Character.DASH_PUNCTUATION;
  }

  /**
   * The text after the command word(s) as the argument: the punctuation stuck to the command word
   * (a closing quote, a dash, a colon, an ellipsis) is dropped, spaces are collapsed, a leading
   * label such as {@code -} or {@code :} is dropped, and when the message began with a quote a
   * closing quote at the end is dropped too.
   */
  private static String argument(String rest, boolean quoted) {
    int i = 0;
    while (i < rest.length()) {
      int cp = rest.codePointAt(i);
      if (!TextNormaliser.isSeparator(cp) || Character.isWhitespace(cp) || Character.isSpaceChar(cp)
          || Character.getType(cp) == Character.START_PUNCTUATION || Character.getType(cp) == Character.OTHER_SYMBOL) {
        break;
      }
      i += Character.charCount(cp);
    }
    String arg = collapse(rest.substring(i));
    int j = 0;
    while (j < arg.length() && isLabel(arg.codePointAt(j))) {
      j += Character.charCount(arg.codePointAt(j));
    }
    if (j > 0 && (j == arg.length() || arg.charAt(j) == ' ')) {
      arg = arg.substring(j).strip();
    }
    if (quoted && !arg.isEmpty()) {
      int last = arg.codePointBefore(arg.length());
      if (isQuote(last)) {
        arg = arg.substring(0, arg.length() - Character.charCount(last)).strip();
      }
    }
    return arg;
  }
}
