package org.crisishub.sms;

import io.vertx.core.Future;
import java.time.Clock;
import org.crisishub.domain.Phones;
import org.crisishub.store.SmsInbound;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every outbound SMS that is not a reply to an inbound one goes through here (the outbox and the
 * one-time codes): nothing is sent to a number that opted out (STOP), and a Twilio 21610 answer
 * ("the recipient unsubscribed") to any send records the opt-out, so nothing follows it. Replies
 * the carrier rules allow (to STOP, START, HELP) are TwiML answers and never come here. Thread-safe.
 */
public final class OptOutGuard implements SmsSender {
  private static final Logger LOG = LoggerFactory.getLogger(OptOutGuard.class);
  /** Twilio's error code for a recipient that replied STOP. */
  public static final int UNSUBSCRIBED = 21610;

  private final SmsInbound store;
  private final SmsSender sender;
  private final Clock clock;
  private final boolean checkFirst;

  /**
   * @param checkFirst look the opt-out up before each send (one-time codes); false where the caller
   *     already read it in the same store operation that handed it the message (the outbox: its
   *     claim drops messages to opted-out numbers), so pacing is not disturbed by a second read
   */
  public OptOutGuard(SmsInbound store, SmsSender sender, Clock clock, boolean checkFirst) {
    this.store = store;
    this.sender = sender;
    this.clock = clock;
    this.checkFirst = checkFirst;
  }

  /** True for the failure of a send to an opted-out number (here, or by Twilio's 21610). */
  public static boolean optedOut(Throwable t) {
    return t instanceof SmsSendException s && Integer.valueOf(UNSUBSCRIBED).equals(s.providerCode());
  }

  /**
   * Sends unless {@code to} opted out (when {@code checkFirst}); then fails with a permanent
   * {@link SmsSendException} with provider code {@value #UNSUBSCRIBED}, without asking the provider.
   */
  @Override
  public Future<String> send(String to, String body) {
    Future<Boolean> optedOut = checkFirst ? store.isSmsOptedOut(to) : Future.succeededFuture(false);
    return optedOut.compose(out -> {
      if (out) {
        return Future.failedFuture(new SmsSendException("the number opted out (STOP)", true, false, UNSUBSCRIBED,
            null));
      }
      return sender.send(to, body).recover(e -> {
        if (!optedOut(e)) {
          return Future.failedFuture(e);
        }
        LOG.info("Twilio says {} unsubscribed (21610): recorded as opted out", Phones.mask(to));
        return store.setSmsOptOut(to, true, clock.instant()).transform(x -> Future.failedFuture(e));
      });
    });
  }
}
