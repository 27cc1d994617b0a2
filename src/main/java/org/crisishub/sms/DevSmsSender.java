package org.crisishub.sms;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.crisishub.domain.Phones;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code dev} sender: sends nothing, logs each message with the number masked, and keeps the
 * newest {@value #KEEP} messages in memory for the dev endpoints. Thread-safe.
 */
public final class DevSmsSender implements SmsSender {
  private static final Logger LOG = LoggerFactory.getLogger(DevSmsSender.class);
  static final int KEEP = 10_000;

  /** One outbound message as the dev endpoints show it. */
  public record Message(String to, String body, Instant at) {
  }

  private final Deque<Message> messages = new ArrayDeque<>();
  private final Clock clock;

  public DevSmsSender(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Future<String> send(String to, String body) {
    synchronized (messages) {
      messages.addLast(new Message(to, body, clock.instant()));
      if (messages.size() > KEEP) {
        messages.removeFirst();
      }
    }
    LOG.info("dev SMS to {} ({} chars)", Phones.mask(to), body.length());
    return Future.succeededFuture("DEV" + java.util.UUID.randomUUID().toString().replace("-", ""));
  }

  /** Messages sent to {@code to} (all when null), oldest first. */
  public List<Message> messages(String to) {
    synchronized (messages) {
      List<Message> out = new ArrayList<>();
      for (Message m : messages) {
        if (to == null || m.to().equals(to)) {
          out.add(m);
        }
      }
      return out;
    }
  }
}
