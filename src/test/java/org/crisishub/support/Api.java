package org.crisishub.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.concurrent.TimeUnit;

/** A blocking HTTP client for tests (never used on an event loop). */
public final class Api implements AutoCloseable {
  public static final ObjectMapper JSON = new ObjectMapper();
  private final WebClient client;
  private final int port;

  /** A response: status, parsed JSON body (or null), headers. */
  public record Resp(int status, JsonNode json, String text, MultiMap headers) {
    public String errorCode() {
      return json == null ? null : json.path("error").path("code").asText(null);
    }
  }

  public Api(Vertx vertx, int port) {
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    this.port = port;
  }

  public int port() {
    return port;
  }

  public Resp call(HttpMethod method, String path, String token, String body, String... headers) {
    HttpRequest<Buffer> req = client.request(method, path);
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<Buffer> r = (body == null ? req.send() : req.sendBuffer(Buffer.buffer(body)))
          .await(15, TimeUnit.SECONDS);
      String text = r.bodyAsString();
      JsonNode json = null;
      if (text != null && !text.isEmpty()) {
        try {
          json = JSON.readTree(text);
        } catch (Exception e) {
          json = null;
        }
      }
      return new Resp(r.statusCode(), json, text, r.headers());
    } catch (Exception e) {
      throw new AssertionError("HTTP " + method + " " + path + " failed: " + e, e);
    }
  }

  public Resp get(String path, String token) {
    return call(HttpMethod.GET, path, token, null);
  }

  public Resp post(String path, String token, String body) {
    return call(HttpMethod.POST, path, token, body);
  }

  /** Signs {@code phone} in through the real OTP flow, reading the code from the dev SMS endpoint. */
  public String login(String phone) {
    Resp sent = post("/api/v1/otp", null, "{\"phone\":\"" + phone + "\"}");
    if (sent.status() != 202) {
      throw new AssertionError("otp: " + sent);
    }
    Resp msgs = get("/dev/sms/messages?to=" + phone.replace("+", "%2B"), null);
    JsonNode last = msgs.json().get(msgs.json().size() - 1);
    String code = last.path("body").asText().replaceAll("(?s).*code: ([0-9]{6}).*", "$1");
    Resp s = post("/api/v1/sessions", null, "{\"phone\":\"" + phone + "\",\"code\":\"" + code + "\"}");
    if (s.status() != 200) {
      throw new AssertionError("session: " + s);
    }
    return s.json().path("token").asText();
  }

  /**
   * Creates responder {@code user} of {@code agency} with {@code rolesJson} (a JSON array) through the
   * admin route, with the password {@link #responderLogin} uses.
   */
  public void createResponder(String adminToken, String user, String agency, String rolesJson) {
    Resp r = post("/api/v1/admin/responders", adminToken, "{\"username\":\"" + user + "\",\"password\":\"password of "
        + user + "\",\"agency\":\"" + agency + "\",\"roles\":" + rolesJson + "}");
    if (r.status() != 201) {
      throw new AssertionError("create responder " + user + ": " + r);
    }
  }

  /** Logs in a responder made by {@link #createResponder}; its session token. */
  public String responderLogin(String user) {
    Resp r = post("/api/v1/responders/sessions", null, "{\"username\":\"" + user + "\",\"password\":\"password of "
        + user + "\"}");
    if (r.status() != 200) {
      throw new AssertionError("responder session " + user + ": " + r);
    }
    return r.json().path("token").asText();
  }

  /**
   * Creates responder {@code user} of {@code agency} with {@code rolesJson} (a JSON array) and
   * {@code password} through the admin route, then signs it in: its session token. Fails the test
   * unless the account is created (201) and signs in (200).
   */
  public String responder(String adminToken, String user, String password, String agency, String rolesJson) {
    Resp created = post("/api/v1/admin/responders", adminToken, "{\"username\":\"" + user + "\",\"password\":\""
        + password + "\",\"agency\":\"" + agency + "\",\"roles\":" + rolesJson + "}");
    if (created.status() != 201) {
      throw new AssertionError("create responder " + user + ": " + created);
    }
    Resp session = post("/api/v1/responders/sessions", null, "{\"username\":\"" + user + "\",\"password\":\""
        + password + "\"}");
    if (session.status() != 200) {
      throw new AssertionError("responder session " + user + ": " + session);
    }
    return session.json().path("token").asText();
  }

  @Override
  public void close() {
    client.close();
  }
}
