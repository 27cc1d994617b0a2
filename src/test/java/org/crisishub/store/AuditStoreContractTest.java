package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crisishub.core.AuditService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The audit chain every {@link Store} keeps (product spec, v2 "Audit"). One subclass per engine
 * supplies the store and the tampering an attacker with access to its data could do.
 */
public abstract class AuditStoreContractTest {
  protected Vertx vertx;
  protected Store store;
  protected static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  protected abstract Store newStore(Vertx vertx) throws Exception;

  /** Changes the {@code actor} of entry {@code id} in place, behind the store's back. */
  protected abstract void editActor(long id, String actor) throws Exception;

  /** Removes entry {@code id}, behind the store's back. */
  protected abstract void delete(long id) throws Exception;

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

  private List<AuditChain.Entry> all() throws Exception {
    return await(store.auditPage(0, 1000));
  }

  @Test
  @DisplayName("entries are chained in order: ids 1..n, prevHash links, each hash the SHA-256 of its JCS form")
  void chained() throws Exception {
    await(store.audit("ann", "incident.create", "FLOOD7", "done", null, T0));
    await(store.audit("admin", "incident.partner.add", "FLOOD7", "done", "Fire Dept", T0.plusMillis(1500)));
    await(store.audit("bo", "notice.publish", "n1", "refused", "forbidden", T0.plusSeconds(2)));
    List<AuditChain.Entry> es = all();
    assertEquals(List.of(1L, 2L, 3L), es.stream().map(AuditChain.Entry::id).toList());
    assertEquals(AuditChain.GENESIS, es.get(0).prevHash());
    for (int i = 0; i < es.size(); i++) {
      assertEquals(AuditChain.hash(es.get(i)), es.get(i).hash());
      if (i > 0) {
        assertEquals(es.get(i - 1).hash(), es.get(i).prevHash());
      }
    }
    AuditChain.Entry second = es.get(1);
    assertEquals("admin", second.actor());
    assertEquals("incident.partner.add", second.action());
    assertEquals("FLOOD7", second.subject());
    assertEquals("Fire Dept", second.detail());
    assertEquals(Instant.parse("2026-11-22T10:00:01Z"), second.at(), "kept to the second, as served");
    assertNull(es.get(0).detail());
    assertEquals(List.of(2L), await(store.auditPage(1, 1)).stream().map(AuditChain.Entry::id).toList());
    assertEquals(List.of(), await(store.auditPage(3, 10)));
    AuditService.Verification v = await(new AuditService(store).verify());
    assertTrue(v.ok());
    assertEquals(3, v.entries());
    assertEquals(es.get(2).hash(), v.head());
  }

  @Test
  @DisplayName("an empty trail verifies with 0 entries and a head of 64 zeros")
  void empty() throws Exception {
    AuditService.Verification v = await(new AuditService(store).verify());
    assertTrue(v.ok());
    assertEquals(0, v.entries());
    assertEquals(AuditChain.GENESIS, v.head());
  }

  @Test
  @DisplayName("concurrent appends are all chained, each once, without a gap")
  void concurrent() throws Exception {
    List<Future<Void>> fs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      fs.add(store.audit("ann", "help.acknowledged", "c" + i, "done", null, T0));
    }
    await(Future.all(fs));
    AuditService.Verification v = await(new AuditService(store).verify());
    assertTrue(v.ok());
    assertEquals(200, v.entries());
    assertEquals(200, all().stream().map(AuditChain.Entry::subject).distinct().count());
  }

  @Test
  @DisplayName("a retention purge leaves one entry with its kind and count, and nothing about whom it concerned")
  void purgeAudited() throws Exception {
    Instant longAgo = T0.minus(java.time.Duration.ofDays(40));
    await(store.recordCheckIn(new org.crisishub.domain.CheckInRequest("+15550001234",
        org.crisishub.domain.Status.NEED_HELP, "trapped at 12 Elm St", null, null,
        org.crisishub.domain.Channel.WEB, null), longAgo));
    purge(T0);
    List<AuditChain.Entry> es = all();
    assertEquals(1, es.size());
    AuditChain.Entry e = es.get(0);
    assertEquals("system", e.actor());
    assertEquals("retention.purge", e.action());
    assertEquals("checkins", e.subject());
    assertEquals("1", e.detail());
    String json = AuditChain.json(e).toString();
    assertFalse(json.contains("5550001234") || json.contains("Elm"), json);
    purge(T0.plusSeconds(60));
    assertEquals(1, all().size(), "a purge that deleted nothing leaves no entry");
  }

  /** Runs the hub's purge step (30 days' retention) against the store under test. */
  private void purge(Instant now) throws Exception {
    await(new org.crisishub.core.RetentionPurge(store, java.time.Duration.ofDays(30)).run(now));
  }

  @Test
  @DisplayName("an edited entry is detected at its id")
  void editDetected() throws Exception {
    for (int i = 0; i < 4; i++) {
      await(store.audit("ann", "notice.draft", "n" + i, "done", null, T0));
    }
    editActor(2, "mallory");
    AuditService.Verification v = await(new AuditService(store).verify());
    assertFalse(v.ok());
    assertEquals(2L, v.brokenAt());
  }

  @Test
  @DisplayName("a deleted entry in the middle breaks the chain; a deleted last entry shows against the kept head")
  void deletionDetected() throws Exception {
    for (int i = 0; i < 4; i++) {
      await(store.audit("ann", "notice.draft", "n" + i, "done", null, T0));
    }
    AuditService.Verification kept = await(new AuditService(store).verify());
    delete(4);
    AuditService.Verification after = await(new AuditService(store).verify());
    assertTrue(after.ok(), "a cut tail is a valid shorter chain ...");
    assertEquals(3, after.entries());
    assertNotEquals(kept.head(), after.head(), "... whose head differs from the copy kept elsewhere");
    assertFalse(all().stream().anyMatch(e -> e.hash().equals(kept.head())), "the kept head is gone");
    delete(2);
    AuditService.Verification mid = await(new AuditService(store).verify());
    assertFalse(mid.ok());
    assertEquals(3L, mid.brokenAt());
  }
}
