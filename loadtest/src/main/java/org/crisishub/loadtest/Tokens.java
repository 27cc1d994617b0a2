package org.crisishub.loadtest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mints person session tokens the way the hub does (HMAC-SHA256 keyed with SHA-256 of
 * {@code HUB_TOKEN_SECRET}), so a load test does not spend its set-up on one-time codes. Only for a
 * hub started with the same secret in a closed lab.
 */
final class Tokens {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private final byte[] key;

  Tokens(String secret) {
    try {
      this.key = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  String person(String phone) {
    long exp = System.currentTimeMillis() / 1000 + 24 * 3600;
    String payload = "{\"k\":\"person\",\"sub\":\"" + phone + "\",\"jti\":\"lt-" + phone.substring(1) + "-"
        + System.nanoTime() + "\",\"exp\":" + exp + "}";
    String body = B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return body + "." + B64.encodeToString(mac.doFinal(body.getBytes(StandardCharsets.US_ASCII)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Twilio's webhook signature: base64(HMAC-SHA1(token, url + sorted name/value pairs)). */
  static String twilioSignature(String authToken, String url, java.util.SortedMap<String, String> params) {
    StringBuilder data = new StringBuilder(url);
    params.forEach((k, v) -> data.append(k).append(v));
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return Base64.getEncoder().encodeToString(mac.doFinal(data.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String phone(int i) {
    return "+1555" + String.format("%07d", i);
  }
}
