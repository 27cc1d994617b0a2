package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.domain.Area;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Location;
import org.crisishub.domain.Status;
import org.crisishub.store.SafetyCheckStore.Check;
import org.crisishub.store.SafetyCheckStore.Member;
import org.crisishub.store.SafetyCheckStore.Tallies;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The contract every {@link SafetyCheckStore} keeps; one subclass per engine supplies the store. */
public abstract class SafetyCheckStoreContractTest extends StoreTestBase {
  protected SafetyCheckStore checks;
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  @BeforeEach
  void concern() {
    checks = store.safetyChecks();
  }

  static Check draft(String id, String incident, Instant at, boolean needsApproval) {
    return new Check(id, incident, "ann", "County EMS", "draft", "Are you safe?", "{\"joined\":true}", null,
        needsApproval, null, 3, 2, 1, "GSM-7", 1, at, null, null, Tallies.ZERO);
  }

  static void assertExclusive(Check c) {
    Tallies t = c.tallies();
    assertEquals(c.audienceSize(), t.safe() + t.needHelp() + t.noAnswer() + t.unreachable(), "four tallies: " + t);
  }

  @Test
  @DisplayName("draft → approve → start fixes the audience once per number; opted-out numbers are unreachable")
  void lifecycle() throws Exception {
    await(checks.createCheck(draft("c1", "FLOOD", T0, true)));
    Check d = await(checks.check("c1")).orElseThrow();
    assertEquals("draft", d.state());
    assertEquals("Are you safe?", d.question());
    assertEquals(Tallies.ZERO, d.tallies());
    assertTrue(await(checks.startCheck("c1", List.of("approved"), List.of(new Member("+15550000001", false)), null, T0))
        .isEmpty(), "a check that needs approval does not start from draft");
    assertEquals("approved", await(checks.approveCheck("c1", "bo", T0)).orElseThrow().state());
    assertTrue(await(checks.approveCheck("c1", "bo", T0)).isEmpty(), "approved twice");
    await(store.setSmsOptOut("+15550000003", true, T0));
    Check s = await(checks.startCheck("c1", List.of("approved"), List.of(new Member("+15550000001", false),
        new Member("+15550000002", true), new Member("+15550000001", false), new Member("+15550000003", false)),
        "Are you safe? Reply STOP to end.", T0.plusSeconds(5))).orElseThrow();
    assertEquals("running", s.state());
    assertEquals(T0.plusSeconds(5), s.startedAt());
    assertEquals(3, s.audienceSize());
    assertEquals(2, s.tallies().noAnswer());
    assertEquals(1, s.tallies().unreachable());
    assertEquals(2, s.tallies().asked(), "asked by SMS in the same unit as the start");
    assertExclusive(s);
    // The asks are in the outbox, once per number that did not opt out.
    List<Store.OutboxItem> queued = await(store.claimSms("n", T0.plusSeconds(6), 10, Duration.ofSeconds(60)));
    assertEquals(List.of("+15550000001", "+15550000002"), queued.stream().map(Store.OutboxItem::to).sorted().toList());
    assertTrue(queued.stream().allMatch(i -> "safety:c1".equals(i.coalesceKey())
        && i.body().equals("Are you safe? Reply STOP to end.")));
    assertEquals("queued", await(checks.person("c1", "+15550000002")).orElseThrow().delivery());
    assertTrue(await(checks.startCheck("c1", List.of("approved"), List.of(), null, T0)).isEmpty(), "started twice");
    assertEquals("bo", s.approvedBy());
    assertEquals("closed", await(checks.closeCheck("c1", T0.plusSeconds(60))).orElseThrow().state());
    assertTrue(await(checks.closeCheck("c1", T0)).isEmpty(), "closed twice");
  }

