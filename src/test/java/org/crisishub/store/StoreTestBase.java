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
 * What every store contract test shares: a fresh store of the engine under test per test
 * ({@link #newStore}), opened again on the same data ({@link #reopen}), and small helpers. One
 * abstract subclass per concern holds that concern's contract; one subclass of it per engine runs
 * it (Sqlite*, Redis*).
 */
public abstract class StoreTestBase {
  protected Vertx vertx;
  protected Store store;
  protected static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  /** A fresh, empty store. */
  protected abstract Store newStore(Vertx vertx) throws Exception;

  /**
   * The same data opened again, as after a restart. Contracts that never restart a store (templates,
   * triage, safety checks) need not say how; the others' engine subclasses do.
   */
  protected Store reopen(Vertx vertx) throws Exception {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " does not reopen its store");
  }

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

  /**
   * Renders claimed messages as the sender does when it sends them (status notifications from their
   * check-in and the recipient's label of now, times in UTC; other messages as stored).
   */
  protected List<org.crisishub.sms.StatusNotices.Rendered> rendered(List<Store.OutboxItem> items) throws Exception {
    return await(new org.crisishub.sms.StatusNotices(store.checkInLog(), store.followGraph(), java.time.ZoneOffset.UTC)
        .render(items));
  }

  /** The text each claimed message is sent with (see {@link #rendered}); fails on one that cannot be rendered. */
  protected List<String> sentTexts(List<Store.OutboxItem> items) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    for (org.crisishub.sms.StatusNotices.Rendered r : rendered(items)) {
      assertEquals(null, r.failure(), "rendered");
      out.add(r.item().body());
    }
    return out;
  }

  static CheckInRequest req(String phone, Status st, String note, String key) {
    return new CheckInRequest(phone, st, note, null, null, Channel.WEB, key);
  }
}
