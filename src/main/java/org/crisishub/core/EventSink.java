package org.crisishub.core;

/**
 * The port through which the core tells the world what happened: implemented at the edge, which
 * encodes each event into its wire frame once and delivers it to this node's sessions and, through
 * the cluster, to the other nodes'. Delivery is at most once per session and ordered per session;
 * {@link #publish} never blocks and never fails (a session that cannot keep up is closed by the
 * fan-out's queue rules, and the client catches up by {@code seq}). Thread-safe.
 */
public interface EventSink {
  /** Drops every event: for tools and tests that have no sessions. */
  EventSink NONE = e -> 0;

  /**
   * Delivers {@code event} to the recipients it names. Returns how many sessions on this node it was
   * handed to (the other nodes' are not counted): a safety check uses it to know whom it reached live.
   */
  int publish(DomainEvent event);
}
