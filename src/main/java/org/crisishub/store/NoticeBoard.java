package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Official notices (draft → approved → published → superseded / cancelled) and the agencies'
 * Ed25519 signing keys.
 *
 * <p>Durability: a succeeded change is durable. State changes are atomic compare-and-set on the
 * notice's state (of two racing approvals or publications one wins, the other gets false);
 * {@link #publishNotice} is one unit of work with its SMS fan-out. {@link #activeKey} creates at
 * most one active key per agency even when called concurrently. Store faults fail with
 * {@code HubException(UNAVAILABLE)}; futures complete on the caller's context; thread-safe,
 * non-blocking.
 */
public interface NoticeBoard {

  /** The agency's active signing key, created with {@code generate} on first use. */
  Future<AgencyKey> activeKey(String agency, Supplier<AgencyKey> generate);

  /** Makes {@code fresh} the agency's active key; older keys stay listed for verification. */
  Future<AgencyKey> rotateKey(AgencyKey fresh);

  /** Every signing key ever used, for {@code /api/v1/keys}, by agency then age. */
  Future<List<AgencyKey>> keys();

  /** Stores a new notice; fails (UNAVAILABLE) when its id exists already. */
  Future<Void> insertNotice(NoticeRecord draft);

  /** The notice with this id, if any. */
  Future<Optional<NoticeRecord>> notice(String id);

  /** Notices, newest first, filtered by incident and state when those are not null. */
  Future<List<NoticeRecord>> notices(String incident, String state);

  /** Draft → approved by {@code approver}; false when the notice is no longer a draft. */
  Future<Boolean> approveNotice(String id, String approver, Instant now);

  /**
   * Publishes a draft or approved notice (from one of {@code fromStates}) as {@code signedJson}, in
   * one unit of work with: the notice it references becoming {@code referencedState} (superseded or
   * cancelled), and {@code smsBody} queued ({@link Outbox}, coalesced by {@code notice:<id>}) to
   * every number that joined the incident by SMS. False when the notice was no longer in one of
   * {@code fromStates}.
   */
  Future<Boolean> publishNotice(String id, Set<String> fromStates, String signedJson, Instant publishedAt,
      String referencesId, String referencedState, String smsBody);

  /** An Ed25519 key of an agency: PKCS#8 private key (never served) and X.509 public key. */
  record AgencyKey(String kid, String agency, byte[] privatePkcs8, byte[] publicSpki, boolean active,
      Instant createdAt) {
  }

  /**
   * A notice as stored: its draft fields (JSON), and once published its signed JSON, verbatim.
   * {@code state}: draft, approved, published, superseded, cancelled.
   */
  record NoticeRecord(String id, String incident, String author, String agency, String state, String approvedBy,
      String draftJson, String signedJson, Instant expires, Instant createdAt, Instant publishedAt) {

    /**
     * The lifecycle state shown to clients at {@code now}: {@link #state}, except {@code expired} for a
     * published notice at or past its {@code expires}.
     */
    public String shownState(Instant now) {
      if ("published".equals(state) && expires != null && !now.isBefore(expires)) {
        return "expired";
      }
      return state;
    }
  }
}
