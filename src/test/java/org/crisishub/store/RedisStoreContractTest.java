package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Status;
import org.crisishub.store.redis.RedisStore;
import org.crisishub.support.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The same contract against a real redis-server of the test's own (AOF, appendfsync always). */
@DisplayName("Redis store")
class RedisStoreContractTest extends StoreContractTest {
  static RedisServer server;

  @BeforeAll
  static void startRedis() throws Exception {
    server = RedisServer.startNew();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    server.close();
  }

  @Override
  protected Store newStore(Vertx vertx) throws Exception {
    // Each test starts on an empty database.
    try (var s = new java.net.Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write("FLUSHALL\r\n".getBytes());
      s.getInputStream().read(new byte[16]);
    }
    return new RedisStore(vertx, server.url(), RedisStore.Durability.ALWAYS);
  }

  @Override
  protected Store reopen(Vertx vertx) {
    return new RedisStore(vertx, server.url(), RedisStore.Durability.ALWAYS);
  }

  @Test
  @DisplayName("acknowledged check-ins survive redis-server being killed (SIGKILL) and restarted from its AOF")
  void survivesRedisKill() throws Exception {
    List<CheckInResult> acked = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      acked.add(await(store.recordCheckIn(req("+1555000" + String.format("%04d", i % 20), Status.SAFE, "n" + i, null),
          T0)));
    }
    server.kill();
    HubException down = assertThrows(HubException.class,
        () -> await(store.recordCheckIn(req("+15550000001", Status.SAFE, null, null), T0)));
    assertEquals(org.crisishub.domain.ErrorCode.UNAVAILABLE, down.code(), "refused, not acknowledged");
    server.start();
    for (CheckInResult r : acked) {
      assertTrue(await(store.history(r.checkIn().phone(), r.checkIn().seq() - 1, 1)).contains(r.checkIn()),
          "lost: " + r.checkIn());
    }
    assertEquals(11, await(store.recordCheckIn(req("+15550000001", Status.SAFE, null, null), T0)).checkIn().seq());
  }

  /** Sends one command as a RESP array and returns the raw reply's first line. */
  static String raw(String... args) throws Exception {
    StringBuilder b = new StringBuilder("*" + args.length + "\r\n");
    for (String a : args) {
      byte[] bytes = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      b.append('$').append(bytes.length).append("\r\n").append(a).append("\r\n");
    }
    try (var s = new java.net.Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream())).readLine();
    }
  }

  @Test
  @DisplayName("an incident from before agencies takes its creator's agency at start; without a creator, none")
  void ownersFromTheAuditTrail() throws Exception {
    await(store.createResponder("ann", "h", "County EMS", java.util.Set.of("publisher"), T0));
    // The layout a hub before agencies wrote: no agency, no partners.
    for (String code : List.of("FLOOD7", "QUAKE3")) {
      raw("HSET", "{g}:inc:" + code, "id", code, "name", "x", "area", "", "tp", "0", "state", "open", "created", "1000");
      raw("ZADD", "{g}:incs", "1000", code);
    }
    // Its audit trail: the v1 list, newest first, as that release's AUDIT script wrote it.
    raw("LPUSH", "{g}:audit", "1|{\"at\":1000,\"actor\":\"bo\",\"action\":\"incident.create\","
        + "\"target\":\"FLOOD7\",\"outcome\":\"refused\",\"detail\":\"forbidden\"}");
    raw("LPUSH", "{g}:audit", "2|{\"at\":1000,\"actor\":\"ann\",\"action\":\"incident.create\","
        + "\"target\":\"FLOOD7\",\"outcome\":\"done\",\"detail\":null}");
    await(store.close());
    store = reopen(vertx);
    await(store.start());
    assertEquals("County EMS", await(store.incident("FLOOD7")).orElseThrow().agency());
    assertEquals(null, await(store.incident("QUAKE3")).orElseThrow().agency());
    assertEquals("Police", await(store.setIncidentPartner("QUAKE3", "Police", true)).orElseThrow().agency());
  }

  @Test
  @DisplayName("a server without appendfsync always is refused at start")
  void refusesWithoutFsync() throws Exception {
    try (RedisServer loose = RedisServer.startNew()) {
      try (var s = new java.net.Socket("127.0.0.1", loose.port())) {
        s.getOutputStream().write("CONFIG SET appendfsync everysec\r\n".getBytes());
        s.getInputStream().read(new byte[16]);
      }
      Store strict = new RedisStore(vertx, loose.url(), RedisStore.Durability.ALWAYS);
      Exception e = assertThrows(Exception.class, () -> await(strict.start()));
      assertTrue(e.getMessage().contains("appendfsync everysec"), e.getMessage());
      await(strict.close());
      Store relaxed = new RedisStore(vertx, loose.url(), RedisStore.Durability.EVERYSEC);
      await(relaxed.start());
      await(relaxed.close());
    }
  }
}
