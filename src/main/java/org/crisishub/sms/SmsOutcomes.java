package org.crisishub.sms;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * {@code hub_sms_outcomes_total{outcome}}: what became of outbound SMS. A message counts once as
 * {@code sent} (the provider accepted it) and later, when the provider reports back, once more as
 * {@code delivered} or {@code failed}; {@code failed} also counts messages the hub gave up on
 * (permanent error, too many tries); {@code opted_out} counts every message withheld because the
 * recipient had replied STOP, wherever it is withheld: not queued, dropped when the outbox claims it,
 * a safety-check ask never queued, a one-time code not sent, or a send refused with Twilio error
 * 21610. Thread-safe (Micrometer counters).
 */
public final class SmsOutcomes {
  /** Every outcome, registered at start so each series exists from the first scrape. */
  public static final List<String> ALL = List.of("sent", "delivered", "failed", "opted_out");

  private SmsOutcomes() {
  }

  /** The counter of {@code outcome} (one of {@link #ALL}). */
  public static Counter of(MeterRegistry registry, String outcome) {
    return Counter.builder("hub.sms.outcomes")
        .description("outbound SMS by outcome: sent (accepted by the provider), delivered and failed (as the"
            + " provider reports, or given up by the hub), opted_out (recipient replied STOP)")
        .tag("outcome", outcome).register(registry);
  }
}
