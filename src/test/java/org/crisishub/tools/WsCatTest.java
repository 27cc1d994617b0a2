package org.crisishub.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("WsCat: its argument, and a key on every check-in")
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

  @Test
  @DisplayName("a port, a base URL or a WebSocket URL all name the hub's socket")
  void url() {
    assertEquals("ws://localhost:8080/api/v1/ws", WsCat.url("8080"));
    assertEquals("ws://localhost:9000/api/v1/ws", WsCat.url("http://localhost:9000"));
    assertEquals("ws://127.0.0.1:9000/api/v1/ws", WsCat.url("http://127.0.0.1:9000/"));
    assertEquals("wss://hub.example.org/api/v1/ws", WsCat.url("https://hub.example.org"));
    assertEquals("ws://h:1/api/v1/ws", WsCat.url("ws://h:1/api/v1/ws"));
    assertThrows(IllegalArgumentException.class, () -> WsCat.url("localhost"));
  }

  @Test
  @DisplayName("it needs the JDK alone: its class refers to no library (the README runs it from target/classes)")
  void jdkOnly() throws Exception {
    try (var in = WsCat.class.getResourceAsStream("WsCat.class")) {
      String bytes = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
      for (String lib : new String[] {"com/fasterxml", "io/vertx", "io/netty", "org/crisishub/domain"}) {
        assertTrue(!bytes.contains(lib), "WsCat refers to " + lib);
      }
    }
  }
}
