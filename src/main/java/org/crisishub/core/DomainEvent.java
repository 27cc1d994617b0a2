package org.crisishub.core;

import java.util.Collection;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.Follow;
import org.crisishub.store.SafetyCheckStore;
import org.crisishub.store.HelpQueue;

/**
 * Something that happened in the core and that people's open sessions must hear about, in domain
 * terms. The services emit these to an {@link EventSink}; the edge turns each into its wire frame,
 * once, and hands it to the sessions of the people or incidents it names. Every recipient list was
 * decided by the service (from the store, in the same unit of work where that matters for consent):
 * the sink delivers to exactly those and nobody else.
 */
public sealed interface DomainEvent {
  /**
   * A person's status changed (a new check-in, or the latest one re-sent to a follower whose follow
   * just became active): {@code recipients} are the phone numbers of the followers to tell.
   */
  record StatusChanged(CheckIn checkIn, Collection<String> recipients) implements DomainEvent {
  }

  /** {@code follower} asked to follow {@code subject}: the subject is told. */
  record FollowRequested(String follower, String subject) implements DomainEvent {
  }

  /** The subject answered a follow (allowed, refused, revoked, trusted): the follower is told. */
  record FollowAnswered(Follow follow) implements DomainEvent {
  }

  /**
   * A call for help was filed in (or changed in) the queue of {@code request.incident()}: the
   * responders of {@code agencies} (the incident's owner and partners) subscribed to it are shown it.
   */
  record HelpShown(HelpQueue.HelpRequest request, Collection<String> agencies) implements DomainEvent {
  }

  /** A responder acknowledged or resolved a call for help: the person who asked is told. */
  record HelpAnswered(HelpQueue.HelpRequest request) implements DomainEvent {
  }

  /**
   * A notice was signed and published for {@code incident}: every session subscribed to it gets it.
   * {@code signedJson} is the signed notice exactly as signed and stored.
   */
  record NoticePublished(String incident, String signedJson) implements DomainEvent {
  }

  /**
   * A running safety check asks {@code phones} (a page of its audience): their open sessions, on
   * every node, get one {@code safety_check} frame (one relay message per shard for the page).
   * {@code hadSession} is called, during {@code publish}, with each of them that had a session on
   * this node.
   */
  record SafetyCheckAsked(SafetyCheckStore.Check check, java.util.List<String> phones,
      java.util.function.Consumer<String> hadSession) implements DomainEvent {
  }

  /** A safety check's tallies changed: the responders of {@code agencies} subscribed to its incident see them. */
  record SafetyCheckTallied(String checkId, SafetyCheckStore.Tallies tallies, String incident,
      Collection<String> agencies) implements DomainEvent {
  }

  /**
   * A safety check's followers wave: {@code phone} has not answered check {@code checkId} of
   * {@code incident}; {@code followers} (its active followers) are told and may report.
   */
  record SafetyCheckUnanswered(String checkId, String incident, String phone, Collection<String> followers)
      implements DomainEvent {
  }

  /** A follower reported about {@code report.phone()}: that person is told the status, never who. */
  record SafetyCheckReported(SafetyCheckStore.Report report) implements DomainEvent {
  }

  /**
   * A follower reported {@code need_help} about someone in a safety check: the responders of
   * {@code agencies} subscribed to its incident are shown it as a reported call for help.
   */
  record ReportedHelpShown(SafetyCheckStore.Report report, java.util.List<String> matched, Collection<String> agencies)
      implements DomainEvent {
  }
}
