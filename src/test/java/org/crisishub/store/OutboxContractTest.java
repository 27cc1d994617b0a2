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
 * The contract of {@link Outbox} (the SMS outbox: leases, coalescing, retries, consent, opt-outs),
 * on every engine (one subclass per engine). The concern is reached through
 * {@link Store#outbox}; other concerns of the same store set the scene.
 */
public abstract class OutboxContractTest extends StoreTestBase {
  protected Outbox outbox;

  @BeforeEach
  void concern() {
    outbox = store.outbox();
  }

  @Test
  @DisplayName("outbox: a claim is exclusive until its lease ends; a crashed sender's claim is taken over")
  void outboxLeases() throws Exception {
    // Real time here: the Redis store measures leases with the server's clock (XAUTOCLAIM), the
    // one clock every node shares.
    Instant t = Instant.now();
    // The embedded lease runs from t (the claim's `now`), not from when the claim was made: measured
    // from t too (on a loaded machine the enqueue between them took long enough to fail the check).
    long claimedAt = System.nanoTime();
    await(outbox.enqueueSms("+15550000060", null, null, "hello", t));
    Duration lease = Duration.ofMillis(1500);
    List<Store.OutboxItem> first = await(outbox.claimSms("node-a", t, 10, lease));
    assertEquals(1, first.size());
    assertEquals(1, first.get(0).attempts());
    assertEquals("hello", first.get(0).body());
    assertTrue(await(outbox.claimSms("node-b", Instant.now(), 10, lease)).isEmpty(), "still leased");
    List<Store.OutboxItem> takenOver = List.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (takenOver.isEmpty() && System.nanoTime() < deadline) {
      // Polls a time-based condition (the lease running out), at most every 100 ms.
      await(vertx.timer(100));
      takenOver = await(outbox.claimSms("node-b", Instant.now(), 10, lease));
    }
    long elapsedNs = System.nanoTime() - claimedAt;
    assertTrue(elapsedNs >= lease.toNanos(), "taken over only after the lease, not after " + elapsedNs / 1_000_000
        + " ms (wall clock: " + Duration.between(t, Instant.now()).toMillis() + " ms)");
    assertEquals(1, takenOver.size());
    assertEquals(2, takenOver.get(0).attempts());
    await(outbox.smsSent(takenOver.get(0), "SM1", Instant.now()));
    assertTrue(await(outbox.claimSms("node-c", Instant.now().plus(Duration.ofHours(1)), 10, lease)).isEmpty(),
        "never sent again once the provider's id is recorded");
    assertEquals(0, await(outbox.outboxStats(Instant.now())).waiting());
  }

  /**
   * Claims the one due message for node-a, hands it back (node-a's call still runs: the lease ran
   * out, or node-a stopped) and claims it again for node-b: the two claims of one message.
   */
  private List<Store.OutboxItem> twoClaims(Instant at) throws Exception {
    Duration lease = Duration.ofSeconds(30);
    Store.OutboxItem a = await(outbox.claimSms("node-a", at, 1, lease)).get(0);
    assertEquals(1, await(outbox.releaseSmsClaims("node-a")));
    Store.OutboxItem b = await(outbox.claimSms("node-b", at, 1, lease)).get(0);
    assertEquals(a.id(), b.id());
    assertEquals(a.attempts() + 1, b.attempts());
    return List.of(a, b);
  }

  @Test
  @DisplayName("outbox: a message sent twice (its claim ran out mid-call) stays sent; a late failure is not counted")
  void outboxSentStaysSent() throws Exception {
    await(outbox.enqueueSms("+15550000066", null, null, "once", T0));
    List<Store.OutboxItem> claims = twoClaims(T0);
    Store.OutboxItem a = claims.get(0), b = claims.get(1);
    assertTrue(await(outbox.smsSent(b, "SM-second", T0.plusSeconds(32))), "recorded");
    assertFalse(await(outbox.smsSent(a, "SM-first", T0.plusSeconds(33))), "a second SID changes nothing");
    assertFalse(await(outbox.smsSent(b, "SM-again", T0.plusSeconds(33))), "nor the same claim's again");
    await(outbox.smsFailed(a, "late failure", T0.plusSeconds(34)));
    await(outbox.smsFailed(b, "late failure", T0.plusSeconds(34)));
    await(outbox.smsRetry(b, T0.plusSeconds(40), "late 503", T0.plusSeconds(34)));
    Store.OutboxStats stats = await(outbox.outboxStats(T0.plusSeconds(35)));
    assertEquals(0, stats.waiting());
    assertEquals(0, stats.failed(), "a sent message is not turned into a failed one");
    assertTrue(await(outbox.claimSms("node-c", T0.plus(Duration.ofHours(1)), 10, Duration.ofSeconds(30))).isEmpty(),
        "never sent again");
  }

  @Test
  @DisplayName("outbox: a failure, then a success of another send of the same message: sent, no longer counted as failed")
  void outboxFailedThenSent() throws Exception {
    await(outbox.enqueueSms("+15550000067", null, null, "twice", T0));
    List<Store.OutboxItem> claims = twoClaims(T0);
    await(outbox.smsFailed(claims.get(1), "permanent on one attempt", T0.plusSeconds(1)));
    assertEquals(1, await(outbox.outboxStats(T0.plusSeconds(2))).failed());
    assertTrue(await(outbox.smsSent(claims.get(0), "SM-late", T0.plusSeconds(3))),
        "the provider took the other send");
    assertEquals(0, await(outbox.outboxStats(T0.plusSeconds(4))).failed());
    assertFalse(await(outbox.smsSent(claims.get(1), "SM-later", T0.plusSeconds(5))));
  }

  @Test
  @DisplayName("outbox: a stale claim's outcome changes nothing: a newer text coalesced into its message is still sent")
  void outboxStaleClaimChangesNothing() throws Exception {
    String to = "+15550000068";
    await(outbox.enqueueSms(to, "status:x", null, "older", T0));
    List<Store.OutboxItem> claims = twoClaims(T0);
    Store.OutboxItem a = claims.get(0), b = claims.get(1);
    // node-a's late retry does not take the message from node-b, which still holds it.
    await(outbox.smsRetry(a, T0.plusSeconds(1), "late 503", T0.plusSeconds(1)));
    assertTrue(await(outbox.claimSms("node-c", T0.plusSeconds(2), 10, Duration.ofSeconds(30))).isEmpty(),
        "still node-b's");
    // node-b fails for now; while the message waits for its retry, a newer text replaces the older.
    await(outbox.smsRetry(b, T0.plusSeconds(10), "503", T0.plusSeconds(2)));
    await(outbox.enqueueSms(to, "status:x", null, "newer", T0.plusSeconds(3)));
    assertEquals(1, await(outbox.outboxStats(T0.plusSeconds(3))).waiting(), "coalesced");
    // node-a's call of the older text ends late: neither its success nor its failure ends the message.
    assertFalse(await(outbox.smsSent(a, "SM-older", T0.plusSeconds(4))), "not recorded");
    await(outbox.smsFailed(a, "late failure", T0.plusSeconds(5)));
    await(outbox.smsFailed(b, "late failure", T0.plusSeconds(5)));
    Store.OutboxStats stats = await(outbox.outboxStats(T0.plusSeconds(6)));
    assertEquals(1, stats.waiting());
    assertEquals(0, stats.failed());
    List<Store.OutboxItem> again = await(outbox.claimSms("node-c", T0.plusSeconds(11), 10, Duration.ofSeconds(30)));
    assertEquals(1, again.size());
    assertEquals("newer", again.get(0).body(), "the newer text is sent, not lost");
    assertEquals(3, again.get(0).attempts());
    assertTrue(await(outbox.smsSent(again.get(0), "SM-newer", T0.plusSeconds(12))));
    assertEquals(0, await(outbox.outboxStats(T0.plusSeconds(13))).waiting());
  }

  @Test
  @DisplayName("outbox: the oldest waiting age counts queued and in-flight messages, not sent ones")
  void outboxOldestWaiting() throws Exception {
    await(outbox.enqueueSms("+15550000064", null, null, "first", T0));
    assertEquals(20_000, await(outbox.outboxStats(T0.plusSeconds(20))).oldestAgeMs(), "the first message, queued");
    List<Store.OutboxItem> taken = await(outbox.claimSms("node-a", T0.plusSeconds(1), 1, Duration.ofMinutes(5)));
    assertEquals("first", taken.get(0).body());
    await(outbox.enqueueSms("+15550000065", null, null, "second", T0.plusSeconds(5)));
    Store.OutboxStats both = await(outbox.outboxStats(T0.plusSeconds(20)));
    assertEquals(2, both.waiting());
    assertEquals(20_000, both.oldestAgeMs(), "the first, now in flight");
    await(outbox.smsSent(taken.get(0), "SM64", T0.plusSeconds(6)));
    Store.OutboxStats after = await(outbox.outboxStats(T0.plusSeconds(20)));
    assertEquals(1, after.waiting());
    assertEquals(15_000, after.oldestAgeMs(), "the second, once the first was sent");
  }

  @Test
  @DisplayName("outbox: a stopping sender hands its claims back at once; other senders' claims stay")
  void outboxReleaseByOwner() throws Exception {
    Instant t = Instant.now();
    await(outbox.enqueueSms("+15550000062", null, null, "one", t));
    await(outbox.enqueueSms("+15550000063", null, null, "two", t));
    Duration lease = Duration.ofMinutes(5);
    assertEquals(1, await(outbox.claimSms("node-a", t, 1, lease)).size());
    assertEquals(1, await(outbox.claimSms("node-b", t, 1, lease)).size());
    assertEquals(1, await(outbox.releaseSmsClaims("node-a")));
    List<Store.OutboxItem> again = await(outbox.claimSms("node-c", t, 10, lease));
    assertEquals(1, again.size(), "only node-a's claim is free again");
    assertEquals(2, again.get(0).attempts());
    assertEquals(0, await(outbox.releaseSmsClaims("node-a")));
  }

  @Test
  @DisplayName("outbox: waiting messages with the same key coalesce to the latest; retries wait; failures stop")
  void outboxCoalesceRetryFail() throws Exception {
    String to = "+15550000061";
    await(outbox.enqueueSms(to, "status:x", null, "one", T0));
    await(outbox.enqueueSms(to, "status:x", null, "two", T0));
    await(outbox.enqueueSms(to, "status:y", null, "other", T0));
    assertEquals(2, await(outbox.outboxStats(T0)).waiting());
    List<Store.OutboxItem> items = await(outbox.claimSms("n", T0, 1, Duration.ofSeconds(60)));
    assertEquals("two", items.get(0).body());
    // While "two" is in flight, "three" waits as a message of its own.
    await(outbox.enqueueSms(to, "status:x", null, "three", T0));
    await(outbox.smsRetry(items.get(0), T0.plusSeconds(10), "429", T0));
    List<Store.OutboxItem> now = await(outbox.claimSms("n", T0.plusSeconds(1), 10, Duration.ofSeconds(60)));
    assertEquals(List.of("other", "three"), now.stream().map(Store.OutboxItem::body).sorted().toList());
    List<Store.OutboxItem> later = await(outbox.claimSms("n", T0.plusSeconds(11), 10, Duration.ofSeconds(60)));
    assertEquals(1, later.size());
    assertEquals("two", later.get(0).body());
    assertEquals(2, later.get(0).attempts());
    await(outbox.smsFailed(later.get(0), "invalid number", T0.plusSeconds(11)));
    assertEquals(1, await(outbox.outboxStats(T0.plusSeconds(12))).failed());
    assertEquals(2, await(outbox.releaseSmsClaims()));
    assertEquals(2, await(outbox.claimSms("n", T0.plusSeconds(12), 10, Duration.ofSeconds(60))).size());
  }

  @Test
  @DisplayName("outbox: opted-out numbers get nothing, and a revoked follower is not sent a status")
  void outboxConsent() throws Exception {
    String a = "+15550000070", b = "+15550000071", c = "+15550000072";
    await(store.requestFollow(b, a, true, T0));
    await(store.answerFollow(a, b, true, T0));
    await(store.requestFollow(c, a, false, T0));
    await(store.answerFollow(a, c, true, T0));
    CheckInResult r = await(store.recordCheckIn(req(a, Status.SAFE, "at home", null), T0));
    assertEquals(2, r.notified());
    assertEquals(1, await(outbox.outboxStats(T0)).waiting(), "only the follower who asked for SMS");
    await(store.answerFollow(a, b, false, T0));
    assertTrue(await(outbox.claimSms("n", T0, 10, Duration.ofSeconds(60))).isEmpty(), "consent was withdrawn");
    await(store.answerFollow(a, b, true, T0));
    await(store.setSmsOptOut(b, true, T0));
    assertTrue(await(store.isSmsOptedOut(b)));
    await(store.recordCheckIn(req(a, Status.SAFE, "again", null), T0));
    await(outbox.enqueueSms(b, null, null, "direct", T0));
    assertTrue(await(outbox.claimSms("n", T0, 10, Duration.ofSeconds(60))).isEmpty(), "STOP means nothing is sent");
    assertEquals(0, await(outbox.outboxStats(T0)).waiting(), "and nothing waits");
    await(store.setSmsOptOut(b, false, T0));
    await(store.recordCheckIn(req(a, Status.SAFE, "after start", null), T0));
    List<Store.OutboxItem> items = await(outbox.claimSms("n", T0, 10, Duration.ofSeconds(60)));
    assertEquals(1, items.size());
    String text = sentTexts(items).get(0);
    assertTrue(text.contains("after start"), text);
  }

  @Test
  @DisplayName("a status notification is queued as subject and seq (no text), coalesced per follower and subject")
  void statusRowsHoldSubjectAndSeq() throws Exception {
    String a = "+15550000090", b = "+15550000091", c = "+15550000092";
    await(store.requestFollow(b, a, true, T0));
    await(store.answerFollow(a, b, true, T0));
    await(store.requestFollow(b, c, true, T0));
    await(store.answerFollow(c, b, true, T0));
    // A status SMS queued pre-rendered (as older releases did) is replaced by the newer check-in's.
    await(outbox.enqueueSms(b, org.crisishub.domain.SmsKeys.status(a), a, "old text", T0));
    await(store.recordCheckIn(req(a, Status.SAFE, "first", null), T0));
    await(store.recordCheckIn(req(a, Status.NEED_HELP, "second", null), T0.plusSeconds(1)));
    await(store.recordCheckIn(req(c, Status.SAFE, "c's", null), T0.plusSeconds(1)));
    await(outbox.enqueueStatusSms(b, c, 1, T0.plusSeconds(2)));
    assertEquals(2, await(outbox.outboxStats(T0.plusSeconds(2))).waiting(), "one waiting per follower and subject");
    List<Store.OutboxItem> items = new ArrayList<>(await(outbox.claimSms("n", T0.plusSeconds(2), 10,
        Duration.ofSeconds(60))));
    items.sort(java.util.Comparator.comparing(Store.OutboxItem::subject));
    assertEquals(2, items.size());
    Store.OutboxItem ofA = items.get(0);
    assertEquals(a, ofA.subject());
    assertEquals(2L, ofA.statusSeq(), "the newer check-in's seq replaced the pre-rendered text");
    // No status text is stored: empty, or on Redis the rolling-upgrade fallback, which carries no status.
    assertTrue(ofA.body().isEmpty() || ofA.body().equals(org.crisishub.domain.SmsReplies.statusFallback(a)), ofA.body());
    assertEquals(org.crisishub.domain.SmsKeys.status(a), ofA.coalesceKey());
    assertTrue(ofA.rendersAtSend());
    assertEquals(c, items.get(1).subject());
    assertEquals(1L, items.get(1).statusSeq());
    List<String> texts = sentTexts(items);
    assertTrue(texts.get(0).contains(a + " NEEDS HELP: second") && texts.get(0).contains("#2)"), texts.get(0));
    assertTrue(texts.get(1).contains(c + " is SAFE: c's") && texts.get(1).contains("#1)"), texts.get(1));
  }

  @Test
  @DisplayName("rows with text (other SMS, status SMS queued pre-rendered) carry no seq and are sent as stored")
  void plainRowsSentAsStored() throws Exception {
    String a = "+15550000093", b = "+15550000094";
    await(store.requestFollow(b, a, true, T0));
    await(store.answerFollow(a, b, true, T0));
    await(outbox.enqueueSms(b, org.crisishub.domain.SmsKeys.status(a), a, "Crisis Hub: pre-rendered (#7)", T0));
    await(outbox.enqueueSms(b, null, null, "a reply", T0));
    List<Store.OutboxItem> items = await(outbox.claimSms("n", T0, 10, Duration.ofSeconds(60)));
    assertEquals(2, items.size());
    for (Store.OutboxItem i : items) {
      assertEquals(null, i.statusSeq());
      assertFalse(i.rendersAtSend());
    }
    assertEquals(List.of("Crisis Hub: pre-rendered (#7)", "a reply"), sentTexts(items).stream().sorted().toList());
  }

  @Test
  @DisplayName("a status SMS is rendered when sent: a label changed after the check-in is the one used")
  void statusRenderedWithLabelOfSendTime() throws Exception {
    String a = "+15550000095", b = "+15550000096";
    await(store.requestFollow(b, a, true, T0));
    await(store.answerFollow(a, b, true, T0));
    assertTrue(await(store.setFollowLabel(b, a, "Dad")));
    await(store.recordCheckIn(req(a, Status.SAFE, "home", null), T0));
    assertTrue(await(store.setFollowLabel(b, a, "Papa 👨")), "relabelled after the check-in, before the send");
    List<Store.OutboxItem> items = await(outbox.claimSms("n", T0, 10, Duration.ofSeconds(60)));
    String text = sentTexts(items).get(0);
    assertEquals("Crisis Hub: Papa 👨 (" + a + ") is SAFE: home (10:00 UTC, #1)", text);
  }

  @Test
  @DisplayName("a status SMS whose check-in was purged before the send fails for good, saying why")
  void statusOfPurgedCheckInFails() throws Exception {
    String a = "+15550000097", b = "+15550000098";
    await(store.requestFollow(b, a, true, T0));
    await(store.answerFollow(a, b, true, T0));
    await(store.recordCheckIn(req(a, Status.SAFE, "long ago", null), T0));
    Instant later = T0.plus(Duration.ofDays(31));
    assertEquals(1, await(store.purge(later, Duration.ofDays(30))), "the check-in is deleted by retention");
    List<Store.OutboxItem> items = await(outbox.claimSms("n", later, 10, Duration.ofSeconds(60)));
    assertEquals(1, items.size(), "the waiting SMS is still claimed");
    org.crisishub.sms.StatusNotices.Rendered r = rendered(items).get(0);
    assertTrue(r.permanent());
    assertTrue(r.failure().contains("check-in #1") && r.failure().contains("retention"), r.failure());
    assertFalse(r.failure().contains(a), "the subject's number is masked: " + r.failure());
  }

  @Test
  @DisplayName("a late check-in queues no SMS to followers who asked for SMS")
  void lateSendsNoSms() throws Exception {
    String p = "+15550000130";
    String f = "+15550000131";
    await(store.requestFollow(f, p, true, T0));
    await(store.answerFollow(p, f, true, T0));
    await(store.recordCheckIn(req(p, Status.SAFE, null, null), T0));
    long before = await(outbox.outboxStats(T0)).waiting();
    CheckInResult late = await(store.recordCheckIn(new CheckInRequest(p, Status.NEED_HELP, null, null, null,
        Channel.WEB, null, T0.minusSeconds(60)), T0.plusSeconds(1)));
    assertTrue(late.checkIn().late());
    assertEquals(1, late.notified(), "followers are still counted: they get it live, marked late");
    assertEquals(before, await(outbox.outboxStats(T0)).waiting(), "no SMS for a late check-in");
  }

  @Test
  @DisplayName("SMS withheld for an opt-out are counted once each: not queued, or dropped when claimed")
  void optedOutSmsCounted() throws Exception {
    java.util.concurrent.atomic.AtomicInteger withheld = new java.util.concurrent.atomic.AtomicInteger();
    outbox.onSmsOptedOut(withheld::incrementAndGet);
    await(store.setSmsOptOut("+15550000160", true, T0));
    await(outbox.enqueueSms("+15550000160", "k1", null, "to an opted-out number", T0));
    await(outbox.enqueueSms("+15550000161", "k2", null, "opts out while queued", T0));
    await(store.setSmsOptOut("+15550000161", true, T0));
    await(outbox.enqueueSms("+15550000162", "k3", null, "goes", T0));
    List<Store.OutboxItem> claimed = new ArrayList<>();
    for (int i = 0; i < 8 && claimed.isEmpty(); i++) {
      claimed.addAll(await(outbox.claimSms("test", T0.plusSeconds(1), 10, Duration.ofSeconds(30))));
    }
    assertEquals(List.of("+15550000162"), claimed.stream().map(Store.OutboxItem::to).toList());
    assertEquals(2, withheld.get(), "one for the message never queued (or dropped at claim), one dropped at claim");
    assertTrue(await(outbox.claimSms("test", T0.plusSeconds(2), 10, Duration.ofSeconds(30))).isEmpty());
    assertEquals(2, withheld.get(), "counted once");
  }
}
