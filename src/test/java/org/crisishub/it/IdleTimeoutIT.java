package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.crisishub.fanout.ClientSession;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("WebSocket liveness: the hub pings, and closes connections that stay silent")
class IdleTimeoutIT {
  @TempDir
  Path dir;

  @Test
  @DisplayName("a client that answers pings stays; one that never answers is pinged, then closed with 4000")
  void idleClientIsClosed() throws Exception {
    try (TestHub hub = TestHub.start(dir, Map.of("HUB_WS_IDLE_SECONDS", "5"));
         WsClient alive = WsClient.connect(hub.vertx, hub.port(), null);
         Socket raw = new Socket("127.0.0.1", hub.port())) {
      // A hand-made WebSocket client that completes the handshake and then never answers anything.
      raw.setSoTimeout(20_000);
      OutputStream out = raw.getOutputStream();
      out.write(("GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:" + hub.port() + "\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      DataInputStream in = new DataInputStream(raw.getInputStream());
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        head.append((char) in.readUnsignedByte());
      }
      assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
      int pings = 0;
      int closeCode = -1;
      while (closeCode < 0) {
        int opcode = in.readUnsignedByte() & 0x0F;
        int len = in.readUnsignedByte() & 0x7F;
        byte[] payload = new byte[len];
        in.readFully(payload);
        if (opcode == 0x9) {
          pings++;
        } else if (opcode == 0x8) {
          closeCode = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }
      }
      assertTrue(pings >= 1, "the hub pinged before giving up");
      assertEquals(ClientSession.CLOSE_IDLE, closeCode);
      alive.assertNothingElse();
      assertEquals(1, hub.hub.sessions().stream().filter(s -> !s.isClosed()).count(),
          "the client that answers pings is still connected");
    }
  }
}
