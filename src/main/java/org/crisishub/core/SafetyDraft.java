package org.crisishub.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Phones;

/**
 * The parts of a safety-check draft request that are kept with the check as JSON text (storage, not
 * wire): the requested audience and escalation, validated here (400 with a clear message). Stateless.
 */
final class SafetyDraft {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetyDraft() {
  }

  /** The requested audience: flags default to true; numbers normalised, distinct. */
  record Audience(boolean joined, boolean inArea, List<String> numbers) {
    String json() {
      ObjectNode n = JSON.createObjectNode();
      n.put("joined", joined).put("inArea", inArea);
      var a = n.putArray("numbers");
      numbers.forEach(a::add);
      return n.toString();
    }

    static Audience parse(String json) {
      try {
        JsonNode n = JSON.readTree(json);
        List<String> numbers = new ArrayList<>();
        n.path("numbers").forEach(x -> numbers.add(x.asText()));
        return new Audience(n.path("joined").asBoolean(true), n.path("inArea").asBoolean(true), numbers);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** The {@code audience} of a draft request; numbers normalised by {@code phones}; 400 when invalid. */
  static Audience audience(JsonNode a, Phones phones) {
    if (a == null || a.isNull()) {
      return new Audience(true, true, List.of());
    }
    if (!a.isObject()) {
      throw HubException.invalid("audience must be an object {joined?, inArea?, numbers?}");
    }
    a.fieldNames().forEachRemaining(f -> {
      if (!List.of("joined", "inArea", "numbers").contains(f)) {
        throw HubException.invalid("audience has no field \"" + f + "\"");
      }
    });
    boolean joined = flag(a, "joined");
    boolean inArea = flag(a, "inArea");
    JsonNode nums = a.get("numbers");
    List<String> numbers = new ArrayList<>();
    if (nums != null && !nums.isNull()) {
      if (!nums.isArray()) {
        throw HubException.invalid("audience.numbers must be a list of phone numbers");
      }
      if (nums.size() > SafetyCheckService.MAX_NUMBERS) {
        throw HubException.invalid("audience.numbers holds at most " + SafetyCheckService.MAX_NUMBERS + " numbers");
      }
      java.util.Set<String> seen = new java.util.LinkedHashSet<>();
      for (int i = 0; i < nums.size(); i++) {
        JsonNode n = nums.get(i);
        String p;
        try {
          if (!n.isTextual()) {
            throw HubException.invalid("not text");
          }
          p = phones.normalise(n.textValue());
        } catch (HubException e) {
          throw HubException.invalid("numbers[" + i + "] is not a valid phone number");
        }
        seen.add(p);
      }
      numbers.addAll(seen);
    }
    return new Audience(joined, inArea, numbers);
  }

  private static boolean flag(JsonNode a, String name) {
    JsonNode v = a.get(name);
    if (v == null || v.isNull()) {
      return true;
    }
    if (!v.isBoolean()) {
      throw HubException.invalid("audience." + name + " must be true or false");
    }
    return v.booleanValue();
  }

  /** The {@code escalation} of a draft request as JSON text to store (null when not given); 400 when invalid. */
  static String escalation(JsonNode e) {
    if (e == null || e.isNull()) {
      return null;
    }
    if (!e.isObject()) {
      throw HubException.invalid("escalation must be an object {repeatAfterSeconds?, followersAfterSeconds?}");
    }
    for (var it = e.fieldNames(); it.hasNext();) {
      String f = it.next();
      if (!List.of("repeatAfterSeconds", "followersAfterSeconds").contains(f)) {
        throw HubException.invalid("escalation has no field \"" + f + "\"");
      }
      JsonNode v = e.get(f);
      if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > 7 * 86_400) {
        throw HubException.invalid("escalation." + f + " must be whole seconds from 1 to 604800");
      }
    }
    return e.toString();
  }

  /** A delay of the stored escalation JSON, in seconds; null when not given. */
  static Long delay(String escalationJson, String field) {
    if (escalationJson == null) {
      return null;
    }
    try {
      JsonNode v = new ObjectMapper().readTree(escalationJson).get(field);
      return v == null || v.isNull() ? null : v.asLong();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
