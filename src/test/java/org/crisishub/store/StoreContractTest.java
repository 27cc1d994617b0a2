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
 * The contract every {@link Store} keeps. One subclass per engine supplies {@link #newStore} (and,
 * for durability, {@link #reopen}).
 */
public abstract class StoreContractTest {
  protected Vertx vertx;
  protected Store store;
  protected static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  /** A fresh, empty store. */
  protected abstract Store newStore(Vertx vertx) throws Exception;

  /** The same data opened again, as after a restart. */
  protected abstract Store reopen(Vertx vertx) throws Exception;

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    store = newStore(vertx);
    await(store.start());
  }

  @AfterEach
  void shut() throws Exception {
    await(store.close());
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  protected static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  static CheckInRequest req(String phone, Status st, String note, String key) {
    return new CheckInRequest(phone, st, note, null, null, Channel.WEB, key);
  }

  @Test
  @DisplayName("seq starts at 1 and increases by one per person, independently per person")
  void seqPerPerson() throws Exception {
    for (int i = 1; i <= 3; i++) {
      assertEquals(i, await(store.recordCheckIn(req("+15550000001", Status.SAFE, null, null), T0)).checkIn().seq());
    }
    assertEquals(1, await(store.recordCheckIn(req("+15550000002", Status.SAFE, null, null), T0)).checkIn().seq());
  }

  @Test
  @DisplayName("concurrent check-ins of one person get distinct, gap-free seqs")
  void concurrentSeq() throws Exception {
    List<Future<CheckInResult>> all = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      all.add(store.recordCheckIn(req("+15550000003", Status.SAFE, "n" + i, null), T0));
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
  @DisplayName("every field round-trips; latest and history read what was written")
  void roundTrip() throws Exception {
    CheckInRequest r = new CheckInRequest("+15550000004", Status.NEED_HELP, "trapped, 2nd floor",
        new Location(35.5, -120.25, 12.0), "flood7", Channel.WS, null);
    CheckIn written = await(store.recordCheckIn(r, T0)).checkIn();
    CheckIn latest = await(store.latest("+15550000004")).orElseThrow();
    assertEquals(written, latest);
    assertEquals("FLOOD7", latest.incident());
    assertEquals(new Location(35.5, -120.25, 12.0), latest.location());
    await(store.recordCheckIn(req("+15550000004", Status.SAFE, null, null), T0.plusSeconds(60)));
    List<CheckIn> after1 = await(store.history("+15550000004", 1, 100));
    assertEquals(1, after1.size());
    assertEquals(2, after1.get(0).seq());
    assertEquals(2, await(store.history("+15550000004", 0, 100)).size());
    assertEquals(1, await(store.history("+15550000004", 0, 1)).size());
    assertTrue(await(store.latest("+15550000099")).isEmpty());
    assertEquals(1, await(store.latestOf(List.of("+15550000004", "+15550000099"))).size());
  }

  @Test
  @DisplayName("the same key within 24 h returns the first check-in; after 24 h it makes a new one")
  void idempotency() throws Exception {
    CheckInResult first = await(store.recordCheckIn(req("+15550000005", Status.SAFE, "a", "k1"), T0));
    CheckInResult again = await(store.recordCheckIn(req("+15550000005", Status.NEED_HELP, "b", "k1"), T0.plusSeconds(5)));
    assertTrue(again.duplicate());
    assertEquals(first.checkIn(), again.checkIn());
    CheckInResult otherPerson = await(store.recordCheckIn(req("+15550000006", Status.SAFE, "a", "k1"), T0));
    assertFalse(otherPerson.duplicate());
    CheckInResult later = await(store.recordCheckIn(req("+15550000005", Status.SAFE, "c", "k1"),
        T0.plus(Duration.ofHours(25))));
    assertFalse(later.duplicate());
    assertEquals(2, later.checkIn().seq());
  }

  @Test
  @DisplayName("follows start pending, consent makes them active, refusal revokes; only active followers are recipients")
  void consent() throws Exception {
    String a = "+15550000010", b = "+15550000011", c = "+15550000012";
    Store.FollowRequestOutcome o = await(store.requestFollow(b, a, true, T0));
    assertEquals(FollowState.PENDING, o.follow().state());
    assertTrue(o.created());
    assertFalse(await(store.requestFollow(b, a, true, T0)).created(), "asking again is not a new request");
    await(store.requestFollow(c, a, false, T0));
    assertEquals(0, await(store.recordCheckIn(req(a, Status.SAFE, null, null), T0)).notified());
    assertEquals(FollowState.ACTIVE, await(store.answerFollow(a, b, true, T0)).orElseThrow().state());
    CheckInResult r = await(store.recordCheckIn(req(a, Status.SAFE, null, null), T0));
    assertEquals(1, r.notified());
    assertEquals(b, r.recipients().get(0).follower());
    assertTrue(r.recipients().get(0).sms());
    assertEquals(FollowState.REVOKED, await(store.answerFollow(a, b, false, T0)).orElseThrow().state());
    assertEquals(0, await(store.recordCheckIn(req(a, Status.SAFE, null, null), T0)).notified());
    assertTrue(await(store.answerFollow(a, "+15550000013", true, T0)).isEmpty());
    assertEquals(2, await(store.followers(a)).size());
    assertEquals(1, await(store.follows(b)).size());
    assertTrue(await(store.unfollow(c, a)));
    assertFalse(await(store.unfollow(c, a)));
    assertEquals(1, await(store.followers(a)).size());
  }

  @Test
  @DisplayName("labels: only for a follow of one's own, seen only by that follower, used in that follower's SMS,"
      + " kept across consent, gone with the follow")
  void followLabels() throws Exception {
    String subject = "+15550000070";
    String labeller = "+15550000071";
    String other = "+15550000072";
    assertFalse(await(store.setFollowLabel(labeller, subject, "Mamá")), "no follow: nothing to label");
    await(store.requestFollow(labeller, subject, true, T0));
    await(store.requestFollow(other, subject, true, T0));
    assertTrue(await(store.setFollowLabel(labeller, subject, "Mamá 👩")));
    assertEquals(java.util.Map.of(subject, "Mamá 👩"), await(store.followLabels(labeller)));
    assertTrue(await(store.followLabels(other)).isEmpty(), "another follower sees no label");
    assertTrue(await(store.followLabels(subject)).isEmpty(), "the person labelled sees no label");
    await(store.answerFollow(subject, labeller, true, T0));
    await(store.answerFollow(subject, other, true, T0));
    assertEquals("Mamá 👩", await(store.followLabels(labeller)).get(subject), "kept across consent");

    await(store.recordCheckIn(req(subject, Status.SAFE, "ok", null), T0));
    java.util.Map<String, String> bodies = new java.util.HashMap<>();
    for (Store.OutboxItem item : await(store.claimSms("node-a", T0, 10, Duration.ofMinutes(1)))) {
      bodies.put(item.to(), item.body());
    }
    assertTrue(bodies.get(labeller).contains("Mamá 👩") && bodies.get(labeller).contains("#1)"),
        bodies.get(labeller));
    assertFalse(bodies.get(other).contains("Mamá"), "the other follower's SMS has no label: " + bodies.get(other));
    assertTrue(bodies.get(other).contains(subject) && bodies.get(other).contains("10:00 UTC"), bodies.get(other));

    assertTrue(await(store.setFollowLabel(labeller, subject, null)));
    assertTrue(await(store.followLabels(labeller)).isEmpty(), "null removes it");
    assertTrue(await(store.setFollowLabel(labeller, subject, "Mom")));
    await(store.unfollow(labeller, subject));
    await(store.requestFollow(labeller, subject, false, T0));
    assertTrue(await(store.followLabels(labeller)).isEmpty(), "unfollowing removed the label");
  }

  @Test
  @DisplayName("a trusted contact's follow is active at once, and trusting activates a pending one")
  void trustedContacts() throws Exception {
    String a = "+15550000020", b = "+15550000021", c = "+15550000022";
    assertTrue(await(store.putContact(a, b, T0)).isEmpty());
    assertEquals(FollowState.ACTIVE, await(store.requestFollow(b, a, false, T0)).follow().state());
    await(store.requestFollow(c, a, false, T0));
    assertEquals(FollowState.ACTIVE, await(store.putContact(a, c, T0)).orElseThrow().state());
    assertEquals(List.of(b, c), await(store.contacts(a)));
    assertTrue(await(store.deleteContact(a, b)));
    assertFalse(await(store.deleteContact(a, b)));
    assertEquals(FollowState.ACTIVE, await(store.follow(b, a)).orElseThrow().state(), "existing follows stay");
  }

  @Test
  @DisplayName("one-time codes: single use, expire, and die after too many wrong tries")
  void otp() throws Exception {
    String p = "+15550000030";
    await(store.saveOtp(p, "h1", T0.plusSeconds(600)));
    assertEquals(Store.OtpOutcome.WRONG, await(store.checkOtp(p, "bad", T0, 3)));
    assertEquals(Store.OtpOutcome.OK, await(store.checkOtp(p, "h1", T0, 3)));
    assertEquals(Store.OtpOutcome.NONE, await(store.checkOtp(p, "h1", T0, 3)), "single use");
    await(store.saveOtp(p, "h2", T0.plusSeconds(600)));
    assertEquals(Store.OtpOutcome.NONE, await(store.checkOtp(p, "h2", T0.plusSeconds(601), 3)), "expired");
    await(store.saveOtp(p, "h3", T0.plusSeconds(600)));
    for (int i = 0; i < 3; i++) {
      assertEquals(Store.OtpOutcome.WRONG, await(store.checkOtp(p, "x", T0, 3)));
    }
    assertEquals(Store.OtpOutcome.NONE, await(store.checkOtp(p, "h3", T0, 3)), "dead after 3 wrong tries");
  }

  @Test
  @DisplayName("revoked tokens stay revoked; retention deletes old check-ins but seq keeps counting")
  void revocationAndRetention() throws Exception {
    await(store.revokeToken("t1", T0.plusSeconds(3600)));
    assertTrue(await(store.isTokenRevoked("t1")));
    assertFalse(await(store.isTokenRevoked("t2")));
    String p = "+15550000040";
    await(store.recordCheckIn(req(p, Status.SAFE, "old", null), T0));
    await(store.recordCheckIn(req(p, Status.SAFE, "new", null), T0.plus(Duration.ofDays(29))));
    assertEquals(1, await(store.purge(T0.plus(Duration.ofDays(31)), Duration.ofDays(30))));
    List<CheckIn> left = await(store.history(p, 0, 10));
    assertEquals(1, left.size());
    assertEquals("new", left.get(0).note());
    assertEquals(3, await(store.recordCheckIn(req(p, Status.SAFE, null, null), T0.plus(Duration.ofDays(31))))
        .checkIn().seq());
    await(store.purge(T0.plus(Duration.ofDays(1)), Duration.ofDays(30)));
    assertTrue(await(store.isTokenRevoked("t1")) == false, "revocations end when the token would have expired");
  }

  @Test
  @DisplayName("outbox: a claim is exclusive until its lease ends; a crashed sender's claim is taken over")
  void outboxLeases() throws Exception {
    // Real time here: the Redis store measures leases with the server's clock (XAUTOCLAIM), the
    // one clock every node shares.
    Instant t = Instant.now();
    await(store.enqueueSms("+15550000060", null, null, "hello", t));
    Duration lease = Duration.ofMillis(1500);
    long claimedAt = System.nanoTime();
    List<Store.OutboxItem> first = await(store.claimSms("node-a", t, 10, lease));
    assertEquals(1, first.size());
    assertEquals(1, first.get(0).attempts());
    assertEquals("hello", first.get(0).body());
    assertTrue(await(store.claimSms("node-b", Instant.now(), 10, lease)).isEmpty(), "still leased");
    List<Store.OutboxItem> takenOver = List.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (takenOver.isEmpty() && System.nanoTime() < deadline) {
      // Polls a time-based condition (the lease running out), at most every 100 ms.
      await(vertx.timer(100));
      takenOver = await(store.claimSms("node-b", Instant.now(), 10, lease));
    }
    assertTrue(System.nanoTime() - claimedAt >= lease.toNanos(), "taken over only after the lease");
    assertEquals(1, takenOver.size());
    assertEquals(2, takenOver.get(0).attempts());
    await(store.smsSent(takenOver.get(0).id(), "SM1", Instant.now()));
    assertTrue(await(store.claimSms("node-c", Instant.now().plus(Duration.ofHours(1)), 10, lease)).isEmpty(),
        "never sent again once the provider's id is recorded");
    assertEquals(0, await(store.outboxStats(Instant.now())).waiting());
  }

  @Test
  @DisplayName("outbox: a stopping sender hands its claims back at once; other senders' claims stay")
  void outboxReleaseByOwner() throws Exception {
    Instant t = Instant.now();
    await(store.enqueueSms("+15550000062", null, null, "one", t));
    await(store.enqueueSms("+15550000063", null, null, "two", t));
    Duration lease = Duration.ofMinutes(5);
    assertEquals(1, await(store.claimSms("node-a", t, 1, lease)).size());
    assertEquals(1, await(store.claimSms("node-b", t, 1, lease)).size());
    assertEquals(1, await(store.releaseSmsClaims("node-a")));
    List<Store.OutboxItem> again = await(store.claimSms("node-c", t, 10, lease));
    assertEquals(1, again.size(), "only node-a's claim is free again");
    assertEquals(2, again.get(0).attempts());
    assertEquals(0, await(store.releaseSmsClaims("node-a")));
  }

  @Test
  @DisplayName("outbox: waiting messages with the same key coalesce to the latest; retries wait; failures stop")
  void outboxCoalesceRetryFail() throws Exception {
    String to = "+15550000061";
    await(store.enqueueSms(to, "status:x", null, "one", T0));
    await(store.enqueueSms(to, "status:x", null, "two", T0));
    await(store.enqueueSms(to, "status:y", null, "other", T0));
    assertEquals(2, await(store.outboxStats(T0)).waiting());
    List<Store.OutboxItem> items = await(store.claimSms("n", T0, 1, Duration.ofSeconds(60)));
    assertEquals("two", items.get(0).body());
    // While "two" is in flight, "three" waits as a message of its own.
    await(store.enqueueSms(to, "status:x", null, "three", T0));
    await(store.smsRetry(items.get(0).id(), T0.plusSeconds(10), "429", T0));
    List<Store.OutboxItem> now = await(store.claimSms("n", T0.plusSeconds(1), 10, Duration.ofSeconds(60)));
    assertEquals(List.of("other", "three"), now.stream().map(Store.OutboxItem::body).sorted().toList());
    List<Store.OutboxItem> later = await(store.claimSms("n", T0.plusSeconds(11), 10, Duration.ofSeconds(60)));
    assertEquals(1, later.size());
    assertEquals("two", later.get(0).body());
    assertEquals(2, later.get(0).attempts());
    await(store.smsFailed(later.get(0).id(), "invalid number", T0.plusSeconds(11)));
    assertEquals(1, await(store.outboxStats(T0.plusSeconds(12))).failed());
    assertEquals(2, await(store.releaseSmsClaims()));
    assertEquals(2, await(store.claimSms("n", T0.plusSeconds(12), 10, Duration.ofSeconds(60))).size());
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
    assertEquals(1, await(store.outboxStats(T0)).waiting(), "only the follower who asked for SMS");
    await(store.answerFollow(a, b, false, T0));
    assertTrue(await(store.claimSms("n", T0, 10, Duration.ofSeconds(60))).isEmpty(), "consent was withdrawn");
    await(store.answerFollow(a, b, true, T0));
    await(store.setSmsOptOut(b, true, T0));
    assertTrue(await(store.isSmsOptedOut(b)));
    await(store.recordCheckIn(req(a, Status.SAFE, "again", null), T0));
    await(store.enqueueSms(b, null, null, "direct", T0));
    assertTrue(await(store.claimSms("n", T0, 10, Duration.ofSeconds(60))).isEmpty(), "STOP means nothing is sent");
    assertEquals(0, await(store.outboxStats(T0)).waiting(), "and nothing waits");
    await(store.setSmsOptOut(b, false, T0));
    await(store.recordCheckIn(req(a, Status.SAFE, "after start", null), T0));
    List<Store.OutboxItem> items = await(store.claimSms("n", T0, 10, Duration.ofSeconds(60)));
    assertEquals(1, items.size());
    assertTrue(items.get(0).body().contains("after start"), items.get(0).body());
  }

  @Test
  @DisplayName("inbound MessageSids, incident SMS subscriptions and delivery reports are kept")
  void smsBookkeeping() throws Exception {
    assertTrue(await(store.inboundReply("SM1")).isEmpty());
    await(store.saveInboundReply("SM1", "ok", T0));
    await(store.saveInboundReply("SM1", "other", T0));
    assertEquals("ok", await(store.inboundReply("SM1")).orElseThrow());
    assertTrue(await(store.setIncidentSms("+15550000080", "FLOOD7", true, T0)));
    assertFalse(await(store.setIncidentSms("+15550000080", "FLOOD7", true, T0)));
    assertEquals(List.of("+15550000080"), await(store.incidentSmsSubscribers("FLOOD7")));
    assertTrue(await(store.setIncidentSms("+15550000080", "FLOOD7", false, T0)));
    assertTrue(await(store.incidentSmsSubscribers("FLOOD7")).isEmpty());
    await(store.recordDeliveryReport("SM2", "delivered", null, T0));
  }

  @Test
  @DisplayName("responders, incidents and keys: created once, disabled and closed, keys rotated and all kept")
  void respondersIncidentsKeys() throws Exception {
    assertTrue(await(store.createResponder("ann", "hash", "EMS", Set.of("publisher"), T0)));
    assertFalse(await(store.createResponder("ann", "other", "EMS", Set.of("approver"), T0)));
    Store.ResponderRecord r = await(store.responder("ann")).orElseThrow();
    assertEquals("hash", r.passwordHash());
    assertEquals(Set.of("publisher"), r.responder().roles());
    assertTrue(await(store.disableResponder("ann")));
    assertTrue(await(store.responder("ann")).orElseThrow().responder().disabled());
    Incident inc = new Incident("i1", "FLOOD7", "Flood", Area.circle(38, -122, 1000), true, "open", T0, null);
    assertTrue(await(store.createIncident(inc)));
    assertFalse(await(store.createIncident(inc)));
    assertEquals(inc.area().radiusM(), await(store.incident("FLOOD7")).orElseThrow().area().radiusM());
    Incident closed = await(store.closeIncident("FLOOD7", T0.plusSeconds(5))).orElseThrow();
    assertEquals("closed", closed.state());
    assertEquals(T0.plusSeconds(5), closed.closedAt());
    Store.AgencyKey k1 = new Store.AgencyKey("ems-1", "EMS", new byte[] {1}, new byte[] {2}, true, T0);
    assertEquals("ems-1", await(store.activeKey("EMS", () -> k1)).kid());
    assertEquals("ems-1", await(store.activeKey("EMS", () -> {
      throw new AssertionError("an active key exists");
    })).kid());
    await(store.rotateKey(new Store.AgencyKey("ems-2", "EMS", new byte[] {3}, new byte[] {4}, true, T0)));
    assertEquals("ems-2", await(store.activeKey("EMS", () -> k1)).kid());
    assertEquals(2, await(store.keys()).size());
  }

  @Test
  @DisplayName("notices: approve only drafts, publish once with its reference and its SMS in one transaction")
  void noticeTransitions() throws Exception {
    await(store.createIncident(new Incident("i2", "FIRE2", "Fire", null, false, "open", T0, null)));
    await(store.setIncidentSms("+15550000090", "FIRE2", true, T0));
    Store.NoticeRecord first = new Store.NoticeRecord("n1", "FIRE2", "ann", "EMS", "draft", null, "{}", null, null, T0, null);
    await(store.insertNotice(first));
    assertTrue(await(store.approveNotice("n1", "bo", T0)));
    assertFalse(await(store.approveNotice("n1", "bo", T0)), "already approved");
    assertTrue(await(store.publishNotice("n1", Set.of("approved"), "{\"id\":\"n1\"}", T0, null, null, "sms one")));
    assertFalse(await(store.publishNotice("n1", Set.of("approved"), "{}", T0, null, null, null)), "published once");
    await(store.insertNotice(new Store.NoticeRecord("n2", "FIRE2", "ann", "EMS", "draft", null, "{}", null, null,
        T0.plusSeconds(1), null)));
    assertTrue(await(store.publishNotice("n2", Set.of("draft"), "{\"id\":\"n2\"}", T0.plusSeconds(2), "n1",
        "cancelled", "sms two")));
    assertEquals("cancelled", await(store.notice("n1")).orElseThrow().state());
    assertEquals("{\"id\":\"n1\"}", await(store.notice("n1")).orElseThrow().signedJson(), "never edited");
    assertEquals(List.of("n2", "n1"), await(store.notices("FIRE2", null)).stream().map(Store.NoticeRecord::id).toList());
    assertEquals(2, await(store.outboxStats(T0)).waiting(), "one SMS per published notice to the joined number");
    await(store.audit("ann", "notice.publish", "n1", "done", null, T0));
    assertEquals("notice.publish", await(store.auditPage(0, 10)).get(0).action());
  }

  @Test
  @DisplayName("help: a need_help check-in naming an open incident, or inside its area, joins its queue")
  void helpQueue() throws Exception {
    await(store.createIncident(new Incident("i3", "QUAKE3", "Quake", Area.circle(10, 10, 5000), false, "open", T0,
        null)));
    CheckInResult named = await(store.recordCheckIn(new CheckInRequest("+15550000100", Status.NEED_HELP, "x", null,
        "quake3", Channel.WEB, null), T0));
    assertEquals(List.of("QUAKE3"), named.helpIncidents());
    CheckInResult inside = await(store.recordCheckIn(new CheckInRequest("+15550000101", Status.NEED_HELP, null,
        new Location(10.01, 10.01, null), null, Channel.WEB, null), T0));
    assertEquals(List.of("QUAKE3"), inside.helpIncidents());
    assertTrue(await(store.recordCheckIn(new CheckInRequest("+15550000102", Status.NEED_HELP, null,
        new Location(20, 20, null), null, Channel.WEB, null), T0)).helpIncidents().isEmpty());
    assertTrue(await(store.recordCheckIn(new CheckInRequest("+15550000103", Status.SAFE, null, null, "QUAKE3",
        Channel.WEB, null), T0)).helpIncidents().isEmpty(), "only need_help");
    assertEquals(2, await(store.helpRequests("QUAKE3", true)).size());
    Store.HelpRequest acked = await(store.setHelpState(named.checkIn().id(), "acknowledged", "ann", "Red Cross",
        T0.plusSeconds(5))).orElseThrow();
    assertEquals("acknowledged", acked.state());
    assertEquals("ann", acked.byResponder());
    assertEquals("Red Cross", acked.byAgency());
    assertEquals(T0.plusSeconds(5), acked.updatedAt());
    Store.HelpRequest open = await(store.helpRequest(inside.checkIn().id())).orElseThrow();
    assertEquals("open", open.state());
    assertEquals("QUAKE3", open.incident());
    assertEquals(null, open.byAgency());
    assertEquals(inside.checkIn().id(), open.checkIn().id());
    await(store.setHelpState(named.checkIn().id(), "resolved", "bob", "Fire Dept", T0.plusSeconds(9)));
    Store.HelpRequest resolved = await(store.helpRequest(named.checkIn().id())).orElseThrow();
    assertEquals("resolved", resolved.state());
    assertEquals("Fire Dept", resolved.byAgency());
    assertEquals("bob", resolved.byResponder());
    assertTrue(await(store.helpRequest("nope")).isEmpty());
    assertEquals(1, await(store.helpRequests("QUAKE3", true)).size());
    assertEquals(2, await(store.helpRequests("QUAKE3", false)).size());
    assertTrue(await(store.setHelpState("nope", "resolved", "ann", "Red Cross", T0)).isEmpty());
    await(store.setIncidentSms("+15550000104", "QUAKE3", true, T0));
    assertEquals(List.of("QUAKE3"), await(store.joinedOpenIncidents("+15550000104")));
  }

  @Test
  @DisplayName("madeAt round-trips; a check-in made before the latest status is stored late and leaves the status alone")
  void lateCheckIns() throws Exception {
    String p = "+15550000120";
    CheckIn first = await(store.recordCheckIn(new CheckInRequest(p, Status.SAFE, "now", null, null, Channel.WEB, "k1",
        null), T0)).checkIn();
    assertFalse(first.late());
    // Made offline an hour earlier, sent now: late.
    CheckInResult old = await(store.recordCheckIn(new CheckInRequest(p, Status.NEED_HELP, "earlier", null, null,
        Channel.WEB, "k2", T0.minusSeconds(3600)), T0.plusSeconds(10)));
    assertTrue(old.checkIn().late());
    assertEquals(2, old.checkIn().seq(), "a late check-in still takes its seq");
    assertEquals(T0.minusSeconds(3600), old.checkIn().madeAt());
    assertEquals(T0.plusSeconds(10), old.checkIn().at(), "at stays the hub's time");
    CheckIn latest = await(store.latest(p)).orElseThrow();
    assertEquals(1, latest.seq(), "the status is still the newer one");
    assertEquals(List.of(first), await(store.latestOf(List.of(p))));
    List<CheckIn> hist = await(store.history(p, 0, 10));
    assertEquals(2, hist.size());
    assertTrue(hist.get(1).late());
    assertEquals(T0.minusSeconds(3600), hist.get(1).madeAt());
    // The same key again returns the late check-in as it was stored.
    CheckInResult again = await(store.recordCheckIn(new CheckInRequest(p, Status.NEED_HELP, "earlier", null, null,
        Channel.WEB, "k2", T0.minusSeconds(3600)), T0.plusSeconds(11)));
    assertTrue(again.duplicate());
    assertTrue(again.checkIn().late());
    // Made after the status (clock a little ahead is allowed): it becomes the status, not late.
    CheckIn newer = await(store.recordCheckIn(new CheckInRequest(p, Status.SAFE, "later", null, null, Channel.WEB,
        null, T0.plusSeconds(20)), T0.plusSeconds(15))).checkIn();
    assertFalse(newer.late());
    assertEquals(newer, await(store.latest(p)).orElseThrow());
    // Without madeAt its time is the hub's: earlier than the status made at +20 s, so late.
    CheckIn hubTime = await(store.recordCheckIn(req(p, Status.SAFE, null, null), T0.plusSeconds(16))).checkIn();
    assertTrue(hubTime.late());
    assertEquals(newer.seq(), await(store.latest(p)).orElseThrow().seq());
  }

  @Test
  @DisplayName("two check-ins timed by the hub are ordered by seq: one committed after another with a"
      + " millisecond-earlier stamp is not late and becomes the status")
  void hubTimedCheckInsFollowSeq() throws Exception {
    String p = "+15550000121";
    CheckIn first = await(store.recordCheckIn(req(p, Status.SAFE, "a", null), T0.plusMillis(5))).checkIn();
    CheckIn second = await(store.recordCheckIn(req(p, Status.NEED_HELP, "b", null), T0.plusMillis(4))).checkIn();
    assertFalse(first.late());
    assertFalse(second.late(), "pipelining may commit a request before one stamped a millisecond earlier");
    assertEquals(second, await(store.latest(p)).orElseThrow());
    assertEquals(List.of(second), await(store.latestOf(List.of(p))));
  }

  @Test
  @DisplayName("a late check-in queues no SMS to followers who asked for SMS")
  void lateSendsNoSms() throws Exception {
    String p = "+15550000130";
    String f = "+15550000131";
    await(store.requestFollow(f, p, true, T0));
    await(store.answerFollow(p, f, true, T0));
    await(store.recordCheckIn(req(p, Status.SAFE, null, null), T0));
    long before = await(store.outboxStats(T0)).waiting();
    CheckInResult late = await(store.recordCheckIn(new CheckInRequest(p, Status.NEED_HELP, null, null, null,
        Channel.WEB, null, T0.minusSeconds(60)), T0.plusSeconds(1)));
    assertTrue(late.checkIn().late());
    assertEquals(1, late.notified(), "followers are still counted: they get it live, marked late");
    assertEquals(before, await(store.outboxStats(T0)).waiting(), "no SMS for a late check-in");
  }

  @Test
  @DisplayName("SMS withheld for an opt-out are counted once each: not queued, or dropped when claimed")
  void optedOutSmsCounted() throws Exception {
    java.util.concurrent.atomic.AtomicInteger withheld = new java.util.concurrent.atomic.AtomicInteger();
    store.onSmsOptedOut(withheld::incrementAndGet);
    await(store.setSmsOptOut("+15550000160", true, T0));
    await(store.enqueueSms("+15550000160", "k1", null, "to an opted-out number", T0));
    await(store.enqueueSms("+15550000161", "k2", null, "opts out while queued", T0));
    await(store.setSmsOptOut("+15550000161", true, T0));
    await(store.enqueueSms("+15550000162", "k3", null, "goes", T0));
    List<Store.OutboxItem> claimed = new ArrayList<>();
    for (int i = 0; i < 8 && claimed.isEmpty(); i++) {
      claimed.addAll(await(store.claimSms("test", T0.plusSeconds(1), 10, Duration.ofSeconds(30))));
    }
    assertEquals(List.of("+15550000162"), claimed.stream().map(Store.OutboxItem::to).toList());
    assertEquals(2, withheld.get(), "one for the message never queued (or dropped at claim), one dropped at claim");
    assertTrue(await(store.claimSms("test", T0.plusSeconds(2), 10, Duration.ofSeconds(30))).isEmpty());
    assertEquals(2, withheld.get(), "counted once");
  }

  @Test
  @DisplayName("agencies: names compare ignoring case; the spelling first stored is the agency's name")
  void agencyNamesIgnoreCase() throws Exception {
    assertEquals("Red Cross", await(store.agencyNamed("Red Cross")), "unknown: as given");
    assertTrue(await(store.createResponder("rc1", "hash", "Red Cross", Set.of("publisher"), T0)));
    assertEquals("Red Cross", await(store.agencyNamed("red cross")));
    assertEquals("Red Cross", await(store.agencyNamed("RED CROSS")));
    assertTrue(await(store.createIncident(new Incident("i11", "CASE1", "Case", null, false, "open", T0, null,
        "Ärzte Ohne Grenzen", List.of()))));
    assertEquals("Ärzte Ohne Grenzen", await(store.agencyNamed("ÄRZTE OHNE GRENZEN")), "beyond ASCII too");
    Incident i = await(store.setIncidentPartner("CASE1", "ärzte ohne grenzen", true)).orElseThrow();
    assertEquals("Ärzte Ohne Grenzen", i.agency());
    assertEquals(List.of(), i.partners(), "the owner in another case is still the owner");
    assertEquals(List.of("Fire Dept"), await(store.setIncidentPartner("CASE1", "Fire Dept", true)).orElseThrow()
        .partners());
    assertEquals(List.of("Fire Dept"), await(store.setIncidentPartner("CASE1", "FIRE DEPT", true)).orElseThrow()
        .partners(), "a partner again, in another case: no second entry");
    assertEquals("Fire Dept", await(store.agencyNamed("fire dept")), "a partner is a known agency");
    assertEquals(List.of(), await(store.setIncidentPartner("CASE1", "fire dept", false)).orElseThrow().partners(),
        "removed in any case");
    assertEquals("Police", await(store.agencyNamed("Police")));
  }

  @Test
  @DisplayName("agencies: an incident keeps its owner and partners; an incident without owner takes the first partner")
  void incidentAgencies() throws Exception {
    Incident owned = new Incident("i5", "FLOOD9", "Flood", null, false, "open", T0, null, "County EMS", List.of());
    assertTrue(await(store.createIncident(owned)));
    assertEquals("County EMS", await(store.incident("FLOOD9")).orElseThrow().agency());
    assertEquals(List.of(), await(store.incident("FLOOD9")).orElseThrow().partners());
    Incident one = await(store.setIncidentPartner("FLOOD9", "Fire Dept", true)).orElseThrow();
    assertEquals("County EMS", one.agency());
    assertEquals(List.of("Fire Dept"), one.partners());
    assertEquals(List.of("Fire Dept"), await(store.setIncidentPartner("FLOOD9", "Fire Dept", true)).orElseThrow()
        .partners(), "adding twice changes nothing");
    assertEquals(List.of("Fire Dept"), await(store.setIncidentPartner("FLOOD9", "County EMS", true)).orElseThrow()
        .partners(), "the owner is no partner of its own");
    assertEquals(List.of("Fire Dept", "Red Cross \"West\" / Ünion"),
        await(store.setIncidentPartner("FLOOD9", "Red Cross \"West\" / Ünion", true)).orElseThrow().partners());
    assertEquals(List.of("Red Cross \"West\" / Ünion"),
        await(store.setIncidentPartner("FLOOD9", "Fire Dept", false)).orElseThrow().partners());
    assertEquals(List.of(), await(store.setIncidentPartner("FLOOD9", "Red Cross \"West\" / Ünion", false))
        .orElseThrow().partners(), "the last partner goes: an empty list, not a missing one");
    assertEquals(List.of(), await(store.incident("FLOOD9")).orElseThrow().partners());
    assertTrue(await(store.setIncidentPartner("NOPE1", "Fire Dept", true)).isEmpty());
    assertTrue(await(store.incidents()).stream().anyMatch(i -> "County EMS".equals(i.agency())));

    await(store.createIncident(new Incident("i6", "OLD1", "Old", null, false, "open", T0, null)));
    assertEquals(null, await(store.incident("OLD1")).orElseThrow().agency());
    Incident adopted = await(store.setIncidentPartner("OLD1", "Police", true)).orElseThrow();
    assertEquals("Police", adopted.agency(), "the first partner of an incident without owner becomes its owner");
    assertEquals(List.of(), adopted.partners());
    assertEquals(List.of("Fire Dept"), await(store.setIncidentPartner("OLD1", "Fire Dept", true)).orElseThrow()
        .partners());
  }

  @Test
  @DisplayName("help: states only go forward (open, acknowledged, resolved); any other move is a conflict that changes nothing")
  void helpStatesGoForward() throws Exception {
    await(store.createIncident(new Incident("i9", "FWD9", "Forward", null, false, "open", T0, null)));
    await(store.createIncident(new Incident("i10", "FWD10", "Forward too", null, false, "open", T0, null)));
    String a = await(store.recordCheckIn(new CheckInRequest("+15550000150", Status.NEED_HELP, "x", null, "FWD9",
        Channel.WEB, null), T0)).checkIn().id();
    String b = await(store.recordCheckIn(new CheckInRequest("+15550000151", Status.NEED_HELP, "x", null, "FWD10",
        Channel.WEB, null), T0)).checkIn().id();
    assertEquals("acknowledged", await(store.setHelpState(a, "acknowledged", "ann", "Red Cross", T0.plusSeconds(1)))
        .orElseThrow().state());
    HubException again = assertThrows(HubException.class,
        () -> await(store.setHelpState(a, "acknowledged", "bob", "Fire Dept", T0.plusSeconds(2))));
    assertEquals(ErrorCode.CONFLICT, again.code());
    assertEquals("resolved", await(store.setHelpState(a, "resolved", "ann", "Red Cross", T0.plusSeconds(3)))
        .orElseThrow().state());
    for (String back : List.of("acknowledged", "open", "resolved")) {
      HubException e = assertThrows(HubException.class,
          () -> await(store.setHelpState(a, back, "bob", "Fire Dept", T0.plusSeconds(4))), back);
      assertEquals(ErrorCode.CONFLICT, e.code(), back);
    }
    Store.HelpRequest kept = await(store.helpRequest(a)).orElseThrow();
    assertEquals("resolved", kept.state());
    assertEquals("ann", kept.byResponder());
    assertEquals("Red Cross", kept.byAgency());
    assertEquals(T0.plusSeconds(3), kept.updatedAt());
    assertEquals(List.of(), await(store.helpRequests("FWD9", true)), "a resolved request is not reopened");
    assertEquals("resolved", await(store.setHelpState(b, "resolved", "ann", "Red Cross", T0.plusSeconds(5)))
        .orElseThrow().state(), "open may be resolved at once");
    assertEquals(ErrorCode.CONFLICT, assertThrows(HubException.class,
        () -> await(store.setHelpState(b, "acknowledged", "ann", "Red Cross", T0.plusSeconds(6)))).code());
    assertTrue(await(store.setHelpState("nope", "acknowledged", "ann", "Red Cross", T0)).isEmpty(), "unknown: empty");
  }

  @Test
  @DisplayName("help: the incidents whose queue holds a check-in are found by its id")
  void helpIncidentsById() throws Exception {
    await(store.createIncident(new Incident("i7", "SLIDE1", "Slide", null, false, "open", T0, null, "EMS", List.of())));
    CheckInResult help = await(store.recordCheckIn(new CheckInRequest("+15550000140", Status.NEED_HELP, "x", null,
        "SLIDE1", Channel.WEB, null), T0));
    CheckInResult safe = await(store.recordCheckIn(new CheckInRequest("+15550000141", Status.SAFE, null, null,
        "SLIDE1", Channel.WEB, null), T0));
    assertEquals(List.of("SLIDE1"), await(store.helpIncidents(help.checkIn().id())));
    assertEquals(List.of(), await(store.helpIncidents(safe.checkIn().id())));
    assertEquals(List.of(), await(store.helpIncidents("not-an-id")));
  }

  @Test
  @DisplayName("retention: check-ins of an open incident stay; of a closed one they go after the retention period")
  void retentionByIncident() throws Exception {
    await(store.createIncident(new Incident("i4", "STORM4", "Storm", null, false, "open", T0, null)));
    await(store.recordCheckIn(new CheckInRequest("+15550000110", Status.SAFE, null, null, "STORM4", Channel.WEB, null), T0));
    await(store.purge(T0.plus(Duration.ofDays(40)), Duration.ofDays(30)));
    assertEquals(1, await(store.history("+15550000110", 0, 10)).size(), "incident still open");
    await(store.closeIncident("STORM4", T0.plus(Duration.ofDays(40))));
    await(store.purge(T0.plus(Duration.ofDays(60)), Duration.ofDays(30)));
    assertEquals(1, await(store.history("+15550000110", 0, 10)).size(), "closed 20 days ago");
    await(store.purge(T0.plus(Duration.ofDays(71)), Duration.ofDays(30)));
    assertTrue(await(store.history("+15550000110", 0, 10)).isEmpty(), "closed 31 days ago");
  }

  @Test
  @DisplayName("what was acknowledged is there after closing and opening the store again")
  void survivesReopen() throws Exception {
    CheckIn c = await(store.recordCheckIn(req("+15550000050", Status.NEED_HELP, "x", null), T0)).checkIn();
    await(store.requestFollow("+15550000051", "+15550000050", false, T0));
    await(store.close());
    store = reopen(vertx);
    await(store.start());
    assertEquals(c, await(store.latest("+15550000050")).orElseThrow());
    assertEquals(1, await(store.followers("+15550000050")).size());
  }
}
