package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AuditChainTest {
  @Test
  @DisplayName("hash = hex SHA-256 of the RFC 8785 form without hash: sorted members, id a string, absent ones omitted")
  void hashOfCanonicalForm() throws Exception {
    AuditChain.Entry e = AuditChain.next(1, AuditChain.GENESIS, Instant.parse("2026-11-22T10:00:00.750Z"), "ann",
        "incident.create", "FLOOD7", "done", null);
    String canonical = "{\"action\":\"incident.create\",\"actor\":\"ann\",\"at\":\"2026-11-22T10:00:00Z\",\"id\":\"1\","
        + "\"outcome\":\"done\",\"prevHash\":\"" + "0".repeat(64) + "\",\"subject\":\"FLOOD7\"}";
    assertEquals(canonical, new String(AuditChain.canonical(e), StandardCharsets.UTF_8));
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(canonical.getBytes(StandardCharsets.UTF_8)));
    assertEquals(expected, e.hash());
    assertEquals(e, AuditChain.parse(AuditChain.json(e)), "the served JSON reads back to the same entry");
  }

  @Test
  @DisplayName("a walk accepts a good chain and stops at the first entry with a wrong id, link or hash")
  void walk() {
    AuditChain.Entry a = AuditChain.next(1, AuditChain.GENESIS, Instant.EPOCH, "admin", "x", null, "done", null);
    AuditChain.Entry b = AuditChain.next(2, a.hash(), Instant.EPOCH, "admin", "y", null, "done", "d");
    AuditChain.Walk w = new AuditChain.Walk();
    assertTrue(w.accept(a));
    assertTrue(w.accept(b));
    assertEquals(2, w.count());
    assertEquals(b.hash(), w.head());
    AuditChain.Entry forged = new AuditChain.Entry(3, Instant.EPOCH, "admin", "z", null, "done", null, b.hash(),
        "f".repeat(64));
    assertFalse(w.accept(forged));
    assertEquals(3L, w.brokenAt());
    AuditChain.Walk gap = new AuditChain.Walk();
    assertFalse(gap.accept(b), "entry 1 missing");
    assertEquals(2L, gap.brokenAt());
  }
}
