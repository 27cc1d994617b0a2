package org.crisishub.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.crisishub.domain.HubException;

/**
 * Issues and checks session tokens: {@code base64url(payload) "." base64url(HMAC-SHA256)} with the
 * key {@code HUB_TOKEN_SECRET}, so every node holding the key can check a token without a lookup.
 * Revocation is checked separately against the store. Thread-safe.
 */
public final class TokenService {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private static final int MAX_TOKEN_LENGTH = 2048;

  private final byte[] key;
  private final Duration ttl;
  private final SecureRandom random = new SecureRandom();

  /**
   * A verified token: its kind ({@code person} or {@code responder}), who it speaks for (a phone
   * number or a username), its id (for revocation), when it expires, and for responders their
   * agency and roles.
   */
  public record Claims(String kind, String subject, String tokenId, Instant expiresAt, String agency,
      java.util.Set<String> roles) {
  }

  /**
   * A valid token of the other kind (a responder's where a person's was asked for, or the other way
   * round): {@code unauthorized} for that check, but the caller may try the other kind.
   */
  public static final class WrongKind extends HubException {
    public WrongKind(String message) {
      super(org.crisishub.domain.ErrorCode.UNAUTHORIZED, message);
    }
  }

  /** A freshly issued token. */
  public record Issued(String token, String tokenId, Instant expiresAt) {
  }

  public TokenService(byte[] key, Duration ttl) {
    if (key.length < 32) {
      throw new IllegalArgumentException("token key must be at least 32 bytes");
    }
    this.key = key.clone();
    this.ttl = ttl;
  }

  /** A token for the owner of {@code phone}, valid for the configured lifetime. */
  public Issued issuePerson(String phone, Instant now) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("k", "person");
    payload.put("sub", phone);
    return issue(payload, now, ttl);
  }

  /** A responder's token, carrying agency and roles, valid for {@code lifetime}. */
  public Issued issueResponder(String username, String agency, java.util.Set<String> roles, Instant now,
      Duration lifetime) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("k", "responder");
    payload.put("sub", username);
    payload.put("agency", agency);
    payload.put("roles", String.join(",", new java.util.TreeSet<>(roles)));
    return issue(payload, now, lifetime);
  }

  private Issued issue(ObjectNode payload, Instant now, Duration lifetime) {
    byte[] id = new byte[16];
    random.nextBytes(id);
    String tokenId = B64.encodeToString(id);
    Instant exp = now.plus(lifetime).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    payload.put("jti", tokenId);
    payload.put("exp", exp.getEpochSecond());
    String body = B64.encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8));
    return new Issued(body + "." + B64.encodeToString(mac(body)), tokenId, exp);
  }

  /**
   * The claims of a well-formed, correctly signed, unexpired token.
   *
   * @throws HubException {@code unauthorized} otherwise
   */
  public Claims verify(String token, Instant now) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      throw HubException.unauthorized("missing or invalid token");
    }
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) {
      throw HubException.unauthorized("missing or invalid token");
    }
    String body = token.substring(0, dot);
    // Only the one canonical encoding is accepted: the signature must be exactly what this service
    // writes (unpadded base64url of the MAC), so no padded, re-cased or otherwise re-encoded variant
    // of a token passes as a different string (and escapes a per-token limit or revocation list).
    String expected = B64.encodeToString(mac(body));
    if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
        token.substring(dot + 1).getBytes(StandardCharsets.UTF_8))) {
      throw HubException.unauthorized("missing or invalid token");
    }
    JsonNode p;
    try {
      p = JSON.readTree(B64D.decode(body));
    } catch (Exception e) {
      throw HubException.unauthorized("missing or invalid token");
    }
    Instant exp = Instant.ofEpochSecond(p.path("exp").asLong(0));
    if (!now.isBefore(exp)) {
      throw HubException.unauthorized("token expired");
    }
    String kind = p.path("k").asText("");
    String sub = p.path("sub").asText("");
    String jti = p.path("jti").asText("");
    if (kind.isEmpty() || sub.isEmpty() || jti.isEmpty()) {
      throw HubException.unauthorized("missing or invalid token");
    }
    String roles = p.path("roles").asText("");
    return new Claims(kind, sub, jti, exp, p.path("agency").asText(null),
        roles.isEmpty() ? java.util.Set.of() : java.util.Set.of(roles.split(",")));
  }

  private byte[] mac(String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(body.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** HMAC of a one-time code bound to its number, so stored codes are useless without the key. */
  public String codeHash(String phone, String code) {
    return B64.encodeToString(mac("otp:" + phone + ":" + code));
  }
}
