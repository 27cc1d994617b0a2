package org.crisishub.edge;

import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.FanOut;

/** Periodic liveness of live sessions: WebSocket ping / idle close, SSE keep-alive comments. */
public final class KeepAlive {
  private KeepAlive() {
  }

  /** Runs each session's check on its own context. */
  public static void sweep(FanOut fanOut, long idleMs) {
    long now = System.currentTimeMillis();
    for (ClientSession s : fanOut.sessions()) {
      if (s instanceof WsSession ws) {
        s.context().runOnContext(v -> ws.keepAlive(now, idleMs));
      } else if (s instanceof SseSession sse) {
        s.context().runOnContext(v -> sse.keepAlive());
      }
    }
  }
}
