package org.crisishub.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AuditCheck's answers when it cannot do its check (the chain itself is checked in AuditIT). */
class AuditCheckTest {
  private static final Map<String, String> ENV = Map.of("HUB_ADMIN_TOKEN", "an-admin-token-for-the-test");

  @Test
  void unreachableHubIsExit2WithTheUrlAndTheCause() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String url = "http://127.0.0.1:" + port;
    AuditCheck.Outcome o = AuditCheck.run(new String[] {"--url", url}, ENV, quiet());
    assertEquals(2, o.status(), o.line());
    assertTrue(o.line().startsWith("error cannot read the audit trail from " + url + ": "), o.line());
    assertFalse(o.line().endsWith("null"), "a refused connection has no message; the line names its kind: " + o.line());
  }

  @Test
  void usageErrorsAreExit2() {
    assertEquals(2, AuditCheck.run(new String[] {"--head", "ab"}, ENV, quiet()).status());
    assertEquals(2, AuditCheck.run(new String[] {"--url", "http://127.0.0.1:1"}, Map.of(), quiet()).status());
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }
}
