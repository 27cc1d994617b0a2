package org.crisishub.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Posts Twilio-style signed webhooks to a hub, as Twilio would. */
public final class TwilioWebhook implements AutoCloseable {
  private final WebClient client;
  private final int port;
  private final String publicUrl;
  private final String authToken;

  public TwilioWebhook(Vertx vertx, int port, String publicUrl, String authToken) {
    this.client = WebClient.create(vertx);
    this.port = port;
    this.publicUrl = publicUrl;
    this.authToken = authToken;
  }

  /** Twilio's signature: base64(HMAC-SHA1(token, url + each param name and value, sorted by name)). */
  public static String sign(String token, String url, Map<String, String> params) {
    StringBuilder data = new StringBuilder(url);
    new TreeMap<>(params).forEach((k, v) -> data.append(k).append(v));
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return Base64.getEncoder().encodeToString(mac.doFinal(data.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Posts {@code params} to {@code path}, signed with {@code signature} (null: sign correctly). */
  public HttpResponse<Buffer> post(String path, Map<String, String> params, String signature) {
    StringBuilder form = new StringBuilder();
    params.forEach((k, v) -> form.append(form.length() == 0 ? "" : "&")
        .append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    var req = client.post(port, "127.0.0.1", path).putHeader("Content-Type", "application/x-www-form-urlencoded");
    String sig = signature != null ? signature : sign(authToken, publicUrl + path, params);
    if (!sig.isEmpty()) {
      req.putHeader("X-Twilio-Signature", sig);
    }
    try {
      return req.sendBuffer(Buffer.buffer(form.toString())).await(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Posts an already encoded form (which may hold bytes that are not UTF-8), signed over the parameters
   * as the hub decodes them ({@link java.net.URLDecoder}: malformed bytes become U+FFFD).
   */
  public HttpResponse<Buffer> postRaw(String path, String rawForm) {
    Map<String, String> params = new TreeMap<>();
    for (String pair : rawForm.split("&")) {
      int eq = pair.indexOf('=');
      params.put(java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    try {
      return client.post(port, "127.0.0.1", path).putHeader("Content-Type", "application/x-www-form-urlencoded")
          .putHeader("X-Twilio-Signature", sign(authToken, publicUrl + path, params))
          .sendBuffer(Buffer.buffer(rawForm)).await(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** An inbound SMS from {@code from}, correctly signed. */
  public HttpResponse<Buffer> sms(String from, String body, String messageSid) {
    return post("/sms/inbound", Map.of("From", from, "To", "+15550009999", "Body", body, "MessageSid", messageSid,
        "AccountSid", FakeTwilio.ACCOUNT), null);
  }

  @Override
  public void close() {
    client.close();
  }
}
