package org.crisishub.store.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's group commit: operations share a transaction but fail alone. */
class SqliteBatchTest {
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  @TempDir
  Path dir;
  Vertx vertx;
  SqliteStore store;
  SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    store = new SqliteStore(vertx, dir, registry);
    store.start().await(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void shut() throws Exception {
    store.close().await(20, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("an operation that fails half-way is undone alone; its batch neighbours are stored")
  void failingOperationIsUndoneAlone() throws Exception {
    List<Future<?>> ok = new ArrayList<>();
    List<Future<Object>> failing = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      String phone = "+1555000" + String.format("%04d", i % 20);
      if (i % 50 == 25) {
        // Writes a row, then fails: the row must not survive, whatever shared its transaction.
        failing.add(store.write(c -> {
          try (SqliteStore.Stmt st = SqliteStore.prepare(c,
              "INSERT INTO people (phone, last_seq) VALUES (?, ?) ON CONFLICT (phone) DO UPDATE SET last_seq = 999")) {
            st.ps().setString(1, "+15559999999");
            st.ps().setLong(2, 999);
            st.ps().executeUpdate();
          }
          if (phone.endsWith("5")) {
            throw HubException.invalid("refused half-way");
          }
          throw new SQLException("broken half-way");
        }));
      } else {
        ok.add(store.recordCheckIn(new CheckInRequest(phone, Status.SAFE, "n" + i, null, null, Channel.WEB, null), T0));
      }
    }
    Future.join(new ArrayList<>(ok)).await(30, TimeUnit.SECONDS);
    Future.join(new ArrayList<>(failing)).transform(ar -> Future.succeededFuture()).await(30, TimeUnit.SECONDS);
    ok.forEach(f -> assertTrue(f.succeeded(), () -> "check-in failed: " + f.cause()));
    failing.forEach(f -> assertTrue(f.failed() && f.cause() instanceof HubException, "the failing operation fails"));
    assertFalse(store.latest("+15559999999").await(20, TimeUnit.SECONDS).isPresent());
    long stored = 0;
    for (int p = 0; p < 20; p++) {
      List<CheckIn> h = store.history("+1555000" + String.format("%04d", p), 0, 1000).await(20, TimeUnit.SECONDS);
      for (int k = 0; k < h.size(); k++) {
        assertEquals(k + 1, h.get(k).seq(), "seq without gaps");
      }
      stored += h.size();
    }
    assertEquals(ok.size(), stored);
    assertTrue(registry.find("hub.store.commit.batch").summary().max() > 1, "operations shared batches");
    // The failed operations left no savepoint behind: the writer still commits.
    assertEquals(1, store.recordCheckIn(new CheckInRequest("+15550001111", Status.SAFE, null, null, null, Channel.WEB, null),
        T0).await(20, TimeUnit.SECONDS).checkIn().seq());
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hub.db"));
         var st = c.createStatement();
         var rs = st.executeQuery("SELECT COUNT(*) FROM people WHERE phone = '+15559999999'")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "the failed operations' rows were rolled back");
    }
  }

  @Test
  @DisplayName("the WAL is checkpointed beside the writer: it stops growing although the writer never checkpoints")
  void walIsCheckpointedInTheBackground() throws Exception {
    Path wal = dir.resolve("hub.db-wal");
    String note = "x".repeat(280);
    long afterFirst = 0;
    for (int round = 0; round < 5; round++) {
      List<Future<?>> writes = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        writes.add(store.recordCheckIn(new CheckInRequest("+1555100" + String.format("%04d", i), Status.SAFE, note, null,
            null, Channel.WEB, null), T0));
      }
      Future.all(new ArrayList<>(writes)).await(30, TimeUnit.SECONDS);
      double seen = registry.counter("hub.store.checkpoints").count();
      // Two more checkpoints: at least one started after this round was committed.
      org.crisishub.async.Waits.until(vertx, 20, 20_000, () -> registry.counter("hub.store.checkpoints").count() >= seen + 2)
          .await(30, TimeUnit.SECONDS);
      if (round == 0) {
        afterFirst = java.nio.file.Files.size(wal);
      }
    }
    long last = java.nio.file.Files.size(wal);
    // Without checkpoints the WAL would hold all five rounds; checkpointed, the writer starts over at
    // its beginning after each, so it stays near one round's size.
    assertTrue(last < afterFirst * 2, "WAL " + last + " bytes after 5 rounds, " + afterFirst + " after one");
  }
  static CheckInRequest made(String phone, Instant madeAt) {
    return new CheckInRequest(phone, Status.SAFE, null, null, null, Channel.WEB, null, madeAt);
  }

  @Test
  @DisplayName("lateness within and across batches, also when a batch is rolled back and run again")
  void lateAcrossBatchesAndRollback() throws Exception {
    String p = "+15550002222";
    // Sent together (they share batches): the status made at +100 s, a failing operation that makes its
    // batch roll back and run again, then one made at +50 s, late against the first.
    Future<org.crisishub.domain.CheckInResult> first = store.recordCheckIn(made(p, T0.plusSeconds(100)), T0.plusSeconds(200));
    Future<Object> failing = store.write(c -> {
      throw new SQLException("broken");
    });
    Future<org.crisishub.domain.CheckInResult> earlier = store.recordCheckIn(made(p, T0.plusSeconds(50)), T0.plusSeconds(200));
    assertFalse(first.await(20, TimeUnit.SECONDS).checkIn().late());
    failing.transform(ar -> Future.succeededFuture()).await(20, TimeUnit.SECONDS);
    assertTrue(earlier.await(20, TimeUnit.SECONDS).checkIn().late());
    // A later batch: still late against +100 s; one made after it is not, and is the status then.
    assertTrue(store.recordCheckIn(made(p, T0.plusSeconds(60)), T0.plusSeconds(201)).await(20, TimeUnit.SECONDS)
        .checkIn().late());
    assertFalse(store.recordCheckIn(made(p, T0.plusSeconds(150)), T0.plusSeconds(202)).await(20, TimeUnit.SECONDS)
        .checkIn().late());
    assertTrue(store.recordCheckIn(made(p, T0.plusSeconds(120)), T0.plusSeconds(203)).await(20, TimeUnit.SECONDS)
        .checkIn().late());
  }

  @Test
  @DisplayName("a status deleted by retention no longer makes an older check-in late")
  void purgedStatusIsForgotten() throws Exception {
    String p = "+15550003333";
    assertFalse(store.recordCheckIn(made(p, T0), T0).await(20, TimeUnit.SECONDS).checkIn().late());
    assertTrue(store.recordCheckIn(made(p, T0.minusSeconds(60)), T0).await(20, TimeUnit.SECONDS).checkIn().late());
    Instant later = T0.plus(java.time.Duration.ofDays(31));
    assertEquals(2, store.purge(later, java.time.Duration.ofDays(30)).await(20, TimeUnit.SECONDS));
    assertFalse(store.recordCheckIn(made(p, T0.minusSeconds(3600)), later).await(20, TimeUnit.SECONDS).checkIn().late(),
        "no status left to be late against");
  }
}
