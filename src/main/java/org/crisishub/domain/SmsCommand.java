package org.crisishub.domain;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;

/**
 * One inbound SMS, parsed. Case-insensitive and forgiving: extra spaces, punctuation around the
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

  /** Parses an SMS body; anything unrecognised is {@link Kind#UNKNOWN} with the body as argument. */
  public static SmsCommand parse(String body) {
    if (body == null) {
      return new SmsCommand(Kind.UNKNOWN, "", Lang.EN);
    }
    String text = body.length() > MAX_BODY ? body.substring(0, MAX_BODY) : body;
    text = text.replaceAll("[\\s\\u00A0\\u2000-\\u200B\\u3000]+", " ").strip();
    if (text.isEmpty()) {
      return new SmsCommand(Kind.UNKNOWN, "", Lang.EN);
    }
    String[] words = text.split(" ");
    for (int n = Math.min(3, words.length); n >= 1; n--) {
      StringBuilder key = new StringBuilder();
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          key.append(' ');
        }
        key.append(keyword(words[i]));
      }
      Alias a = n == 1 ? WORDS.get(key.toString()) : PHRASES.get(key.toString());
      if (a != null) {
        StringBuilder rest = new StringBuilder();
        for (int i = n; i < words.length; i++) {
          if (rest.length() > 0) {
            rest.append(' ');
          }
          rest.append(words[i]);
        }
        return new SmsCommand(a.kind(), stripLeadingPunctuation(rest.toString()), a.lang());
      }
    }
    return new SmsCommand(Kind.UNKNOWN, text, Lang.EN);
  }

  /** A word as a keyword: upper-case, without accents and surrounding punctuation. */
  static String keyword(String word) {
    String w = Normalizer.normalize(word, Normalizer.Form.NFD).replaceAll("\\p{M}+", "");
    w = w.replaceAll("^[\\p{Punct}¡¿]+|[\\p{Punct}¡¿]+$", "");
    return w.toUpperCase(Locale.ROOT);
  }

  private static String stripLeadingPunctuation(String s) {
    return s.replaceFirst("^[:,.;\\-!]+\\s*", "").strip();
  }
}
