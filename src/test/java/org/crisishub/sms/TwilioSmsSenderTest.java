package org.crisishub.sms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * How the SDK's outcomes become a SID or an {@link SmsSendException}, against a fake Twilio on
 * loopback: the real SDK, the real transport.
 */
class TwilioSmsSenderTest {
  private Vertx vertx;
  private HttpServer server;
  private TwilioSmsSender sender;
  /** What the fake Twilio answers next: status, content type, body. */
  private final AtomicReference<String[]> next = new AtomicReference<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      String[] a = next.get();
      req.response().setStatusCode(Integer.parseInt(a[0])).putHeader("Content-Type", a[1]).end(a[2]);
    })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    sender = new TwilioSmsSender(vertx, "AC00000000000000000000000000000001", "token", "+15550009999",
        "http://127.0.0.1:" + server.actualPort(), "https://hub.example.org", Duration.ofSeconds(5), 2);
  }

  @AfterEach
  void stop() throws Exception {
    sender.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private SmsSendException failure(String status, String type, String body) throws Exception {
    next.set(new String[] {status, type, body});
    Throwable e = sender.send("+15550001111", "hello").transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause()))
        .await(10, TimeUnit.SECONDS);
    return assertInstanceOf(SmsSendException.class, e);
  }

  @Test
  @DisplayName("201 with a message: its SID")
  void accepted() throws Exception {
    next.set(new String[] {"201", "application/json", "{\"sid\":\"SM0123\",\"status\":\"queued\"}"});
    assertEquals("SM0123", sender.send("+15550001111", "hello").await(10, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("201 with an HTML page: 'answer not understood' with the SDK's first line, retried, never 'Twilio null'")
  void successNotUnderstood() throws Exception {
    SmsSendException e = failure("201", "text/html", "<html>\n<body>proxy says hi</body>\n</html>");
    assertTrue(e.getMessage().startsWith("Twilio answer not understood: "), e.getMessage());
    assertFalse(e.getMessage().startsWith("Twilio null"), e.getMessage());
    assertTrue(e.getMessage().contains("Unexpected character"), "the SDK's reason: " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertFalse(e.permanent(), "retried: the provider may not have taken it");
    assertFalse(e.rateLimited());
  }

  @Test
  @DisplayName("400 with Twilio error 21211 (invalid number): permanent, the code kept")
  void invalidNumber() throws Exception {
    SmsSendException e = failure("400", "application/json",
        "{\"code\":21211,\"message\":\"The 'To' number is not valid.\",\"status\":400}");
    assertEquals("Twilio 400 error 21211", e.getMessage());
    assertTrue(e.permanent());
    assertEquals(21211, e.providerCode());
  }

  @Test
  @DisplayName("429: rate limited, retried")
  void rateLimited() throws Exception {
    SmsSendException e = failure("429", "application/json", "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}");
    assertTrue(e.rateLimited());
    assertFalse(e.permanent());
  }

  @Test
  @DisplayName("503: retried")
  void unavailable() throws Exception {
    SmsSendException e = failure("503", "application/json", "{\"code\":20503,\"message\":\"Service Unavailable\",\"status\":503}");
    assertEquals("Twilio 503 error 20503", e.getMessage());
    assertFalse(e.permanent());
  }

  @Test
  @DisplayName("firstLine: the first line, cut at 160 characters; null has a placeholder")
  void firstLine() {
    assertEquals("a", TwilioSmsSender.firstLine("a\nb"));
    assertEquals("(no detail)", TwilioSmsSender.firstLine(null));
    assertEquals(161, TwilioSmsSender.firstLine("x".repeat(500)).length());
  }
}
