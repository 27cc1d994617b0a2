package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import org.crisishub.core.AuditService;
import org.crisishub.store.redis.RedisStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The audit contract against a real redis-server of the test's own, and the intents and chainer of Redis. */
@DisplayName("Audit chain on the Redis store")
class RedisAuditStoreTest extends AuditStoreContractTest {
  @org.junit.jupiter.api.extension.RegisterExtension
  static final org.crisishub.support.RedisServerExtension REDIS = new org.crisishub.support.RedisServerExtension();

  @Override
  protected Store newStore(Vertx vertx) throws Exception {
    return REDIS.freshStore(vertx);
  }

  private Response cmd(Request r) throws Exception {
    Vertx v = vertx != null ? vertx : Vertx.vertx();
    Redis client = Redis.createClient(v, REDIS.server().url());
    try {
      return await(client.send(r));
    } finally {
      client.close();
      if (v != vertx) {
        v.close();
      }
    }
  }

  private String member(long id) throws Exception {
    Response r = cmd(Request.cmd(Command.ZRANGE).arg("{g}:audit:chain").arg(id).arg(id).arg("BYSCORE"));
    return r.get(0).toString();
  }

  @Override
  protected void editActor(long id, String actor) throws Exception {
    String m = member(id);
    cmd(Request.cmd(Command.ZREM).arg("{g}:audit:chain").arg(m));
    cmd(Request.cmd(Command.ZADD).arg("{g}:audit:chain").arg(id).arg(m.replaceFirst("\"actor\":\"[^\"]*\"",
        "\"actor\":\"" + actor + "\"")));
  }

  @Override
  protected void delete(long id) throws Exception {
    cmd(Request.cmd(Command.ZREM).arg("{g}:audit:chain").arg(member(id)));
  }

  @Test
  @DisplayName("an intent left while another node holds the chain lease is chained once, after the lease expires")
  void leaseTakeover() throws Exception {
    // A chainer that died holding the lease: nobody may chain until it expires.
    cmd(Request.cmd(Command.SET).arg("{g}:audit:lease").arg("dead-node").arg("PX").arg(1500));
    await(store.audit("ann", "incident.close", "FLOOD7", "done", null, T0));
    assertEquals(1, cmd(Request.cmd(Command.ZCARD).arg("{g}:audit:intents")).toInteger(), "durable as an intent");
    assertEquals(0, cmd(Request.cmd(Command.ZCARD).arg("{g}:audit:chain")).toInteger(), "not chained yet");
    long deadline = System.currentTimeMillis() + 10_000;
    while (cmd(Request.cmd(Command.ZCARD).arg("{g}:audit:chain")).toInteger() == 0
        && System.currentTimeMillis() < deadline) {
      await(store.auditPage(0, 10));
    }
    List<AuditChain.Entry> es = await(store.auditPage(0, 10));
    assertEquals(1, es.size());
    assertEquals("incident.close", es.get(0).action());
    assertEquals(0, cmd(Request.cmd(Command.ZCARD).arg("{g}:audit:intents")).toInteger());
    // The same intent offered again (a chainer that crashed after chaining) is not chained twice.
    cmd(Request.cmd(Command.ZADD).arg("{g}:audit:intents").arg(1).arg("1|{\"at\":0,\"actor\":\"ann\","
        + "\"action\":\"incident.close\",\"subject\":\"FLOOD7\",\"outcome\":\"done\"}"));
    await(store.audit("bo", "incident.create", "FIRE2", "done", null, T0));
    es = await(store.auditPage(0, 10));
    assertEquals(List.of("incident.close", "incident.create"), es.stream().map(AuditChain.Entry::action).toList());
    assertTrue(await(new AuditService(store).verify()).ok());
  }

  @Test
  @DisplayName("v1 entries are chained once at start, in their order, with their detail dropped")
  void migratesV1() throws Exception {
    await(store.close());
    cmd(Request.cmd(Command.FLUSHALL));
    cmd(Request.cmd(Command.SET).arg("{g}:schema").arg("1"));
    cmd(Request.cmd(Command.LPUSH).arg("{g}:audit").arg("1|{\"at\":1000,\"actor\":\"ann\",\"action\":"
        + "\"incident.create\",\"target\":\"FLOOD7\",\"outcome\":\"done\",\"detail\":null}"));
    cmd(Request.cmd(Command.LPUSH).arg("{g}:audit").arg("2|{\"at\":2000,\"actor\":\"ann\",\"action\":"
        + "\"notice.draft\",\"target\":\"n1\",\"outcome\":\"done\",\"detail\":\"Boil water in Elm St\"}"));
    store = new RedisStore(vertx, REDIS.server().url(), RedisStore.Durability.ALWAYS);
    await(store.start());
    List<AuditChain.Entry> es = await(store.auditPage(0, 10));
    assertEquals(List.of("incident.create", "notice.draft"), es.stream().map(AuditChain.Entry::action).toList());
    assertEquals("FLOOD7", es.get(0).subject());
    assertNull(es.get(1).detail(), "the v1 detail (a headline) is dropped");
    assertEquals(0, cmd(Request.cmd(Command.EXISTS).arg("{g}:audit")).toInteger(), "the v1 list is gone");
    await(store.audit("ann", "notice.approve", "n1", "done", null, java.time.Instant.now()));
    await(store.close());
    store = new RedisStore(vertx, REDIS.server().url(), RedisStore.Durability.ALWAYS);
    await(store.start());
    AuditService.Verification v = await(new AuditService(store).verify());
    assertTrue(v.ok());
    assertEquals(3, v.entries(), "migrated once, not again at the next start");
  }
}
