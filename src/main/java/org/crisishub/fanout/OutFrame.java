package org.crisishub.fanout;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One server-to-client frame, serialised once and shared by every session it goes to, on any
 * thread. Its bytes are encoded at most once per transport kind: {@link #ws()} (the UTF-8 text of a
 * WebSocket text frame) and {@link #sse()} (the same text in SSE {@code data:} framing), each built
 * the first time a session of that kind needs it and then handed, as the same buffer, to every
 * other session of that kind. Thread-safe: two threads racing build equal buffers and one is kept.
 */
public final class OutFrame {
  private final String text;
  private final String coalesceKey;
  private volatile Buffer ws;
  private volatile Buffer sse;

  /**
   * @param text the JSON text of the frame
   * @param coalesceKey frames with the same non-null key replace each other while they wait in a
   *     session's queue (latest status wins); null for frames that must each be delivered
   */
  public OutFrame(String text, String coalesceKey) {
    this.text = Objects.requireNonNull(text);
    this.coalesceKey = coalesceKey;
  }

  public static OutFrame of(String text) {
    return new OutFrame(text, null);
  }

  /** The JSON text of the frame. */
  public String text() {
    return text;
  }

  /** The coalescing key, or null. */
  public String coalesceKey() {
    return coalesceKey;
  }

  /** The frame's text as UTF-8, the payload of a WebSocket text frame. Shared: never modify it. */
  public Buffer ws() {
    Buffer b = ws;
    if (b == null) {
      b = Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
      ws = b;
    }
    return b;
  }

  /** {@code data: <text>\n\n} as UTF-8: one SSE event. Shared: never modify it. */
  public Buffer sse() {
    Buffer b = sse;
    if (b == null) {
      b = Buffer.buffer(("data: " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
      sse = b;
    }
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OutFrame f && text.equals(f.text) && Objects.equals(coalesceKey, f.coalesceKey);
  }

  @Override
  public int hashCode() {
    return text.hashCode() * 31 + Objects.hashCode(coalesceKey);
  }

  @Override
  public String toString() {
    return "OutFrame[" + text + (coalesceKey == null ? "" : ", key " + coalesceKey) + "]";
  }
}
