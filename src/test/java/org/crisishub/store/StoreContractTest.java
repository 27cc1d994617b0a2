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
 * What every {@link Store} keeps as a whole, across its concerns: retention (purge) and durability
 * across a restart. One subclass per engine supplies {@link #newStore} and {@link #reopen}. The
 * contract of each concern is in its own test ({@link CheckInLogContractTest},
 * {@link FollowGraphContractTest}, {@link PersonAuthStoreContractTest}, {@link OutboxContractTest},
 * {@link SmsInboundContractTest}, {@link IncidentRegistryContractTest},
 * {@link NoticeBoardContractTest}, {@link HelpQueueContractTest}, and the safety-check, triage,
 * template and audit tests).
 */
public abstract class StoreContractTest extends StoreTestBase {

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
