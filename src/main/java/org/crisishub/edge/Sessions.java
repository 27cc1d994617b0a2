package org.crisishub.edge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.util.List;
import org.crisishub.auth.TokenService;
import org.crisishub.fanout.ClientSession;
import org.crisishub.fanout.OutFrame;

/** Starting an authenticated live session, the same for WebSocket and SSE. */
final class Sessions {
  private Sessions() {
  }

  /**
   * Indexes the session under its person, then reads the snapshot and sends {@code ready} and
   * {@code snapshot} before any live frame that arrived meanwhile: nothing committed after the
   * snapshot read is missed, and nothing arrives before the snapshot.
   */
  static Future<Void> begin(EdgeContext edge, ClientSession s, TokenService.Claims claims) {
    s.hold();
    edge.fanOut().authenticate(s, claims.subject(), claims.tokenId());
    return edge.follows().snapshot(claims.subject()).map(latest -> {
      ObjectNode ready = Wire.object();
      ready.put("type", "ready");
      ready.put("phone", claims.subject());
      s.release(List.of(OutFrame.of(ready.toString()), Wire.snapshotFrame(latest)));
      return null;
    });
  }
}
