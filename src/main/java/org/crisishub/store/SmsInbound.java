package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What inbound SMS leave behind: the reply given to each {@code MessageSid} (Twilio retries a
 * webhook, the hub answers it once), opt-outs (STOP / START) and the incidents a number joined by
 * SMS (JOIN / LEAVE).
 *
 * <p>Durability: a succeeded change is durable. Idempotency: {@link #saveInboundReply} keeps the
 * first reply of a MessageSid (kept 7 days); opting out or joining twice changes nothing more.
 * Store faults fail with {@code HubException(UNAVAILABLE)}; futures complete on the caller's
 * context; thread-safe, non-blocking.
 */
public interface SmsInbound {

  /** The reply given to an inbound SMS with this {@code MessageSid}, if it was handled before. */
  Future<Optional<String>> inboundReply(String messageSid);

  /** Remembers that an inbound SMS was handled and what was answered (the first answer stays). */
  Future<Void> saveInboundReply(String messageSid, String reply, Instant now);

  /** Opts a number out of (STOP) or back into (START) every outbound SMS. */
  Future<Void> setSmsOptOut(String phone, boolean optedOut, Instant now);

  /** True while the number is opted out. */
  Future<Boolean> isSmsOptedOut(String phone);

  /** JOIN / LEAVE an incident's notices by SMS; true when it changed something. */
  Future<Boolean> setIncidentSms(String phone, String incident, boolean joined, Instant now);

  /** The open incidents {@code phone} joined by SMS, most recently joined first. */
  Future<List<String>> joinedOpenIncidents(String phone);

  /** Numbers that joined an incident's notices by SMS, sorted. */
  Future<List<String>> incidentSmsSubscribers(String incident);
}
