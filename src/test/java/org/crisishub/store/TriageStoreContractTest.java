package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Status;
import org.crisishub.store.TriageStore.HelpMessage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The contract every {@link TriageStore} keeps (watch terms, matches, help threads); one subclass per engine. */
public abstract class TriageStoreContractTest extends StoreTestBase {
  protected TriageStore triage;
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  @BeforeEach
  void concern() {
    triage = store.triage();
  }

  private CheckInResult help(String phone, String incident, String note, Instant at) throws Exception {
    return await(store.recordCheckIn(new CheckInRequest(phone, Status.NEED_HELP, note, null, incident, Channel.WEB,
        null), at));
  }

  @Test
  @DisplayName("watch terms: none at first, replaced whole, kept per incident and in order, unicode intact")
  void terms() throws Exception {
    assertEquals(List.of(), await(triage.watchTerms("FLOOD1")));
    await(triage.setWatchTerms("FLOOD1", List.of("trapped", "sin insulina", "ＳＯＳ", "地震")));
    await(triage.setWatchTerms("FIRE2", List.of("smoke")));
    assertEquals(List.of("trapped", "sin insulina", "ＳＯＳ", "地震"), await(triage.watchTerms("FLOOD1")));
    await(triage.setWatchTerms("FLOOD1", List.of("atrapado")));
    assertEquals(List.of("atrapado"), await(triage.watchTerms("FLOOD1")));
    await(triage.setWatchTerms("FLOOD1", List.of()));
    assertEquals(List.of(), await(triage.watchTerms("FLOOD1")));
    assertEquals(List.of("smoke"), await(triage.watchTerms("FIRE2")));
  }

  @Test
  @DisplayName("matches: set per request and incident, replaced, removed by an empty list, others unchanged")
  void matches() throws Exception {
    await(store.createIncident(new Incident("i1", "FLOOD1", "Flood", null, false, "open", T0, null, "EMS", List.of())));
    String a = help("+15550001001", "FLOOD1", "trapped", T0).checkIn().id();
    String b = help("+15550001002", "FLOOD1", "no insulin", T0).checkIn().id();
    assertEquals(Map.of(), await(triage.watchMatches("FLOOD1")));
    await(triage.setWatchMatches("FLOOD1", Map.of(a, List.of("trapped"), b, List.of("no insulin", "insulin"))));
    assertEquals(Map.of(a, List.of("trapped"), b, List.of("no insulin", "insulin")),
        await(triage.watchMatches("FLOOD1")));
    assertEquals(List.of("no insulin", "insulin"), await(triage.watchMatches("FLOOD1", b)));
    assertEquals(List.of(), await(triage.watchMatches("OTHER", b)));
    Map<String, List<String>> change = new LinkedHashMap<>();
    change.put(a, List.of());
    change.put(b, List.of("insulin"));
    await(triage.setWatchMatches("FLOOD1", change));
    assertEquals(Map.of(b, List.of("insulin")), await(triage.watchMatches("FLOOD1")));
    await(triage.setWatchMatches("FLOOD1", Map.of()));
    assertEquals(List.of(), await(triage.watchMatches("FLOOD1", a)));
  }

  @Test
  @DisplayName("threads: messages oldest first with who wrote them; the newest unresolved help request of a number")
  void threads() throws Exception {
    await(store.createIncident(new Incident("i2", "QUAKE2", "Quake", null, false, "open", T0, null, "EMS", List.of())));
    String phone = "+15550001010";
    assertEquals(Optional.empty(), await(triage.newestOpenHelp(phone)));
    String first = help(phone, "QUAKE2", "first", T0).checkIn().id();
    await(store.recordCheckIn(new CheckInRequest(phone, Status.SAFE, "fine now", null, "QUAKE2", Channel.WEB, null),
        T0.plusSeconds(1)));
    assertEquals(Optional.of(first), await(triage.newestOpenHelp(phone)), "a safe check-in files no request");
    String second = help(phone, "QUAKE2", "second", T0.plusSeconds(2)).checkIn().id();
    assertEquals(Optional.of(second), await(triage.newestOpenHelp(phone)));
    assertEquals(List.of(), await(triage.helpMessages(second)));
    await(triage.addHelpMessage(second, new HelpMessage("m1", "responder", "ann", "County EMS",
        "How many people are with you?", T0.plusSeconds(3))));
    await(triage.addHelpMessage(second, new HelpMessage("m2", "person", null, null, "tres, un niño",
        T0.plusSeconds(4))));
    List<HelpMessage> thread = await(triage.helpMessages(second));
    assertEquals(List.of(new HelpMessage("m1", "responder", "ann", "County EMS", "How many people are with you?",
        T0.plusSeconds(3)), new HelpMessage("m2", "person", null, null, "tres, un niño", T0.plusSeconds(4))), thread);
    assertEquals(List.of(), await(triage.helpMessages(first)), "threads are per request");
    await(store.setHelpState(second, "resolved", "ann", "County EMS", T0.plusSeconds(5)));
    assertEquals(Optional.of(first), await(triage.newestOpenHelp(phone)), "resolved requests are skipped");
    await(store.setHelpState(first, "acknowledged", "ann", "County EMS", T0.plusSeconds(6)));
    assertEquals(Optional.of(first), await(triage.newestOpenHelp(phone)), "acknowledged is still unresolved");
    await(store.setHelpState(first, "resolved", "ann", "County EMS", T0.plusSeconds(7)));
    assertEquals(Optional.empty(), await(triage.newestOpenHelp(phone)));
    assertEquals(Optional.empty(), await(triage.newestOpenHelp("+15550001011")));
  }

