package org.crisishub.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Status;
import org.crisishub.edge.EventEncoder;
import org.crisishub.fanout.FanOut;
import org.crisishub.store.NoticeBoard.NoticeRecord;
import org.crisishub.store.embedded.SqliteStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Subscribing to an incident, over a real embedded store in a temporary folder: what a live session
 * gets first (and when it is registered), and SMS JOIN/LEAVE.
 */
@DisplayName("Subscriptions: one place decides what subscribing to an incident gives, live or by SMS")
class SubscriptionsTest {
  static final Instant NOW = Instant.parse("2100-01-01T10:00:00Z");
  static final Instant T0 = NOW.minusSeconds(3600);
  static final String PERSON = "+15550000001";

  @TempDir
  Path dir;
  Vertx vertx;
  SqliteStore store;
  Subscriptions subscriptions;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    store = new SqliteStore(vertx, dir, registry);
    await(store.start());
    FanOut fanOut = new FanOut(registry);
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    EventSink events = new EventEncoder(fanOut);
    WatchService watch = new WatchService(vertx, store, store.triage(), registry);
    HelpService help = new HelpService(store, store, store.triage(), store.safetyChecks(), store, events, clock,
        () -> { }, registry, watch, new org.crisishub.edge.TriageFrames(fanOut));
    SafetyReports reports = new SafetyReports(store.safetyChecks(), store, null, events, clock, id -> { });
    subscriptions = new Subscriptions(store, store, store, help, reports, clock);
    await(store.createIncident(new Incident("i1", "FLOOD1", "Flood", null, false, "open", T0, null, "EMS",
        List.of())));
    await(store.createIncident(new Incident("i2", "OLD2", "Old", null, false, "open", T0, null, "EMS",
        List.of())));
    await(store.closeIncident("OLD2", T0.plusSeconds(60)));
  }

  @AfterEach
  void stop() throws Exception {
    await(store.close());
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private void published(String id, Instant created, Instant expires) throws Exception {
    await(store.insertNotice(new NoticeRecord(id, "FLOOD1", "ann", "EMS", "draft", null, "{}", null, expires,
        created, null)));
    assertTrue(await(store.publishNotice(id, Set.of("draft"), "{\"id\":\"" + id + "\"}", created, null, null,
        "sms " + id)));
  }

  @Test
  @DisplayName("live: registered before the reads; current notices oldest first; help only for a serving agency")
  void live() throws Exception {
    published("n1", T0, null);
    published("n2", T0.plusSeconds(1), NOW.minusSeconds(1)); // expired
    published("n3", T0.plusSeconds(2), NOW.plusSeconds(3600));
    await(store.insertNotice(new NoticeRecord("n4", "FLOOD1", "ann", "EMS", "draft", null, "{}", null, null,
        T0.plusSeconds(3), null)));
    await(store.recordCheckIn(new CheckInRequest(PERSON, Status.NEED_HELP, "roof", null, "FLOOD1", Channel.WEB,
        "k1"), NOW));

    List<String> registered = new ArrayList<>();
    Subscriptions.Live pub = await(subscriptions.live("flood1", null, registered::add));
    assertEquals(List.of("FLOOD1"), registered, "registered once, with the normalised code");
    assertEquals(List.of("{\"id\":\"n1\"}", "{\"id\":\"n3\"}"), pub.notices(),
        "published and unexpired, oldest first; drafts and expired notices are not sent");
    assertTrue(pub.help().isEmpty() && pub.reported().isEmpty(), "no people's data without a serving agency");

    Subscriptions.Live ems = await(subscriptions.live("FLOOD1", "ems", c -> { }));
    assertEquals(1, ems.help().size(), "a responder of the owning agency gets the help queue");
    assertEquals(PERSON, ems.help().get(0).request().checkIn().phone());
    assertEquals(2, ems.notices().size());

    Subscriptions.Live other = await(subscriptions.live("FLOOD1", "Fire Dept", c -> { }));
    assertTrue(other.help().isEmpty(), "another agency's responder gets the notices only");
    assertEquals(2, other.notices().size());

    // A closed incident can still be subscribed to (its notices stay readable).
    assertEquals("OLD2", await(subscriptions.live("OLD2", null, c -> { })).incident().code());
  }

  @Test
  @DisplayName("live: an unknown or malformed code is not_found and registers nothing")
  void liveUnknown() {
    List<String> registered = new ArrayList<>();
    for (String code : List.of("NOPE9", "not a code!")) {
      Exception e = assertThrows(Exception.class, () -> await(subscriptions.live(code, null, registered::add)));
      assertEquals(ErrorCode.NOT_FOUND, PersonCommandsTest.codeOf(e), code);
    }
    assertTrue(registered.isEmpty());
  }

  @Test
  @DisplayName("SMS: JOIN an open incident only (nothing stored otherwise); LEAVE")
  void sms() throws Exception {
    assertFalse(await(subscriptions.joinBySms(PERSON, "NOPE9")), "unknown");
    assertFalse(await(subscriptions.joinBySms(PERSON, "OLD2")), "closed");
    assertTrue(await(store.incidentSmsSubscribers("OLD2")).isEmpty());
    assertTrue(await(subscriptions.joinBySms(PERSON, "FLOOD1")));
    assertEquals(List.of(PERSON), await(store.incidentSmsSubscribers("FLOOD1")));
    await(subscriptions.leaveBySms(PERSON, "FLOOD1"));
    assertTrue(await(store.incidentSmsSubscribers("FLOOD1")).isEmpty());
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }
}
