package org.crisishub.sms;

import com.twilio.http.HttpClient;
import com.twilio.http.HttpMethod;
import com.twilio.http.Request;
import com.twilio.http.Response;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The Twilio SDK's HTTP transport, replaced: every call goes to {@code HUB_TWILIO_API_BASE}
 * (Twilio's own host in production, a fake on loopback in tests), and exactly one attempt is made
 * per call. The SDK's own {@code reliableRequest} would re-POST after a 5xx with a
 * {@code Thread.sleep} in between; retries and backoff belong to the durable outbox instead.
 * Blocking: call it from a worker thread only.
 */
final class TwilioHttpClient extends HttpClient {
  private final URI base;
  private final java.net.http.HttpClient http;
  private final Duration timeout;

  TwilioHttpClient(String apiBase, Duration timeout) {
    this.base = URI.create(apiBase.endsWith("/") ? apiBase.substring(0, apiBase.length() - 1) : apiBase);
    this.timeout = timeout;
    // HTTP/1.1, a connection per call in flight: over one HTTP/2 connection the JDK's client fails a
    // request beyond the server's concurrent-stream limit ("too many concurrent streams") instead of
    // queueing it, which the load test hit once the outbox kept more than 100 sends in flight.
    this.http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout)
        .followRedirects(java.net.http.HttpClient.Redirect.NEVER).build();
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
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target)).timeout(timeout)
        .header("Accept", "application/json");
    if (request.requiresAuthentication()) {
      b.header("Authorization", request.getAuthString());
    }
    for (Map.Entry<String, List<String>> h : request.getHeaderParams().entrySet()) {
      for (String v : h.getValue()) {
        b.header(h.getKey(), v);
      }
    }
    HttpMethod method = request.getMethod();
    if (method == HttpMethod.POST) {
      b.header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(request.encodeFormBody(), StandardCharsets.UTF_8));
    } else if (method == HttpMethod.DELETE) {
      b.DELETE();
    } else {
      b.GET();
    }
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(r.body(), r.statusCode());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new com.twilio.exception.ApiConnectionException("interrupted", e);
    } catch (java.io.IOException e) {
      throw new com.twilio.exception.ApiConnectionException("Twilio API unreachable: " + e, e);
    }
  }
}
