package org.crisishub.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("WsCat's argument")
class WsCatTest {
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
