package org.crisishub.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Status;
import org.crisishub.edge.EventEncoder;
import org.crisishub.fanout.FanOut;
import org.crisishub.fanout.RecordingSession;
import org.crisishub.store.embedded.SqliteStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check-in service over a real embedded store in a temporary folder, the edge's event encoder
 * and a real fan-out.
 */
@DisplayName("Check-in service: acknowledged once stored, then told to the active followers")
class CheckInServiceTest {
  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  static final String SUBJECT = "+15550000001";
  static final String FOLLOWER = "+15550000002";
  static final String SMS_FOLLOWER = "+15550000003";

  @TempDir
  Path dir;
  Vertx vertx;
  SqliteStore store;
  FanOut fanOut;
  SimpleMeterRegistry registry;
  CheckInService service;
  final AtomicInteger smsWakes = new AtomicInteger();
  final AtomicBoolean available = new AtomicBoolean(true);
  final List<CheckIn> recorded = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
    store = new SqliteStore(vertx, dir, registry);
    await(store.start());
    fanOut = new FanOut(registry);
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    // The edge's encoder is the event port, so a follower's session receives the real status frame.
    EventSink events = new EventEncoder(fanOut);
    HelpService help = new HelpService(store, store, store.triage(), store.safetyChecks(), store, events, clock,
        () -> { }, registry, new WatchService(vertx, store, store.triage(), registry),
        new org.crisishub.edge.TriageFrames(fanOut));
    service = new CheckInService(store, store, events, clock, registry, smsWakes::incrementAndGet, help, available::get);
    service.onRecorded(recorded::add);
  }

  @AfterEach
  void stop() throws Exception {
    await(store.close());
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  static CheckInRequest request(Status status, String key, Instant madeAt) {
    return new CheckInRequest(SUBJECT, status, null, null, null, Channel.WEB, key, madeAt);
  }

  void activeFollower(String follower, boolean sms) throws Exception {
    await(store.requestFollow(follower, SUBJECT, sms, NOW));
    await(store.answerFollow(SUBJECT, follower, true, NOW));
  }

  RecordingSession session(String phone) throws Exception {
    RecordingSession s = new RecordingSession(vertx.getOrCreateContext(), 16);
    fanOut.add(s);
    await(fanOut.authenticate(s, phone, "tok"));
    return s;
  }

  @Test
  @DisplayName("a check-in is stored, counted, announced to hooks and sent to each active follower's sessions")
  void recordsAndTellsFollowers() throws Exception {
    activeFollower(FOLLOWER, false);
    RecordingSession follower = session(FOLLOWER);
    RecordingSession stranger = session("+15550000009");
    CheckInResult r = await(service.record(request(Status.SAFE, null, null)));
    assertFalse(r.duplicate());
    assertEquals(1, r.notified());
    assertEquals(r.checkIn(), await(store.latest(SUBJECT)).orElseThrow());
    JsonObject frame = new JsonObject(follower.next());
    assertEquals("status", frame.getString("type"));
    assertEquals(SUBJECT, frame.getString("phone"));
    assertEquals("safe", frame.getString("status"));
    assertEquals(r.checkIn().seq(), frame.getLong("seq"));
    assertEquals(List.of(r.checkIn()), recorded);
    assertEquals(1.0, registry.get("hub.checkins").tags("channel", "web", "status", "safe").counter().count());
    assertEquals(1.0, registry.get("hub.consent.checks").counter().count(), "one active follow edge read, one recipient");
    assertEquals(0, smsWakes.get(), "no SMS follower: the outbox is not woken");
    assertNull(stranger.written.poll(), "a person who does not follow gets nothing");
  }

  @Test
  @DisplayName("an SMS follower wakes the outbox")
  void smsFollowerWakesOutbox() throws Exception {
    activeFollower(SMS_FOLLOWER, true);
    await(service.record(request(Status.NEED_HELP, null, null)));
    assertEquals(1, smsWakes.get());
  }

  @Test
  @DisplayName("the same idempotency key again is a duplicate: the first check-in, no new frame, no hooks")
  void duplicate() throws Exception {
    activeFollower(FOLLOWER, false);
    RecordingSession follower = session(FOLLOWER);
    CheckInResult first = await(service.record(request(Status.SAFE, "k-1", null)));
    follower.next();
    CheckInResult again = await(service.record(request(Status.NEED_HELP, "k-1", null)));
    assertTrue(again.duplicate());
    assertEquals(first.checkIn().id(), again.checkIn().id());
    assertEquals(1, recorded.size());
    // A later, different check-in arrives next: nothing was sent for the duplicate in between.
    CheckInResult third = await(service.record(request(Status.SAFE, null, null)));
    assertEquals(third.checkIn().seq(), new JsonObject(follower.next()).getLong("seq"));
    assertEquals(2.0, registry.get("hub.consent.checks").counter().count(), "a duplicate reads no follow edge");
  }

  @Test
  @DisplayName("a check-in made before the person's latest status is late, and its frame never coalesces")
  void lateNotCoalesced() throws Exception {
    activeFollower(FOLLOWER, false);
    RecordingSession follower = session(FOLLOWER);
    await(service.record(request(Status.SAFE, null, NOW.minusSeconds(60))));
    JsonObject current = new JsonObject(follower.next());
    assertFalse(current.getBoolean("late", false));
    CheckInResult late = await(service.record(request(Status.NEED_HELP, null, NOW.minusSeconds(600))));
    assertTrue(late.checkIn().late());
    JsonObject frame = new JsonObject(follower.next());
    assertTrue(frame.getBoolean("late"));
    assertEquals(Status.SAFE, await(store.latest(SUBJECT)).orElseThrow().status(), "the late one did not replace it");
  }

  @Test
  @DisplayName("madeAt too far ahead or too old, or an unknown incident: invalid_request, nothing stored")
  void invalid() throws Exception {
    assertEquals(ErrorCode.INVALID_REQUEST, failure(service.record(request(Status.SAFE, null, NOW.plusSeconds(301)))));
    assertEquals(ErrorCode.INVALID_REQUEST,
        failure(service.record(request(Status.SAFE, null, NOW.minusSeconds(24 * 3600 + 1)))));
    assertEquals(ErrorCode.INVALID_REQUEST, failure(service.record(
        new CheckInRequest(SUBJECT, Status.SAFE, null, null, "NOPE1", Channel.WEB, null, null))));
    assertTrue(await(store.latest(SUBJECT)).isEmpty());
    assertTrue(recorded.isEmpty());
  }

  @Test
  @DisplayName("while the node is out of its cluster a check-in is refused as unavailable, not stored")
  void unavailable() throws Exception {
    available.set(false);
    assertEquals(ErrorCode.UNAVAILABLE, failure(service.record(request(Status.SAFE, null, null))));
    assertTrue(await(store.latest(SUBJECT)).isEmpty());
  }

  static ErrorCode failure(Future<?> f) {
    Exception e = assertThrows(Exception.class, () -> await(f));
    Throwable cause = e instanceof HubException ? e : e.getCause();
    assertTrue(cause instanceof HubException, String.valueOf(e));
    return ((HubException) cause).code();
  }
}
