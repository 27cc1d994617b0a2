package org.crisishub.store.embedded;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.SmsKeys;
import org.crisishub.store.SafetyCheckStore.Sms;
import org.crisishub.store.SafetyCheckStore.WaveBatch;
import org.crisishub.store.SafetyCheckStore.WaveClaim;
import org.crisishub.store.SafetyCheckStore.WaveItem;

/**
 * The escalation waves of {@link SqliteSafetyChecks}: due times, the lease, the cursor, the per-member
 * done flags, the followers reached ({@code safety_reached}) and the frames owed to them
 * ({@code safety_frames}). Every change runs on {@link SqliteStore}'s writer. Thread-safe.
 */
final class SqliteSafetyWaves {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REPEAT = org.crisishub.store.SafetyCheckStore.REPEAT;
  private static final String FOLLOWERS = org.crisishub.store.SafetyCheckStore.FOLLOWERS;
  private final SqliteStore store;

  SqliteSafetyWaves(SqliteStore store) {
    this.store = store;
  }

  private static String json(List<String> list) {
    try {
      return JSON.writeValueAsString(list);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> list(String json) {
    try {
      return List.of(JSON.readValue(json, String[].class));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable pending frame", e);
    }
  }

  private static String waveColumn(String wave) {
    return switch (wave) {
      case REPEAT -> "repeat";
      case FOLLOWERS -> "followers";
      default -> throw new IllegalArgumentException("unknown wave " + wave);
    };
  }

  /** The wave columns of a check: state, due times, done flags, cursors, lease. Null when no such check. */
  private static Object[] waveRow(Connection c, String id) throws SQLException {
    try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT state, repeat_ms, followers_ms, repeat_done,"
        + " followers_done, repeat_cursor, followers_cursor, lease_owner, lease_until_ms FROM safety_checks"
        + " WHERE id = ?")) {
      st.ps().setString(1, id);
      try (ResultSet rs = st.ps().executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        Object[] r = new Object[9];
        for (int i = 0; i < 9; i++) {
          r[i] = rs.getObject(i + 1);
        }
        return r;
      }
    }
  }

  private static Long asLong(Object o) {
    return o == null ? null : ((Number) o).longValue();
  }

  /** True when {@code owner} holds the check's wave lease (expired or not: nobody else took it) and it runs. */
  private static boolean holds(Object[] w, String owner) {
    return w != null && "running".equals(w[0]) && owner.equals(w[7]);
  }

  Future<List<String>> dueWaves(Instant now, int max) {
    return store.read(c -> {
      List<String> out = new ArrayList<>();
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT id FROM safety_checks WHERE next_wave_ms <= ?"
          + " AND state = 'running' AND (lease_owner IS NULL OR lease_until_ms < ?) ORDER BY next_wave_ms LIMIT ?")) {
        st.ps().setLong(1, now.toEpochMilli());
        st.ps().setLong(2, now.toEpochMilli());
        st.ps().setInt(3, max);
        try (ResultSet rs = st.ps().executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }

  Future<Optional<WaveClaim>> claimWave(String id, String owner, Instant now, Duration lease) {
    long nowMs = now.toEpochMilli();
    return store.write(c -> {
      Object[] w = waveRow(c, id);
      if (w == null || !"running".equals(w[0])) {
        return Optional.<WaveClaim>empty();
      }
      Long until = asLong(w[8]);
      if (w[7] != null && !owner.equals(w[7]) && until != null && until >= nowMs) {
        return Optional.<WaveClaim>empty();
      }
      Long repeat = asLong(w[1]);
      Long followers = asLong(w[2]);
      boolean repeatDue = repeat != null && repeat <= nowMs && asLong(w[3]) == 0;
      boolean followersDue = followers != null && followers <= nowMs && asLong(w[4]) == 0;
      String wave;
      if (repeatDue && (!followersDue || repeat <= followers)) {
        wave = REPEAT;
      } else if (followersDue) {
        wave = FOLLOWERS;
      } else {
        return Optional.<WaveClaim>empty();
      }
      SqliteStore.update(c, "UPDATE safety_checks SET lease_owner = ?, lease_until_ms = ? WHERE id = ?", owner,
          nowMs + lease.toMillis(), id);
      return Optional.of(new WaveClaim(id, wave, (String) (REPEAT.equals(wave) ? w[5] : w[6])));
    });
  }

  Future<Optional<WaveBatch>> waveBatch(String id, String wave, String owner, Instant now, Duration lease,
      int limit) {
    String col = waveColumn(wave);
    return store.write(c -> {
      Object[] w = waveRow(c, id);
      if (!holds(w, owner)) {
        return Optional.<WaveBatch>empty();
      }
      String cursor = (String) (REPEAT.equals(wave) ? w[5] : w[6]);
      List<String> phones = new ArrayList<>();
      String last = cursor;
      int scanned = 0;
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT phone, state, delivery, " + col + "_done"
          + " FROM safety_people WHERE check_id = ? AND phone > ? ORDER BY phone LIMIT ?")) {
        st.ps().setString(1, id);
        st.ps().setString(2, cursor == null ? "" : cursor);
        st.ps().setInt(3, limit);
        try (ResultSet rs = st.ps().executeQuery()) {
          while (rs.next()) {
            scanned++;
            last = rs.getString(1);
            String state = rs.getString(2);
            boolean done = rs.getInt(4) == 1;
            boolean unanswered = "no_answer".equals(state) || "unreachable".equals(state);
            boolean smsable = "no_answer".equals(state) || rs.getString(3) != null;
            if (!done && unanswered && (FOLLOWERS.equals(wave) || smsable)) {
              phones.add(last);
            }
          }
        }
      }
      SqliteStore.update(c, "UPDATE safety_checks SET lease_until_ms = ? WHERE id = ?",
          now.toEpochMilli() + lease.toMillis(), id);
      return Optional.of(new WaveBatch(phones, last, scanned < limit));
    });
  }

