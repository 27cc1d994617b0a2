package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;

/**
 * The hash-chained audit trail ({@link AuditChain}): append-only, never edited, never deleted.
 *
 * <p>Ordering: entries are chained in one total order, ids ascending without gaps. Store faults
 * fail with {@code HubException(UNAVAILABLE)}; futures complete on the caller's context;
 * thread-safe, non-blocking.
 */
public interface AuditTrail {

  /**
   * Appends an entry to the hash-chained audit trail ({@link AuditChain}); never edited, never
   * deleted. The future succeeds once the entry is durable: chained in the same commit (embedded),
   * or stored as an intent that exactly one chainer appends to the chain later, in order, also
   * after a crash (Redis). Callers acknowledge the change it records only after that. Entries hold
   * ids, usernames and agency names only, never personal data: {@code subject} and {@code detail}
   * may be null.
   */
  Future<Void> audit(String actor, String action, String subject, String outcome, String detail, Instant now);

  /**
   * Chained audit entries with {@code id > after}, ascending, at most {@code limit}. On Redis,
   * intents waiting to be chained are chained first when this node can (best effort).
   */
  Future<List<AuditChain.Entry>> auditPage(long after, int limit);
}
