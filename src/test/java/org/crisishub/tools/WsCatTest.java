package org.crisishub.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("WsCat always sends a check-in with a key")
class WsCatTest {
  @Test
  @DisplayName("a checkin frame without key gets a fresh one; one with a key and other frames are sent as typed")
  void keys() throws Exception {
    ObjectMapper json = new ObjectMapper();
    String typed = "{\"type\":\"checkin\",\"ref\":\"1\",\"status\":\"safe\"}";
    var a = json.readTree(WsCat.withKey(typed));
    var b = json.readTree(WsCat.withKey(typed));
    assertTrue(a.path("key").asText().length() >= 16);
    assertNotEquals(a.path("key").asText(), b.path("key").asText(), "a fresh key per check-in");
    assertEquals("safe", a.path("status").asText());
    String keyed = "{\"type\":\"checkin\",\"status\":\"safe\",\"key\":\"mine\"}";
    assertEquals(keyed, WsCat.withKey(keyed));
    assertEquals("{\"type\":\"ping\"}", WsCat.withKey("{\"type\":\"ping\"}"));
    assertEquals("not json", WsCat.withKey("not json"));
  }
}
