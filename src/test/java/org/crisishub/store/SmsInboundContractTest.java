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
 * The contract of {@link SmsInbound} (inbound SMS bookkeeping),
 * on every engine (one subclass per engine). The concern is reached through
 * {@link Store#smsInbound}; other concerns of the same store set the scene.
 */
public abstract class SmsInboundContractTest extends StoreTestBase {
  protected SmsInbound inbound;

  @BeforeEach
  void concern() {
    inbound = store.smsInbound();
  }

  @Test
  @DisplayName("inbound MessageSids, incident SMS subscriptions and delivery reports are kept")
  void smsBookkeeping() throws Exception {
    assertTrue(await(inbound.inboundReply("SM1")).isEmpty());
    await(inbound.saveInboundReply("SM1", "ok", T0));
    await(inbound.saveInboundReply("SM1", "other", T0));
    assertEquals("ok", await(inbound.inboundReply("SM1")).orElseThrow());
    assertTrue(await(inbound.setIncidentSms("+15550000080", "FLOOD7", true, T0)));
    assertFalse(await(inbound.setIncidentSms("+15550000080", "FLOOD7", true, T0)));
    assertEquals(List.of("+15550000080"), await(inbound.incidentSmsSubscribers("FLOOD7")));
    assertTrue(await(inbound.setIncidentSms("+15550000080", "FLOOD7", false, T0)));
    assertTrue(await(inbound.incidentSmsSubscribers("FLOOD7")).isEmpty());
    await(store.recordDeliveryReport("SM2", "delivered", null, T0));
  }
}
