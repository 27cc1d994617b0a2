package org.crisishub.cluster;

import java.util.List;
import org.crisishub.fanout.OutFrame;

/**
 * One message of the cross-node fan-out, as {@link ClusterRelay} sends it to the nodes holding a
 * shard and {@link RelayCodec} puts it on the clustered event bus. Immutable; thread-safe.
 *
 * <p>Every message names the node it came from ({@code origin}, so that node skips its own copy).
 * Deliveries carry the time they were sent ({@code sentAtMs}, epoch milliseconds of the sending
 * node's clock, 0 when unknown) for the {@code hub.fanout.lag} timer.
 */
public sealed interface RelayMessage {
  /** The sending node's id. */
  String origin();

  /** A frame for every session of each of {@code phones} on the receiving node. */
  record ToPhones(String origin, long sentAtMs, List<String> phones, OutFrame frame) implements RelayMessage {
    public ToPhones {
      phones = List.copyOf(phones);
    }
  }

  /** A frame for every session subscribed to {@code incident} on the receiving node. */
  record ToIncident(String origin, long sentAtMs, String incident, OutFrame frame) implements RelayMessage {
  }

  /**
   * A frame for the responder sessions subscribed to {@code incident} whose agency is one of
   * {@code agencies}; an empty list reaches nobody.
   */
  record ToResponders(String origin, long sentAtMs, String incident, List<String> agencies, OutFrame frame)
      implements RelayMessage {
    public ToResponders {
      agencies = List.copyOf(agencies);
    }
  }

  /**
   * Closes the sessions of {@code owner} (a phone number, or a responder key) authenticated with
   * {@code tokenId}, or all of them when {@code tokenId} is null, with WebSocket close {@code code}.
   */
  record CloseSessions(String origin, String owner, String tokenId, short code, String reason)
      implements RelayMessage {
  }
}
