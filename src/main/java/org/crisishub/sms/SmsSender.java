package org.crisishub.sms;

import io.vertx.core.Future;

/**
 * Sends one SMS. Promise: one attempt per call (retries belong to the outbox); the future
 * succeeds with the provider's message id once the provider accepted the message, and fails with
 * {@link SmsSendException} saying whether trying again may help. Implementations never block the
 * calling (event-loop) thread and are thread-safe.
 */
public interface SmsSender {
  Future<String> send(String to, String body);
}
