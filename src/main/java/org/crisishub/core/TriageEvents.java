package org.crisishub.core;

import java.util.Collection;
import java.util.List;
import org.crisishub.store.HelpQueue;
import org.crisishub.store.TriageStore;

/**
 * The port through which keyword watch and help threads tell open sessions what happened
 * (docs/triage.md), in domain terms; implemented at the edge, which encodes each into its frame once
 * and hands it to this node's sessions and, through the cluster, to the other nodes'. Only the
 * recipients named here get a frame: responders subscribed to the incident whose agency is one of
 * {@code agencies}, or the person who asked. Never blocks, never fails. Thread-safe.
 */
public interface TriageEvents {
  /** Drops every event: for tools and tests without sessions. */
  TriageEvents NONE = new TriageEvents() {
  };

  /** A help request was filed or changed: responders see it with the watch terms it matched ({@code help}). */
  default void helpShown(HelpQueue.HelpRequest request, List<String> matched, Collection<String> agencies) {
  }

  /**
   * An item matched the incident's watch terms ({@code watch_match}): {@code matched} are the item's
   * terms, {@code all} the request's; {@code message} is the thread message that matched, or null for
   * the request's own note.
   */
  default void watchMatched(HelpQueue.HelpRequest request, List<String> matched, List<String> all,
      TriageStore.HelpMessage message, Collection<String> agencies) {
  }

  /**
   * A thread message ({@code help_message}) for the person who asked and for the responders of
   * {@code agencies}. Returns how many of the person's sessions on this node got it.
   */
  default int messagePosted(HelpQueue.HelpRequest request, TriageStore.HelpMessage message, Collection<String> agencies) {
    return 0;
  }
}
