package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.crisishub.domain.Area;
import org.crisishub.domain.Incident;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.Location;
import org.crisishub.domain.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link CheckInLog} (the check-in log: per-person seq, idempotency, late check-ins, reads),
 * on every engine (one subclass per engine). The concern is reached through
 * {@link Store#checkInLog}; other concerns of the same store set the scene.
 */
public abstract class CheckInLogContractTest extends StoreTestBase {
  protected CheckInLog checkIns;

  @BeforeEach
  void concern() {
    checkIns = store.checkInLog();
  }

  @Test
  @DisplayName("seq starts at 1 and increases by one per person, independently per person")
  void seqPerPerson() throws Exception {
    for (int i = 1; i <= 3; i++) {
      assertEquals(i, await(checkIns.recordCheckIn(req("+15550000001", Status.SAFE, null, null), T0)).checkIn().seq());
    }
    assertEquals(1, await(checkIns.recordCheckIn(req("+15550000002", Status.SAFE, null, null), T0)).checkIn().seq());
  }

  @Test
  @DisplayName("concurrent check-ins of one person get distinct, gap-free seqs")
  void concurrentSeq() throws Exception {
    List<Future<CheckInResult>> all = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      all.add(checkIns.recordCheckIn(req("+15550000003", Status.SAFE, "n" + i, null), T0));
    }
    Set<Long> seqs = new TreeSet<>();
    for (Future<CheckInResult> f : all) {
      seqs.add(await(f).checkIn().seq());
    }
    assertEquals(500, seqs.size());
    assertEquals(1L, seqs.iterator().next());
    assertEquals(500L, ((TreeSet<Long>) seqs).last());
  }

  @Test
  @DisplayName("checkIn(phone, seq) reads one retained check-in, late ones too; empty for none or once purged")
  void checkInBySeq() throws Exception {
    String p = "+15550000009";
    CheckIn first = await(checkIns.recordCheckIn(req(p, Status.SAFE, "one", null), T0)).checkIn();
    CheckIn late = await(checkIns.recordCheckIn(new CheckInRequest(p, Status.NEED_HELP, "old news", null, null,
        Channel.WEB, null, T0.minusSeconds(60)), T0.plusSeconds(1))).checkIn();
    assertTrue(late.late());
    assertEquals(first, await(checkIns.checkIn(p, 1)).orElseThrow());
    assertEquals(late, await(checkIns.checkIn(p, 2)).orElseThrow());
    assertTrue(await(checkIns.checkIn(p, 3)).isEmpty(), "no such seq");
    assertTrue(await(checkIns.checkIn("+15550000008", 1)).isEmpty(), "no such person");
    await(store.purge(T0.plus(java.time.Duration.ofDays(31)), java.time.Duration.ofDays(30)));
    assertTrue(await(checkIns.checkIn(p, 1)).isEmpty(), "deleted by retention");
  }

  @Test
  @DisplayName("every field round-trips; latest and history read what was written")
  void roundTrip() throws Exception {
    CheckInRequest r = new CheckInRequest("+15550000004", Status.NEED_HELP, "trapped, 2nd floor",
        new Location(35.5, -120.25, 12.0), "flood7", Channel.WS, null);
    CheckIn written = await(checkIns.recordCheckIn(r, T0)).checkIn();
    CheckIn latest = await(checkIns.latest("+15550000004")).orElseThrow();
    assertEquals(written, latest);
    assertEquals("FLOOD7", latest.incident());
    assertEquals(new Location(35.5, -120.25, 12.0), latest.location());
    await(checkIns.recordCheckIn(req("+15550000004", Status.SAFE, null, null), T0.plusSeconds(60)));
    List<CheckIn> after1 = await(checkIns.history("+15550000004", 1, 100));
    assertEquals(1, after1.size());
    assertEquals(2, after1.get(0).seq());
    assertEquals(2, await(checkIns.history("+15550000004", 0, 100)).size());
    assertEquals(1, await(checkIns.history("+15550000004", 0, 1)).size());
    assertTrue(await(checkIns.latest("+15550000099")).isEmpty());
    assertEquals(1, await(checkIns.latestOf(List.of("+15550000004", "+15550000099"))).size());
  }

  @Test
  @DisplayName("the same key within 24 h returns the first check-in; after 24 h it makes a new one")
  void idempotency() throws Exception {
    CheckInResult first = await(checkIns.recordCheckIn(req("+15550000005", Status.SAFE, "a", "k1"), T0));
    CheckInResult again = await(checkIns.recordCheckIn(req("+15550000005", Status.NEED_HELP, "b", "k1"), T0.plusSeconds(5)));
    assertTrue(again.duplicate());
    assertEquals(first.checkIn(), again.checkIn());
    CheckInResult otherPerson = await(checkIns.recordCheckIn(req("+15550000006", Status.SAFE, "a", "k1"), T0));
    assertFalse(otherPerson.duplicate());
    CheckInResult later = await(checkIns.recordCheckIn(req("+15550000005", Status.SAFE, "c", "k1"),
        T0.plus(Duration.ofHours(25))));
    assertFalse(later.duplicate());
    assertEquals(2, later.checkIn().seq());
  }

  @Test
  @DisplayName("madeAt round-trips; a check-in made before the latest status is stored late and leaves the status alone")
  void lateCheckIns() throws Exception {
    String p = "+15550000120";
    CheckIn first = await(checkIns.recordCheckIn(new CheckInRequest(p, Status.SAFE, "now", null, null, Channel.WEB, "k1",
        null), T0)).checkIn();
    assertFalse(first.late());
    // Made offline an hour earlier, sent now: late.
    CheckInResult old = await(checkIns.recordCheckIn(new CheckInRequest(p, Status.NEED_HELP, "earlier", null, null,
        Channel.WEB, "k2", T0.minusSeconds(3600)), T0.plusSeconds(10)));
    assertTrue(old.checkIn().late());
    assertEquals(2, old.checkIn().seq(), "a late check-in still takes its seq");
    assertEquals(T0.minusSeconds(3600), old.checkIn().madeAt());
    assertEquals(T0.plusSeconds(10), old.checkIn().at(), "at stays the hub's time");
    CheckIn latest = await(checkIns.latest(p)).orElseThrow();
    assertEquals(1, latest.seq(), "the status is still the newer one");
    assertEquals(List.of(first), await(checkIns.latestOf(List.of(p))));
    List<CheckIn> hist = await(checkIns.history(p, 0, 10));
    assertEquals(2, hist.size());
    assertTrue(hist.get(1).late());
    assertEquals(T0.minusSeconds(3600), hist.get(1).madeAt());
    // The same key again returns the late check-in as it was stored.
    CheckInResult again = await(checkIns.recordCheckIn(new CheckInRequest(p, Status.NEED_HELP, "earlier", null, null,
        Channel.WEB, "k2", T0.minusSeconds(3600)), T0.plusSeconds(11)));
    assertTrue(again.duplicate());
    assertTrue(again.checkIn().late());
    // Made after the status (clock a little ahead is allowed): it becomes the status, not late.
    CheckIn newer = await(checkIns.recordCheckIn(new CheckInRequest(p, Status.SAFE, "later", null, null, Channel.WEB,
        null, T0.plusSeconds(20)), T0.plusSeconds(15))).checkIn();
    assertFalse(newer.late());
    assertEquals(newer, await(checkIns.latest(p)).orElseThrow());
    // Without madeAt its time is the hub's: earlier than the status made at +20 s, so late.
    CheckIn hubTime = await(checkIns.recordCheckIn(req(p, Status.SAFE, null, null), T0.plusSeconds(16))).checkIn();
    assertTrue(hubTime.late());
    assertEquals(newer.seq(), await(checkIns.latest(p)).orElseThrow().seq());
  }

  @Test
  @DisplayName("two check-ins timed by the hub are ordered by seq: one committed after another with a"
      + " millisecond-earlier stamp is not late and becomes the status")
  void hubTimedCheckInsFollowSeq() throws Exception {
    String p = "+15550000121";
    CheckIn first = await(checkIns.recordCheckIn(req(p, Status.SAFE, "a", null), T0.plusMillis(5))).checkIn();
    CheckIn second = await(checkIns.recordCheckIn(req(p, Status.NEED_HELP, "b", null), T0.plusMillis(4))).checkIn();
    assertFalse(first.late());
    assertFalse(second.late(), "pipelining may commit a request before one stamped a millisecond earlier");
    assertEquals(second, await(checkIns.latest(p)).orElseThrow());
    assertEquals(List.of(second), await(checkIns.latestOf(List.of(p))));
  }
}
