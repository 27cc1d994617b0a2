package org.crisishub.fanout;

import io.vertx.core.Context;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A session whose "socket" is a queue the test reads: frames written, whether the socket accepts
 * writes ({@link #socketFull}), the close it was given. Thread-safe for the test to read while the
 * session's context writes.
 */
public final class RecordingSession extends ClientSession {
  /** The frames written to the socket, in order. */
  public final BlockingQueue<String> written = new LinkedBlockingQueue<>();
  /** Completes with the close code when the hub closes the session. */
  public final CompletableFuture<Short> closed = new CompletableFuture<>();
  private volatile String closeReason;
  private volatile boolean socketFull;
  private volatile Runnable drainHandler;

  public RecordingSession(Context context, int maxFrames) {
    super(context, maxFrames);
  }

  /** Makes the socket accept no more writes (as a client that stopped reading). */
  public void socketFull(boolean full) {
    socketFull = full;
  }

  /** The socket accepts writes again: runs the drain handler the session set, if any. */
  public void drainSocket() {
    socketFull = false;
    Runnable r = drainHandler;
    drainHandler = null;
    if (r != null) {
      r.run();
    }
  }

  /** The next frame written, waiting up to 10 s for it; fails when none comes. */
  public String next() throws InterruptedException {
    String s = written.poll(10, TimeUnit.SECONDS);
    if (s == null) {
      throw new AssertionError("no frame written within 10 s");
    }
    return s;
  }

  public String closeReason() {
    return closeReason;
  }

  @Override
  protected boolean writeQueueFull() {
    return socketFull;
  }

  @Override
  protected void write(OutFrame frame) {
    written.add(frame.text());
  }

  @Override
  protected void onDrain(Runnable onDrain) {
    drainHandler = onDrain;
  }

  @Override
  protected void closeTransport(short code, String reason) {
    closeReason = reason;
    closed.complete(code);
  }

  @Override
  protected void resetTransport() {
  }
}
