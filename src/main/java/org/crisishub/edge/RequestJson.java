package org.crisishub.edge;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.crisishub.domain.HubException;
import org.crisishub.domain.TextNormaliser;

/**
 * Strict reading of request bodies and WebSocket frames: exactly one JSON object, in well-formed
 * UTF-8, without duplicate keys or trailing data, whose keys and strings are well-formed Unicode (no
 * unpaired surrogate, written as an escape such as {@code \udc00}, and no NUL). Anything else is
 * {@code invalid_request} with a message that says which rule was broken. Thread-safe.
 */
public final class RequestJson {
  private static final ObjectReader READER = Wire.JSON.reader()
      .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private RequestJson() {
  }

  /**
   * The bytes as text, if they are well-formed UTF-8 (no overlong forms, no encoded surrogates).
   *
   * @throws HubException {@code invalid_request} otherwise
   */
  public static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw HubException.invalid("the body is not well-formed UTF-8");
    }
  }

  /** True when {@code bytes} are well-formed UTF-8. */
  public static boolean isUtf8(byte[] bytes) {
    try {
      utf8(bytes);
      return true;
    } catch (HubException e) {
      return false;
    }
  }

  /** One JSON object from UTF-8 bytes; see the class comment. */
  public static JsonNode object(byte[] utf8) {
    return object(utf8(utf8));
  }

  /** One JSON object from text; see the class comment. */
  public static JsonNode object(String text) {
    if (text == null || text.isBlank()) {
      throw HubException.invalid("a JSON object is required");
    }
    JsonNode n;
    try {
      n = READER.readTree(text);
    } catch (MismatchedInputException e) {
      throw HubException.invalid(String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")
          || objectFirst(text) ? "trailing data after the JSON object" : "malformed JSON");
    } catch (JsonParseException e) {
      String m = String.valueOf(e.getOriginalMessage());
      if (m.startsWith("Duplicate field")) {
        int q = m.indexOf('\'');
        int r = m.lastIndexOf('\'');
        String key = q >= 0 && r > q ? m.substring(q + 1, r) : "";
        throw HubException.invalid("duplicate key \"" + shorten(key) + "\"");
      }
      throw HubException.invalid(objectFirst(text) ? "trailing data after the JSON object" : "malformed JSON");
    } catch (Exception e) {
      throw HubException.invalid("malformed JSON");
    }
    if (n == null || !n.isObject()) {
      throw HubException.invalid("the body must be a JSON object");
    }
    checkText(n, "");
    return n;
  }

  /**
   * Whether {@code text} starts with a complete, well-formed JSON object (duplicate keys not looked
   * at): a text refused after that object broke only in what follows it (a comma, a second value, any
   * text), so its message says "trailing data" rather than "malformed JSON".
   */
  private static boolean objectFirst(String text) {
    try (JsonParser p = Wire.JSON.getFactory().createParser(text)) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        return false;
      }
      p.skipChildren();
      return p.currentToken() == com.fasterxml.jackson.core.JsonToken.END_OBJECT;
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The {@code ref} of a frame that {@link #object(String)} refused, so its {@code error} can still
   * name it: the value of the one top-level {@code ref} member (any JSON value whose strings are
   * well-formed text) of a text whose first JSON value is an object, read leniently (duplicate keys elsewhere,
   * unpaired surrogates and trailing data do not matter). Null when there is none, when {@code ref}
   * appears more than once, or when the text is not JSON up to the end of that object. Thread-safe.
   */
  public static JsonNode refOf(String text) {
    if (text == null) {
      return null;
    }
    try (JsonParser p = Wire.JSON.getFactory().createParser(text)) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        return null;
      }
      JsonNode ref = null;
      int refs = 0;
      com.fasterxml.jackson.core.JsonToken t;
      while ((t = p.nextToken()) != com.fasterxml.jackson.core.JsonToken.END_OBJECT) {
        if (t == null) {
          return null;
        }
        String name = p.currentName();
        com.fasterxml.jackson.core.JsonToken v = p.nextToken();
        if ("ref".equals(name)) {
          refs++;
          ref = v == null ? null : Wire.JSON.readTree(p);
          if (ref != null) {
            try {
              checkText(ref, "ref");
            } catch (HubException e) {
              ref = null;
            }
          }
        } else {
          p.skipChildren();
        }
      }
      return refs == 1 ? ref : null;
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  private static String shorten(String s) {
    String t = s.length() > 32 ? s.substring(0, 32) + "..." : s;
    return TextNormaliser.isWellFormed(t) ? t : "?";
  }

  private static void checkText(JsonNode n, String path) {
    if (n.isTextual()) {
      if (!TextNormaliser.isWellFormed(n.textValue())) {
        throw HubException.invalid((path.isEmpty() ? "a string" : path)
            + " is not well-formed Unicode text (an unpaired surrogate or a NUL)");
      }
    } else if (n.isObject()) {
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        if (!TextNormaliser.isWellFormed(e.getKey())) {
          throw HubException.invalid("a key is not well-formed Unicode text (an unpaired surrogate or a NUL)");
        }
        checkText(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey());
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        checkText(n.get(i), path + "[" + i + "]");
      }
    }
  }
}
