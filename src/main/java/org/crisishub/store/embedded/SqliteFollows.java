package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.strings;
import static org.crisishub.store.embedded.SqliteStore.update;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.Follow;
import org.crisishub.domain.FollowState;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.FollowGraph} on the embedded store: tables {@code follows},
 * {@code follow_labels} and {@code contacts}. Each change is one operation of the writer, so it is
 * judged and written in one transaction. Thread-safe.
 */
final class SqliteFollows implements org.crisishub.store.FollowGraph {
  private final SqliteStore store;

  SqliteFollows(SqliteStore store) {
    this.store = store;
  }

  @Override
  public Future<FollowRequestOutcome> requestFollow(String follower, String subject, boolean sms, Instant now) {
    return store.write(c -> {
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

  static Follow follow(Connection c, String follower, String subject) throws SQLException {
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
    return store.write(c -> {
      update(c, "DELETE FROM follow_labels WHERE follower = ? AND subject = ?", follower, subject);
      return update(c, "DELETE FROM follows WHERE follower = ? AND subject = ?", follower, subject) > 0;
    });
  }

  @Override
  public Future<Boolean> setFollowLabel(String follower, String subject, String label) {
    return store.write(c -> {
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
  public Future<java.util.Optional<String>> followLabel(String follower, String subject) {
    return store.read(c -> java.util.Optional.ofNullable(label(c, follower, subject)));
  }

  @Override
  public Future<java.util.Map<String, String>> followLabels(String follower) {
    return store.read(c -> {
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
  static String label(Connection c, String follower, String subject) throws SQLException {
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
    return store.write(c -> {
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
    return store.read(c -> Optional.ofNullable(follow(c, follower, subject)));
  }

  @Override
  public Future<List<Follow>> follows(String follower) {
    return store.read(c -> {
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
    return store.read(c -> {
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
    return store.write(c -> {
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
    return store.write(c -> {
      return update(c, "DELETE FROM contacts WHERE owner = ? AND contact = ?", owner, contact) > 0;
    });
  }

  @Override
  public Future<List<String>> contacts(String owner) {
    return store.read(c -> strings(c, "SELECT contact FROM contacts WHERE owner = ? ORDER BY contact", owner));
  }

  static List<Follow> activeFollowers(Connection c, String subject) throws SQLException {
    try (Stmt st = prepare(c,
        "SELECT follower, subject, state, sms, updated_ms FROM follows WHERE subject = ? AND state = 'active'")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, subject);
      return follows(ps);
    }
  }

}