  @Test
  @DisplayName("retention: matches and threads go with their incident's check-ins, not before")
  void retention() throws Exception {
    await(store.createIncident(new Incident("i3", "STORM3", "Storm", null, false, "open", T0, null, "EMS", List.of())));
    String id = help("+15550001020", "STORM3", "trapped", T0).checkIn().id();
    await(triage.setWatchTerms("STORM3", List.of("trapped")));
    await(triage.setWatchMatches("STORM3", Map.of(id, List.of("trapped"))));
    await(triage.addHelpMessage(id, new HelpMessage("m1", "person", null, null, "still here", T0)));
    await(store.closeIncident("STORM3", T0.plus(Duration.ofDays(1))));
    await(store.purge(T0.plus(Duration.ofDays(20)), Duration.ofDays(30)));
    assertEquals(1, await(triage.helpMessages(id)).size(), "closed 19 days ago: kept");
    assertEquals(List.of("trapped"), await(triage.watchMatches("STORM3", id)));
    await(store.purge(T0.plus(Duration.ofDays(32)), Duration.ofDays(30)));
    assertTrue(await(store.helpRequest(id)).isEmpty());
    assertEquals(List.of(), await(triage.helpMessages(id)));
    assertEquals(List.of(), await(triage.watchMatches("STORM3", id)));
    assertEquals(Map.of(), await(triage.watchMatches("STORM3")));
  }

  @Test
  @DisplayName("stamps: 0 before any terms, raised by every set (also to the same or no terms), read with the terms;"
      + " a need_help check-in carries the stamp of each incident it joined, named or by area; the incident reads the same")
  void stamps() throws Exception {
    Incident flood = new Incident("i4", "FLOOD4", "Flood", org.crisishub.domain.Area.circle(10, 10, 5000), false,
        "open", T0, null, "EMS", List.of());
    await(store.createIncident(flood));
    await(store.createIncident(new Incident("i5", "FIRE5", "Fire", null, false, "open", T0, null, "EMS", List.of())));
    assertEquals(new TriageStore.WatchTerms(List.of(), 0), await(triage.stampedWatchTerms("FLOOD4")));
    CheckInResult before = help("+15550001030", "FLOOD4", "trapped", T0);
    assertEquals(Map.of("FLOOD4", 0L), before.watchStamps());

    long s1 = await(triage.setWatchTerms("FLOOD4", List.of("trapped")));
    assertTrue(s1 > 0, "the first set raises the stamp: " + s1);
    assertEquals(new TriageStore.WatchTerms(List.of("trapped"), s1), await(triage.stampedWatchTerms("FLOOD4")));
    long s2 = await(triage.setWatchTerms("FLOOD4", List.of("trapped")));
    assertTrue(s2 > s1, "setting the same terms raises it too");
    long s3 = await(triage.setWatchTerms("FLOOD4", List.of()));
    assertTrue(s3 > s2);
    long s4 = await(triage.setWatchTerms("FLOOD4", List.of("atrapado", "no insulin")));
    assertTrue(s4 > s3);
    assertEquals(new TriageStore.WatchTerms(List.of("atrapado", "no insulin"), s4),
        await(triage.stampedWatchTerms("FLOOD4")));
    assertEquals(new TriageStore.WatchTerms(List.of(), 0), await(triage.stampedWatchTerms("FIRE5")),
        "other incidents keep theirs");

    assertEquals(Map.of("FLOOD4", s4), help("+15550001031", "FLOOD4", "atrapado", T0.plusSeconds(1)).watchStamps(),
        "named");
    CheckInResult inside = await(store.recordCheckIn(new CheckInRequest("+15550001032", Status.NEED_HELP, "help",
        new org.crisishub.domain.Location(10.001, 10.001, null), null, Channel.WEB, null), T0.plusSeconds(2)));
    assertEquals(List.of("FLOOD4"), inside.helpIncidents());
    assertEquals(Map.of("FLOOD4", s4), inside.watchStamps(), "by area");
    assertEquals(Map.of(), await(store.recordCheckIn(new CheckInRequest("+15550001033", Status.SAFE, "fine", null,
        "FLOOD4", Channel.WEB, null), T0.plusSeconds(3))).watchStamps(), "a safe check-in joins no queue");
    assertEquals(Optional.of(flood), await(store.incident("FLOOD4")), "the stamp is not part of the incident");
    assertTrue(await(store.incidents()).contains(flood));
  }

