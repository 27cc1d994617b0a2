package org.crisishub.sms;

import io.vertx.core.Future;

/**
 * Sends one SMS. Promise: at most once per call; the future fails when the message was not
 * accepted for delivery. Implementations never block the calling (event-loop) thread and are
 * thread-safe.
 */
public interface SmsSender {
  Future<Void> send(String to, String body);
}
