package org.crisishub.sms;

import com.twilio.exception.ApiConnectionException;
import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Sends through the real Twilio Java SDK, on a bounded worker pool (SDK calls block), one attempt
 * per call, with a status callback to {@code HUB_PUBLIC_URL/sms/status}.
 */
public final class TwilioSmsSender implements SmsSender {
  /** Twilio errors after which sending the same message again cannot succeed. */
  private static final Set<Integer> PERMANENT = Set.of(21211, 21214, 21408, 21610, 21612, 21614, 21617, 30003,
      30004, 30005, 30006);

  private final TwilioRestClient client;
  private final PhoneNumber from;
  private final URI statusCallback;
  private final WorkerExecutor pool;
  private final TwilioHttpClient transport;

  /** As below, with the blocking threads for {@code HUB_SMS_RATE} 1 ({@link OutboxWorker#inFlightLimit}). */
  public TwilioSmsSender(Vertx vertx, String accountSid, String authToken, String from, String apiBase,
      String publicUrl, Duration timeout) {
    this(vertx, accountSid, authToken, from, apiBase, publicUrl, timeout, OutboxWorker.inFlightLimit(1));
  }

  /**
   * {@code threads}: blocking provider calls at once (the SDK blocks a thread per call); give it the
   * outbox's {@link OutboxWorker#inFlightLimit} so sends in flight do not queue behind too few threads.
   */
  public TwilioSmsSender(Vertx vertx, String accountSid, String authToken, String from, String apiBase,
      String publicUrl, Duration timeout, int threads) {
    this.transport = new TwilioHttpClient(apiBase, timeout, threads);
    this.client = new TwilioRestClient.Builder(accountSid, authToken).httpClient(transport).build();
    this.from = new PhoneNumber(from);
    this.statusCallback = URI.create(publicUrl + "/sms/status");
    this.pool = vertx.createSharedWorkerExecutor("hub-twilio", Math.max(1, threads), timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<String> send(String to, String body) {
    return pool.executeBlocking(() -> {
      try {
        Message m = Message.creator(new PhoneNumber(to), from, body).setStatusCallback(statusCallback).create(client);
        return m.getSid();
      } catch (ApiConnectionException e) {
        throw new SmsSendException("network: " + e.getMessage(), false, false, null, e);
      } catch (ApiException e) {
        Integer status = e.getStatusCode();
        Integer code = e.getCode();
        boolean rateLimited = status != null && status == 429;
        boolean transient5xx = status == null || status >= 500;
        boolean permanent = !rateLimited && !transient5xx && (code == null || PERMANENT.contains(code)
            || status >= 400);
        // No status: Twilio answered with success, but not with a message the SDK could read (an HTML
        // page from a proxy, say). Said as such; retried like a 5xx (at least once, docs/sms.md).
        String what = status == null ? "Twilio answer not understood: " + firstLine(e.getMessage())
            : "Twilio " + status + (code == null ? "" : " error " + code);
        throw new SmsSendException(what, permanent, rateLimited, code, e);
      }
    }, false);
  }

  /** The first line of an SDK message, at most 160 characters (it can quote the provider's whole answer). */
  static String firstLine(String message) {
    if (message == null) {
      return "(no detail)";
    }
    String line = message.lines().findFirst().orElse("").strip();
    return line.length() > 160 ? line.substring(0, 160) + "…" : line;
  }

  /**
   * Closes the pooled connections at once (calls still in flight fail; stop the outbox first) and
   * then the sending threads. Does not block: callable on an event loop.
   */
  public Future<Void> close() {
    transport.close();
    return pool.close();
  }
}
