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
 * The contract of {@link NoticeBoard} (notices: transitions and their SMS),
 * on every engine (one subclass per engine). The concern is reached through
 * {@link Store#noticeBoard}; other concerns of the same store set the scene.
 */
public abstract class NoticeBoardContractTest extends StoreTestBase {
  protected NoticeBoard notices;

  @BeforeEach
  void concern() {
    notices = store.noticeBoard();
  }

  @Test
  @DisplayName("notices: approve only drafts, publish once with its reference and its SMS in one transaction")
  void noticeTransitions() throws Exception {
    await(store.createIncident(new Incident("i2", "FIRE2", "Fire", null, false, "open", T0, null)));
    await(store.setIncidentSms("+15550000090", "FIRE2", true, T0));
    Store.NoticeRecord first = new Store.NoticeRecord("n1", "FIRE2", "ann", "EMS", "draft", null, "{}", null, null, T0, null);
    await(notices.insertNotice(first));
    assertTrue(await(notices.approveNotice("n1", "bo", T0)));
    assertFalse(await(notices.approveNotice("n1", "bo", T0)), "already approved");
    assertTrue(await(notices.publishNotice("n1", Set.of("approved"), "{\"id\":\"n1\"}", T0, null, null, "sms one")));
    assertFalse(await(notices.publishNotice("n1", Set.of("approved"), "{}", T0, null, null, null)), "published once");
    await(notices.insertNotice(new Store.NoticeRecord("n2", "FIRE2", "ann", "EMS", "draft", null, "{}", null, null,
        T0.plusSeconds(1), null)));
    assertTrue(await(notices.publishNotice("n2", Set.of("draft"), "{\"id\":\"n2\"}", T0.plusSeconds(2), "n1",
        "cancelled", "sms two")));
    assertEquals("cancelled", await(notices.notice("n1")).orElseThrow().state());
    assertEquals("{\"id\":\"n1\"}", await(notices.notice("n1")).orElseThrow().signedJson(), "never edited");
    assertEquals(List.of("n2", "n1"), await(notices.notices("FIRE2", null)).stream().map(Store.NoticeRecord::id).toList());
    assertEquals(2, await(store.outboxStats(T0)).waiting(), "one SMS per published notice to the joined number");
    await(store.audit("ann", "notice.publish", "n1", "done", null, T0));
    assertEquals("notice.publish", await(store.auditPage(0, 10)).get(0).action());
  }
}
