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
    String nested = "{\"type\":\"checkin\",\"location\":{\"key\":1,\"type\":\"x\"},\"note\":\"a \\\"key\\\": b\"}";
    var n = json.readTree(WsCat.withKey(nested));
    assertTrue(n.path("key").asText().length() >= 16, "only top-level members count: " + n);
    assertEquals("a \"key\": b", n.path("note").asText());
    String other = "{\"type\":\"follow\",\"note\":\"checkin\"}";
    assertEquals(other, WsCat.withKey(other));
  }

  @Test
  @DisplayName("WsCat runs with target/classes alone on its class path, as the README runs it (JDK only)")
  void jdkOnly() throws Exception {
    java.net.URL classes = WsCat.class.getProtectionDomain().getCodeSource().getLocation();
    try (var loader = new java.net.URLClassLoader(new java.net.URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
      Class<?> c = Class.forName(WsCat.class.getName(), true, loader);
      assertEquals(loader, c.getClassLoader());
      var m = c.getDeclaredMethod("withKey", String.class);
      m.setAccessible(true);
      String keyed = (String) m.invoke(null, "{\"type\":\"checkin\",\"status\":\"safe\"}");
      assertTrue(new ObjectMapper().readTree(keyed).path("key").asText().length() >= 16, keyed);
    }
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
}
