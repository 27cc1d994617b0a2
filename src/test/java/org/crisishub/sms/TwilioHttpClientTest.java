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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Twilio SDK's transport against a server on loopback: the URL moved onto the configured base,
 * one attempt per call (a 5xx is returned, not retried), connections kept alive and reused, and a
 * provider that never answers or is not there ends the call with the SDK's connection error.
 */
class TwilioHttpClientTest {
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

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
      server.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a provider that accepts the connection and never answers fails the call after the timeout")
  void silentProviderTimesOut() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> accepted = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          Socket s = silent.accept();
          accepted.add(s);
          InputStream in = s.getInputStream();
          while (in.read() >= 0) {
            // read the request and never answer
          }
        } catch (java.io.IOException e) {
          // closed at the end of the test
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      try (TwilioHttpClient client = new TwilioHttpClient("http://127.0.0.1:" + silent.getLocalPort(),
          Duration.ofMillis(300), 1)) {
        long t0 = System.nanoTime();
        assertThrows(ApiConnectionException.class, () -> client.makeRequest(message("anyone there")));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 250 && ms < 5_000, "ended by the 300 ms timeout, not before and not never: " + ms + " ms");
      }
    }
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
