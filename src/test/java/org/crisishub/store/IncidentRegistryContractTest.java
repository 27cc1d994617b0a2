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
 * The contract of {@link IncidentRegistry} (responders, incidents, agencies and keys),
 * on every engine (one subclass per engine). The concern is reached through
 * {@link Store#incidentRegistry}; other concerns of the same store set the scene.
 */
public abstract class IncidentRegistryContractTest extends StoreTestBase {
  protected IncidentRegistry registry;

  @BeforeEach
  void concern() {
    registry = store.incidentRegistry();
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
    assertTrue(await(registry.createIncident(inc)));
    assertFalse(await(registry.createIncident(inc)));
    assertEquals(inc.area().radiusM(), await(registry.incident("FLOOD7")).orElseThrow().area().radiusM());
    Incident closed = await(registry.closeIncident("FLOOD7", T0.plusSeconds(5))).orElseThrow();
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
  @DisplayName("agencies: names compare ignoring case; the spelling first stored is the agency's name")
  void agencyNamesIgnoreCase() throws Exception {
    assertEquals("Red Cross", await(registry.agencyNamed("Red Cross")), "unknown: as given");
    assertTrue(await(store.createResponder("rc1", "hash", "Red Cross", Set.of("publisher"), T0)));
    assertEquals("Red Cross", await(registry.agencyNamed("red cross")));
    assertEquals("Red Cross", await(registry.agencyNamed("RED CROSS")));
    assertTrue(await(registry.createIncident(new Incident("i11", "CASE1", "Case", null, false, "open", T0, null,
        "Ärzte Ohne Grenzen", List.of()))));
    assertEquals("Ärzte Ohne Grenzen", await(registry.agencyNamed("ÄRZTE OHNE GRENZEN")), "beyond ASCII too");
    Incident i = await(registry.setIncidentPartner("CASE1", "ärzte ohne grenzen", true)).orElseThrow();
    assertEquals("Ärzte Ohne Grenzen", i.agency());
    assertEquals(List.of(), i.partners(), "the owner in another case is still the owner");
    assertEquals(List.of("Fire Dept"), await(registry.setIncidentPartner("CASE1", "Fire Dept", true)).orElseThrow()
        .partners());
    assertEquals(List.of("Fire Dept"), await(registry.setIncidentPartner("CASE1", "FIRE DEPT", true)).orElseThrow()
        .partners(), "a partner again, in another case: no second entry");
    assertEquals("Fire Dept", await(registry.agencyNamed("fire dept")), "a partner is a known agency");
    assertEquals(List.of(), await(registry.setIncidentPartner("CASE1", "fire dept", false)).orElseThrow().partners(),
        "removed in any case");
    assertEquals("Police", await(registry.agencyNamed("Police")));
  }

  @Test
  @DisplayName("agencies: an incident keeps its owner and partners; an incident without owner takes the first partner")
  void incidentAgencies() throws Exception {
    Incident owned = new Incident("i5", "FLOOD9", "Flood", null, false, "open", T0, null, "County EMS", List.of());
    assertTrue(await(registry.createIncident(owned)));
    assertEquals("County EMS", await(registry.incident("FLOOD9")).orElseThrow().agency());
    assertEquals(List.of(), await(registry.incident("FLOOD9")).orElseThrow().partners());
    Incident one = await(registry.setIncidentPartner("FLOOD9", "Fire Dept", true)).orElseThrow();
    assertEquals("County EMS", one.agency());
    assertEquals(List.of("Fire Dept"), one.partners());
    assertEquals(List.of("Fire Dept"), await(registry.setIncidentPartner("FLOOD9", "Fire Dept", true)).orElseThrow()
        .partners(), "adding twice changes nothing");
    assertEquals(List.of("Fire Dept"), await(registry.setIncidentPartner("FLOOD9", "County EMS", true)).orElseThrow()
        .partners(), "the owner is no partner of its own");
    assertEquals(List.of("Fire Dept", "Red Cross \"West\" / Ünion"),
        await(registry.setIncidentPartner("FLOOD9", "Red Cross \"West\" / Ünion", true)).orElseThrow().partners());
    assertEquals(List.of("Red Cross \"West\" / Ünion"),
        await(registry.setIncidentPartner("FLOOD9", "Fire Dept", false)).orElseThrow().partners());
    assertEquals(List.of(), await(registry.setIncidentPartner("FLOOD9", "Red Cross \"West\" / Ünion", false))
        .orElseThrow().partners(), "the last partner goes: an empty list, not a missing one");
    assertEquals(List.of(), await(registry.incident("FLOOD9")).orElseThrow().partners());
    assertTrue(await(registry.setIncidentPartner("NOPE1", "Fire Dept", true)).isEmpty());
    assertTrue(await(registry.incidents()).stream().anyMatch(i -> "County EMS".equals(i.agency())));

    await(registry.createIncident(new Incident("i6", "OLD1", "Old", null, false, "open", T0, null)));
    assertEquals(null, await(registry.incident("OLD1")).orElseThrow().agency());
    Incident adopted = await(registry.setIncidentPartner("OLD1", "Police", true)).orElseThrow();
    assertEquals("Police", adopted.agency(), "the first partner of an incident without owner becomes its owner");
    assertEquals(List.of(), adopted.partners());
    assertEquals(List.of("Fire Dept"), await(registry.setIncidentPartner("OLD1", "Fire Dept", true)).orElseThrow()
        .partners());
  }
}
