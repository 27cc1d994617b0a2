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
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.domain.Agencies;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Area;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsReplies;
import org.crisishub.domain.Location;
import org.crisishub.domain.Status;
import org.crisishub.store.AuditChain;
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
 */
public final class SqliteStore implements Store {
  // Transitional: the concerns are still implemented here.
  @Override public org.crisishub.store.CheckInLog checkInLog() { return this; }
  @Override public org.crisishub.store.FollowGraph followGraph() { return this; }
  @Override public org.crisishub.store.PersonAuth personAuth() { return this; }
  @Override public org.crisishub.store.Outbox outbox() { return this; }
  @Override public org.crisishub.store.SmsInbound smsInbound() { return this; }
  @Override public org.crisishub.store.ResponderAccounts responderAccounts() { return this; }
  @Override public org.crisishub.store.IncidentRegistry incidentRegistry() { return this; }
  @Override public org.crisishub.store.NoticeBoard noticeBoard() { return this; }
  @Override public org.crisishub.store.AuditTrail auditTrail() { return this; }
  @Override public org.crisishub.store.HelpQueue helpQueue() { return this; }

  private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);
  private static final int MAX_BATCH = 1024;
  private static final int READERS = 2;
  private static final long CHECKPOINT_EVERY_MS = 500;
  private static final long IDEMPOTENCY_WINDOW_MS = Duration.ofHours(24).toMillis();
  /**
   * Check-in ids are UUIDv7: time-ordered, so a new check-in's id lands at the end of the primary
   * key's index instead of on a random page of it (random v4 ids made every insert read and dirty
   * another index page once the table outgrew the page cache).
   */
  private static final com.fasterxml.uuid.impl.TimeBasedEpochGenerator CHECKIN_IDS =
      com.fasterxml.uuid.Generators.timeBasedEpochGenerator();
  private static final String CHECKIN_COLUMNS =
      "id, phone, seq, status, note, lat, lon, accuracy_m, incident, channel, at_ms, notified, made_ms, late";

  private final Vertx vertx;
  private final java.time.ZoneId smsZone;
  private final Path file;
  private final BlockingQueue<WriteOp<?>> queue = new LinkedBlockingQueue<>();
  private final List<Connection> readConnections = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Connection> readConnection = new ThreadLocal<>();
  private final DistributionSummary batchSizes;
  private volatile boolean closed;
  private Thread writer;
  private final SqliteSafetyChecks safetyChecks = new SqliteSafetyChecks(this);
  private final SqliteTriage triage = new SqliteTriage(this);

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
    this(vertx, dataDir, registry, java.time.ZoneOffset.UTC);
  }

  /** @param smsZone the zone in which status SMS write clock times ({@code HUB_TIMEZONE}) */
  public SqliteStore(Vertx vertx, Path dataDir, MeterRegistry registry, java.time.ZoneId smsZone) {
    this.vertx = vertx;
    this.smsZone = smsZone;
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

  // ---------------------------------------------------------------- check-ins

  @Override
  public Future<CheckInResult> recordCheckIn(CheckInRequest req, Instant now) {
    return write(c -> {
      long nowMs = now.toEpochMilli();
      if (req.key() != null) {
        try (Stmt st = prepare(c,
            "SELECT c." + CHECKIN_COLUMNS.replace(", ", ", c.")
                + " FROM idempotency i JOIN checkins c ON c.id = i.checkin_id"
                + " WHERE i.phone = ? AND i.key = ? AND i.at_ms > ?")) {
          PreparedStatement ps = st.ps();
          ps.setString(1, req.phone());
          ps.setString(2, req.key());
          ps.setLong(3, nowMs - IDEMPOTENCY_WINDOW_MS);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              return new CheckInResult(checkIn(rs), rs.getInt("notified"), List.of(), true, List.of());
            }
          }
        }
      }
      // The person's next seq in one statement (undone with the rest if the check-in fails).
      long seq;
      try (Stmt st = prepare(c, "INSERT INTO people (phone, last_seq) VALUES (?, 1)"
          + " ON CONFLICT (phone) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, req.phone());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          seq = rs.getLong(1);
        }
      }
      List<Follow> recipients = activeFollowers(c, req.phone());
      CheckIn status = latest(c, req.phone());
      Instant time = req.madeAt() != null ? req.madeAt() : now;
      // Two check-ins both timed by the hub are ordered by seq (commit order), not by their
      // millisecond stamps: concurrent requests may reach the writer out of arrival order.
      boolean late = status != null && time.isBefore(status.time())
          && (req.madeAt() != null || status.madeAt() != null);
      CheckIn ci = new CheckIn(CHECKIN_IDS.generate().toString(), req.phone(), req.status(), req.note(),
          req.location(), req.incident(), req.channel(), now, seq, req.madeAt(), late);
      try (Stmt st = prepare(c,
          "INSERT INTO checkins (" + CHECKIN_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, ci.id());
        ps.setString(2, ci.phone());
        ps.setLong(3, seq);
        ps.setString(4, ci.status().wire());
        ps.setString(5, ci.note());
        Location loc = ci.location();
        setDouble(ps, 6, loc == null ? null : loc.lat());
        setDouble(ps, 7, loc == null ? null : loc.lon());
        setDouble(ps, 8, loc == null ? null : loc.accuracyM());
        ps.setString(9, ci.incident());
        ps.setString(10, ci.channel().wire());
        ps.setLong(11, nowMs);
        ps.setInt(12, recipients.size());
        if (ci.madeAt() == null) {
          ps.setNull(13, Types.INTEGER);
        } else {
          ps.setLong(13, ci.madeAt().toEpochMilli());
        }
        ps.setInt(14, late ? 1 : 0);
        ps.executeUpdate();
      }
      if (req.key() != null) {
        update(c, "INSERT OR REPLACE INTO idempotency (phone, key, checkin_id, at_ms) VALUES (?,?,?,?)",
            ci.phone(), req.key(), ci.id(), nowMs);
      }
      for (Follow f : recipients) {
        // A late check-in is not the person's status: texting it would tell followers something older.
        if (f.sms() && !late) {
          String name = label(c, f.follower(), ci.phone());
          if (!enqueueSms(c, f.follower(), "status:" + ci.phone(), ci.phone(),
              SmsReplies.statusNotice(ci, name == null ? ci.phone() : name, smsZone), nowMs)) {
            optedOutWithheld(1);
          }
        }
      }
      List<String> help = ci.status() == Status.NEED_HELP ? fileHelpRequest(c, ci, nowMs) : List.of();
      return new CheckInResult(ci, recipients.size(), recipients, false, help);
    });
  }

  /**
   * Files a need_help check-in in the triage queue of the open incident it names, or, without a
   * name, of every open incident whose area holds its location. Returns those incidents.
   */
  private static List<String> fileHelpRequest(Connection c, CheckIn ci, long nowMs) throws SQLException {
    List<String> matched = new ArrayList<>();
    for (Incident inc : incidents(c, "SELECT * FROM incidents WHERE state = 'open'")) {
      boolean named = inc.code().equals(ci.incident());
      boolean inside = ci.incident() == null && ci.location() != null && inc.area() != null
          && inc.area().contains(ci.location());
      if (named || inside) {
        matched.add(inc.code());
      }
    }
    for (String code : matched) {
      update(c, "INSERT OR IGNORE INTO help_requests (checkin_id, incident, phone, state, created_ms, updated_ms)"
          + " VALUES (?,?,?,'open',?,?)",
          ci.id(), code, ci.phone(), nowMs, nowMs);
    }
    return matched;
  }

  private static List<Follow> activeFollowers(Connection c, String subject) throws SQLException {
    try (Stmt st = prepare(c,
        "SELECT follower, subject, state, sms, updated_ms FROM follows WHERE subject = ? AND state = 'active'")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, subject);
      return follows(ps);
    }
  }

  private static void setDouble(PreparedStatement ps, int i, Double v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.REAL);
    } else {
      ps.setDouble(i, v);
    }
  }

  private static Double getDouble(ResultSet rs, String col) throws SQLException {
    double v = rs.getDouble(col);
    return rs.wasNull() ? null : v;
  }

  static CheckIn checkIn(ResultSet rs) throws SQLException {
    Double lat = getDouble(rs, "lat");
    Location loc = lat == null ? null : new Location(lat, rs.getDouble("lon"), getDouble(rs, "accuracy_m"));
    return new CheckIn(rs.getString("id"), rs.getString("phone"), Status.parse(rs.getString("status")),
        rs.getString("note"), loc, rs.getString("incident"), Channel.fromWire(rs.getString("channel")),
        Instant.ofEpochMilli(rs.getLong("at_ms")), rs.getLong("seq"), madeAt(rs), rs.getInt("late") == 1);
  }

  private static Instant madeAt(ResultSet rs) throws SQLException {
    long ms = rs.getLong("made_ms");
    return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
  }

  @Override
  public Future<Optional<CheckIn>> latest(String phone) {
    return read(c -> Optional.ofNullable(latest(c, phone)));
  }

  private static CheckIn latest(Connection c, String phone) throws SQLException {
    try (Stmt st = prepare(c,
        "SELECT " + CHECKIN_COLUMNS + " FROM checkins WHERE phone = ? AND late = 0 ORDER BY seq DESC LIMIT 1")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, phone);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? checkIn(rs) : null;
      }
    }
  }

  @Override
  public Future<List<CheckIn>> latestOf(Collection<String> phones) {
    List<String> copy = List.copyOf(phones);
    return read(c -> {
      List<CheckIn> out = new ArrayList<>(copy.size());
      for (String p : copy) {
        CheckIn ci = latest(c, p);
        if (ci != null) {
          out.add(ci);
        }
      }
      return out;
    });
  }

  @Override
  public Future<List<CheckIn>> history(String phone, long afterSeq, int limit) {
    return read(c -> {
      try (Stmt st = prepare(c,
          "SELECT " + CHECKIN_COLUMNS + " FROM checkins WHERE phone = ? AND seq > ? ORDER BY seq LIMIT ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        ps.setLong(2, afterSeq);
        ps.setInt(3, limit);
        List<CheckIn> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(checkIn(rs));
          }
        }
        return out;
      }
    });
  }

  // ---------------------------------------------------------------- follows

  @Override
  public Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now) {
    return write(c -> {
      Follow existing = follow(c, follower, subject);
      boolean trusted = isContact(c, subject, follower);
      FollowState state = Follow.stateForRequest(existing == null ? null : existing.state(), trusted);
      Follow f = new Follow(follower, subject, state, sms, now);
      upsertFollow(c, f);
      boolean created = state == FollowState.PENDING
          && (existing == null || existing.state() != FollowState.PENDING);
      return new FollowRequestOutcome(f, created);
    });
  }

  private static void upsertFollow(Connection c, Follow f) throws SQLException {
    update(c, "INSERT OR REPLACE INTO follows (follower, subject, state, sms, updated_ms) VALUES (?,?,?,?,?)",
        f.follower(), f.subject(), f.state().wire(), f.sms() ? 1 : 0, f.updatedAt().toEpochMilli());
  }

  private static boolean isContact(Connection c, String owner, String contact) throws SQLException {
    try (Stmt st = prepare(c, "SELECT 1 FROM contacts WHERE owner = ? AND contact = ?")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, owner);
      ps.setString(2, contact);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static Follow follow(Connection c, String follower, String subject) throws SQLException {
    try (Stmt st = prepare(c,
        "SELECT follower, subject, state, sms, updated_ms FROM follows WHERE follower = ? AND subject = ?")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, follower);
      ps.setString(2, subject);
      List<Follow> l = follows(ps);
      return l.isEmpty() ? null : l.get(0);
    }
  }

  private static List<Follow> follows(PreparedStatement ps) throws SQLException {
    List<Follow> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Follow(rs.getString(1), rs.getString(2), FollowState.fromWire(rs.getString(3)),
            rs.getInt(4) != 0, Instant.ofEpochMilli(rs.getLong(5))));
      }
    }
    return out;
  }

  @Override
  public Future<Boolean> unfollow(String follower, String subject) {
    return write(c -> {
      update(c, "DELETE FROM follow_labels WHERE follower = ? AND subject = ?", follower, subject);
      return update(c, "DELETE FROM follows WHERE follower = ? AND subject = ?", follower, subject) > 0;
    });
  }

  @Override
  public Future<Boolean> setFollowLabel(String follower, String subject, String label) {
    return write(c -> {
      if (follow(c, follower, subject) == null) {
        return false;
      }
      if (label == null) {
        update(c, "DELETE FROM follow_labels WHERE follower = ? AND subject = ?", follower, subject);
      } else {
        update(c, "INSERT OR REPLACE INTO follow_labels (follower, subject, label) VALUES (?,?,?)",
            follower, subject, label);
      }
      return true;
    });
  }

  @Override
  public Future<java.util.Map<String, String>> followLabels(String follower) {
    return read(c -> {
      java.util.Map<String, String> out = new java.util.TreeMap<>();
      try (Stmt st = prepare(c, "SELECT subject, label FROM follow_labels WHERE follower = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, follower);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), rs.getString(2));
          }
        }
      }
      return out;
    });
  }

  /** The label {@code follower} gave {@code subject}, or null. */
  private static String label(Connection c, String follower, String subject) throws SQLException {
    try (Stmt st = prepare(c, "SELECT label FROM follow_labels WHERE follower = ? AND subject = ?")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, follower);
      ps.setString(2, subject);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  @Override
  public Future<Optional<Follow>> answerFollow(String subject, String follower, boolean allow, Instant now) {
    return write(c -> {
      Follow existing = follow(c, follower, subject);
      if (existing == null) {
        return Optional.empty();
      }
      Follow f = new Follow(follower, subject, Follow.stateForConsent(allow), existing.sms(), now);
      upsertFollow(c, f);
      return Optional.of(f);
    });
  }

  @Override
  public Future<Optional<Follow>> follow(String follower, String subject) {
    return read(c -> Optional.ofNullable(follow(c, follower, subject)));
  }

  @Override
  public Future<List<Follow>> follows(String follower) {
    return read(c -> {
      try (Stmt st = prepare(c,
          "SELECT follower, subject, state, sms, updated_ms FROM follows WHERE follower = ? ORDER BY subject")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, follower);
        return follows(ps);
      }
    });
  }

  @Override
  public Future<List<Follow>> followers(String subject) {
    return read(c -> {
      try (Stmt st = prepare(c,
          "SELECT follower, subject, state, sms, updated_ms FROM follows WHERE subject = ? ORDER BY follower")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, subject);
        return follows(ps);
      }
    });
  }

  // ---------------------------------------------------------------- contacts

  @Override
  public Future<Optional<Follow>> putContact(String owner, String contact, Instant now) {
    return write(c -> {
      update(c, "INSERT OR IGNORE INTO contacts (owner, contact, at_ms) VALUES (?,?,?)",
          owner, contact, now.toEpochMilli());
      Follow pending = follow(c, contact, owner);
      if (pending != null && pending.state() == FollowState.PENDING) {
        Follow f = new Follow(contact, owner, FollowState.ACTIVE, pending.sms(), now);
        upsertFollow(c, f);
        return Optional.of(f);
      }
      return Optional.empty();
    });
  }

  @Override
  public Future<Boolean> deleteContact(String owner, String contact) {
    return write(c -> {
      return update(c, "DELETE FROM contacts WHERE owner = ? AND contact = ?", owner, contact) > 0;
    });
  }

  @Override
  public Future<List<String>> contacts(String owner) {
    return read(c -> strings(c, "SELECT contact FROM contacts WHERE owner = ? ORDER BY contact", owner));
  }

  // ---------------------------------------------------------------- one-time codes and tokens

  @Override
  public Future<Void> saveOtp(String phone, String codeHash, Instant expiresAt) {
    return write(c -> {
      update(c, "INSERT OR REPLACE INTO otp (phone, code_hash, expires_ms, tries) VALUES (?,?,?,0)",
          phone, codeHash, expiresAt.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<OtpOutcome> checkOtp(String phone, String codeHash, Instant now, int maxTries) {
    return write(c -> {
      String stored;
      int tries;
      try (Stmt st = prepare(c,
          "SELECT code_hash, tries FROM otp WHERE phone = ? AND expires_ms > ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        ps.setLong(2, now.toEpochMilli());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return OtpOutcome.NONE;
          }
          stored = rs.getString(1);
          tries = rs.getInt(2);
        }
      }
      if (java.security.MessageDigest.isEqual(stored.getBytes(), codeHash.getBytes())) {
        deleteOtp(c, phone);
        return OtpOutcome.OK;
      }
      if (tries + 1 >= maxTries) {
        deleteOtp(c, phone);
      } else {
        update(c, "UPDATE otp SET tries = tries + 1 WHERE phone = ?", phone);
      }
      return OtpOutcome.WRONG;
    });
  }

  private static void deleteOtp(Connection c, String phone) throws SQLException {
    update(c, "DELETE FROM otp WHERE phone = ?", phone);
  }

  @Override
  public Future<Void> revokeToken(String tokenId, Instant expiresAt) {
    return write(c -> {
      update(c, "INSERT OR REPLACE INTO revoked_tokens (token_id, expires_ms) VALUES (?,?)",
          tokenId, expiresAt.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Boolean> isTokenRevoked(String tokenId) {
    return read(c -> {
      try (Stmt st = prepare(c, "SELECT 1 FROM revoked_tokens WHERE token_id = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, tokenId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  @Override
  public Future<Integer> purge(Instant now, Duration retention) {
    return write(c -> {
      long nowMs = now.toEpochMilli();
      int deleted;
      // Without an incident (or naming none that exists): aged from when they were made. With an
      // incident: kept while it is open, deleted `retention` after it closed.
      deleted = update(c, "DELETE FROM checkins WHERE (at_ms < ? AND (incident IS NULL"
          + " OR incident NOT IN (SELECT code FROM incidents)))"
          + " OR incident IN (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?)",
          nowMs - retention.toMillis(), nowMs - retention.toMillis());
      // Safety checks go with their incident's check-ins (members, reached followers, reports).
      update(c, "DELETE FROM safety_reached WHERE check_id IN (SELECT id FROM safety_checks WHERE incident IN"
          + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?))", nowMs - retention.toMillis());
      update(c, "DELETE FROM safety_reports WHERE incident IN"
          + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?)", nowMs - retention.toMillis());
      update(c, "DELETE FROM safety_people WHERE check_id IN (SELECT id FROM safety_checks WHERE incident IN"
          + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?))", nowMs - retention.toMillis());
      update(c, "DELETE FROM safety_checks WHERE incident IN"
          + " (SELECT code FROM incidents WHERE state = 'closed' AND closed_ms < ?)", nowMs - retention.toMillis());
      try (Stmt st = prepare(c,
          "DELETE FROM help_requests WHERE checkin_id NOT IN (SELECT id FROM checkins)")) {
        PreparedStatement ps = st.ps();
        ps.executeUpdate();
      }
      SqliteTriage.purge(c);
      update(c, "DELETE FROM idempotency WHERE at_ms < ?", nowMs - IDEMPOTENCY_WINDOW_MS);
      update(c, "DELETE FROM otp WHERE expires_ms < ?", nowMs);
      update(c, "DELETE FROM revoked_tokens WHERE expires_ms < ?", nowMs);
      // Finished SMS (they hold numbers and notes) and delivery reports follow the check-in
      // retention; MessageSids are remembered 7 days (Twilio retries a webhook for minutes).
      long cutoff = nowMs - retention.toMillis();
      for (String sql : new String[] {
          "DELETE FROM outbox WHERE state NOT IN ('queued','sending') AND updated_ms < ?",
          "DELETE FROM sms_delivery WHERE at_ms < ?"}) {
        try (Stmt st = prepare(c, sql)) {
          PreparedStatement ps = st.ps();
          ps.setLong(1, cutoff);
          ps.executeUpdate();
        }
      }
      update(c, "DELETE FROM sms_inbound WHERE at_ms < ?", nowMs - Duration.ofDays(7).toMillis());
      return deleted;
    });
  }

  // ---------------------------------------------------------------- SMS

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
  private static List<String> strings(Connection c, String sql, String arg) throws SQLException {
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

  static boolean optedOut(Connection c, String phone) throws SQLException {
    try (Stmt st = prepare(c, "SELECT 1 FROM sms_optout WHERE phone = ?")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, phone);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Queues an SMS, or withholds it (false) when {@code to} opted out; callers count a withheld one ({@link #optedOutWithheld}). */
  static boolean enqueueSms(Connection c, String to, String key, String subject, String body, long nowMs)
      throws SQLException {
    if (optedOut(c, to)) {
      return false;
    }
    if (key != null) {
      try (Stmt st = prepare(c,
          "UPDATE outbox SET body = ?, subject = ?, updated_ms = ? WHERE to_phone = ? AND coalesce_key = ?"
              + " AND state = 'queued'")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, body);
        ps.setString(2, subject);
        ps.setLong(3, nowMs);
        ps.setString(4, to);
        ps.setString(5, key);
        if (ps.executeUpdate() > 0) {
          return true;
        }
      }
    }
    update(c, "INSERT INTO outbox (to_phone, coalesce_key, subject, body, state, attempts, next_at_ms, created_ms,"
        + " updated_ms) VALUES (?,?,?,?,'queued',0,?,?,?)",
        to, key, subject, body, nowMs, nowMs, nowMs);
    return true;
  }

  @Override
  public Future<Void> enqueueSms(String to, String coalesceKey, String subject, String body, Instant now) {
    return write(c -> {
      if (!enqueueSms(c, to, coalesceKey, subject, body, now.toEpochMilli())) {
        optedOutWithheld(1);
      }
      return null;
    });
  }

  @Override
  public Future<List<OutboxItem>> claimSms(String owner, Instant now, int max, Duration lease) {
    return write(c -> {
      long nowMs = now.toEpochMilli();
      List<Object[]> due = new ArrayList<>();
      try (Stmt st = prepare(c,
          // Two classes: person-to-person traffic first, broadcast traffic (safety checks, notices) after it.
          "SELECT id, to_phone, subject, body, attempts, coalesce_key FROM outbox WHERE (state = 'queued' AND next_at_ms <= ?)"
              + " OR (state = 'sending' AND lease_until_ms < ?) ORDER BY CASE WHEN coalesce_key LIKE 'safety:%'"
              + " OR coalesce_key LIKE 'notice:%' THEN 1 ELSE 0 END, next_at_ms, id LIMIT ?")) {
        PreparedStatement ps = st.ps();
        ps.setLong(1, nowMs);
        ps.setLong(2, nowMs);
        ps.setInt(3, max);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            due.add(new Object[] {rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                rs.getString(6)});
          }
        }
      }
      List<OutboxItem> claimed = new ArrayList<>();
      for (Object[] d : due) {
        long id = (Long) d[0];
        String to = (String) d[1];
        String subject = (String) d[2];
        if (optedOut(c, to)) {
          finish(c, id, "failed", null, "opted out (STOP)", nowMs);
          optedOutWithheld(1);
          continue;
        }
        if (subject != null) {
          Follow f = follow(c, to, subject);
          if (f == null || f.state() != FollowState.ACTIVE) {
            finish(c, id, "cancelled", null, "no longer an active follower", nowMs);
            continue;
          }
        }
        update(c, "UPDATE outbox SET state = 'sending', lease_owner = ?, lease_until_ms = ?, attempts = attempts + 1,"
            + " updated_ms = ? WHERE id = ?",
            owner, nowMs + lease.toMillis(), nowMs, id);
        claimed.add(new OutboxItem(id, to, (String) d[3], (Integer) d[4] + 1, (String) d[5]));
      }
      return claimed;
    });
  }

  private static void finish(Connection c, long id, String state, String sid, String error, long nowMs)
      throws SQLException {
    update(c, "UPDATE outbox SET state = ?, sid = ?, error = ?, lease_owner = NULL, lease_until_ms = NULL,"
        + " updated_ms = ? WHERE id = ?",
        state, sid, error, nowMs, id);
  }

  @Override
  public Future<Void> smsSent(long id, String sid, Instant now) {
    return write(c -> {
      finish(c, id, "sent", sid, null, now.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Void> smsRetry(long id, Instant nextAt, String error, Instant now) {
    return write(c -> {
      update(c, "UPDATE outbox SET state = 'queued', next_at_ms = ?, error = ?, lease_owner = NULL,"
          + " lease_until_ms = NULL, updated_ms = ? WHERE id = ? AND state = 'sending'",
          nextAt.toEpochMilli(), error, now.toEpochMilli(), id);
      return null;
    });
  }

  @Override
  public Future<Void> smsFailed(long id, String error, Instant now) {
    return write(c -> {
      finish(c, id, "failed", null, error, now.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Integer> releaseSmsClaims() {
    return write(c -> {
      try (Stmt st = prepare(c,
          "UPDATE outbox SET state = 'queued', lease_owner = NULL, lease_until_ms = NULL WHERE state = 'sending'")) {
        PreparedStatement ps = st.ps();
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public Future<Integer> releaseSmsClaims(String owner) {
    return write(c -> update(c, "UPDATE outbox SET state = 'queued', lease_owner = NULL, lease_until_ms = NULL"
        + " WHERE state = 'sending' AND lease_owner = ?", owner));
  }

  @Override
  public Future<OutboxStats> outboxStats(Instant now) {
    return read(c -> {
      try (Stmt st = prepare(c,
          "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN ('queued','sending')),"
              + " (SELECT MIN(created_ms) FROM outbox WHERE state IN ('queued','sending')),"
              + " (SELECT COUNT(*) FROM outbox WHERE state = 'failed')");
           ResultSet rs = st.ps().executeQuery()) {
        rs.next();
        long waiting = rs.getLong(1);
        long oldest = rs.getLong(2);
        boolean none = rs.wasNull();
        return new OutboxStats(waiting, none ? 0 : Math.max(0, now.toEpochMilli() - oldest), rs.getLong(3));
      }
    });
  }

  @Override
  public Future<Void> setSmsOptOut(String phone, boolean optedOut, Instant now) {
    return write(c -> {
      try (Stmt st = prepare(c, optedOut
          ? "INSERT OR IGNORE INTO sms_optout (phone, at_ms) VALUES (?, ?)"
          : "DELETE FROM sms_optout WHERE phone = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        if (optedOut) {
          ps.setLong(2, now.toEpochMilli());
        }
        ps.executeUpdate();
      }
      return null;
    });
  }

  private volatile Runnable onSmsOptedOut = () -> { };

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

  @Override
  public Future<Boolean> isSmsOptedOut(String phone) {
    return read(c -> optedOut(c, phone));
  }

  @Override
  public Future<Optional<String>> inboundReply(String messageSid) {
    return read(c -> {
      try (Stmt st = prepare(c, "SELECT reply FROM sms_inbound WHERE message_sid = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, messageSid);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
        }
      }
    });
  }

  @Override
  public Future<Void> saveInboundReply(String messageSid, String reply, Instant now) {
    return write(c -> {
      update(c, "INSERT OR IGNORE INTO sms_inbound (message_sid, reply, at_ms) VALUES (?,?,?)",
          messageSid, reply, now.toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<Boolean> setIncidentSms(String phone, String incident, boolean joined, Instant now) {
    return write(c -> {
      try (Stmt st = prepare(c, joined
          ? "INSERT OR IGNORE INTO incident_sms (incident, phone, at_ms) VALUES (?,?,?)"
          : "DELETE FROM incident_sms WHERE incident = ? AND phone = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, incident);
        ps.setString(2, phone);
        if (joined) {
          ps.setLong(3, now.toEpochMilli());
        }
        return ps.executeUpdate() > 0;
      }
    });
  }

  @Override
  public Future<List<String>> joinedOpenIncidents(String phone) {
    return read(c -> {
      try (Stmt st = prepare(c, "SELECT s.incident FROM incident_sms s JOIN incidents i"
          + " ON i.code = s.incident WHERE s.phone = ? AND i.state = 'open' ORDER BY s.at_ms DESC, s.incident")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        List<String> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
        return out;
      }
    });
  }

  @Override
  public Future<List<String>> incidentSmsSubscribers(String incident) {
    return read(c -> strings(c, "SELECT phone FROM incident_sms WHERE incident = ? ORDER BY phone", incident));
  }

  @Override
  public Future<Void> recordDeliveryReport(String sid, String status, String errorCode, Instant now) {
    return write(c -> {
      update(c, "INSERT INTO sms_delivery (sid, status, error_code, at_ms) VALUES (?,?,?,?)",
          sid, status, errorCode, now.toEpochMilli());
      return null;
    });
  }

  // ---------------------------------------------------------------- responders, incidents, notices

  @Override
  public Future<Boolean> createResponder(String username, String passwordHash, String agency, Set<String> roles,
      Instant now) {
    return write(c -> {
      return update(c, "INSERT OR IGNORE INTO responders (username, password_hash, agency, roles, disabled, created_ms)"
          + " VALUES (?,?,?,?,0,?)",
          username, passwordHash, agency, String.join(",", new java.util.TreeSet<>(roles)), now.toEpochMilli()) > 0;
    });
  }

  @Override
  public Future<Optional<ResponderRecord>> responder(String username) {
    return read(c -> {
      try (Stmt st = prepare(c,
          "SELECT username, password_hash, agency, roles, disabled FROM responders WHERE username = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, username);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.<ResponderRecord>empty();
          }
          Set<String> roles = rs.getString(4).isEmpty() ? Set.of() : Set.of(rs.getString(4).split(","));
          return Optional.of(new ResponderRecord(
              new Responder(rs.getString(1), rs.getString(3), roles, rs.getInt(5) != 0), rs.getString(2)));
        }
      }
    });
  }

  @Override
  public Future<Boolean> disableResponder(String username) {
    return write(c -> {
      return update(c, "UPDATE responders SET disabled = 1 WHERE username = ?", username) > 0;
    });
  }

  private static List<Incident> incidents(Connection c, String sql, Object... args) throws SQLException {
    try (Stmt st = prepare(c, sql)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<Incident> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String area = rs.getString("area_json");
          long closed = rs.getLong("closed_ms");
          boolean notClosed = rs.wasNull();
          out.add(new Incident(rs.getString("id"), rs.getString("code"), rs.getString("name"),
              area == null ? null : org.crisishub.store.AreaJson.fromJson(area), rs.getInt("two_person") != 0, rs.getString("state"),
              Instant.ofEpochMilli(rs.getLong("created_ms")), notClosed ? null : Instant.ofEpochMilli(closed),
              rs.getString("agency"), agencies(rs.getString("partners_json"))));
        }
      }
      return out;
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper AGENCIES =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private static List<String> agencies(String json) {
    if (json == null || json.isEmpty()) {
      return List.of();
    }
    try {
      return List.of(AGENCIES.readValue(json, String[].class));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable partners of an incident", e);
    }
  }

  private static String agenciesJson(List<String> agencies) {
    try {
      return AGENCIES.writeValueAsString(agencies);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Future<Boolean> createIncident(Incident i) {
    return write(c -> {
      return update(c, "INSERT OR IGNORE INTO incidents (code, id, name, area_json, two_person, state, created_ms,"
          + " agency, partners_json) VALUES (?,?,?,?,?,?,?,?,?)",
          i.code(), i.id(), i.name(), i.area() == null ? null : org.crisishub.store.AreaJson.toJson(i.area()).toString(),
          i.twoPersonRule() ? 1 : 0, i.state(), i.createdAt().toEpochMilli(), i.agency(),
          agenciesJson(i.partners())) > 0;
    });
  }

  @Override
  public Future<String> agencyNamed(String name) {
    // Admin-paced (account creation, partners): a scan of the few agency names, compared in Java
    // (SQLite's lower() folds ASCII only). Oldest responder first, then incidents by age.
    return read(c -> {
      List<String> known = new ArrayList<>();
      try (Stmt st = prepare(c, "SELECT agency FROM responders ORDER BY created_ms, username")) {
        try (ResultSet rs = st.ps().executeQuery()) {
          while (rs.next()) {
            known.add(rs.getString(1));
          }
        }
      }
      for (Incident i : incidents(c, "SELECT * FROM incidents ORDER BY created_ms, code")) {
        known.addAll(i.agencies());
      }
      return known.stream().filter(k -> Agencies.same(k, name)).findFirst().orElse(name);
    });
  }

  @Override
  public Future<Optional<Incident>> setIncidentPartner(String code, String agency, boolean add) {
    return write(c -> {
      Optional<Incident> found = incidents(c, "SELECT * FROM incidents WHERE code = ?", code).stream().findFirst();
      if (found.isEmpty()) {
        return found;
      }
      Incident i = found.get();
      List<String> partners = new ArrayList<>(i.partners());
      String owner = i.agency();
      if (add && owner == null) {
        owner = agency;
        partners.removeIf(p -> Agencies.same(p, agency));
      } else if (add && !Agencies.same(agency, owner) && !Agencies.contains(partners, agency)) {
        partners.add(agency);
      } else if (!add) {
        partners.removeIf(p -> Agencies.same(p, agency));
      }
      update(c, "UPDATE incidents SET agency = ?, partners_json = ? WHERE code = ?", owner, agenciesJson(partners),
          code);
      return incidents(c, "SELECT * FROM incidents WHERE code = ?", code).stream().findFirst();
    });
  }

  @Override
  public Future<Optional<Incident>> incident(String code) {
    return read(c -> incidents(c, "SELECT * FROM incidents WHERE code = ?", code).stream().findFirst());
  }

  @Override
  public Future<List<Incident>> incidents() {
    return read(c -> incidents(c, "SELECT * FROM incidents ORDER BY created_ms DESC, code"));
  }

  @Override
  public Future<Optional<Incident>> closeIncident(String code, Instant now) {
    return write(c -> {
      update(c, "UPDATE incidents SET state = 'closed', closed_ms = ? WHERE code = ? AND state = 'open'",
          now.toEpochMilli(), code);
      return incidents(c, "SELECT * FROM incidents WHERE code = ?", code).stream().findFirst();
    });
  }

  private static List<AgencyKey> keys(Connection c, String where, Object... args) throws SQLException {
    try (Stmt st = prepare(c,
        "SELECT kid, agency, private_pkcs8, public_spki, active, created_ms FROM agency_keys " + where)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<AgencyKey> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AgencyKey(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getBytes(4), rs.getInt(5) != 0,
              Instant.ofEpochMilli(rs.getLong(6))));
        }
      }
      return out;
    }
  }

  private static void insertKey(Connection c, AgencyKey k) throws SQLException {
    update(c, "UPDATE agency_keys SET active = 0 WHERE agency = ?", k.agency());
    update(c, "INSERT INTO agency_keys (kid, agency, private_pkcs8, public_spki, active, created_ms)"
        + " VALUES (?,?,?,?,1,?)",
        k.kid(), k.agency(), k.privatePkcs8(), k.publicSpki(), k.createdAt().toEpochMilli());
  }

  @Override
  public Future<AgencyKey> activeKey(String agency, java.util.function.Supplier<AgencyKey> generate) {
    return write(c -> {
      List<AgencyKey> active = keys(c, "WHERE agency = ? AND active = 1", agency);
      if (!active.isEmpty()) {
        return active.get(0);
      }
      AgencyKey k = generate.get();
      insertKey(c, k);
      return k;
    });
  }

  @Override
  public Future<AgencyKey> rotateKey(AgencyKey fresh) {
    return write(c -> {
      insertKey(c, fresh);
      return fresh;
    });
  }

  @Override
  public Future<List<AgencyKey>> keys() {
    return read(c -> keys(c, "ORDER BY agency, created_ms"));
  }

  private static final String NOTICE_COLUMNS = "id, incident, author, agency, state, approved_by, draft_json,"
      + " signed_json, expires_ms, created_ms, published_ms";

  private static List<NoticeRecord> notices(Connection c, String where, Object... args) throws SQLException {
    try (Stmt st = prepare(c, "SELECT " + NOTICE_COLUMNS + " FROM notices " + where)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<NoticeRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long exp = rs.getLong(9);
          boolean noExp = rs.wasNull();
          long pub = rs.getLong(11);
          boolean noPub = rs.wasNull();
          out.add(new NoticeRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              rs.getString(6), rs.getString(7), rs.getString(8), noExp ? null : Instant.ofEpochMilli(exp),
              Instant.ofEpochMilli(rs.getLong(10)), noPub ? null : Instant.ofEpochMilli(pub)));
        }
      }
      return out;
    }
  }

  @Override
  public Future<Void> insertNotice(NoticeRecord n) {
    return write(c -> {
      try (Stmt st = prepare(c,
          "INSERT INTO notices (" + NOTICE_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, n.id());
        ps.setString(2, n.incident());
        ps.setString(3, n.author());
        ps.setString(4, n.agency());
        ps.setString(5, n.state());
        ps.setString(6, n.approvedBy());
        ps.setString(7, n.draftJson());
        ps.setString(8, n.signedJson());
        ps.setObject(9, n.expires() == null ? null : n.expires().toEpochMilli());
        ps.setLong(10, n.createdAt().toEpochMilli());
        ps.setObject(11, n.publishedAt() == null ? null : n.publishedAt().toEpochMilli());
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Future<Optional<NoticeRecord>> notice(String id) {
    return read(c -> notices(c, "WHERE id = ?", id).stream().findFirst());
  }

  @Override
  public Future<List<NoticeRecord>> notices(String incident, String state) {
    return read(c -> {
      StringBuilder where = new StringBuilder("WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      if (incident != null) {
        where.append(" AND incident = ?");
        args.add(incident);
      }
      if (state != null) {
        where.append(" AND state = ?");
        args.add(state);
      }
      where.append(" ORDER BY COALESCE(published_ms, created_ms) DESC, created_ms DESC, id");
      return notices(c, where.toString(), args.toArray());
    });
  }

  @Override
  public Future<Boolean> approveNotice(String id, String approver, Instant now) {
    return write(c -> {
      return update(c, "UPDATE notices SET state = 'approved', approved_by = ? WHERE id = ? AND state = 'draft'",
          approver, id) > 0;
    });
  }

  @Override
  public Future<Boolean> publishNotice(String id, Set<String> fromStates, String signedJson, Instant publishedAt,
      String referencesId, String referencedState, String smsBody) {
    return write(c -> {
      List<NoticeRecord> current = notices(c, "WHERE id = ?", id);
      if (current.isEmpty() || !fromStates.contains(current.get(0).state())) {
        return false;
      }
      update(c, "UPDATE notices SET state = 'published', signed_json = ?, published_ms = ? WHERE id = ?",
          signedJson, publishedAt.toEpochMilli(), id);
      if (referencesId != null) {
        update(c, "UPDATE notices SET state = ? WHERE id = ? AND state = 'published'", referencedState, referencesId);
      }
      if (smsBody != null) {
        for (String p : strings(c, "SELECT phone FROM incident_sms WHERE incident = ?", current.get(0).incident())) {
          if (!enqueueSms(c, p, "notice:" + id, null, smsBody, publishedAt.toEpochMilli())) {
            optedOutWithheld(1);
          }
        }
      }
      return true;
    });
  }

  @Override
  public Future<Void> audit(String actor, String action, String subject, String outcome, String detail, Instant now) {
    // The writer thread is the only one that appends, so the tail read here is the chain's head.
    return write(c -> {
      long last = 0;
      String prev = AuditChain.GENESIS;
      try (Stmt st = prepare(c, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
          ResultSet rs = st.ps().executeQuery()) {
        if (rs.next()) {
          last = rs.getLong(1);
          prev = rs.getString(2);
        }
      }
      AuditChain.Entry e = AuditChain.next(last + 1, prev, now, actor, action, subject, outcome, detail);
      update(c, "INSERT INTO audit (seq, at_ms, actor, action, target, outcome, detail, prev_hash, hash)"
          + " VALUES (?,?,?,?,?,?,?,?,?)", e.id(), e.at().toEpochMilli(), actor, action, subject, outcome, detail,
          e.prevHash(), e.hash());
      return null;
    });
  }

  @Override
  public Future<List<AuditChain.Entry>> auditPage(long after, int limit) {
    return read(c -> {
      try (Stmt st = prepare(c, "SELECT seq, at_ms, actor, action, target, outcome, detail, prev_hash, hash"
          + " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")) {
        PreparedStatement ps = st.ps();
        ps.setLong(1, after);
        ps.setInt(2, limit);
        List<AuditChain.Entry> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new AuditChain.Entry(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                rs.getString(9)));
          }
        }
        return out;
      }
    });
  }

  private static List<HelpRequest> helpRequests(Connection c, String where, Object... args) throws SQLException {
    try (Stmt st = prepare(c, "SELECT c." + CHECKIN_COLUMNS.replace(", ", ", c.")
        + ", h.incident AS h_incident, h.state AS h_state, h.by_responder, h.by_agency, h.updated_ms"
        + " FROM help_requests h JOIN checkins c ON c.id = h.checkin_id " + where)) {
      PreparedStatement ps = st.ps();
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<HelpRequest> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new HelpRequest(checkIn(rs), rs.getString("h_incident"), rs.getString("h_state"),
              rs.getString("by_responder"), rs.getString("by_agency"), Instant.ofEpochMilli(rs.getLong("updated_ms"))));
        }
      }
      return out;
    }
  }

  @Override
  public Future<List<HelpRequest>> helpRequests(String incident, boolean openOnly) {
    return read(c -> helpRequests(c, "WHERE h.incident = ?" + (openOnly ? " AND h.state != 'resolved'" : "")
        + " ORDER BY h.created_ms, c.id", incident));
  }

  @Override
  public Future<Optional<HelpRequest>> helpRequest(String checkinId) {
    return read(c -> helpRequests(c, "WHERE h.checkin_id = ?", checkinId).stream().findFirst());
  }

  @Override
  public Future<List<String>> helpIncidents(String checkinId) {
    return read(c -> strings(c, "SELECT incident FROM help_requests WHERE checkin_id = ? ORDER BY incident", checkinId));
  }

  @Override
  public Future<Optional<HelpRequest>> setHelpState(String checkinId, String state, String responder, String agency,
      Instant now) {
    return write(c -> {
      for (String from : strings(c, "SELECT state FROM help_requests WHERE checkin_id = ?", checkinId)) {
        if (!Store.helpStateAdvances(from, state)) {
          throw new HubException(org.crisishub.domain.ErrorCode.CONFLICT, "this call for help is already " + from);
        }
      }
      try (Stmt st = prepare(c,
          "UPDATE help_requests SET state = ?, by_responder = ?, by_agency = ?, updated_ms = ? WHERE checkin_id = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, state);
        ps.setString(2, responder);
        ps.setString(3, agency);
        ps.setLong(4, now.toEpochMilli());
        ps.setString(5, checkinId);
        if (ps.executeUpdate() == 0) {
          return Optional.<HelpRequest>empty();
        }
      }
      return helpRequests(c, "WHERE h.checkin_id = ?", checkinId).stream().findFirst();
    });
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
        runInSavepoints(c, batch);
      }
      c.commit();
      batchSizes.record(batch.size());
      completeAll(batch);
    } catch (SQLException | RuntimeException e) {
      LOG.error("embedded store commit of {} operations failed: nothing of it was stored", batch.size(), e);
      try {
        c.rollback();
      } catch (SQLException ex) {
        LOG.error("embedded store rollback failed", ex);
      }
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
