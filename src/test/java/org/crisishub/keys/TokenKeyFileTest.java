package org.crisishub.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The session token key: from HUB_TOKEN_SECRET, or generated once into the data folder")
class TokenKeyFileTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("a configured secret gives its SHA-256 on every node and writes no file")
  void fromSecret() throws Exception {
    byte[] key = TokenKeyFile.load("s3cret", dir);
    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest("s3cret".getBytes(StandardCharsets.UTF_8)), key);
    assertArrayEquals(key, TokenKeyFile.load("s3cret", dir));
    assertFalse(Files.exists(dir.resolve(TokenKeyFile.FILE)));
  }

  @Test
  @DisplayName("without a secret a 256-bit key is generated once, owner-only, and read back on the next start")
  void generatedOnce() throws Exception {
    byte[] first = TokenKeyFile.load(null, dir);
    assertEquals(32, first.length);
    Path file = dir.resolve(TokenKeyFile.FILE);
    assertTrue(Files.isRegularFile(file));
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
    assertFalse(Files.exists(dir.resolve(TokenKeyFile.FILE + ".tmp")));
    assertArrayEquals(first, TokenKeyFile.load(null, dir));
  }
}
