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
 * The contract of {@link HelpQueue} (the help queue: filing, forward-only states, lookups),
 * on every engine (one subclass per engine). The concern is reached through
 * {@link Store#helpQueue}; other concerns of the same store set the scene.
 */
public abstract class HelpQueueContractTest extends StoreTestBase {
  protected HelpQueue queue;

  @BeforeEach
  void concern() {
    queue = store.helpQueue();
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
    assertEquals(2, await(queue.helpRequests("QUAKE3", true)).size());
    Store.HelpRequest acked = await(queue.setHelpState(named.checkIn().id(), "acknowledged", "ann", "Red Cross",
        T0.plusSeconds(5))).orElseThrow();
    assertEquals("acknowledged", acked.state());
    assertEquals("ann", acked.byResponder());
    assertEquals("Red Cross", acked.byAgency());
    assertEquals(T0.plusSeconds(5), acked.updatedAt());
    Store.HelpRequest open = await(queue.helpRequest(inside.checkIn().id())).orElseThrow();
    assertEquals("open", open.state());
    assertEquals("QUAKE3", open.incident());
    assertEquals(null, open.byAgency());
    assertEquals(inside.checkIn().id(), open.checkIn().id());
    await(queue.setHelpState(named.checkIn().id(), "resolved", "bob", "Fire Dept", T0.plusSeconds(9)));
    Store.HelpRequest resolved = await(queue.helpRequest(named.checkIn().id())).orElseThrow();
    assertEquals("resolved", resolved.state());
    assertEquals("Fire Dept", resolved.byAgency());
    assertEquals("bob", resolved.byResponder());
    assertTrue(await(queue.helpRequest("nope")).isEmpty());
    assertEquals(1, await(queue.helpRequests("QUAKE3", true)).size());
    assertEquals(2, await(queue.helpRequests("QUAKE3", false)).size());
    assertTrue(await(queue.setHelpState("nope", "resolved", "ann", "Red Cross", T0)).isEmpty());
    await(store.setIncidentSms("+15550000104", "QUAKE3", true, T0));
    assertEquals(List.of("QUAKE3"), await(store.joinedOpenIncidents("+15550000104")));
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
    assertEquals("acknowledged", await(queue.setHelpState(a, "acknowledged", "ann", "Red Cross", T0.plusSeconds(1)))
        .orElseThrow().state());
    HubException again = assertThrows(HubException.class,
        () -> await(queue.setHelpState(a, "acknowledged", "bob", "Fire Dept", T0.plusSeconds(2))));
    assertEquals(ErrorCode.CONFLICT, again.code());
    assertEquals("resolved", await(queue.setHelpState(a, "resolved", "ann", "Red Cross", T0.plusSeconds(3)))
        .orElseThrow().state());
    for (String back : List.of("acknowledged", "open", "resolved")) {
      HubException e = assertThrows(HubException.class,
          () -> await(queue.setHelpState(a, back, "bob", "Fire Dept", T0.plusSeconds(4))), back);
      assertEquals(ErrorCode.CONFLICT, e.code(), back);
    }
    Store.HelpRequest kept = await(queue.helpRequest(a)).orElseThrow();
    assertEquals("resolved", kept.state());
    assertEquals("ann", kept.byResponder());
    assertEquals("Red Cross", kept.byAgency());
    assertEquals(T0.plusSeconds(3), kept.updatedAt());
    assertEquals(List.of(), await(queue.helpRequests("FWD9", true)), "a resolved request is not reopened");
    assertEquals("resolved", await(queue.setHelpState(b, "resolved", "ann", "Red Cross", T0.plusSeconds(5)))
        .orElseThrow().state(), "open may be resolved at once");
    assertEquals(ErrorCode.CONFLICT, assertThrows(HubException.class,
        () -> await(queue.setHelpState(b, "acknowledged", "ann", "Red Cross", T0.plusSeconds(6)))).code());
    assertTrue(await(queue.setHelpState("nope", "acknowledged", "ann", "Red Cross", T0)).isEmpty(), "unknown: empty");
  }

  @Test
  @DisplayName("help: the incidents whose queue holds a check-in are found by its id")
  void helpIncidentsById() throws Exception {
    await(store.createIncident(new Incident("i7", "SLIDE1", "Slide", null, false, "open", T0, null, "EMS", List.of())));
    CheckInResult help = await(store.recordCheckIn(new CheckInRequest("+15550000140", Status.NEED_HELP, "x", null,
        "SLIDE1", Channel.WEB, null), T0));
    CheckInResult safe = await(store.recordCheckIn(new CheckInRequest("+15550000141", Status.SAFE, null, null,
        "SLIDE1", Channel.WEB, null), T0));
    assertEquals(List.of("SLIDE1"), await(queue.helpIncidents(help.checkIn().id())));
    assertEquals(List.of(), await(queue.helpIncidents(safe.checkIn().id())));
    assertEquals(List.of(), await(queue.helpIncidents("not-an-id")));
  }
}
