package org.crisishub.sms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.twilio.exception.ApiConnectionException;
import com.twilio.http.HttpMethod;
import com.twilio.http.Request;
import com.twilio.http.Response;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Twilio SDK's transport against a server on loopback: the URL moved onto the configured base,
 * one attempt per call (a 5xx is returned, not retried), connections kept alive and reused, and a
 * provider that never answers, answers too slowly or is not there ends the call with the SDK's
 * connection error, at the timeout of the whole call.
 */
class TwilioHttpClientTest {

  private static Request message(String body) {
    Request r = new Request(HttpMethod.POST, "api", "/2010-04-01/Accounts/AC123/Messages.json");
    r.setAuth("AC123", "secret");
    r.addPostParam("To", "+15550001111");
    r.addPostParam("Body", body);
    return r;
  }

  @Test
  @DisplayName("a POST goes to the base URL's host with the SDK's path, form body and Basic auth; a 500 is one request, returned")
  void oneAttemptOnTheBase() throws Exception {
    Vertx vertx = Vertx.vertx();
    ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    AtomicInteger connections = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    HttpServer server = vertx.createHttpServer().connectionHandler(c -> connections.incrementAndGet())
        .requestHandler(req -> req.body().onSuccess(b -> {
          seen.add(req.method() + " " + req.uri() + " " + req.getHeader("Authorization") + " "
              + req.getHeader("Content-Type") + " " + b);
          req.response().setStatusCode(calls.incrementAndGet() == 3 ? 500 : 201)
              .putHeader("Content-Type", "application/json").end("{\"sid\":\"SM" + calls.get() + "\"}");
        })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    try (TwilioHttpClient client = new TwilioHttpClient("http://127.0.0.1:" + server.actualPort() + "/",
        Duration.ofSeconds(5), 4)) {
      List<Response> got = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        got.add(client.makeRequest(message("hello " + i)));
      }
      assertEquals(List.of(201, 201, 500), got.stream().map(Response::getStatusCode).toList());
      assertEquals("{\"sid\":\"SM3\"}", got.get(2).getContent());
      assertEquals(3, calls.get(), "the 500 was not sent again");
      assertEquals(1, connections.get(), "one kept-alive connection for calls one after another");
      String first = seen.peek();
      assertTrue(first.startsWith("POST /2010-04-01/Accounts/AC123/Messages.json Basic "), first);
      assertTrue(first.contains("application/x-www-form-urlencoded"), first);
      assertTrue(first.contains("Body=hello+0") && first.contains("To=%2B15550001111"), first);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("eight calls at once over a pool of four: at most four connections, every call answered")
  void poolBoundsConnections() throws Exception {
    Vertx vertx = Vertx.vertx();
    AtomicInteger open = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    HttpServer server = vertx.createHttpServer().connectionHandler(c -> {
      most.accumulateAndGet(open.incrementAndGet(), Math::max);
      c.closeHandler(v -> open.decrementAndGet());
    }).requestHandler(req -> req.body().onSuccess(b -> vertx.setTimer(150, t -> req.response().setStatusCode(201)
        .putHeader("Content-Type", "application/json").end("{\"sid\":\"SM1\"}"))))
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(8);
    try (TwilioHttpClient client = new TwilioHttpClient("http://127.0.0.1:" + server.actualPort(),
        Duration.ofSeconds(5), 4)) {
      List<java.util.concurrent.Future<Response>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        int n = i;
        calls.add(callers.submit(() -> client.makeRequest(message("call " + n))));
      }
      for (java.util.concurrent.Future<Response> f : calls) {
        assertEquals(201, f.get(10, TimeUnit.SECONDS).getStatusCode());
      }
      assertTrue(most.get() <= 4, "connections open at once: " + most.get());
    } finally {
      callers.shutdownNow();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A provider on a raw socket that reads each request and, per connection, writes {@code answer}
   * one byte every {@code byteMs} (null: writes nothing); the call must end at the 300 ms deadline.
   */
  private static void endsAtTheDeadline(String answer, long byteMs) throws Exception {
    List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (ServerSocket provider = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try {
          Socket s = provider.accept();
          accepted.add(s);
          InputStream in = s.getInputStream();
          byte[] buf = new byte[8192];
          in.read(buf); // the request (small: one read)
          if (answer != null) {
            for (byte b : answer.getBytes(java.nio.charset.StandardCharsets.US_ASCII)) {
              s.getOutputStream().write(b);
              s.getOutputStream().flush();
              Thread.sleep(byteMs);
            }
          }
          while (in.read(buf) >= 0) {
            // hold the connection until the client closes it
          }
        } catch (java.io.IOException | InterruptedException e) {
          // the client gave up, or the test ended
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      try (TwilioHttpClient client = new TwilioHttpClient("http://127.0.0.1:" + provider.getLocalPort(),
          Duration.ofMillis(300), 1)) {
        long t0 = System.nanoTime();
        ApiConnectionException e = assertThrows(ApiConnectionException.class,
            () -> client.makeRequest(message("anyone there")));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 250 && ms < 3_000, "ended by the 300 ms deadline, not before and not much later: " + ms + " ms");
        assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
      }
    } finally {
      for (Socket s : accepted) {
        s.close();
      }
    }
  }

  @Test
  @DisplayName("a provider that accepts the connection and never answers fails the call at the timeout")
  void silentProviderTimesOut() throws Exception {
    endsAtTheDeadline(null, 0);
  }

  @Test
  @DisplayName("a provider that drips its answer a byte at a time fails the call at the timeout, not when the last byte comes")
  void drippingProviderTimesOut() throws Exception {
    // 70 bytes at 50 ms each: 3.5 s in all, every byte well within a per-read timeout of 300 ms.
    endsAtTheDeadline("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", 50);
  }

  @Test
  @DisplayName("a provider that is not there is the SDK's connection error")
  void unreachableProvider() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (TwilioHttpClient client = new TwilioHttpClient("http://127.0.0.1:" + port, Duration.ofSeconds(2), 1)) {
      assertThrows(ApiConnectionException.class, () -> client.makeRequest(message("hello")));
    }
  }
}
