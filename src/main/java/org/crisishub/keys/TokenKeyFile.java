package org.crisishub.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The 256-bit key of session tokens: derived from a configured secret ({@code HUB_TOKEN_SECRET}), or
 * generated once into {@value #FILE} in the data folder and read from there on every later start.
 * Blocking file I/O: call it from a worker thread or at start-up, never on an event loop.
 */
public final class TokenKeyFile {
  private static final Logger LOG = LoggerFactory.getLogger(TokenKeyFile.class);
  /** The file in the data folder holding a generated key (Base64, owner read/write only). */
  public static final String FILE = "token.secret";

  private TokenKeyFile() {
  }

  /**
   * The key: SHA-256 of {@code secret} when it is not null (any length of secret yields a 256-bit key,
   * the same on every node), else the key in {@code dataDir}/{@value #FILE}, generated and written
   * atomically (temp file, fsync, rename) the first time.
   *
   * @throws IOException when the file cannot be read or written
   */
  public static byte[] load(String secret, Path dataDir) throws IOException {
    if (secret != null) {
      try {
        return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }
    Path file = dataDir.resolve(FILE);
    if (Files.exists(file)) {
      return Base64.getDecoder().decode(Files.readString(file).strip());
    }
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Path tmp = dataDir.resolve(FILE + ".tmp");
    Files.writeString(tmp, Base64.getEncoder().encodeToString(key), StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system (the key is still written): the operator must restrict the folder.
      LOG.warn("could not make {} readable by its owner only (no POSIX permissions on this file system);"
          + " restrict access to the data folder", file.getFileName());
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    LOG.info("generated a session token key into the data folder (single node only; set HUB_TOKEN_SECRET"
        + " for a cluster)");
    return key;
  }
}
