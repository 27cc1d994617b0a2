package org.crisishub.core;

import io.vertx.core.Future;
import org.crisishub.store.AuditChain;
import org.crisishub.store.AuditTrail;

/**
 * Checks the audit chain of a store (product spec, v2 "Audit"): walks every entry in pages and
 * recomputes each hash and link. Catches an edited or removed entry anywhere but at the end; a cut
 * tail shows only against a head kept elsewhere (docs/operations.md, the {@code AuditCheck} tool).
 * Thread-safe; the walk reads the store page by page, never blocking.
 */
public final class AuditService {
  /** Entries read per page while verifying. */
  static final int PAGE = 1_000;
  private final AuditTrail store;

  public AuditService(AuditTrail store) {
    this.store = store;
  }

  /**
   * The outcome of a walk: {@code ok} with the number of entries and the head hash (64 zeros for an
   * empty trail), or not ok with the id of the first entry that does not hold.
   */
  public record Verification(boolean ok, long entries, String head, Long brokenAt) {
  }

  /** Walks the whole chain. */
  public Future<Verification> verify() {
    return walk(new AuditChain.Walk(), 0);
  }

  private Future<Verification> walk(AuditChain.Walk w, long after) {
    return store.auditPage(after, PAGE).compose(page -> {
      for (AuditChain.Entry e : page) {
        if (!w.accept(e)) {
          return Future.succeededFuture(new Verification(false, w.count(), w.head(), w.brokenAt()));
        }
      }
      if (page.size() < PAGE) {
        return Future.succeededFuture(new Verification(true, w.count(), w.head(), null));
      }
      return walk(w, page.get(page.size() - 1).id());
    });
  }
}