  Future<Optional<List<WaveItem>>> waveCommit(String id, String wave, String owner, Instant now,
      Duration lease, String cursor, List<WaveItem> items) {
    String col = waveColumn(wave);
    long nowMs = now.toEpochMilli();
    return store.write(c -> {
      Object[] w = waveRow(c, id);
      if (!holds(w, owner)) {
        return Optional.<List<WaveItem>>empty();
      }
      List<WaveItem> done = new ArrayList<>();
      for (WaveItem item : items) {
        if (SqliteStore.update(c, "UPDATE safety_people SET " + col + "_done = 1 WHERE check_id = ? AND phone = ?"
            + " AND " + col + "_done = 0 AND state IN ('no_answer', 'unreachable')", id, item.phone()) == 0) {
          continue;
        }
        String key = REPEAT.equals(wave) ? SmsKeys.SAFETY + id : SmsKeys.SAFETY + id + ":f:" + item.phone();
        for (Sms m : item.sms()) {
          SqliteOutbox.enqueue(c, m.to(), key, m.subject(), m.body(), nowMs);
        }
        if (REPEAT.equals(wave) && !item.sms().isEmpty()) {
          SqliteStore.update(c, "UPDATE safety_people SET delivery = 'queued', error_code = NULL WHERE check_id = ?"
              + " AND phone = ?", id, item.phone());
        }
        for (String f : item.reached()) {
          SqliteStore.update(c, "INSERT OR IGNORE INTO safety_reached (check_id, phone, follower) VALUES (?,?,?)", id,
              item.phone(), f);
        }
        if (FOLLOWERS.equals(wave) && !item.reached().isEmpty()) {
          // The frames owed to the followers, until the node that sends them says so (framesSent).
          SqliteStore.update(c, "INSERT OR REPLACE INTO safety_frames (check_id, phone, followers_json) VALUES"
              + " (?,?,?)", id, item.phone(), json(item.reached()));
        }
        done.add(item);
      }
      SqliteStore.update(c, "UPDATE safety_checks SET " + col + "_cursor = ?, lease_until_ms = ? WHERE id = ?", cursor,
          nowMs + lease.toMillis(), id);
      return Optional.of(done);
    });
  }

  Future<Boolean> finishWave(String id, String wave, String owner, Instant now) {
    String col = waveColumn(wave);
    return store.write(c -> {
      Object[] w = waveRow(c, id);
      if (w == null || !owner.equals(w[7])) {
        return false;
      }
      boolean repeatDone = REPEAT.equals(wave) || asLong(w[3]) == 1;
      boolean followersDone = FOLLOWERS.equals(wave) || asLong(w[4]) == 1;
      Long next = SqliteSafetyChecks.minOf(repeatDone ? null : asLong(w[1]), followersDone ? null : asLong(w[2]));
      SqliteStore.update(c, "UPDATE safety_checks SET " + col + "_done = 1, lease_owner = NULL, lease_until_ms = NULL,"
          + " next_wave_ms = ? WHERE id = ?", next, id);
      return true;
    });
  }

  Future<Integer> releaseWaveLeases() {
    return store.write(c -> SqliteStore.update(c,
        "UPDATE safety_checks SET lease_owner = NULL, lease_until_ms = NULL WHERE lease_owner IS NOT NULL"));
  }

  Future<Boolean> reached(String id, String phone, String follower) {
    return store.read(c -> reached(c, id, phone, follower));
  }

  static boolean reached(Connection c, String id, String phone, String follower) throws SQLException {
    try (SqliteStore.Stmt st = SqliteStore.prepare(c,
        "SELECT 1 FROM safety_reached WHERE check_id = ? AND phone = ? AND follower = ?")) {
      st.ps().setString(1, id);
      st.ps().setString(2, phone);
      st.ps().setString(3, follower);
      try (ResultSet rs = st.ps().executeQuery()) {
        return rs.next();
      }
    }
  }

  Future<List<WaveItem>> pendingFrames(String id, int max) {
    return store.read(c -> {
      List<WaveItem> out = new ArrayList<>();
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT f.phone, f.followers_json, p.state FROM safety_frames f"
          + " LEFT JOIN safety_people p ON p.check_id = f.check_id AND p.phone = f.phone WHERE f.check_id = ?"
          + " ORDER BY f.phone LIMIT ?")) {
        st.ps().setString(1, id);
        st.ps().setInt(2, max);
        try (ResultSet rs = st.ps().executeQuery()) {
          while (rs.next()) {
            String state = rs.getString(3);
            boolean owed = "no_answer".equals(state) || "unreachable".equals(state);
            out.add(new WaveItem(rs.getString(1), List.of(), owed ? list(rs.getString(2)) : List.of()));
          }
        }
      }
      return out;
    });
  }

  Future<Void> framesSent(String id, List<String> phones) {
    if (phones.isEmpty()) {
      return Future.succeededFuture();
    }
    return store.write(c -> {
      for (String p : phones) {
        SqliteStore.update(c, "DELETE FROM safety_frames WHERE check_id = ? AND phone = ?", id, p);
      }
      return null;
    });
  }
}
