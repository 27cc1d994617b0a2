package org.crisishub.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * The hash chain of the audit trail (product spec, v2 "Audit"): each entry's {@code hash} is the
 * lower-case hex SHA-256 of the RFC 8785 (JCS) form of the entry without {@code hash}; its
 * {@code prevHash} is the hash of the entry before it, 64 zeros for the first. Pure functions,
 * thread-safe; shared by both stores (which chain), the verify endpoint and the operator command
 * {@code org.crisishub.tools.AuditCheck} (which re-check).
 */
public final class AuditChain {
  /** {@code prevHash} of the first entry. */
  public static final String GENESIS = "0".repeat(64);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;

  private AuditChain() {
  }

  /**
   * One chained entry as the API serves it. {@code id} counts from 1 without gaps; {@code at} is
   * kept to the second (the wire form); {@code subject} and {@code detail} are null when absent.
   */
  public record Entry(long id, Instant at, String actor, String action, String subject, String outcome,
      String detail, String prevHash, String hash) {
    public Entry {
      at = at.truncatedTo(ChronoUnit.SECONDS);
    }
  }

  /** Builds the entry that follows {@code prevHash} at position {@code id}, with its hash. */
  public static Entry next(long id, String prevHash, Instant at, String actor, String action, String subject,
      String outcome, String detail) {
    Entry e = new Entry(id, at, actor, action, subject, outcome, detail, prevHash, null);
    return new Entry(id, e.at(), actor, action, subject, outcome, detail, prevHash, hash(e));
  }

  /** The entry as JSON ({@code id} a decimal string, {@code at} RFC 3339 with seconds, absent fields omitted). */
  public static ObjectNode json(Entry e) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", Long.toString(e.id()));
    n.put("at", TIME.format(e.at()));
    n.put("actor", e.actor());
    n.put("action", e.action());
    if (e.subject() != null) {
      n.put("subject", e.subject());
    }
    n.put("outcome", e.outcome());
    if (e.detail() != null) {
      n.put("detail", e.detail());
    }
    n.put("prevHash", e.prevHash());
    if (e.hash() != null) {
      n.put("hash", e.hash());
    }
    return n;
  }

  /** Reads an entry from its JSON form ({@link #json}); fails with {@link IllegalArgumentException}. */
  public static Entry parse(JsonNode n) {
    try {
      return new Entry(Long.parseLong(n.get("id").asText()), Instant.parse(n.get("at").asText()),
          n.get("actor").asText(), n.get("action").asText(), text(n, "subject"), n.get("outcome").asText(),
          text(n, "detail"), n.get("prevHash").asText(), text(n, "hash"));
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("not an audit entry: " + ex.getMessage(), ex);
    }
  }

  private static String text(JsonNode n, String f) {
    JsonNode v = n.get(f);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** The hash {@code e} must carry: SHA-256 of the JCS form of {@code e} without {@code hash}. */
  public static String hash(Entry e) {
    ObjectNode n = json(e);
    n.remove("hash");
    try {
      byte[] canonical = new JsonCanonicalizer(n.toString()).getEncodedUTF8();
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
    } catch (IOException | NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /** The canonical bytes that are hashed (for documentation and tools). */
  public static byte[] canonical(Entry e) {
    ObjectNode n = json(e);
    n.remove("hash");
    try {
      return new JsonCanonicalizer(n.toString()).getEncodedUTF8();
    } catch (IOException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /**
   * Checks a trail page by page: feed entries in ascending order to {@link #accept}; the first entry
   * whose id, link or hash is wrong is {@link #brokenAt}. Not thread-safe (one walk per instance).
   */
  public static final class Walk {
    private long count;
    private String head = GENESIS;
    private Long brokenAt;

    /** Takes the next entry; false (and {@link #brokenAt} set) when it breaks the chain. */
    public boolean accept(Entry e) {
      if (brokenAt != null) {
        return false;
      }
      if (e.id() != count + 1 || !head.equals(e.prevHash()) || e.hash() == null || !e.hash().equals(hash(e))) {
        brokenAt = e.id();
        return false;
      }
      count++;
      head = e.hash();
      return true;
    }

    public long count() {
      return count;
    }

    /** The hash of the last good entry (64 zeros when none). */
    public String head() {
      return head;
    }

    /** The id of the first bad entry, or null while the chain holds. */
    public Long brokenAt() {
      return brokenAt;
    }
  }
}
