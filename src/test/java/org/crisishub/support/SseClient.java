package org.crisishub.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real HTTP client reading a Server-Sent Events stream, queueing each {@code data:} event. */
public final class SseClient implements AutoCloseable {
  private final HttpClient client;
  public final HttpClientResponse response;
  private final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();

  public SseClient(Vertx vertx, int port, String uri) throws Exception {
    client = vertx.createHttpClient();
    StringBuilder acc = new StringBuilder();
    // The handler is set on the event loop as the head arrives, so no early chunk is lost.
    response = client.request(HttpMethod.GET, port, "127.0.0.1", uri).compose(r -> r.send())
        .map(r -> r.handler(buf -> onChunk(acc, buf.toString()))).await(10, TimeUnit.SECONDS);
  }

  private void onChunk(StringBuilder acc, String chunk) {
    synchronized (acc) {
      acc.append(chunk);
      int i;
      while ((i = acc.indexOf("\n\n")) >= 0) {
        String event = acc.substring(0, i);
        acc.delete(0, i + 2);
        try {
          if (event.startsWith("data: ")) {
            events.add(Api.JSON.readTree(event.substring(6)));
          } else if (event.startsWith("event: close\ndata: ")) {
            // The hub's closing reason: queued as {"type":"_closed","code":...,"reason":...}.
            com.fasterxml.jackson.databind.node.ObjectNode closed =
                (com.fasterxml.jackson.databind.node.ObjectNode) Api.JSON.readTree(event.substring(19));
            closed.put("type", "_closed");
            events.add(closed);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  /** The next event, failing the test when none arrives within 10 s. */
  public JsonNode next() throws InterruptedException {
    JsonNode n = events.poll(10, TimeUnit.SECONDS);
    if (n == null) {
      throw new AssertionError("no SSE event within 10 s");
    }
    return n;
  }

  /** The next event of {@code type}, skipping others. */
  public JsonNode next(String type) throws InterruptedException {
    while (true) {
      JsonNode n = next();
      if (type.equals(n.path("type").asText())) {
        return n;
      }
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
