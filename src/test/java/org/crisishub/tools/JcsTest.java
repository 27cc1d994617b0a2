package org.crisishub.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.crisishub.domain.HubException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Jcs: the RFC 8785 form of a JSON object")
class JcsTest {
  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("only \" \\ and controls below U+0020 are escaped: DEL, U+2028, emoji and astral characters stay raw")
  void escaping() throws Exception {
    String in = "{\"b\":\"del\\u007f ls\\u2028 \\ud83d\\ude00 \\ud834\\udd1e\",\"a\":\"\\u0001\\t\\n\\u001f\\\"\\\\/\"}";
    String expected = "{\"a\":\"\\u0001\\t\\n\\u001f\\\"\\\\/\",\"b\":\"del\u007f ls\u2028 \uD83D\uDE00 \uD834\uDD1E\"}";
    assertArrayEquals(utf8(expected), Jcs.canonical(utf8(in)));
  }

  @Test
  @DisplayName("members sorted by UTF-16 code units, numbers in ECMAScript form, dropped members gone")
  void orderAndNumbers() throws Exception {
    // Sorted by UTF-16 code units: \u20ac < \ud83d (U+1F600) < \ufb33, although U+1F600 is the largest code point.
    String in = "{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\u20ac\":3,\"1\":4.50,\"signature\":\"x\",\"big\":1e21,\"z\":-0.0}";
    String expected = "{\"1\":4.5,\"big\":1e+21,\"z\":0,\"\u20ac\":3,\"\uD83D\uDE00\":2,\"\uFB33\":1}";
    assertArrayEquals(utf8(expected), Jcs.canonical(utf8(in), "signature"));
  }

  @Test
  @DisplayName("input that is not one well-formed object is refused")
  void strict() {
    assertThrows(HubException.class, () -> Jcs.canonical(utf8("{\"a\":1,\"a\":2}")));
    assertThrows(HubException.class, () -> Jcs.canonical(utf8("{\"a\":1} {}")));
    assertThrows(HubException.class, () -> Jcs.canonical(new byte[] {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'}));
  }
}
