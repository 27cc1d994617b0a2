package org.crisishub.core;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the audit chain's head (product spec, v2 "Audit"): each {@link #report} walks the chain
 * ({@link AuditService#verify}) and logs one line {@code audit head: entries=N head=<hash> ok=true}
 * and sets the metrics {@code hub_audit_entries} (N), {@code hub_audit_ok} (1 / 0) and
 * {@code hub_audit_head{hash="<hash>"}} (N; one series, replaced at each report). A copy of the head
 * kept elsewhere (log shipping, a Prometheus server) shows a cut-off tail later. Called hourly by
 * the hub; thread-safe.
 */
public final class AuditReport {
  private static final Logger LOG = LoggerFactory.getLogger(AuditReport.class);
  private final AuditService audit;
  private final AtomicLong entries = new AtomicLong();
  private final AtomicLong ok = new AtomicLong(1);
  private final MultiGauge head;

  public AuditReport(AuditService audit, MeterRegistry registry) {
    this.audit = audit;
    Gauge.builder("hub.audit.entries", entries, AtomicLong::get)
        .description("entries in the audit chain at the last hourly check").register(registry);
    Gauge.builder("hub.audit.ok", ok, AtomicLong::get)
        .description("1 when the audit chain verified at the last hourly check, 0 when broken").register(registry);
    head = MultiGauge.builder("hub.audit.head")
        .description("the audit chain's head hash (label hash) and its entry count, at the last hourly check")
        .register(registry);
  }

  /** Verifies the chain now, then logs and exports its head; failures are logged, never thrown. */
  public void report() {
    audit.verify().onSuccess(v -> {
      ok.set(v.ok() ? 1 : 0);
      if (v.ok()) {
        entries.set(v.entries());
        head.register(List.of(MultiGauge.Row.of(Tags.of("hash", v.head()), v.entries())), true);
        LOG.info("audit head: entries={} head={} ok=true", v.entries(), v.head());
      } else {
        LOG.error("audit head: the chain is broken at entry {} (ok=false): see docs/operations.md", v.brokenAt());
      }
    }).onFailure(e -> LOG.warn("audit head: the chain could not be read: {}", e.getMessage()));
  }
}
