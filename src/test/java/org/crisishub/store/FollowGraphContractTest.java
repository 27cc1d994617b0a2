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
 * The contract of {@link FollowGraph} (the follow graph: consent, labels, trusted contacts),
 * on every engine (one subclass per engine). The concern is reached through
 * {@link Store#followGraph}; other concerns of the same store set the scene.
 */
public abstract class FollowGraphContractTest extends StoreTestBase {
  protected FollowGraph follows;

  @BeforeEach
  void concern() {
    follows = store.followGraph();
  }

  @Test
  @DisplayName("follows start pending, consent makes them active, refusal revokes; only active followers are recipients")
  void consent() throws Exception {
    String a = "+15550000010", b = "+15550000011", c = "+15550000012";
    Store.FollowRequestOutcome o = await(follows.requestFollow(b, a, true, T0));
    assertEquals(FollowState.PENDING, o.follow().state());
    assertTrue(o.created());
    assertFalse(await(follows.requestFollow(b, a, true, T0)).created(), "asking again is not a new request");
    await(follows.requestFollow(c, a, false, T0));
    assertEquals(0, await(store.recordCheckIn(req(a, Status.SAFE, null, null), T0)).notified());
    assertEquals(FollowState.ACTIVE, await(follows.answerFollow(a, b, true, T0)).orElseThrow().state());
    CheckInResult r = await(store.recordCheckIn(req(a, Status.SAFE, null, null), T0));
    assertEquals(1, r.notified());
    assertEquals(b, r.recipients().get(0).follower());
    assertTrue(r.recipients().get(0).sms());
    assertEquals(FollowState.REVOKED, await(follows.answerFollow(a, b, false, T0)).orElseThrow().state());
    assertEquals(0, await(store.recordCheckIn(req(a, Status.SAFE, null, null), T0)).notified());
    assertTrue(await(follows.answerFollow(a, "+15550000013", true, T0)).isEmpty());
    assertEquals(2, await(follows.followers(a)).size());
    assertEquals(1, await(follows.follows(b)).size());
    assertTrue(await(follows.unfollow(c, a)));
    assertFalse(await(follows.unfollow(c, a)));
    assertEquals(1, await(follows.followers(a)).size());
  }

  @Test
  @DisplayName("labels: only for a follow of one's own, seen only by that follower, used in that follower's SMS,"
      + " kept across consent, gone with the follow")
  void followLabels() throws Exception {
    String subject = "+15550000070";
    String labeller = "+15550000071";
    String other = "+15550000072";
    assertFalse(await(follows.setFollowLabel(labeller, subject, "Mamá")), "no follow: nothing to label");
    await(follows.requestFollow(labeller, subject, true, T0));
    await(follows.requestFollow(other, subject, true, T0));
    assertTrue(await(follows.setFollowLabel(labeller, subject, "Mamá 👩")));
    assertEquals(java.util.Map.of(subject, "Mamá 👩"), await(follows.followLabels(labeller)));
    assertTrue(await(follows.followLabels(other)).isEmpty(), "another follower sees no label");
    assertTrue(await(follows.followLabels(subject)).isEmpty(), "the person labelled sees no label");
    await(follows.answerFollow(subject, labeller, true, T0));
    await(follows.answerFollow(subject, other, true, T0));
    assertEquals("Mamá 👩", await(follows.followLabels(labeller)).get(subject), "kept across consent");

    await(store.recordCheckIn(req(subject, Status.SAFE, "ok", null), T0));
    java.util.Map<String, String> bodies = new java.util.HashMap<>();
    List<Store.OutboxItem> claimed = await(store.claimSms("node-a", T0, 10, Duration.ofMinutes(1)));
    List<String> texts = sentTexts(claimed);
    for (int i = 0; i < claimed.size(); i++) {
      bodies.put(claimed.get(i).to(), texts.get(i));
    }
    assertTrue(bodies.get(labeller).contains("Mamá 👩") && bodies.get(labeller).contains("#1)"),
        bodies.get(labeller));
    assertFalse(bodies.get(other).contains("Mamá"), "the other follower's SMS has no label: " + bodies.get(other));
    assertTrue(bodies.get(other).contains(subject) && bodies.get(other).contains("10:00 UTC"), bodies.get(other));

    assertTrue(await(follows.setFollowLabel(labeller, subject, null)));
    assertTrue(await(follows.followLabels(labeller)).isEmpty(), "null removes it");
    assertTrue(await(follows.setFollowLabel(labeller, subject, "Mom")));
    await(follows.unfollow(labeller, subject));
    await(follows.requestFollow(labeller, subject, false, T0));
    assertTrue(await(follows.followLabels(labeller)).isEmpty(), "unfollowing removed the label");
  }

  @Test
  @DisplayName("followLabel: the label a follower gives a subject now, empty without one, per follower")
  void followLabelRead() throws Exception {
    String subject = "+15550000080", labeller = "+15550000081", other = "+15550000082";
    assertTrue(await(follows.followLabel(labeller, subject)).isEmpty(), "no follow, no label");
    await(follows.requestFollow(labeller, subject, true, T0));
    await(follows.requestFollow(other, subject, true, T0));
    assertTrue(await(follows.followLabel(labeller, subject)).isEmpty(), "a follow without a label");
    assertTrue(await(follows.setFollowLabel(labeller, subject, "Grandpa 👴")));
    assertEquals(java.util.Optional.of("Grandpa 👴"), await(follows.followLabel(labeller, subject)));
    assertTrue(await(follows.followLabel(other, subject)).isEmpty(), "another follower's is their own");
    assertTrue(await(follows.followLabel(subject, labeller)).isEmpty(), "not the other way round");
    assertTrue(await(follows.setFollowLabel(labeller, subject, "Opa")));
    assertEquals(java.util.Optional.of("Opa"), await(follows.followLabel(labeller, subject)), "the current one");
    await(follows.unfollow(labeller, subject));
    assertTrue(await(follows.followLabel(labeller, subject)).isEmpty(), "gone with the follow");
  }

  @Test
  @DisplayName("a trusted contact's follow is active at once, and trusting activates a pending one")
  void trustedContacts() throws Exception {
    String a = "+15550000020", b = "+15550000021", c = "+15550000022";
    assertTrue(await(follows.putContact(a, b, T0)).isEmpty());
    assertEquals(FollowState.ACTIVE, await(follows.requestFollow(b, a, false, T0)).follow().state());
    await(follows.requestFollow(c, a, false, T0));
    assertEquals(FollowState.ACTIVE, await(follows.putContact(a, c, T0)).orElseThrow().state());
    assertEquals(List.of(b, c), await(follows.contacts(a)));
    assertTrue(await(follows.deleteContact(a, b)));
    assertFalse(await(follows.deleteContact(a, b)));
    assertEquals(FollowState.ACTIVE, await(follows.follow(b, a)).orElseThrow().state(), "existing follows stay");
  }
}
