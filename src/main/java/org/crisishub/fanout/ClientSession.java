package org.crisishub.fanout;

import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * One connected client (WebSocket or SSE) and its bounded outbound queue.
 *
 * <p>Frames are written straight to the socket while it accepts them. Once the socket's write queue
 * is full they wait here, up to {@code maxFrames}. When that queue is full too, a newer status
 * frame about a person replaces the one about the same person still waiting (latest status wins;
 * the client sees a {@code seq} gap and fetches it); any other frame, or a client that reads
 * nothing for the stall timeout, closes the session with a reason so the client reconnects and
 * catches up.
 *
 * <p>Not thread-safe: every method except {@link #context()} and {@link #phone()} runs on the
 * session's own context ({@link FanOut} takes care of that).
 */
public abstract class ClientSession {
  /** Close code: the client did not read fast enough; reconnect and catch up by {@code seq}. */
  public static final short CLOSE_SLOW_CONSUMER = 4008;
  /** Close code: nothing heard from the client (not even a pong) for the idle timeout. */
  public static final short CLOSE_IDLE = 4000;
  /** Close code: the session's token was revoked. */
  public static final short CLOSE_REVOKED = 4001;
  /** Close code: the hub is shutting down; reconnect (to another node) after a short random delay. */
  public static final short CLOSE_GOING_AWAY = 1001;
  /** The node is restarting (graceful stop): reconnect, to any node, after a random delay. */
  public static final short CLOSE_RESTART = 1012;

  /**
   * After the hub closes a session, how long the client has to complete the close (read the close
   * frame or the end of the stream) before the socket is reset, dropping whatever still waits to be
   * written. A client that stopped reading never reads its close frame, so without this its socket
   * and everything queued for it would stay until the kernel gave up.
   */
  public static final long CLOSE_GRACE_MS = 3000;

  private final String id = UUID.randomUUID().toString();
  private final Context context;
  private final int maxFrames;
  private final ArrayDeque<Slot> pending = new ArrayDeque<>();
  private final Map<String, Slot> pendingByKey = new HashMap<>();
  private volatile String phone;
  private volatile String responder;
  private volatile String agency;
  private volatile String tokenId;
  private boolean holding;
  private volatile boolean closed;
  private boolean transportGone;
  private long backlogSinceMs;
  private SessionListener listener = SessionListener.NONE;

  /** Counters a session reports to; implemented by the fan-out's metrics. */
  public interface SessionListener {
    SessionListener NONE = new SessionListener() {
    };

    default void coalesced() {
    }

    default void backlogStarted(ClientSession s) {
    }

    default void backlogCleared(ClientSession s) {
    }

    default void slowConsumerClosed() {
    }
  }

  private static final class Slot {
    OutFrame frame;
    final String key;

    Slot(OutFrame f) {
      this.frame = f;
      this.key = f.coalesceKey();
    }
  }

  protected ClientSession(Context context, int maxFrames) {
    this.context = context;
    this.maxFrames = maxFrames;
  }

  public final String id() {
    return id;
  }

  public final Context context() {
    return context;
  }

  /** The authenticated person, or null before {@code auth}. */
  public final String phone() {
    return phone;
  }

  /** The authenticated responder's username, or null. */
  public final String responder() {
    return responder;
  }

  /** The authenticated responder's agency, or null. */
  public final String agency() {
    return agency;
  }

  final void authenticateResponder(String username, String agency, String tokenId) {
    this.responder = username;
    this.agency = agency;
    this.tokenId = tokenId;
  }

  public final String tokenId() {
    return tokenId;
  }

  final void authenticate(String phone, String tokenId) {
    this.phone = phone;
    this.tokenId = tokenId;
  }

  final void listener(SessionListener l) {
    this.listener = l;
  }

  /** True when the socket accepts no more writes for now. */
  protected abstract boolean writeQueueFull();

  /**
   * Writes one frame to the socket, from the encoding of its transport kind ({@link OutFrame#ws()}
   * or {@link OutFrame#sse()}), which is built once and shared by every session.
   */
  protected abstract void write(OutFrame frame);

  /** Calls {@code onDrain} once when the socket accepts writes again. */
  protected abstract void onDrain(Runnable onDrain);

  /** Closes the connection, telling the client why. */
  protected abstract void closeTransport(short code, String reason);

  /**
   * Called {@link #CLOSE_GRACE_MS} after {@link #closeTransport} when the transport has not reported
   * its end: closes the socket at once, discarding what waits to be written.
   */
  protected abstract void resetTransport();

  /** Queues frames without writing until {@link #release()}: used while the snapshot is read. */
  public final void hold() {
    holding = true;
  }

  /** Ends {@link #hold()}: writes {@code first}, then what waited meanwhile. */
  public final void release(java.util.List<OutFrame> first) {
    for (int i = first.size() - 1; i >= 0; i--) {
      // uncoalescable here: the first frames (ack, snapshot) must all go out
      OutFrame f = first.get(i);
      pending.addFirst(new Slot(f.coalesceKey() == null ? f : OutFrame.of(f.text())));
    }
    holding = false;
    flush();
  }

  /** Sends a frame, subject to the queue rules above. */
  public final void send(OutFrame f) {
    if (closed) {
      return;
    }
    if (!holding && pending.isEmpty() && !writeQueueFull()) {
      write(f);
      return;
    }
    if (pending.size() >= maxFrames) {
      Slot waiting = f.coalesceKey() == null ? null : pendingByKey.get(f.coalesceKey());
      if (waiting != null) {
        // Queue full: the newest status about this person replaces the one still waiting.
        waiting.frame = f;
        listener.coalesced();
        return;
      }
      closeSlow("queue of " + maxFrames + " frames full");
      return;
    }
    Slot s = new Slot(f);
    pending.addLast(s);
    if (s.key != null) {
      pendingByKey.put(s.key, s);
    }
    if (!holding && backlogSinceMs == 0) {
      backlogSinceMs = System.currentTimeMillis();
      listener.backlogStarted(this);
      onDrain(this::flush);
    }
  }

  private void flush() {
    if (closed || holding) {
      return;
    }
    boolean wrote = false;
    while (!pending.isEmpty() && !writeQueueFull()) {
      Slot s = pending.pollFirst();
      if (s.key != null && pendingByKey.get(s.key) == s) {
        pendingByKey.remove(s.key);
      }
      write(s.frame);
      wrote = true;
    }
    if (pending.isEmpty()) {
      if (backlogSinceMs != 0) {
        backlogSinceMs = 0;
        listener.backlogCleared(this);
      }
    } else {
      if (wrote || backlogSinceMs == 0) {
        backlogSinceMs = System.currentTimeMillis();
      }
      listener.backlogStarted(this);
      onDrain(this::flush);
    }
  }

  /** Frames waiting in this session's queue. */
  public final int backlog() {
    return pending.size();
  }

  /** Closes the session when its backlog has not moved for {@code stallMs}. */
  final void checkStalled(long nowMs, long stallMs) {
    if (!closed && backlogSinceMs != 0 && nowMs - backlogSinceMs >= stallMs) {
      closeSlow("no frames read for " + (stallMs / 1000) + " s");
    }
  }

  private void closeSlow(String why) {
    listener.slowConsumerClosed();
    close(CLOSE_SLOW_CONSUMER, "slow consumer (" + why + "): reconnect and catch up by seq");
  }

  /**
   * A graceful close: stop taking requests, let those in progress finish and their replies go out,
   * then close with {@code code}; after {@code maxMs} it closes anyway. Runs on the session's
   * context. This default (no requests in progress, e.g. SSE) closes at once.
   */
  public void drain(short code, String reason, long maxMs) {
    close(code, reason);
  }

  /** Closes the session, dropping what waited. Idempotent. */
  public final void close(short code, String reason) {
    if (closed) {
      return;
    }
    dropQueue();
    closeTransport(code, reason);
    if (!transportGone) {
      context.owner().setTimer(CLOSE_GRACE_MS, t -> context.runOnContext(v -> {
        if (!transportGone) {
          resetTransport();
        }
      }));
    }
  }

  private void dropQueue() {
    closed = true;
    pending.clear();
    pendingByKey.clear();
    if (backlogSinceMs != 0) {
      backlogSinceMs = 0;
      listener.backlogCleared(this);
    }
  }

  public final boolean isClosed() {
    return closed;
  }

  /** Marks the session closed after the transport closed by itself (client left). */
  protected final void transportClosed() {
    transportGone = true;
    dropQueue();
  }
}
