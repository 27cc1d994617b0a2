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
import java.util.concurrent.TimeUnit;
import org.crisishub.auth.Limits;
import org.crisishub.auth.RateLimiter;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Status;
import org.crisishub.edge.EventEncoder;
import org.crisishub.fanout.FanOut;
import org.crisishub.store.embedded.SqliteStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one handler per person's action, over a real embedded store in a temporary folder: the limits
 * and the visibility rule are the same whichever channel calls.
 */
@DisplayName("Person commands: one handler per action, the same limits and visibility for every channel")
class PersonCommandsTest {
  /**
   * Fixed, and after the wall clock: a bucket never refills during a test (a refund is stamped with the
   * wall clock, which is then before the bucket's time and adds exactly one token).
   */
  static final Instant NOW = Instant.parse("2100-01-01T10:00:00Z");
  static final String ME = "+15550000001";
  static final String FRIEND = "+15550000002";
  static final String STRANGER = "+15550000009";

  @TempDir
  Path dir;
  Vertx vertx;
  SqliteStore store;
  FollowService follows;
  PersonCommands commands;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    store = new SqliteStore(vertx, dir, registry);
    await(store.start());
    FanOut fanOut = new FanOut(registry);
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    EventSink events = new EventEncoder(fanOut);
    HelpService help = new HelpService(store, store, store.triage(), store.safetyChecks(), store, events, clock,
        () -> { }, registry, new WatchService(vertx, store, store.triage(), registry),
        new org.crisishub.edge.TriageFrames(fanOut));
    CheckInService checkIns = new CheckInService(store, store, events, clock, registry, () -> { }, help, () -> true);
    follows = new FollowService(store, store, store, events, clock, () -> { });
    // Safety checks with no notices: only the answers' refusals (no such check) are reached here;
    // answers that are recorded are covered by SafetyCheckIT and SmsIT.
    SafetyCheckService safety = new SafetyCheckService(vertx, store.safetyChecks(), store, store, store, null, checkIns,
        events, new org.crisishub.domain.Phones("US"), clock, 1.0, () -> { });
    commands = new PersonCommands(checkIns, follows, safety, new RateLimiter(true), clock);
  }

  @AfterEach
  void stop() throws Exception {
    await(store.close());
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  static Future<CheckInRequest> request(String phone, Channel channel) {
    return Future.succeededFuture(new CheckInRequest(phone, Status.SAFE, null, null, null, channel, null));
  }

  static ErrorCode codeOf(Exception e) {
    Throwable t = e;
    while (t != null && !(t instanceof HubException)) {
      t = t.getCause();
    }
    return t == null ? null : ((HubException) t).code();
  }

  @Test
  @DisplayName("check-ins from every channel share one per-phone bucket; an invalid request gives its token back")
  void checkInLimitIsPerPhoneAcrossChannels() throws Exception {
    Channel[] channels = {Channel.WEB, Channel.WS, Channel.SMS};
    // A request refused while it is read costs nothing.
    Exception bad = assertThrows(Exception.class, () -> await(commands.checkIn(ME, () -> {
      throw HubException.invalid("status is required");
    })));
    assertEquals(ErrorCode.INVALID_REQUEST, codeOf(bad));
    int burst = (int) Limits.CHECKIN_PER_PHONE.burst();
    for (int i = 0; i < burst; i++) {
      Channel c = channels[i % channels.length];
      assertEquals(i + 1, await(commands.checkIn(ME, () -> request(ME, c))).checkIn().seq());
    }
    Exception over = assertThrows(Exception.class, () -> await(commands.checkIn(ME, () -> request(ME, Channel.SMS))));
    assertEquals(ErrorCode.RATE_LIMITED, codeOf(over));
    // Another person's bucket is their own.
    assertEquals(1, await(commands.checkIn(FRIEND, () -> request(FRIEND, Channel.WS))).checkIn().seq());
  }

  @Test
  @DisplayName("a safety-check answer shares the check-in bucket on every channel; a refused one gives its token back")
  void answersShareTheCheckInBucket() throws Exception {
    Channel[] channels = {Channel.WEB, Channel.WS, Channel.SMS};
    int burst = (int) Limits.CHECKIN_PER_PHONE.burst();
    // Refused answers (a bad note, an unknown check) cost nothing, however many.
    for (int i = 0; i < burst + 5; i++) {
      Channel c = channels[i % channels.length];
      Exception note = assertThrows(Exception.class, () -> await(commands.answer(ME, c, null,
          () -> new PersonCommands.SafetyAnswer("no-such-check", Status.SAFE, "bad\u0007note"))));
      assertEquals(ErrorCode.INVALID_REQUEST, codeOf(note), "the note is checked before the check");
      Exception unknown = assertThrows(Exception.class, () -> await(commands.answer(ME, c, null,
          () -> new PersonCommands.SafetyAnswer("no-such-check", Status.SAFE, null))));
      assertEquals(ErrorCode.NOT_FOUND, codeOf(unknown));
    }
    for (int i = 0; i < burst; i++) {
      await(commands.checkIn(ME, () -> request(ME, Channel.WEB)));
    }
    // The bucket check-ins emptied is the answers' bucket: refused before the check is even read.
    Exception over = assertThrows(Exception.class, () -> await(commands.answer(ME, Channel.WEB, null,
        () -> new PersonCommands.SafetyAnswer("no-such-check", Status.SAFE, null))));
    assertEquals(ErrorCode.RATE_LIMITED, codeOf(over));
  }

  @Test
  @DisplayName("follow is charged to the follower's follow limit; consent makes it active; unfollow ends it")
  void followConsentUnfollow() throws Exception {
    var f = await(commands.follow(FRIEND, () -> new PersonCommands.FollowRequest(ME, true)));
    assertEquals(FollowState.PENDING, f.state());
    assertEquals(FollowState.ACTIVE, await(commands.consent(ME, FRIEND, true)).state());
    assertTrue(await(commands.unfollow(FRIEND, ME)));
    assertFalse(await(commands.unfollow(FRIEND, ME)), "there is no follow left to end");
    Exception self = assertThrows(Exception.class,
        () -> await(commands.follow(ME, () -> new PersonCommands.FollowRequest(ME, false))));
    assertEquals(ErrorCode.INVALID_REQUEST, codeOf(self));
    // One follow charged to FRIEND so far (the refused one was ME's, and gave its token back).
    int left = Limits.FOLLOW_PER_PHONE.burst() - 1;
    for (int i = 0; i <= left; i++) {
      String subject = String.format("+1555100%04d", i);
      try {
        await(commands.follow(FRIEND, () -> new PersonCommands.FollowRequest(subject, false)));
      } catch (Exception e) {
        assertEquals(ErrorCode.RATE_LIMITED, codeOf(e), "only the limit refuses: " + e);
        assertEquals(left, i, "refused after exactly the burst");
        return;
      }
    }
    throw new AssertionError("the follow limit never refused");
  }

  @Test
  @DisplayName("a status is seen by its person and active followers only; anyone else is refused, not told it is empty")
  void visibilityIsDecidedInTheCore() throws Exception {
    assertTrue(await(follows.latestSeenBy(ME, ME)).isEmpty(), "no check-in yet");
    Exception none = assertThrows(Exception.class, () -> await(follows.latestSeenBy(STRANGER, ME)));
    assertEquals(ErrorCode.FORBIDDEN, codeOf(none), "a stranger is refused even when there is nothing to see");
    await(commands.checkIn(ME, () -> request(ME, Channel.WEB)));
    await(commands.follow(FRIEND, () -> new PersonCommands.FollowRequest(ME, false)));
    Exception pending = assertThrows(Exception.class, () -> await(follows.historySeenBy(FRIEND, ME, 0, 10)));
    assertEquals(ErrorCode.FORBIDDEN, codeOf(pending), "a pending follower sees nothing");
    await(commands.consent(ME, FRIEND, true));
    assertEquals(Status.SAFE, await(follows.latestSeenBy(FRIEND, ME)).orElseThrow().status());
    assertEquals(1, await(follows.historySeenBy(FRIEND, ME, 0, 10)).size());
    Exception stranger = assertThrows(Exception.class, () -> await(follows.latestSeenBy(STRANGER, ME)));
    assertEquals(ErrorCode.FORBIDDEN, codeOf(stranger));
  }
}
