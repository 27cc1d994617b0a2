package org.crisishub.sms;

import com.twilio.http.HttpClient;
import com.twilio.http.HttpMethod;
import com.twilio.http.Request;
import com.twilio.http.Response;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.classic.methods.HttpDelete;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The Twilio SDK's HTTP transport, replaced: every call goes to {@code HUB_TWILIO_API_BASE}
 * (Twilio's own host in production, a fake on loopback in tests), and exactly one attempt is made
 * per call. The SDK's own {@code reliableRequest} would re-POST after a 5xx with a
 * {@code Thread.sleep} in between; retries and backoff belong to the durable outbox instead.
 *
 * <p>The transport is Apache HttpClient 5's classic (blocking) client, the library the SDK's own
 * {@code NetworkHttpClient} uses: the request is written and its response read on the calling
 * thread, over a pool of HTTP/1.1 keep-alive connections (at most {@code maxConnections}, one per
 * call in flight). The JDK's {@code java.net.http} client it replaces handed every call to its
 * selector thread and a worker pool and back: three thread hand-offs per SMS, a third of the hub's
 * CPU while a 100,000-person safety check sent its asks (docs/performance.md).
 *
 * <p>The timeout bounds the whole call (connect, send, the response to its last byte), as
 * {@code HUB_TWILIO_TIMEOUT_MS} promises: the client's own timeouts bound each wait on the socket,
 * so a provider that drips its answer a byte at a time would hold the call, its thread and its
 * connection far longer (and past the outbox's claim, which would then be sent again); at the
 * deadline the exchange is cancelled, which closes its connection. (Keep it under the outbox's
 * claim, {@code HUB_SMS_LEASE_SECONDS}; the configuration warns otherwise.) Pooled connections idle
 * for {@value #IDLE_SECONDS} s are closed at the next sweep, every {@value #IDLE_SECONDS} s.
 *
 * <p>Blocking: call it from a worker thread only. Thread-safe.
 */
final class TwilioHttpClient extends HttpClient implements AutoCloseable {
  static final int IDLE_SECONDS = 30;
  private final String base;
  private final long timeoutMs;
  private final CloseableHttpClient http;
  private final ScheduledThreadPoolExecutor deadlines;

  /**
   * {@code apiBase}: scheme, host and optional port (a trailing slash is dropped); {@code timeout}:
   * of a whole call, from the wait for a pooled connection to the answer's last byte;
   * {@code maxConnections}: calls in flight at once (give it the sending threads).
   */
  TwilioHttpClient(String apiBase, Duration timeout, int maxConnections) {
    this.base = apiBase.endsWith("/") ? apiBase.substring(0, apiBase.length() - 1) : apiBase;
    this.timeoutMs = timeout.toMillis();
    Timeout t = Timeout.ofMilliseconds(timeoutMs);
    int max = Math.max(1, maxConnections);
    this.http = HttpClients.custom()
        .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
            .setMaxConnTotal(max).setMaxConnPerRoute(max)
            .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(t).setSocketTimeout(t).build())
            .build())
        .setDefaultRequestConfig(RequestConfig.custom().setConnectionRequestTimeout(t).setResponseTimeout(t).build())
        .disableAutomaticRetries().disableRedirectHandling().disableCookieManagement()
        .disableContentCompression()
        .evictExpiredConnections().evictIdleConnections(TimeValue.ofSeconds(IDLE_SECONDS))
        .build();
    this.deadlines = new ScheduledThreadPoolExecutor(1, r -> {
      Thread th = new Thread(r, "hub-twilio-deadline");
      th.setDaemon(true);
      return th;
    });
    deadlines.setRemoveOnCancelPolicy(true);
  }

  @Override
  public Response reliableRequest(Request request) {
    return makeRequest(request);
  }

  @Override
  public Response reliableRequest(Request request, int[] retryCodes, int retries, long delayMillis) {
    return makeRequest(request);
  }

  @Override
  public Response makeRequest(Request request) {
    URL sdkUrl = request.constructURL();
    String target = base + sdkUrl.getPath() + (sdkUrl.getQuery() == null ? "" : "?" + sdkUrl.getQuery());
    HttpMethod method = request.getMethod();
    HttpUriRequestBase req;
    if (method == HttpMethod.POST) {
      HttpPost post = new HttpPost(target);
      post.setEntity(new StringEntity(request.encodeFormBody(),
          ContentType.APPLICATION_FORM_URLENCODED.withCharset(StandardCharsets.UTF_8)));
      req = post;
    } else if (method == HttpMethod.DELETE) {
      req = new HttpDelete(target);
    } else {
      req = new HttpGet(target);
    }
    req.setHeader("Accept", "application/json");
    if (request.requiresAuthentication()) {
      req.setHeader("Authorization", request.getAuthString());
    }
    for (Map.Entry<String, List<String>> h : request.getHeaderParams().entrySet()) {
      for (String v : h.getValue()) {
        req.addHeader(h.getKey(), v);
      }
    }
    ScheduledFuture<?> deadline = deadlines.schedule(req::cancel, timeoutMs, TimeUnit.MILLISECONDS);
    try {
      // The handler reads the whole body, so the connection goes back to the pool on every path.
      return http.execute(req, r -> new Response(
          r.getEntity() == null ? "" : EntityUtils.toString(r.getEntity(), StandardCharsets.UTF_8), r.getCode()));
    } catch (IOException e) {
      // Cancelled at the deadline, or one socket wait (bounded by the same timeout) ran out first.
      if (req.isCancelled() || e instanceof java.io.InterruptedIOException) {
        throw new com.twilio.exception.ApiConnectionException("Twilio API call took over " + timeoutMs + " ms", e);
      }
      throw new com.twilio.exception.ApiConnectionException("Twilio API unreachable: " + e, e);
    } finally {
      deadline.cancel(false);
    }
  }

  /** Closes the pooled connections at once (not waiting for calls in flight, which then fail); calls after it fail. */
  @Override
  public void close() {
    http.close(CloseMode.IMMEDIATE);
    deadlines.shutdownNow();
  }
}
