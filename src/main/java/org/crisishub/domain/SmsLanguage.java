package org.crisishub.domain;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Set;
import org.crisishub.domain.SmsCommand.Lang;

/**
 * Guesses the language of a text that is not a command ("hola", "necesito ayuda por favor"), so the
 * usage text that answers it is one the sender can read. Spanish when a word is a common Spanish
 * word, or the text has ¿ ¡ ñ; English otherwise. Pure and thread-safe.
 */
public final class SmsLanguage {
  private static final Set<String> SPANISH = Set.of("hola", "buenas", "buenos", "dias", "tardes", "noches",
      "gracias", "ayuda", "ayudame", "ayudenme", "necesito", "necesitamos", "estoy", "estamos", "esta", "donde",
      "que", "quien", "como", "por", "favor", "porfavor", "mi", "mis", "familia", "hijo", "hija", "madre",
      "padre", "mama", "papa", "casa", "agua", "herido", "herida", "heridos", "inundacion", "fuego", "incendio",
      "si", "no", "tengo", "hay", "una", "uno", "el", "la", "los", "las", "y", "con", "sin", "para", "bien",
      "mal", "socorro", "auxilio", "emergencia", "espanol", "ninos", "nino", "senor", "senora", "usted");
  private static final Set<String> ENGLISH = Set.of("hi", "hello", "hey", "help", "please", "i", "im", "am",
      "is", "the", "my", "we", "are", "need", "where", "what", "how", "thanks", "thank", "you", "ok", "yes",
      "water", "family", "house", "home", "fire", "flood", "hurt", "injured", "english");

  private SmsLanguage() {
  }

  /** The language {@code body} seems written in: ES when it has more Spanish than English marks. */
  public static Lang guess(String body) {
    if (body == null || body.isBlank()) {
      return Lang.EN;
    }
    String text = body.length() > SmsCommand.MAX_BODY ? body.substring(0, SmsCommand.MAX_BODY) : body;
    int es = 0;
    int en = 0;
    if (text.indexOf('¿') >= 0 || text.indexOf('¡') >= 0 || text.toLowerCase(Locale.ROOT).indexOf('ñ') >= 0) {
      es += 2;
    }
    String plain = Normalizer.normalize(text, Normalizer.Form.NFD).replaceAll("\\p{M}+", "")
        .toLowerCase(Locale.ROOT);
    for (String w : plain.split("[^\\p{L}]+")) {
      // "no" and "si" are both languages' (or a yes/no answer): they decide nothing alone.
      if (SPANISH.contains(w) && !w.equals("no")) {
        es++;
      }
      if (ENGLISH.contains(w)) {
        en++;
      }
    }
    return es > en ? Lang.ES : Lang.EN;
  }
}
