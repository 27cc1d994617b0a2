package org.crisishub.store.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crisishub.store.Store;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox claim reads index ranges, not a sort of the whole queue (a 100,000-person safety check
 * queues 100,000 asks; the claim runs on the store's single writer), and keeps the two classes'
 * order: person-to-person first, then broadcast, each by due time, expired claims included.
 */
class SqliteOutboxClaimTest {
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  static final Duration LEASE = Duration.ofSeconds(30);
  @TempDir
  Path dir;

  static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  /** SQLite's query plan of {@code sql} (every parameter bound to 1), a line per step, on a fresh store. */
  private String planOf(String sql) throws Exception {
    Vertx vertx = Vertx.vertx();
    SqliteStore store = new SqliteStore(vertx, dir, new SimpleMeterRegistry());
    try {
      await(store.start());
      return await(store.read(c -> {
        StringBuilder b = new StringBuilder();
        try (var ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
          for (int i = 1; i <= ps.getParameterMetaData().getParameterCount(); i++) {
            ps.setLong(i, 1);
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              b.append(rs.getString("detail")).append('\n');
            }
          }
        }
        return b.toString();
      }));
    } finally {
      await(store.close());
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("each of a claim's reads is a range of outbox_due_class, with no sort")
  void claimReadsAreIndexRanges() throws Exception {
    for (String sql : List.of(SqliteOutbox.CLAIM_EXPIRED, SqliteOutbox.CLAIM_QUEUED)) {
      String plan = planOf(sql);
      assertTrue(plan.contains("USING INDEX outbox_due_class"), () -> sql + " → " + plan);
      assertFalse(plan.contains("TEMP B-TREE"), () -> sql + " sorts: " + plan);
    }
  }

  @Test
  @DisplayName("the outbox's stats read index entries only: no row of a waiting message is read")
  void statsReadIndexes() throws Exception {
    String plan = planOf(SqliteOutbox.STATS);
    assertFalse(plan.contains("SCAN outbox"), () -> "a scan: " + plan);
    assertFalse(plan.contains("TEMP B-TREE"), () -> "a sort: " + plan);
    assertEquals(4, plan.lines().filter(l -> l.contains("COVERING INDEX outbox_waiting_age (state=?)")).count(),
        () -> "each count and each MIN one range of outbox_waiting_age's entries: " + plan);
  }

  @Test
  @DisplayName("behind 3,000 queued broadcast asks, person-to-person SMS go first; an expired claim comes back in its class by due time")
  void classesAndExpiredClaims() throws Exception {
    Vertx vertx = Vertx.vertx();
    SqliteStore store = new SqliteStore(vertx, dir, new SimpleMeterRegistry());
    try {
      await(store.start());
      List<Future<Void>> queued = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        queued.add(store.enqueueSms("+1555100" + String.format("%04d", i), "safety:big", null, "ask " + i,
            T0.plusMillis(i)));
      }
      await(Future.all(queued));
      // An early broadcast message is claimed and its sender dies: its lease expires.
      List<Store.OutboxItem> lost = await(store.claimSms("dead", T0.plusSeconds(10), 1, LEASE));
      assertEquals(List.of("ask 0"), lost.stream().map(Store.OutboxItem::body).toList());
      await(store.enqueueSms("+15552000001", "followreq:+15552000002", null, "follow request", T0.plusSeconds(20)));
      await(store.enqueueSms("+15552000003", "notice:n1", null, "notice", T0.plusSeconds(20)));
      Instant later = T0.plusSeconds(10).plus(LEASE).plusSeconds(1);
      List<Store.OutboxItem> first = await(store.claimSms("n", later, 3, LEASE));
      assertEquals(List.of("follow request", "ask 0", "ask 1"), first.stream().map(Store.OutboxItem::body).toList(),
          "person-to-person first, then broadcast by due time: the expired claim before later asks");
      assertEquals(2, first.get(1).attempts(), "the taken-back claim counts its second attempt");
      List<Store.OutboxItem> rest = new ArrayList<>();
      for (List<Store.OutboxItem> got = await(store.claimSms("n", later, 500, LEASE)); !got.isEmpty();
          got = await(store.claimSms("n", later, 500, LEASE))) {
        rest.addAll(got);
      }
      assertEquals(2999, rest.size(), "asks 2…2999 and the notice, each once");
      assertEquals("notice", rest.get(rest.size() - 1).body(), "the notice was due last");
    } finally {
      await(store.close());
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("the upgrade marks broadcast messages already waiting in an older database")
  void upgradeMarksWaitingBroadcasts() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
         Statement st = c.createStatement()) {
      for (int v = 0; v < 13; v++) {
        for (String sql : Migrations.STEPS.get(v)) {
          if (!sql.equals(Migrations.CHAIN_AUDIT)) {
            st.execute(sql); // (chaining the audit trail is Java code, and the trail is empty here)
          }
        }
      }
      st.execute("PRAGMA user_version = 13");
      st.execute("INSERT INTO outbox (to_phone, coalesce_key, body, state, attempts, next_at_ms, created_ms, updated_ms)"
          + " VALUES ('+15553000001', 'safety:old', 'old ask', 'queued', 0, 1, 1, 1)");
      st.execute("INSERT INTO outbox (to_phone, coalesce_key, body, state, attempts, next_at_ms, created_ms, updated_ms)"
          + " VALUES ('+15553000002', NULL, 'status', 'queued', 0, 2, 2, 2)");
    }
    Vertx vertx = Vertx.vertx();
    SqliteStore store = new SqliteStore(vertx, dir, new SimpleMeterRegistry());
    try {
      await(store.start());
      List<Store.OutboxItem> got = await(store.claimSms("n", T0, 10, LEASE));
      assertEquals(List.of("status", "old ask"), got.stream().map(Store.OutboxItem::body).toList(),
          "the older broadcast ask waits behind the person-to-person message");
    } finally {
      await(store.close());
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
