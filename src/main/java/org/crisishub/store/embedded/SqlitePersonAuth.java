package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.update;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.PersonAuthStore} on the embedded store: tables {@code otp} and
 * {@code revoked_tokens}. A code check is one operation of the writer (read, compare, consume or
 * count a try in one transaction). Thread-safe.
 */
final class SqlitePersonAuth implements org.crisishub.store.PersonAuthStore {
  private final SqliteStore store;

  SqlitePersonAuth(SqliteStore store) {
    this.store = store;
  }

  @Override
  public Future<Void> saveOtp(String phone, String codeHash, Instant expiresAt) {
    return store.write(c -> {
      update(c, "INSERT OR REPLACE INTO otp (phone, code_hash, expires_ms, tries) VALUES (?,?,?,0)",
          phone, codeHash, expiresAt.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<OtpOutcome> checkOtp(String phone, String codeHash, Instant now, int maxTries) {
    return store.write(c -> {
      String stored;
      int tries;
      try (Stmt st = prepare(c,
          "SELECT code_hash, tries FROM otp WHERE phone = ? AND expires_ms > ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        ps.setLong(2, now.toEpochMilli());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return OtpOutcome.NONE;
          }
          stored = rs.getString(1);
          tries = rs.getInt(2);
        }
      }
      if (java.security.MessageDigest.isEqual(stored.getBytes(), codeHash.getBytes())) {
        deleteOtp(c, phone);
        return OtpOutcome.OK;
      }
      if (tries + 1 >= maxTries) {
        deleteOtp(c, phone);
      } else {
        update(c, "UPDATE otp SET tries = tries + 1 WHERE phone = ?", phone);
      }
      return OtpOutcome.WRONG;
    });
  }

  private static void deleteOtp(Connection c, String phone) throws SQLException {
    update(c, "DELETE FROM otp WHERE phone = ?", phone);
  }

  @Override
  public Future<Void> revokeToken(String tokenId, Instant expiresAt) {
    return store.write(c -> {
      update(c, "INSERT OR REPLACE INTO revoked_tokens (token_id, expires_ms) VALUES (?,?)",
          tokenId, expiresAt.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Boolean> isTokenRevoked(String tokenId) {
    return store.read(c -> {
      try (Stmt st = prepare(c, "SELECT 1 FROM revoked_tokens WHERE token_id = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, tokenId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

}