  @Test
  @DisplayName("answers move people and the tallies together; a later answer replaces an earlier one")
  void answers() throws Exception {
    await(checks.createCheck(draft("c2", "FLOOD", T0, false)));
    List<Member> audience = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      audience.add(new Member("+1555000010" + i, false));
    }
    await(checks.startCheck("c2", List.of("draft", "approved"), audience, null, T0));
    var r = await(checks.answer("c2", "+15550000100", "safe", "sms", T0.plusSeconds(1)));
    assertEquals("ok", r.outcome());
    assertEquals(1, r.check().tallies().safe());
    assertEquals(4, r.check().tallies().noAnswer());
    r = await(checks.answer("c2", "+15550000100", "need_help", "web", T0.plusSeconds(2)));
    assertEquals(0, r.check().tallies().safe());
    assertEquals(1, r.check().tallies().needHelp());
    assertExclusive(r.check());
    assertEquals("not_in_audience", await(checks.answer("c2", "+15559999999", "safe", "web", T0)).outcome());
    assertEquals("no_such_check", await(checks.answer("nope", "+15550000100", "safe", "web", T0)).outcome());
    var p = await(checks.person("c2", "+15550000100")).orElseThrow();
    assertEquals("need_help", p.state());
    assertEquals("web", p.channel());
    assertEquals(T0.plusSeconds(2), p.at());
    assertEquals(List.of("+15550000100"), await(checks.people("c2", "need_help")).stream()
        .map(SafetyCheckStore.Person::phone).toList());
    assertEquals(4, await(checks.people("c2", "no_answer")).size());
    assertEquals(5, await(checks.people("c2", null)).size());
    await(checks.closeCheck("c2", T0));
    assertEquals("not_running", await(checks.answer("c2", "+15550000101", "safe", "web", T0)).outcome());
  }

  @Test
  @DisplayName("an answer with its check-in: both written together, once per key; nothing written when refused")
  void answerWithCheckIn() throws Exception {
    await(checks.createCheck(draft("ac", "FLOOD", T0, false)));
    await(checks.startCheck("ac", List.of("draft"), List.of(new Member("+15550000701", false),
        new Member("+15550000702", false)), null, T0));
    CheckInRequest req = new CheckInRequest("+15550000701", Status.SAFE, "fine", null, "FLOOD", Channel.SMS, "sms:SM1");
    var a = await(checks.answerWithCheckIn("ac", req, T0.plusSeconds(3)));
    assertEquals("ok", a.outcome());
    assertEquals(1, a.checkIn().checkIn().seq());
    assertTrue(!a.checkIn().duplicate());
    assertEquals(T0.plusSeconds(3), a.checkIn().checkIn().at());
    var c = await(checks.check("ac")).orElseThrow();
    assertEquals(1, c.tallies().safe());
    assertEquals(1, c.tallies().noAnswer());
    assertExclusive(c);
    var p = await(checks.person("ac", "+15550000701")).orElseThrow();
    assertEquals("safe", p.state());
    assertEquals("sms", p.channel());
    assertEquals(T0.plusSeconds(3), p.at());
    assertEquals("fine", await(store.checkInLog().latest("+15550000701")).orElseThrow().note());
    // The same key again (a retried webhook): the check-in is the first one, no counter moves.
    var again = await(checks.answerWithCheckIn("ac", req, T0.plusSeconds(4)));
    assertEquals("ok", again.outcome());
    assertTrue(again.checkIn().duplicate());
    assertEquals(1, await(checks.check("ac")).orElseThrow().tallies().safe());
    assertEquals(1, await(store.checkInLog().history("+15550000701", 0, 10)).size());
    // Refused: no check-in is written.
    var outsider = new CheckInRequest("+15550000799", Status.SAFE, null, null, "FLOOD", Channel.SMS, "sms:SM2");
    assertEquals("not_in_audience", await(checks.answerWithCheckIn("ac", outsider, T0.plusSeconds(5))).outcome());
    assertTrue(await(store.checkInLog().latest("+15550000799")).isEmpty(), "no check-in for an outsider");
    assertEquals("no_such_check", await(checks.answerWithCheckIn("none", outsider, T0)).outcome());
    await(checks.closeCheck("ac", T0.plusSeconds(6)));
    var late = new CheckInRequest("+15550000702", Status.NEED_HELP, null, null, "FLOOD", Channel.SMS, "sms:SM3");
    assertEquals("not_running", await(checks.answerWithCheckIn("ac", late, T0.plusSeconds(7))).outcome());
    assertTrue(await(store.checkInLog().latest("+15550000702")).isEmpty(), "no check-in for a closed check");
    assertEquals(1, await(checks.check("ac")).orElseThrow().tallies().noAnswer());
  }

  @Test
  @DisplayName("people in pages: by phone, at most limit, next until the end; the pages add up to the whole list")
  void peoplePages() throws Exception {
    await(checks.createCheck(draft("pg", "FLOOD", T0, false)));
    List<Member> audience = new ArrayList<>();
    for (int i = 9; i >= 0; i--) {
      audience.add(new Member("+1555000080" + i, false));
    }
    await(checks.startCheck("pg", List.of("draft"), audience, null, T0));
    for (int i : new int[] {1, 2, 4, 7, 9}) {
      assertEquals("ok", await(checks.answer("pg", "+1555000080" + i, "safe", "sms", T0.plusSeconds(i))).outcome());
    }
    for (String state : new String[] {null, "safe", "no_answer"}) {
      List<String> whole = await(checks.people("pg", state)).stream().map(SafetyCheckStore.Person::phone).toList();
      for (int limit : new int[] {1, 2, 3, 5, 10, 11}) {
        List<String> paged = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
          var page = await(checks.people("pg", state, after, limit));
          assertTrue(page.people().size() <= limit, "at most limit rows");
          page.people().forEach(x -> paged.add(x.phone()));
          if (state != null) {
            assertTrue(page.people().stream().allMatch(x -> state.equals(x.state())), "only the state's rows");
          }
          after = page.next();
          if (after != null) {
            assertEquals(paged.get(paged.size() - 1), after, "next is the page's last phone");
          }
          assertTrue(++pages <= whole.size() + 1, "the pages end");
        } while (after != null);
        assertEquals(whole, paged, "state " + state + ", limit " + limit);
        assertEquals((whole.size() + limit - 1) / limit == 0 ? 1 : (whole.size() + limit - 1) / limit, pages,
            "no empty last page when the list ends on a page boundary (state " + state + ", limit " + limit + ")");
      }
    }
    assertEquals(5, await(checks.people("pg", "safe")).size());
    assertEquals(List.of("+15550000807", "+15550000809"), await(checks.people("pg", "safe", "+15550000804", 5))
        .people().stream().map(SafetyCheckStore.Person::phone).toList());
    assertTrue(await(checks.people("pg", "need_help", null, 10)).people().isEmpty());
    assertEquals(null, await(checks.people("pg", "need_help", null, 10)).next());
  }

  @Test
  @DisplayName("asks and delivery reports: asked and delivered count people once; a failed ask without a session is unreachable")
  void deliveries() throws Exception {
    await(checks.createCheck(draft("c3", "FLOOD", T0, false)));
    await(checks.startCheck("c3", List.of("draft"), List.of(new Member("+15550000201", false),
        new Member("+15550000202", false), new Member("+15550000203", false)), null, T0));
    for (String p : List.of("+15550000201", "+15550000202", "+15550000203")) {
      await(checks.asked("c3", p, true, p.endsWith("3"), T0));
      await(checks.asked("c3", p, true, false, T0));
    }
    await(checks.askSent("c3", "+15550000201", "SM1", T0));
    await(checks.askSent("c3", "+15550000202", "SM2", T0));
    await(checks.askSent("c3", "+15550000203", "SM3", T0));
    assertEquals("sent", await(checks.person("c3", "+15550000201")).orElseThrow().delivery());
    assertEquals("c3", await(checks.deliveryReport("SM1", "delivered", null, T0)).orElseThrow());
    await(checks.deliveryReport("SM1", "delivered", null, T0));
    await(checks.deliveryReport("SM2", "undelivered", "30003", T0));
    await(checks.deliveryReport("SM3", "failed", "30005", T0));
    assertTrue(await(checks.deliveryReport("SMother", "delivered", null, T0)).isEmpty());
    Check c = await(checks.check("c3")).orElseThrow();
    assertEquals(3, c.tallies().asked());
    assertEquals(1, c.tallies().delivered());
    assertEquals(1, c.tallies().unreachable(), "SM2: failed, no session; SM3 had a session open");
    assertEquals(2, c.tallies().noAnswer());
    assertExclusive(c);
    var p2 = await(checks.person("c3", "+15550000202")).orElseThrow();
    assertEquals("undelivered", p2.delivery());
    assertEquals("30003", p2.errorCode());
    assertEquals("unreachable", p2.state());
  }

  @Test
  @DisplayName("open asks of a number: running, unanswered, latest started first; lists newest first")
  void openAsks() throws Exception {
    await(checks.createCheck(draft("a", "FLOOD", T0, false)));
    await(checks.createCheck(draft("b", "FLOOD", T0.plusSeconds(1), false)));
    await(checks.createCheck(draft("z", "OTHER", T0.plusSeconds(2), false)));
    String p = "+15550000301";
    await(checks.startCheck("b", List.of("draft"), List.of(new Member(p, false)), null, T0.plusSeconds(10)));
    await(checks.startCheck("a", List.of("draft"), List.of(new Member(p, false)), null, T0.plusSeconds(20)));
    assertEquals(List.of("a", "b"), await(checks.openAsksOf(p)).stream().map(Check::id).toList());
    await(checks.answer("a", p, "safe", "sms", T0.plusSeconds(30)));
    assertEquals(List.of("b"), await(checks.openAsksOf(p)).stream().map(Check::id).toList());
    await(checks.closeCheck("b", T0.plusSeconds(40)));
    assertEquals(List.of(), await(checks.openAsksOf(p)));
    assertEquals(List.of("b", "a"), await(checks.checks("FLOOD")).stream().map(Check::id).toList());
  }

  @Test
  @DisplayName("in-area audience: numbers whose latest check-in lies inside the area")
  void latestInside() throws Exception {
    Area area = Area.circle(40.0, -105.0, 1000);
    await(store.recordCheckIn(new CheckInRequest("+15550000401", Status.SAFE, null, new Location(40.0, -105.0, null),
        null, Channel.WEB, null), T0));
    await(store.recordCheckIn(new CheckInRequest("+15550000402", Status.SAFE, null, new Location(40.0, -105.0, null),
        null, Channel.WEB, null), T0));
    // 402 moved away since: its latest check-in is outside.
    await(store.recordCheckIn(new CheckInRequest("+15550000402", Status.SAFE, null, new Location(41.0, -105.0, null),
        null, Channel.WEB, null), T0));
    await(store.recordCheckIn(new CheckInRequest("+15550000403", Status.SAFE, null, null, null, Channel.WEB, null), T0));
    assertEquals(List.of("+15550000401"), await(checks.latestInside(area)));
  }

  @Test
  @DisplayName("retention deletes a closed incident's checks with its check-ins")
  void retention() throws Exception {
    await(store.createIncident(new Incident("i1", "GONE", "Gone", null, false, "open", T0, null, "County EMS",
        List.of())));
    await(checks.createCheck(draft("g1", "GONE", T0, false)));
    await(checks.startCheck("g1", List.of("draft"), List.of(new Member("+15550000501", false)), null, T0));
    await(store.closeIncident("GONE", T0.plusSeconds(1)));
    await(store.purge(T0.plusSeconds(1).plus(Duration.ofDays(31)), Duration.ofDays(30)));
    assertTrue(await(checks.check("g1")).isEmpty());
    assertEquals(List.of(), await(checks.checks("GONE")));
    assertEquals(List.of(), await(checks.openAsksOf("+15550000501")));
  }

  @Test
  @DisplayName("the outbox serves person-to-person SMS before broadcast SMS (safety checks, notices) queued earlier")
  void personToPersonFirst() throws Exception {
    await(store.enqueueSms("+15550000601", "safety:c9", null, "ask 1", T0));
    await(store.enqueueSms("+15550000602", "safety:c9", null, "ask 2", T0));
    await(store.enqueueSms("+15550000603", "followreq:+15550000604", null, "follow request", T0.plusSeconds(1)));
    List<Store.OutboxItem> first = await(store.claimSms("n", T0.plusSeconds(2), 1, Duration.ofSeconds(60)));
    assertEquals(List.of("follow request"), first.stream().map(Store.OutboxItem::body).toList());
    List<Store.OutboxItem> rest = await(store.claimSms("n", T0.plusSeconds(2), 10, Duration.ofSeconds(60)));
    assertEquals(List.of("ask 1", "ask 2"), rest.stream().map(Store.OutboxItem::body).sorted().toList());
    assertEquals("safety:c9", rest.get(0).coalesceKey(), "the claim names the key, so the SID can be linked");
  }

  static final Duration LEASE = Duration.ofSeconds(30);

  /** A running check "w" of five numbers (one opted out), its waves due at +60 s (repeat) and +120 s. */
  private List<String> runningWithWaves() throws Exception {
    List<String> phones = List.of("+15550000701", "+15550000702", "+15550000703", "+15550000704", "+15550000705");
    await(store.setSmsOptOut(phones.get(4), true, T0));
    await(checks.createCheck(draft("w", "FLOOD", T0, false)));
    List<Member> audience = new ArrayList<>();
    phones.forEach(p -> audience.add(new Member(p, false)));
    await(checks.startCheck("w", List.of("draft"), audience, "ask", T0, T0.plusSeconds(60), T0.plusSeconds(120)));
    return phones;
  }

  private static List<SafetyCheckStore.WaveItem> asks(List<String> phones) {
    return phones.stream().map(p -> new SafetyCheckStore.WaveItem(p,
        List.of(new SafetyCheckStore.Sms(p, null, "again")), List.of())).toList();
  }

  @Test
  @DisplayName("waves: due by time, claimed by one owner under a lease, taken over after expiry, resumed at the cursor,"
      + " never repeating a person; answered people are skipped")
  void wavesAndLeases() throws Exception {
    List<String> phones = runningWithWaves();
    assertEquals(List.of(), await(checks.dueWaves(T0.plusSeconds(59), 10)), "nothing due before the repeat");
    Instant t1 = T0.plusSeconds(61);
    assertEquals(List.of("w"), await(checks.dueWaves(t1, 10)));
    var claim = await(checks.claimWave("w", "a", t1, LEASE)).orElseThrow();
    assertEquals(SafetyCheckStore.REPEAT, claim.wave());
    assertEquals(null, claim.cursor());
    assertTrue(await(checks.claimWave("w", "b", t1.plusSeconds(1), LEASE)).isEmpty(), "a live lease is exclusive");
    assertEquals(List.of(), await(checks.dueWaves(t1.plusSeconds(1), 10)), "a leased check is not due");
    await(checks.answer("w", phones.get(1), "safe", "web", t1));
    var b1 = await(checks.waveBatch("w", SafetyCheckStore.REPEAT, "a", t1, LEASE, 2)).orElseThrow();
    assertEquals(List.of(phones.get(0)), b1.phones(), "the answered one is skipped");
    assertEquals(phones.get(1), b1.cursor());
    assertTrue(!b1.end());
    var done = await(checks.waveCommit("w", SafetyCheckStore.REPEAT, "a", t1, LEASE, b1.cursor(),
        asks(b1.phones()))).orElseThrow();
    assertEquals(1, done.size());
    // Owner "a" dies. After the lease, "b" takes over and resumes after the cursor.
    Instant t2 = t1.plus(LEASE).plusSeconds(1);
    assertEquals(List.of("w"), await(checks.dueWaves(t2, 10)));
    var taken = await(checks.claimWave("w", "b", t2, LEASE)).orElseThrow();
    assertEquals(SafetyCheckStore.REPEAT, taken.wave());
    assertEquals(phones.get(1), taken.cursor(), "resumes at the cursor");
    assertTrue(await(checks.waveBatch("w", SafetyCheckStore.REPEAT, "a", t2, LEASE, 2)).isEmpty(),
        "the old owner's lease is gone");
    assertTrue(await(checks.waveCommit("w", SafetyCheckStore.REPEAT, "a", t2, LEASE, phones.get(3),
        asks(List.of(phones.get(2))))).isEmpty(), "the old owner cannot commit");
    var b2 = await(checks.waveBatch("w", SafetyCheckStore.REPEAT, "b", t2, LEASE, 10)).orElseThrow();
    assertEquals(List.of(phones.get(2), phones.get(3)), b2.phones(), "the opted-out one is never asked by SMS");
    assertTrue(b2.end());
    // A person already done in this wave is never done twice, even if asked for again.
    var d2 = await(checks.waveCommit("w", SafetyCheckStore.REPEAT, "b", t2, LEASE, b2.cursor(),
        asks(List.of(phones.get(0), phones.get(2), phones.get(3))))).orElseThrow();
    assertEquals(List.of(phones.get(2), phones.get(3)), d2.stream().map(SafetyCheckStore.WaveItem::phone).toList());
    assertTrue(await(checks.finishWave("w", SafetyCheckStore.REPEAT, "b", t2)));
    assertEquals(List.of(), await(checks.dueWaves(t2, 10)), "the followers wave is not due yet");
    List<Store.OutboxItem> out = await(store.claimSms("n", t2, 100, LEASE));
    // The first asks, still queued, were coalesced with the repeat (same key): one message per person,
    // the repeat's text for those it asked again, the first ask for the one who answered meanwhile.
    assertEquals(phones.subList(0, 4), out.stream().map(Store.OutboxItem::to).sorted().toList());
    assertEquals(List.of(phones.get(0), phones.get(2), phones.get(3)), out.stream()
        .filter(o -> o.body().equals("again")).map(Store.OutboxItem::to).sorted().toList());

    Instant t3 = T0.plusSeconds(121);
    assertEquals(List.of("w"), await(checks.dueWaves(t3, 10)));
    var f = await(checks.claimWave("w", "b", t3, LEASE)).orElseThrow();
    assertEquals(SafetyCheckStore.FOLLOWERS, f.wave());
    var fb = await(checks.waveBatch("w", SafetyCheckStore.FOLLOWERS, "b", t3, LEASE, 100)).orElseThrow();
    assertEquals(List.of(phones.get(0), phones.get(2), phones.get(3), phones.get(4)), fb.phones(),
        "every unanswered person, the unreachable too");
    assertTrue(await(checks.finishWave("w", SafetyCheckStore.FOLLOWERS, "b", t3)));
    assertEquals(List.of(), await(checks.dueWaves(t3.plusSeconds(3600), 10)), "no waves left");
    assertTrue(await(checks.claimWave("w", "b", t3.plusSeconds(3600), LEASE)).isEmpty());
  }

  @Test
  @DisplayName("releasing wave leases (embedded restart) lets a new owner continue at once; closing ends the waves")
  void releaseAndClose() throws Exception {
    runningWithWaves();
    Instant t1 = T0.plusSeconds(61);
    await(checks.claimWave("w", "old", t1, LEASE)).orElseThrow();
    assertTrue(await(checks.claimWave("w", "new", t1, LEASE)).isEmpty());
    assertEquals(1, await(checks.releaseWaveLeases()));
    assertTrue(await(checks.claimWave("w", "new", t1, LEASE)).isPresent());
    await(checks.closeCheck("w", t1));
    assertEquals(List.of(), await(checks.dueWaves(t1.plusSeconds(3600), 10)));
    assertTrue(await(checks.waveBatch("w", SafetyCheckStore.REPEAT, "new", t1, LEASE, 10)).isEmpty());
  }

  @Test
  @DisplayName("reports: only a follower the escalation reached; counted apart by latest report; never the person's"
      + " own state; refused after the person answered; reported need_help listed for the help queue")
  void reports() throws Exception {
    List<String> phones = runningWithWaves();
    String p = phones.get(0);
    String q = phones.get(2);
    String fam = "+15550000799";
    assertEquals("not_reached", await(checks.report("w", p, fam, "safe", null, T0)).outcome());
    Instant t = T0.plusSeconds(121);
    await(checks.claimWave("w", "a", t, LEASE)).orElseThrow();
    // The repeat wave first (due earlier): finish it without asking anyone.
    await(checks.finishWave("w", SafetyCheckStore.REPEAT, "a", t));
    var f = await(checks.claimWave("w", "a", t, LEASE)).orElseThrow();
    assertEquals(SafetyCheckStore.FOLLOWERS, f.wave());
    await(checks.waveCommit("w", SafetyCheckStore.FOLLOWERS, "a", t, LEASE, q, List.of(
        new SafetyCheckStore.WaveItem(p, List.of(new SafetyCheckStore.Sms(fam, p, "not answered")), List.of(fam)),
        new SafetyCheckStore.WaveItem(q, List.of(), List.of(fam))))).orElseThrow();
    assertTrue(await(checks.reached("w", p, fam)));
    assertTrue(!await(checks.reached("w", p, "+15550000798")));
    assertEquals("not_reached", await(checks.report("w", p, "+15550000798", "safe", null, t)).outcome());

    var r1 = await(checks.report("w", p, fam, "need_help", "trapped upstairs", t.plusSeconds(1)));
    assertEquals("ok", r1.outcome());
    assertEquals("need_help", r1.report().status());
    Tallies t1 = r1.check().tallies();
    assertEquals(1, t1.reportedNeedHelp());
    assertEquals(0, t1.reportedSafe());
    assertEquals(4, t1.noAnswer(), "a report moves nobody out of no answer: " + t1);
    assertEquals(1, t1.unreachable());
    assertExclusive(r1.check());
    var person = await(checks.person("w", p)).orElseThrow();
    assertEquals("no_answer", person.state());
    assertEquals("need_help", person.reportStatus());
    assertEquals(fam, person.reportBy());
    assertEquals(1, await(checks.people("w", "no_answer")).stream().filter(x -> x.phone().equals(p)).count());
    var help = await(checks.reportedHelp("FLOOD"));
    assertEquals(1, help.size());
    assertEquals("trapped upstairs", help.get(0).note());
    assertEquals(fam, help.get(0).follower());

    // A later report replaces the earlier one in the counts.
    Tallies t2 = await(checks.report("w", p, fam, "safe", null, t.plusSeconds(2))).check().tallies();
    assertEquals(1, t2.reportedSafe());
    assertEquals(0, t2.reportedNeedHelp());
    assertEquals(1, await(checks.report("w", q, fam, "safe", null, t.plusSeconds(2))).check().tallies()
        .reportedSafe() - 1, "two people reported safe");

    // The person's own answer: counted as theirs; further reports refused; leaves the help list.
    await(checks.report("w", q, fam, "need_help", null, t.plusSeconds(3)));
    assertEquals(1, await(checks.reportedHelp("FLOOD")).size());
    await(checks.answer("w", q, "safe", "sms", t.plusSeconds(4)));
    assertEquals("answered", await(checks.report("w", q, fam, "safe", null, t.plusSeconds(5))).outcome());
    assertEquals(List.of(), await(checks.reportedHelp("FLOOD")), "answered themself: no longer a reported call");
    Check end = await(checks.check("w")).orElseThrow();
    assertEquals(1, end.tallies().safe());
    assertExclusive(end);
    await(checks.closeCheck("w", t.plusSeconds(6)));
    assertEquals("not_running", await(checks.report("w", p, fam, "safe", null, t.plusSeconds(7))).outcome());
    assertEquals("no_such_check", await(checks.report("nope", p, fam, "safe", null, t)).outcome());
  }

  @Test
  @DisplayName("a large audience is fixed in batches: starting, members added per unit (each once), then running;"
      + " an interrupted start resumes")
  void startInBatches() throws Exception {
    await(store.setSmsOptOut("+15550000903", true, T0));
    await(checks.createCheck(draft("b", "FLOOD", T0, false)));
    assertTrue(await(checks.beginStart("b", List.of("approved"))).isEmpty(), "not from a draft when not allowed");
    assertTrue(!await(checks.addAudience("b", List.of(new Member("+15550000901", false)), "ask", T0)),
        "only a starting check takes members");
    assertEquals("starting", await(checks.beginStart("b", List.of("draft"))).orElseThrow().state());
    assertTrue(await(checks.addAudience("b", List.of(new Member("+15550000901", false),
        new Member("+15550000902", false)), "ask", T0)));
    // A crash here; the start is asked again: it resumes, and a member added before is not added twice.
    assertEquals("starting", await(checks.beginStart("b", List.of("draft", "starting"))).orElseThrow().state());
    assertTrue(await(checks.addAudience("b", List.of(new Member("+15550000902", false),
        new Member("+15550000903", false)), "ask", T0)));
    Check s = await(checks.startCheck("b", List.of("starting"), List.of(), "ask", T0, T0.plusSeconds(60), null))
        .orElseThrow();
    assertEquals("running", s.state());
    assertEquals(3, s.audienceSize());
    assertEquals(2, s.tallies().noAnswer());
    assertEquals(1, s.tallies().unreachable());
    assertEquals(2, s.tallies().asked());
    assertExclusive(s);
    List<Store.OutboxItem> out = await(store.claimSms("n", T0, 100, LEASE));
    assertEquals(List.of("+15550000901", "+15550000902"), out.stream().map(Store.OutboxItem::to).sorted().toList(),
        "each asked once");
    assertEquals(List.of("b"), await(checks.dueWaves(T0.plusSeconds(61), 10)));
  }

  /** Claims the followers wave of "w" at +121 s (the repeat wave finished untouched) and tells {@code fams} about each phone. */
  private Instant followersTold(List<String> about, List<String> fams) throws Exception {
    Instant t = T0.plusSeconds(121);
    await(checks.claimWave("w", "a", t, LEASE)).orElseThrow();
    await(checks.finishWave("w", SafetyCheckStore.REPEAT, "a", t));
    assertEquals(SafetyCheckStore.FOLLOWERS, await(checks.claimWave("w", "a", t, LEASE)).orElseThrow().wave());
    List<SafetyCheckStore.WaveItem> items = new ArrayList<>();
    about.forEach(p -> items.add(new SafetyCheckStore.WaveItem(p, List.of(), fams)));
    await(checks.waveCommit("w", SafetyCheckStore.FOLLOWERS, "a", t, LEASE, about.get(about.size() - 1), items))
        .orElseThrow();
    return t;
  }

  @Test
  @DisplayName("reports by different followers are independent: one's later safe leaves another's need_help in the"
      + " queue; the same follower's repeated need_help is the same request (new note), their later safe removes it")
  void independentReports() throws Exception {
    List<String> phones = runningWithWaves();
    String p = phones.get(0);
    String f1 = "+15550000791";
    String f2 = "+15550000792";
    Instant t = followersTold(List.of(p), List.of(f1, f2));
    var r1 = await(checks.report("w", p, f1, "need_help", "trapped", t.plusSeconds(1))).report();
    var r2 = await(checks.report("w", p, f2, "safe", null, t.plusSeconds(2)));
    assertEquals("ok", r2.outcome());
    List<SafetyCheckStore.Report> help = await(checks.reportedHelp("FLOOD"));
    assertEquals(List.of(r1.id()), help.stream().map(SafetyCheckStore.Report::id).toList(),
        "another follower's safe report never removes this one");
    assertEquals("open", help.get(0).helpState());
    assertEquals(f2, await(checks.person("w", p)).orElseThrow().reportBy(), "the person's latest report, by anyone");
    Tallies tt = r2.check().tallies();
    assertEquals(1, tt.reportedSafe(), "people counted by their latest report: " + tt);
    assertEquals(0, tt.reportedNeedHelp(), tt.toString());

    // F1 asks again: the same request (its id and time), with the new note.
    var again = await(checks.report("w", p, f1, "need_help", "still trapped", t.plusSeconds(3))).report();
    assertEquals(r1.id(), again.id());
    assertEquals(r1.at(), again.at());
    help = await(checks.reportedHelp("FLOOD"));
    assertEquals(1, help.size());
    assertEquals("still trapped", help.get(0).note());
    // F2 asks for help too: a second request, independent of F1's.
    var r3 = await(checks.report("w", p, f2, "need_help", "no lights", t.plusSeconds(4))).report();
    assertEquals(2, await(checks.reportedHelp("FLOOD")).size());
    // F1 now says safe: F1's request leaves the queue, F2's stays.
    await(checks.report("w", p, f1, "safe", null, t.plusSeconds(5)));
    assertEquals(List.of(r3.id()), await(checks.reportedHelp("FLOOD")).stream().map(SafetyCheckStore.Report::id)
        .toList());
  }

  @Test
  @DisplayName("a reported need_help is a help request: read by id, acknowledged then resolved (forward only),"
      + " resolved leaves the queue; a safe report or an unknown id is no help request")
  void reportedHelpState() throws Exception {
    List<String> phones = runningWithWaves();
    String p = phones.get(0);
    String f1 = "+15550000791";
    Instant t = followersTold(List.of(p), List.of(f1));
    var r = await(checks.report("w", p, f1, "need_help", "trapped", t.plusSeconds(1))).report();
    assertEquals(r.id(), await(checks.newestOpenReported(f1)).orElseThrow().id(), "the reporter's open request");
    assertTrue(await(checks.newestOpenReported(p)).isEmpty(), "by the reporter only");
    var read = await(checks.reportedRequest(r.id())).orElseThrow();
    assertEquals("open", read.helpState());
    assertEquals(f1, read.follower());
    assertEquals("FLOOD", read.incident());
    assertEquals("not_found", await(checks.setReportedState("nope", "acknowledged", "ann", "EMS", t)).outcome());
    assertTrue(await(checks.reportedRequest("nope")).isEmpty());
    var ack = await(checks.setReportedState(r.id(), "acknowledged", "ann", "County EMS", t.plusSeconds(2)));
    assertEquals("ok", ack.outcome());
    assertEquals("acknowledged", ack.report().helpState());
    assertEquals("ann", ack.report().byResponder());
    assertEquals("County EMS", ack.report().byAgency());
    assertEquals(t.plusSeconds(2), ack.report().updatedAt());
    assertEquals("conflict", await(checks.setReportedState(r.id(), "acknowledged", "bob", "EMS", t)).outcome());
    assertEquals("acknowledged", await(checks.reportedHelp("FLOOD")).get(0).helpState(), "still in the queue");
    // A repeated need_help by the same follower keeps the request's state.
    await(checks.report("w", p, f1, "need_help", "trapped, water rising", t.plusSeconds(3)));
    assertEquals("acknowledged", await(checks.reportedRequest(r.id())).orElseThrow().helpState());
    assertEquals("ok", await(checks.setReportedState(r.id(), "resolved", "ann", "County EMS", t.plusSeconds(4)))
        .outcome());
    assertEquals(List.of(), await(checks.reportedHelp("FLOOD")), "resolved: out of the queue");
    assertTrue(await(checks.newestOpenReported(f1)).isEmpty(), "resolved: no SMS goes to it");
    assertEquals("resolved", await(checks.reportedRequest(r.id())).orElseThrow().helpState());
    // After a resolved request, the same follower's new need_help is a new request.
    var fresh = await(checks.report("w", p, f1, "need_help", "again", t.plusSeconds(5))).report();
    assertTrue(!fresh.id().equals(r.id()));
    assertEquals(fresh.id(), await(checks.newestOpenReported(f1)).orElseThrow().id());
    var safe = await(checks.report("w", p, f1, "safe", null, t.plusSeconds(6))).report();
    assertTrue(await(checks.newestOpenReported(f1)).isEmpty(), "their safe report replaced it");
    assertTrue(await(checks.reportedRequest(safe.id())).isEmpty(), "a safe report is no help request");
  }

  @Test
  @DisplayName("followers-wave frames are pending from the commit until confirmed sent: what a takeover sends again;"
      + " a person who answered meanwhile is owed nothing")
  void pendingFrames() throws Exception {
    List<String> phones = runningWithWaves();
    String f1 = "+15550000791";
    Instant t = followersTold(List.of(phones.get(0), phones.get(2)), List.of(f1));
    var pending = await(checks.pendingFrames("w", 10));
    assertEquals(List.of(phones.get(0), phones.get(2)), pending.stream().map(SafetyCheckStore.WaveItem::phone).toList());
    assertEquals(List.of(f1), pending.get(0).reached());
    assertTrue(pending.get(0).sms().isEmpty());
    await(checks.answer("w", phones.get(2), "safe", "web", t));
    pending = await(checks.pendingFrames("w", 10));
    assertEquals(List.of(), pending.get(1).reached(), "answered since: nothing owed");
    assertEquals(1, await(checks.pendingFrames("w", 1)).size(), "at most max");
    // A takeover by another owner finds them, sends them, confirms.
    Instant later = t.plus(LEASE).plusSeconds(1);
    assertEquals(phones.get(2), await(checks.claimWave("w", "b", later, LEASE)).orElseThrow().cursor());
    await(checks.framesSent("w", List.of(phones.get(0), phones.get(2))));
    assertEquals(List.of(), await(checks.pendingFrames("w", 10)));
  }

  @Test
  @DisplayName("a start's open sessions are recorded a batch at a time: the audience read in pages by phone,"
      + " each page's sessions in one unit (asked counted once)")
  void askedInPages() throws Exception {
    List<String> phones = runningWithWaves();
    assertEquals(phones.subList(0, 2), await(checks.audiencePage("w", null, 2)));
    assertEquals(phones.subList(2, 4), await(checks.audiencePage("w", phones.get(1), 2)));
    assertEquals(List.of(phones.get(4)), await(checks.audiencePage("w", phones.get(3), 2)));
    assertEquals(List.of(), await(checks.audiencePage("w", phones.get(4), 2)));
    long before = await(checks.check("w")).orElseThrow().tallies().asked();
    assertEquals(4, before, "the four SMS asks");
    // The opted-out one had a session: newly asked; the others were asked by SMS already.
    await(checks.askedSessions("w", List.of(phones.get(0), phones.get(4), "+15550000999"), T0));
    assertEquals(5, await(checks.check("w")).orElseThrow().tallies().asked());
    await(checks.askedSessions("w", List.of(phones.get(4)), T0));
    assertEquals(5, await(checks.check("w")).orElseThrow().tallies().asked(), "counted once");
    // A session was open: a failed SMS no longer makes them unreachable.
    await(checks.askSent("w", phones.get(0), "SM-x", T0));
    await(checks.deliveryReport("SM-x", "failed", "30003", T0));
    assertEquals("no_answer", await(checks.person("w", phones.get(0))).orElseThrow().state());
  }

  @Test
  @DisplayName("a reported call for help's thread is kept while its incident is open and deleted with its reports"
      + " under retention")
  void reportedThreadRetention() throws Exception {
    await(store.createIncident(new Incident("i2", "FLOOD", "Flood", null, false, "open", T0, null, "County EMS",
        List.of())));
    List<String> phones = runningWithWaves();
    String f1 = "+15550000791";
    Instant t = followersTold(List.of(phones.get(0)), List.of(f1));
    var r = await(checks.report("w", phones.get(0), f1, "need_help", "trapped", t.plusSeconds(1))).report();
    await(store.triage().addHelpMessage(r.id(), new TriageStore.HelpMessage("m1", "responder", "ann", "County EMS",
        "Which floor?", t.plusSeconds(2))));
    await(store.purge(t.plus(Duration.ofDays(31)), Duration.ofDays(30)));
    assertEquals(1, await(store.triage().helpMessages(r.id())).size(), "the incident is open: kept");
    assertTrue(await(checks.reportedRequest(r.id())).isPresent());
    await(store.closeIncident("FLOOD", t.plusSeconds(3)));
    await(store.purge(t.plusSeconds(3).plus(Duration.ofDays(31)), Duration.ofDays(30)));
    assertTrue(await(checks.reportedRequest(r.id())).isEmpty(), "the report is gone");
    assertEquals(List.of(), await(store.triage().helpMessages(r.id())), "and its thread");
    assertTrue(await(checks.newestOpenReported(f1)).isEmpty());
  }
}
