package org.crisishub.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Tokens and rate limits")
class AuthTest {
  final byte[] key = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  final TokenService tokens = new TokenService(key, Duration.ofHours(1));
  final Instant now = Instant.parse("2026-11-22T10:00:00Z");

  @Test
  @DisplayName("a token verifies until it expires")
  void expiry() {
    TokenService.Issued t = tokens.issuePerson("+15551234567", now);
    TokenService.Claims c = tokens.verify(t.token(), now.plusSeconds(10));
    assertEquals("+15551234567", c.subject());
    assertEquals(t.tokenId(), c.tokenId());
    HubException e = assertThrows(HubException.class, () -> tokens.verify(t.token(), now.plus(Duration.ofHours(2))));
    assertEquals(ErrorCode.UNAUTHORIZED, e.code());
  }

  @Test
  @DisplayName("a token signed with another key, altered, or malformed is unauthorized")
  void forgery() {
    String t = tokens.issuePerson("+15551234567", now).token();
    TokenService other = new TokenService("another-key-another-key-another-k".getBytes(StandardCharsets.UTF_8),
        Duration.ofHours(1));
    assertThrows(HubException.class, () -> other.verify(t, now));
    String payload = t.substring(0, t.indexOf('.'));
    String altered = payload.substring(0, payload.length() - 2) + "xx" + t.substring(t.indexOf('.'));
    assertThrows(HubException.class, () -> tokens.verify(altered, now));
    for (String bad : new String[] {"", "abc", "a.b.c", ".", "a.", "x".repeat(5000)}) {
      assertThrows(HubException.class, () -> tokens.verify(bad, now));
    }
  }

  @Test
  @DisplayName("only the canonical encoding of a signature is accepted: padding or spare bits make it unauthorized")
  void canonicalSignature() {
    String t = tokens.issuePerson("+15551234567", now).token();
    tokens.verify(t, now);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char last = t.charAt(t.length() - 1);
    // 32 bytes of MAC end in a character whose two lowest bits are spare: setting them decodes the same.
    char spare = alphabet.charAt(alphabet.indexOf(last) ^ 1);
    String[] variants = {t + "=", t + "==", t + " ", t.substring(0, t.length() - 1) + spare,
        t.replace('-', '+').replace('_', '/')};
    for (String v : variants) {
      if (v.equals(t)) {
        continue;
      }
      HubException e = assertThrows(HubException.class, () -> tokens.verify(v, now), v);
      assertEquals(ErrorCode.UNAUTHORIZED, e.code());
    }
    assertTrue(java.util.Arrays.equals(java.util.Base64.getUrlDecoder().decode(t.substring(t.indexOf('.') + 1)),
        java.util.Base64.getUrlDecoder().decode(variants[3].substring(t.indexOf('.') + 1))),
        "the spare-bits variant decodes to the same MAC, so only an encoding check refuses it");
  }

  @Test
  @DisplayName("code hashes depend on number and code")
  void codeHash() {
    assertEquals(tokens.codeHash("+1", "123456"), tokens.codeHash("+1", "123456"));
    assertTrue(!tokens.codeHash("+1", "123456").equals(tokens.codeHash("+2", "123456")));
  }

  @Test
  @DisplayName("a bucket allows its burst, then refills at its rate, and says how long to wait")
  void buckets() {
    RateLimiter l = new RateLimiter(true);
    RateLimiter.Limit lim = new RateLimiter.Limit("t", 3, 3600); // one a second
    for (int i = 0; i < 3; i++) {
      l.acquire(lim, "k", 0);
    }
    HubException e = assertThrows(HubException.class, () -> l.acquire(lim, "k", 0));
    assertEquals(ErrorCode.RATE_LIMITED, e.code());
    assertEquals(1, e.retryAfterSeconds());
    l.acquire(lim, "other", 0);
    l.acquire(lim, "k", 1000);
    assertThrows(HubException.class, () -> l.acquire(lim, "k", 1000));
    RateLimiter off = new RateLimiter(false);
    for (int i = 0; i < 100; i++) {
      off.acquire(lim, "k", 0);
    }
  }

  @Test
  @DisplayName("a shelter behind one NAT can ask codes for hundreds of numbers an hour")
  void shelterBehindNat() {
    RateLimiter l = new RateLimiter(true);
    long t = 0;
    for (int i = 0; i < 600; i++) {
      t += 6_000; // 600 numbers spread over an hour
      l.acquire(Limits.OTP_SEND_PER_IP, "10.0.0.1", t);
      l.acquire(Limits.OTP_SEND_PER_PHONE, "+1555000" + i, t);
    }
  }

  @Test
  @DisplayName("only accepted work counts: charged work that fails, synchronously or later, gives its token back")
  void refusedWorkIsRefunded() {
    RateLimiter l = new RateLimiter(true);
    RateLimiter.Limit lim = new RateLimiter.Limit("c", 2, 1); // practically no refill
    for (int i = 0; i < 50; i++) {
      assertTrue(l.charge(lim, "k", 0, () -> {
        throw HubException.invalid("bad body");
      }).failed());
      assertTrue(l.<Void>charge(lim, "k", 0, () -> io.vertx.core.Future.failedFuture(HubException.invalid("unknown incident")))
          .failed());
    }
    assertTrue(l.charge(lim, "k", 0, () -> io.vertx.core.Future.succeededFuture("one")).succeeded());
    assertTrue(l.charge(lim, "k", 0, () -> io.vertx.core.Future.succeededFuture("two")).succeeded());
    io.vertx.core.Future<String> third = l.charge(lim, "k", 0, () -> io.vertx.core.Future.succeededFuture("three"));
    assertEquals(ErrorCode.RATE_LIMITED, ((HubException) third.cause()).code(), "two accepted used the burst of 2");
    // A refund never lifts a bucket above its burst.
    RateLimiter fresh = new RateLimiter(true);
    fresh.acquire(lim, "x", 0);
    fresh.refund(lim, "x", 0);
    fresh.refund(lim, "x", 0);
    fresh.acquire(lim, "x", 0);
    fresh.acquire(lim, "x", 0);
    assertThrows(HubException.class, () -> fresh.acquire(lim, "x", 0));
  }
}
