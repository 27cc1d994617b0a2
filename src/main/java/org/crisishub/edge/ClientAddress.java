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

  /**
   * True when the client (as {@link #of} judges it, after trusted proxies) is on a loopback address.
   * A request that carries {@code X-Forwarded-For} from a peer that is not a trusted proxy counts as
   * remote: a local reverse proxy that is not declared must not make everyone look local. Never
   * resolves names.
   */
  public boolean isLoopback(HttpServerRequest req) {
    SocketAddress peer = req.remoteAddress();
    String ip = peer == null ? null : peer.hostAddress();
    if (ip == null) {
      return false;
    }
    if (!trustedProxies.contains(ip) && req.getHeader("X-Forwarded-For") != null) {
      return false;
    }
    byte[] raw = io.netty.util.NetUtil.createByteArrayFromIpAddressString(of(req));
    if (raw == null) {
      return false;
    }
    try {
      return java.net.InetAddress.getByAddress(raw).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
