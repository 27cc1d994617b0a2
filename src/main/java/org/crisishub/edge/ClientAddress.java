package org.crisishub.edge;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.List;

/**
 * The address a request came from, for per-IP limits: the peer, unless the peer is one of
 * {@code HUB_TRUSTED_PROXIES}, in which case the right-most {@code X-Forwarded-For} entry that is
 * not itself a trusted proxy.
 */
public final class ClientAddress {
  private final List<String> trustedProxies;

  public ClientAddress(List<String> trustedProxies) {
    this.trustedProxies = List.copyOf(trustedProxies);
  }

  public String of(HttpServerRequest req) {
    SocketAddress peer = req.remoteAddress();
    String ip = peer == null ? "unknown" : peer.hostAddress();
    if (trustedProxies.isEmpty() || !trustedProxies.contains(ip)) {
      return ip;
    }
    String xff = req.getHeader("X-Forwarded-For");
    if (xff == null || xff.isBlank()) {
      return ip;
    }
    String[] hops = xff.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].strip();
      if (!hop.isEmpty() && !trustedProxies.contains(hop)) {
        return hop;
      }
    }
    return ip;
  }
}
