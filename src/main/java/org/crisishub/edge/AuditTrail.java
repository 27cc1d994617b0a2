package org.crisishub.edge;

import io.vertx.core.Future;
import java.time.Clock;

/**
 * Where the edge writes the audit entries of responders' and the admin's calls ({@link AuditedCall}),
 * stamped with {@code clock}. Immutable and thread-safe.
 */
public record AuditTrail(org.crisishub.store.AuditTrail store, Clock clock) {
  /** Appends one entry (see {@link org.crisishub.store.AuditTrail#audit}); fails as the store's write fails. */
  Future<Void> write(String actor, String action, String subject, String outcome, String detail) {
    return store.audit(actor, action, subject, outcome, detail, clock.instant()).mapEmpty();
  }
}
