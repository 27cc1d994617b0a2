package org.crisishub.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The fan-out index: who gets a frame, the relay told, slow sessions closed, metrics")
class FanOutTest {
  Vertx vertx;
  Context context;
  SimpleMeterRegistry registry;
  FanOut fanOut;
  final BlockingQueue<String> relayed = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    registry = new SimpleMeterRegistry();
    fanOut = new FanOut(registry);
    fanOut.relay(new FanOut.Relay() {
      @Override
      public void toPhones(Collection<String> phones, OutFrame frame) {
        relayed.add("phones " + phones + " " + frame.text());
      }

      @Override
      public void toIncident(String incident, OutFrame frame, boolean respondersOnly) {
        relayed.add("incident " + incident + " " + frame.text());
      }

      @Override
      public void toIncidentResponders(String incident, Collection<String> agencies, OutFrame frame) {
        relayed.add("responders " + incident + " " + agencies + " " + frame.text());
      }

      @Override
      public void closeToken(String owner, String tokenId, short code, String reason) {
        relayed.add("close " + owner + " " + tokenId);
      }

      @Override
      public Future<Void> watch(String key) {
        relayed.add("watch " + key);
        return Future.succeededFuture();
      }

      @Override
      public void unwatch(String key) {
        relayed.add("unwatch " + key);
      }
    });
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  RecordingSession person(String phone, String token) {
    RecordingSession s = new RecordingSession(context, 8);
    fanOut.add(s);
    fanOut.authenticate(s, phone, token);
    return s;
  }

  RecordingSession responder(String username, String agency) {
    RecordingSession s = new RecordingSession(context, 8);
    fanOut.add(s);
    fanOut.authenticateResponder(s, username, agency, "rtok");
    return s;
  }

  double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  @Test
  @DisplayName("a status goes to every session of each recipient, not to others, and to the relay once")
  void toPhones() throws Exception {
    RecordingSession a1 = person("+15550000001", "t1");
    RecordingSession a2 = person("+15550000001", "t2");
    RecordingSession b = person("+15550000002", "t3");
    assertEquals("watch +15550000001", relayed.take());
    assertEquals("watch +15550000001", relayed.take());
    assertEquals("watch +15550000002", relayed.take());
    assertEquals(2, fanOut.deliverTo(List.of("+15550000001", "+15559999999"), OutFrame.of("s1")));
    assertEquals("s1", a1.next());
    assertEquals("s1", a2.next());
    assertEquals("phones [+15550000001, +15559999999] s1", relayed.take());
    assertEquals(1, fanOut.deliverLocally(List.of("+15550000002"), OutFrame.of("s2")));
    assertEquals("s2", b.next());
    assertTrue(relayed.isEmpty(), "local delivery (from another node) is not relayed again");
    assertNull(a1.written.poll());
    assertEquals(3.0, registry.get("hub.fanout.deliveries").counter().count());
    assertEquals(3.0, gauge("hub.connections.authenticated"));
  }

  @Test
  @DisplayName("a page of recipients (a safety check's asks): one relay message for all, and each recipient with a"
      + " session here named")
  void toEach() throws Exception {
    RecordingSession a1 = person("+15550000001", "t1");
    RecordingSession a2 = person("+15550000001", "t2");
    RecordingSession c = person("+15550000003", "t3");
    for (int i = 0; i < 3; i++) {
      relayed.take();
    }
    List<String> here = new java.util.ArrayList<>();
    assertEquals(3, fanOut.deliverToEach(List.of("+15550000001", "+15550000002", "+15550000003"), OutFrame.of("q"),
        here::add));
    assertEquals(List.of("+15550000001", "+15550000003"), here);
    assertEquals("q", a1.next());
    assertEquals("q", a2.next());
    assertEquals("q", c.next());
    assertEquals("phones [+15550000001, +15550000002, +15550000003] q", relayed.take());
    assertTrue(relayed.isEmpty(), "one relay message for the page");
  }

  @Test
  @DisplayName("help goes only to responders of the named agencies subscribed to the incident")
  void toResponders() throws Exception {
    RecordingSession county = responder("ann", "county");
    RecordingSession other = responder("bob", "redcross");
    RecordingSession citizen = person("+15550000001", "t1");
    fanOut.subscribe(county, "FLOOD7");
    fanOut.subscribe(other, "FLOOD7");
    fanOut.subscribe(citizen, "FLOOD7");
    assertEquals(1, fanOut.deliverToIncidentResponders("FLOOD7", List.of("county"), OutFrame.of("help")));
    assertEquals("help", county.next());
    assertEquals(0, fanOut.deliverToIncidentResponders("FLOOD7", List.of(), OutFrame.of("none")));
    assertEquals(3, fanOut.deliverToIncident("FLOOD7", OutFrame.of("notice")));
    assertEquals("notice", county.next());
    assertEquals("notice", other.next());
    assertEquals("notice", citizen.next());
    assertNull(other.written.poll(), "redcross never saw the help frame");
    assertNull(citizen.written.poll());
  }

  @Test
  @DisplayName("revoking a token closes that token's sessions only; a removed session gets nothing more")
  void closeTokenAndRemove() throws Exception {
    RecordingSession t1 = person("+15550000001", "t1");
    RecordingSession t2 = person("+15550000001", "t2");
    fanOut.closeToken("+15550000001", "t1", ClientSession.CLOSE_REVOKED, "revoked");
    assertEquals(ClientSession.CLOSE_REVOKED, t1.closed.get(10, TimeUnit.SECONDS));
    assertFalse(t2.closed.isDone());
    fanOut.remove(t2);
    fanOut.remove(t2);
    assertEquals(1, fanOut.deliverTo(List.of("+15550000001"), OutFrame.of("x")),
        "only t1 (closed, its transport not yet gone) is still indexed");
    assertTrue(relayed.contains("unwatch +15550000001"));
    assertEquals(1, fanOut.size());
  }

  @Test
  @DisplayName("a backlogged session is counted, and closed as stalled; coalescing and slow closes are counted")
  void slowConsumers() throws Exception {
    RecordingSession slow = person("+15550000001", "t1");
    RecordingSession fine = person("+15550000002", "t2");
    slow.socketFull(true);
    for (int i = 0; i < 8; i++) {
      fanOut.deliverTo(List.of("+15550000001"), new OutFrame("s" + i, "status:+1555000000" + i));
    }
    fanOut.deliverTo(List.of("+15550000001"), new OutFrame("s3 again", "status:+15550000003"));
    fanOut.deliverTo(List.of("+15550000002"), OutFrame.of("ok"));
    assertEquals("ok", fine.next()); // same context: every earlier hand-off ran before this one
    assertEquals(1.0, registry.get("hub.session.queue.coalesced").counter().count());
    assertEquals(1.0, gauge("hub.sessions.backlogged"));
    fanOut.closeStalled(0);
    assertEquals(ClientSession.CLOSE_SLOW_CONSUMER, slow.closed.get(10, TimeUnit.SECONDS));
    assertFalse(fine.closed.isDone(), "a session with nothing waiting is not stalled");
    assertEquals(1.0, registry.get("hub.session.slow.disconnects").counter().count());
    assertEquals(0.0, gauge("hub.sessions.backlogged"));
  }
}
