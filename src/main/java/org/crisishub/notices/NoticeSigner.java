package org.crisishub.notices;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import org.crisishub.store.NoticeBoard;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * Ed25519 signatures over the RFC 8785 (JCS) form of a notice without its {@code signature}
 * field, base64url without padding; one key per agency, generated on first use, private keys kept
 * in the store and never served. Thread-safe.
 */
public final class NoticeSigner {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  /** X.509 SubjectPublicKeyInfo prefix of an Ed25519 key; the raw 32-byte key follows. */
  private static final int SPKI_PREFIX = 12;

  private final NoticeBoard store;
  private final Clock clock;

  public NoticeSigner(NoticeBoard store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** A fresh key for {@code agency}; its id names the agency and the key's fingerprint. */
  public NoticeBoard.AgencyKey generate(String agency) {
    try {
      KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] spki = kp.getPublic().getEncoded();
      byte[] fp = MessageDigest.getInstance("SHA-256").digest(spki);
      String kid = slug(agency) + "-" + B64.encodeToString(Arrays.copyOf(fp, 9));
      return new NoticeBoard.AgencyKey(kid, agency, kp.getPrivate().getEncoded(), spki, true, clock.instant());
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable", e);
    }
  }

  public static String slug(String agency) {
    String s = agency.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    return s.isEmpty() ? "agency" : s;
  }

  /** Adds {@code keyId} and {@code signature} to {@code notice} with the agency's active key. */
  public Future<ObjectNode> sign(String agency, ObjectNode notice) {
    return store.activeKey(agency, () -> generate(agency)).map(key -> {
      notice.remove("signature");
      notice.put("keyId", key.kid());
      notice.put("signature", B64.encodeToString(sign(key.privatePkcs8(), canonical(notice))));
      return notice;
    });
  }

  /** The bytes that are signed: the JCS form of the notice without {@code signature}. */
  public static byte[] canonical(ObjectNode notice) {
    ObjectNode copy = notice.deepCopy();
    copy.remove("signature");
    try {
      return new JsonCanonicalizer(copy.toString()).getEncodedUTF8();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot canonicalise a notice", e);
    }
  }

  static byte[] sign(byte[] pkcs8, byte[] data) {
    try {
      PrivateKey key = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(data);
      return s.sign();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** Verifies a signed notice against an X.509-encoded Ed25519 public key. */
  public static boolean verify(ObjectNode notice, byte[] spki) {
    try {
      PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(canonical(notice));
      return s.verify(Base64.getUrlDecoder().decode(notice.path("signature").asText("")));
    } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** The JWK of a key: {@code {kty: OKP, crv: Ed25519, x, kid, use: sig, alg: EdDSA}}. */
  public static ObjectNode jwk(NoticeBoard.AgencyKey k) {
    ObjectNode n = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    n.put("kty", "OKP");
    n.put("crv", "Ed25519");
    n.put("x", B64.encodeToString(Arrays.copyOfRange(k.publicSpki(), SPKI_PREFIX, k.publicSpki().length)));
    n.put("kid", k.kid());
    n.put("use", "sig");
    n.put("alg", "EdDSA");
    return n;
  }
}
