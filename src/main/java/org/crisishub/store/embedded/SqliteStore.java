package org.crisishub.store.embedded;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.HubException;
import org.crisishub.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The embedded {@link Store}: one SQLite file in WAL mode with {@code synchronous=FULL}.
 *
 * <p>All writes go through one writer thread that takes whatever is queued (up to
 * {@value #MAX_BATCH} operations), runs them in one transaction, commits once, and only then
 * completes the operations' futures: a burst of check-ins costs one fsync (group commit). When an
 * operation fails half-way, the batch is undone and run again with each operation in a savepoint
 * of its own, so one failing operation does not undo its neighbours. Reads run on a small
 * pool of read connections, which WAL lets run beside the writer.
 *
 * <p>This class holds that machinery ({@link #write}, {@link #read}, cached statements) and the
 * lifecycle; one class per concern implements each interface on it ({@link SqliteCheckIns},
 * {@link SqliteFollows}, {@link SqlitePersonAuth}, {@link SqliteOutbox}, {@link SqliteSmsInbound},
 * {@link SqliteResponders}, {@link SqliteIncidents}, {@link SqliteNotices}, {@link SqliteAudit},
 * {@link SqliteHelp}, and the safety, triage and template classes). A change that spans concerns is
 * one writer operation whose transaction calls each concern's connection-level part (for example
 * {@link SqliteOutbox#enqueue} inside a check-in): one unit of work, one commit.
 */
public final class SqliteStore implements Store {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);
  private static final int MAX_BATCH = 1024;
  private static final int READERS = 2;
  private static final long CHECKPOINT_EVERY_MS = 500;
  /** How long a check-in's idempotency key is remembered. */
  static final long IDEMPOTENCY_WINDOW_MS = Duration.ofHours(24).toMillis();

  private final Vertx vertx;
  private final Path file;
  private final BlockingQueue<WriteOp<?>> queue = new LinkedBlockingQueue<>();
  /** What decides whether a check-in is late, remembered by the writer (see {@link SqliteStatusTimes}). */
  final SqliteStatusTimes statusTimes = new SqliteStatusTimes();
  private final List<Connection> readConnections = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Connection> readConnection = new ThreadLocal<>();
  private final DistributionSummary batchSizes;
  private volatile boolean closed;
  private Thread writer;
  private final SqliteCheckIns checkIns;
  private final SqliteFollows follows = new SqliteFollows(this);
  private final SqlitePersonAuth personAuth = new SqlitePersonAuth(this);
  private final SqliteOutbox outbox = new SqliteOutbox(this);
  private final SqliteSmsInbound smsInbound = new SqliteSmsInbound(this);
  private final SqliteResponders responders = new SqliteResponders(this);
  private final SqliteIncidents incidents = new SqliteIncidents(this);
  private final SqliteNotices notices = new SqliteNotices(this);
  private final SqliteAudit audit = new SqliteAudit(this);
  private final SqliteHelp help = new SqliteHelp(this);
  private final SqliteSafetyChecks safetyChecks = new SqliteSafetyChecks(this);
  private final SqliteTriage triage = new SqliteTriage(this);

  @Override
  public org.crisishub.store.CheckInLog checkInLog() {
    return checkIns;
  }

  @Override
  public org.crisishub.store.FollowGraph followGraph() {
    return follows;
  }

  @Override
  public org.crisishub.store.PersonAuthStore personAuth() {
    return personAuth;
  }

  @Override
  public org.crisishub.store.Outbox outbox() {
    return outbox;
  }

  @Override
  public org.crisishub.store.SmsInbound smsInbound() {
    return smsInbound;
  }

  @Override
  public org.crisishub.store.ResponderAccounts responderAccounts() {
    return responders;
  }

  @Override
  public org.crisishub.store.IncidentRegistry incidentRegistry() {
    return incidents;
  }

  @Override
  public org.crisishub.store.NoticeBoard noticeBoard() {
    return notices;
  }

  @Override
  public org.crisishub.store.AuditTrail auditTrail() {
    return audit;
  }

  @Override
  public org.crisishub.store.HelpQueue helpQueue() {
    return help;
  }

  @Override
  public org.crisishub.store.TriageStore triage() {
    return triage;
  }

  @Override
  public org.crisishub.store.SafetyCheckStore safetyChecks() {
    return safetyChecks;
  }

  private final SqliteTemplates templates = new SqliteTemplates(this);

  @Override
  public org.crisishub.store.TemplateStore templates() {
    return templates;
  }
  private Connection writeConnection;
  private ExecutorService readers;
  private java.util.concurrent.ScheduledExecutorService checkpointer;
  private Connection checkpointConnection;
  private final io.micrometer.core.instrument.Counter checkpoints;
  private final java.util.concurrent.atomic.AtomicLong walFrames = new java.util.concurrent.atomic.AtomicLong();

  public SqliteStore(Vertx vertx, Path dataDir, MeterRegistry registry) {
    this.vertx = vertx;
    this.checkIns = new SqliteCheckIns(this);
    this.file = dataDir.resolve("hub.db");
    this.batchSizes = DistributionSummary.builder("hub.store.commit.batch")
        .description("operations per group commit of the embedded store")
        .register(registry);
    this.checkpoints = io.micrometer.core.instrument.Counter.builder("hub.store.checkpoints")
        .description("background WAL checkpoints of the embedded store").register(registry);
    io.micrometer.core.instrument.Gauge.builder("hub.store.wal.frames", walFrames, java.util.concurrent.atomic.AtomicLong::get)
        .description("frames in the embedded store's WAL at the last checkpoint").register(registry);
  }

  @Override
  public Future<Void> start() {
    return vertx.executeBlocking(() -> {
      Files.createDirectories(file.getParent());
      writeConnection = open();
      int version = Migrations.apply(writeConnection);
      // The writer does not checkpoint: an automatic checkpoint runs inside the commit that crosses
      // 1,000 WAL pages and stalls every check-in queued behind it (the 100 ms tail of a 5,000/s
      // storm, docs/performance.md). A thread of its own copies the WAL into the database file
      // beside the writer instead (PASSIVE: it never waits for, or blocks, the writer or readers).
      try (var st = writeConnection.createStatement()) {
        st.execute("PRAGMA wal_autocheckpoint = 0");
      }
      writeConnection.setAutoCommit(false);
      checkpointConnection = open();
      checkpointer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hub-store-checkpoint");
        t.setDaemon(true);
        return t;
      });
      checkpointer.scheduleWithFixedDelay(this::checkpoint, CHECKPOINT_EVERY_MS, CHECKPOINT_EVERY_MS,
          java.util.concurrent.TimeUnit.MILLISECONDS);
      AtomicInteger n = new AtomicInteger();
      readers = Executors.newFixedThreadPool(READERS, r -> {
        Thread t = new Thread(r, "hub-store-reader-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      writer = new Thread(this::writeLoop, "hub-store-writer");
      writer.setDaemon(true);
      writer.start();
      LOG.info("embedded store open at {} (schema version {})", file, version);
      return null;
    });
  }

  /** Copies committed WAL frames into the database file; runs on the checkpoint thread. */
  private void checkpoint() {
    try (var st = checkpointConnection.createStatement();
         ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
      if (rs.next()) {
        walFrames.set(rs.getLong(2));
      }
      checkpoints.increment();
    } catch (SQLException | RuntimeException e) {
      if (!closed) {
        LOG.warn("embedded store checkpoint failed (the next one will retry): {}", e.toString());
      }
    }
  }

  private Connection open() throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    // FULL: a committed transaction survives a power cut, not only a killed process.
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout(10_000);
    // Up to 32 MiB of pages per connection (SQLite's default is 2 MiB). With the default, a check-in
    // storm read index pages back from the file and spilled dirty ones to the WAL in the middle of
    // a batch: pread + pwrite were a fifth of the hub's CPU (docs/performance.md).
    config.setCacheSize(-32_768);
    return DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
  }

  @Override
  public Future<Void> close() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    return vertx.executeBlocking(() -> {
      if (writer != null) {
        queue.put(WriteOp.POISON);
        writer.join(30_000);
      }
      if (checkpointer != null) {
        checkpointer.shutdown();
        checkpointer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        closeQuietly(checkpointConnection);
      }
      if (readers != null) {
        readers.shutdown();
        readers.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      }
      for (Connection c : readConnections) {
        closeQuietly(c);
      }
      if (writeConnection != null) {
        closeQuietly(writeConnection);
      }
      return null;
    });
  }

  private static void closeQuietly(Connection c) {
    STATEMENTS.remove(c);
    try {
      c.close();
    } catch (SQLException e) {
      LOG.warn("closing an embedded store connection failed: {}", e.getMessage());
    }
  }

  @Override
  public Future<Void> ping() {
    return read(c -> {
      try (Stmt st = prepare(c, "SELECT 1"); ResultSet rs = st.ps().executeQuery()) {
        rs.next();
      }
      return null;
    });
  }

  @Override
  public Future<Integer> purge(Instant now, Duration retention) {
    return write(c -> {
      statusTimes.purged();
      return SqliteRetention.purge(c, now, retention);
    });
  }

  // ---------------------------------------------------------------- helpers shared by the concerns

  /** Runs an INSERT, UPDATE or DELETE with {@code args} as its parameters; returns the rows changed. */
  static int update(Connection c, String sql, Object... args) throws SQLException {
    try (Stmt st = prepare(c, sql)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      return ps.executeUpdate();
    }
  }

  /** The first column of every row of a query with one string parameter. */
  static List<String> strings(Connection c, String sql, String arg) throws SQLException {
    try (Stmt st = prepare(c, sql)) {
      PreparedStatement ps = st.ps();
      ps.setString(1, arg);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  /** A check-in from a row of {@link SqliteCheckIns#CHECKIN_COLUMNS}. */
  static CheckIn checkIn(ResultSet rs) throws SQLException {
    return SqliteCheckIns.checkIn(rs);
  }

  /** True when {@code phone} opted out of SMS (STOP). */
  static boolean optedOut(Connection c, String phone) throws SQLException {
    try (Stmt st = prepare(c, "SELECT 1 FROM sms_optout WHERE phone = ?")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, phone);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private volatile Runnable onSmsOptedOut = () -> { };

  /** Sets the counter of SMS withheld for an opt-out ({@link org.crisishub.store.Outbox#onSmsOptedOut}). */
  @Override
  public void onSmsOptedOut(Runnable counter) {
    this.onSmsOptedOut = counter;
  }

  /** Counts {@code n} SMS withheld because their recipient opted out (see {@link Store#onSmsOptedOut}). */
  void optedOutWithheld(long n) {
    for (long i = 0; i < n; i++) {
      onSmsOptedOut.run();
    }
  }

  // ---------------------------------------------------------------- machinery

  /** Prepared statements per connection; each map is only used by its connection's one thread. */
  private static final java.util.Map<Connection, java.util.Map<String, Stmt>> STATEMENTS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A prepared statement from the connection's cache. Preparing (SQLite parses the SQL each time)
   * took 15 % of the hub's CPU in a check-in storm profile (docs/performance.md). Closing the
   * {@link Stmt} only clears the parameters, so callers keep the usual try-with-resources.
   */
  static Stmt prepare(Connection c, String sql) throws SQLException {
    java.util.Map<String, Stmt> cache = STATEMENTS.computeIfAbsent(c, k -> new java.util.HashMap<>());
    Stmt st = cache.get(sql);
    if (st == null) {
      st = new Stmt(c.prepareStatement(sql));
      cache.put(sql, st);
    }
    return st;
  }

  /**
   * A cached statement. A plain wrapper, not a reflective proxy: the proxy boxed every parameter
   * into an argument array and was a quarter of all bytes allocated in a check-in storm.
   */
  record Stmt(PreparedStatement ps) implements AutoCloseable {
    @Override
    public void close() throws SQLException {
      ps.clearParameters();
    }
  }

  /** A unit of work against one connection. */
  @FunctionalInterface
  interface Tx<T> {
    T run(Connection c) throws SQLException;
  }

  <T> Future<T> read(Tx<T> tx) {
    if (closed) {
      return Future.failedFuture(HubException.unavailable("store is closed", null));
    }
    Context ctx = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    try {
      readers.execute(() -> {
        try {
          Connection c = readConnection.get();
          if (c == null) {
            c = open();
            readConnections.add(c);
            readConnection.set(c);
          }
          T result = tx.run(c);
          ctx.runOnContext(v -> promise.complete(result));
        } catch (HubException e) {
          ctx.runOnContext(v -> promise.fail(e));
        } catch (Exception e) {
          LOG.error("embedded store read failed", e);
          ctx.runOnContext(v -> promise.fail(HubException.unavailable("store unavailable", e)));
        }
      });
    } catch (RejectedExecutionException e) {
      return Future.failedFuture(HubException.unavailable("store is closed", e));
    }
    return promise.future();
  }

  /** Queues a write for the writer thread; package-private for the batch tests. */
  <T> Future<T> write(Tx<T> tx) {
    if (closed) {
      return Future.failedFuture(HubException.unavailable("store is closed", null));
    }
    WriteOp<T> op = new WriteOp<>(tx, vertx.getOrCreateContext());
    queue.add(op);
    return op.promise.future();
  }

  private void writeLoop() {
    List<WriteOp<?>> batch = new ArrayList<>(MAX_BATCH);
    boolean running = true;
    while (running) {
      try {
        batch.add(queue.take());
        queue.drainTo(batch, MAX_BATCH - 1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (batch.remove(WriteOp.POISON)) {
        running = false;
        queue.drainTo(batch);
        batch.remove(WriteOp.POISON);
      }
      if (!batch.isEmpty()) {
        commit(batch);
      }
      batch.clear();
    }
  }

  private void commit(List<WriteOp<?>> batch) {
    Connection c = writeConnection;
    try {
      if (!runTogether(c, batch)) {
        // Something failed half-way: undo the whole batch and run it again, each operation in a
        // savepoint of its own, so the failing one is undone alone and its neighbours still commit.
        c.rollback();
        statusTimes.forgetBatch();
        runInSavepoints(c, batch);
      }
      c.commit();
      statusTimes.keepBatch();
      batchSizes.record(batch.size());
      completeAll(batch);
    } catch (SQLException | RuntimeException e) {
      LOG.error("embedded store commit of {} operations failed: nothing of it was stored", batch.size(), e);
      try {
        c.rollback();
      } catch (SQLException ex) {
        LOG.error("embedded store rollback failed", ex);
      }
      statusTimes.forgetBatch();
      HubException failure = HubException.unavailable("store unavailable", e);
      for (WriteOp<?> op : batch) {
        op.error = failure;
      }
      completeAll(batch);
    }
  }

  /**
   * The fast path: every operation of the batch in the one transaction, no savepoints (two statements
   * per operation fewer). Returns false, with the batch half-done, when any operation throws.
   */
  private static boolean runTogether(Connection c, List<WriteOp<?>> batch) {
    for (WriteOp<?> op : batch) {
      try {
        op.run(c);
      } catch (SQLException | RuntimeException e) {
        return false;
      }
    }
    return true;
  }

  private static void runInSavepoints(Connection c, List<WriteOp<?>> batch) throws SQLException {
    for (WriteOp<?> op : batch) {
      op.result = null;
      op.error = null;
      // Named savepoints through cached statements: Connection.setSavepoint() formats a fresh name
      // and has SQLite parse "SAVEPOINT …" again for every operation.
      update(c, "SAVEPOINT op");
      try {
        op.run(c);
      } catch (HubException e) {
        update(c, "ROLLBACK TO op");
        op.error = e;
      } catch (SQLException | RuntimeException e) {
        LOG.error("embedded store operation failed and was rolled back", e);
        update(c, "ROLLBACK TO op");
        op.error = HubException.unavailable("store unavailable", e);
      }
      update(c, "RELEASE op");
    }
  }

  /**
   * Completes a committed batch with one task per event loop, not one per operation: the hops back
   * to the event loops were 13 % of the hub's CPU in a check-in storm profile.
   */
  private static void completeAll(List<WriteOp<?>> batch) {
    java.util.Map<Context, List<WriteOp<?>>> byContext = new java.util.IdentityHashMap<>();
    for (WriteOp<?> op : batch) {
      byContext.computeIfAbsent(op.ctx, k -> new ArrayList<>()).add(op);
    }
    byContext.forEach((ctx, ops) -> ctx.runOnContext(v -> ops.forEach(WriteOp::complete)));
  }

  private static final class WriteOp<T> {
    static final WriteOp<Void> POISON = new WriteOp<>(c -> null, null);

    final Tx<T> tx;
    final Context ctx;
    final Promise<T> promise = Promise.promise();
    T result;
    Throwable error;

    WriteOp(Tx<T> tx, Context ctx) {
      this.tx = tx;
      this.ctx = ctx;
    }

    void run(Connection c) throws SQLException {
      result = tx.run(c);
    }

    /** Completes the promise; runs on the operation's context. */
    void complete() {
      if (error == null) {
        promise.complete(result);
      } else {
        promise.fail(error);
      }
    }
  }
}