  @Test
  @DisplayName("two nodes (two WatchServices, one store): terms set on A are used by B's next check-in, B having"
      + " compiled the old ones; B reads the terms only when the check-in's stamp is newer than its matcher")
  void termsSetOnOneNodeUsedByTheNext() throws Exception {
    await(store.createIncident(new Incident("i6", "QUAKE6", "Quake", null, false, "open", T0, null, "EMS", List.of())));
    io.micrometer.core.instrument.simple.SimpleMeterRegistry metrics =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    int[] termReads = new int[1];
    Store counting = countingTermReads(termReads);
    org.crisishub.core.WatchService a = new org.crisishub.core.WatchService(vertx, store, store.triage(), metrics);
    org.crisishub.core.WatchService b = new org.crisishub.core.WatchService(vertx, counting, counting.triage(), metrics);
    await(a.setTerms("QUAKE6", List.of("trapped")));

    CheckInResult first = help("+15550001040", "QUAKE6", "trapped under a wall", T0);
    assertEquals(Map.of("QUAKE6", List.of("trapped")), await(b.scoreCheckIn(first.checkIn().id(),
        first.checkIn().note(), first.helpIncidents(), first.watchStamps())));
    assertEquals(1, termReads[0], "B compiles on first use: one read");
    CheckInResult second = help("+15550001041", "QUAKE6", "still trapped", T0.plusSeconds(1));
    assertEquals(Map.of("QUAKE6", List.of("trapped")), await(b.scoreCheckIn(second.checkIn().id(),
        second.checkIn().note(), second.helpIncidents(), second.watchStamps())));
    assertEquals(1, termReads[0], "the same stamp: no read");

    await(a.setTerms("QUAKE6", List.of("no insulin")));
    CheckInResult third = help("+15550001042", "QUAKE6", "trapped, and no insulin", T0.plusSeconds(2));
    assertEquals(Map.of("QUAKE6", List.of("no insulin")), await(b.scoreCheckIn(third.checkIn().id(),
        third.checkIn().note(), third.helpIncidents(), third.watchStamps())), "B uses A's new terms at once");
    assertEquals(2, termReads[0], "a newer stamp: one read");
    assertEquals(List.of("no insulin"), await(triage.watchMatches("QUAKE6", third.checkIn().id())));
    CheckInResult fourth = help("+15550001043", "QUAKE6", "trapped", T0.plusSeconds(3));
    assertEquals(Map.of(), await(b.scoreCheckIn(fourth.checkIn().id(), fourth.checkIn().note(),
        fourth.helpIncidents(), fourth.watchStamps())), "the old term no longer matches on B");
    assertEquals(2, termReads[0]);
  }

  /** {@link #store}, counting the watch-term reads through its triage store. */
  private Store countingTermReads(int[] reads) {
    TriageStore inner = store.triage();
    TriageStore counted = (TriageStore) java.lang.reflect.Proxy.newProxyInstance(TriageStore.class.getClassLoader(),
        new Class<?>[] {TriageStore.class}, (proxy, m, args) -> {
          if (m.getName().equals("stampedWatchTerms")) {
            reads[0]++;
          }
          try {
            return m.invoke(inner, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    return (Store) java.lang.reflect.Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class},
        (proxy, m, args) -> {
          if (m.getName().equals("triage") && (args == null || args.length == 0)) {
            return counted;
          }
          try {
            return m.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
