package org.crisishub.store.embedded;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.crisishub.store.TriageStore;

/**
 * {@link TriageStore} on the embedded store: tables {@code watch_terms}, {@code help_watch} and
 * {@code help_messages} (migration 8). Changes run on {@link SqliteStore}'s writer; retention deletes
 * matches and messages whose check-in is gone, in the purge's own transaction ({@link #purge}).
 * Thread-safe.
 */
public final class SqliteTriage implements TriageStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
  };

  private final SqliteStore store;

  public SqliteTriage(SqliteStore store) {
    this.store = store;
  }

  private static List<String> strings(String json) throws SQLException {
    try {
      return List.copyOf(JSON.readValue(json, STRINGS));
    } catch (java.io.IOException e) {
      throw new SQLException("unreadable term list", e);
    }
  }

  private static String json(List<String> list) throws SQLException {
    try {
      return JSON.writeValueAsString(list);
    } catch (java.io.IOException e) {
      throw new SQLException("unwritable term list", e);
    }
  }

  /** Deletes matches and thread messages whose check-in retention deleted (inside {@link SqliteStore#purge}). */
  static void purge(Connection c) throws SQLException {
    SqliteStore.update(c, "DELETE FROM help_watch WHERE checkin_id NOT IN (SELECT id FROM checkins)");
    SqliteStore.update(c, "DELETE FROM help_messages WHERE checkin_id NOT IN (SELECT id FROM checkins)");
  }

  @Override
  public Future<WatchTerms> stampedWatchTerms(String incident) {
    return store.read(c -> {
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT terms_json, stamp FROM watch_terms WHERE incident = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, incident);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? new WatchTerms(strings(rs.getString(1)), rs.getLong(2)) : new WatchTerms(List.of(), 0);
        }
      }
    });
  }

  @Override
  public Future<Long> setWatchTerms(String incident, List<String> terms) {
    return store.write(c -> {
      SqliteStore.update(c, "INSERT INTO watch_terms (incident, terms_json, stamp) VALUES (?, ?, 1)"
          + " ON CONFLICT (incident) DO UPDATE SET terms_json = excluded.terms_json, stamp = watch_terms.stamp + 1",
          incident, json(terms));
      return stamp(c, incident);
    });
  }

  private static long stamp(Connection c, String incident) throws SQLException {
    try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT stamp FROM watch_terms WHERE incident = ?")) {
      PreparedStatement ps = st.ps();
      ps.setString(1, incident);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /**
   * The stamps of the watch terms of {@code incidents} (0 for none set), read inside the commit of a
   * need_help check-in that joined their queues ({@link SqliteStore#recordCheckIn}).
   */
  static Map<String, Long> stamps(Connection c, List<String> incidents) throws SQLException {
    if (incidents.isEmpty()) {
      return Map.of();
    }
    Map<String, Long> out = new LinkedHashMap<>();
    for (String incident : incidents) {
      out.put(incident, stamp(c, incident));
    }
    return out;
  }

  @Override
  public Future<Map<String, List<String>>> watchMatches(String incident) {
    return store.read(c -> {
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT checkin_id, matched_json FROM help_watch WHERE incident = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, incident);
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), strings(rs.getString(2)));
          }
        }
        return out;
      }
    });
  }

  @Override
  public Future<List<String>> watchMatches(String incident, String checkinId) {
    return store.read(c -> {
      try (SqliteStore.Stmt st = SqliteStore.prepare(c,
          "SELECT matched_json FROM help_watch WHERE incident = ? AND checkin_id = ?")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, incident);
        ps.setString(2, checkinId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? strings(rs.getString(1)) : List.<String>of();
        }
      }
    });
  }

  @Override
  public Future<Void> setWatchMatches(String incident, Map<String, List<String>> byCheckIn) {
    return store.write(c -> {
      for (Map.Entry<String, List<String>> e : byCheckIn.entrySet()) {
        if (e.getValue().isEmpty()) {
          SqliteStore.update(c, "DELETE FROM help_watch WHERE incident = ? AND checkin_id = ?", incident, e.getKey());
        } else {
          SqliteStore.update(c, "INSERT OR REPLACE INTO help_watch (incident, checkin_id, matched_json)"
              + " VALUES (?, ?, ?)", incident, e.getKey(), json(e.getValue()));
        }
      }
      return null;
    });
  }

  @Override
  public Future<Void> addHelpMessage(String checkinId, HelpMessage m) {
    return store.write(c -> {
      SqliteStore.update(c, "INSERT INTO help_messages (id, checkin_id, from_role, by_responder, by_agency, text,"
          + " at_ms) VALUES (?,?,?,?,?,?,?)", m.id(), checkinId, m.from(), m.by(), m.agency(), m.text(),
          m.at().toEpochMilli());
      return null;
    });
  }

  @Override
  public Future<List<HelpMessage>> helpMessages(String checkinId) {
    return store.read(c -> {
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT id, from_role, by_responder, by_agency, text, at_ms"
          + " FROM help_messages WHERE checkin_id = ? ORDER BY seq")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, checkinId);
        List<HelpMessage> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new HelpMessage(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), Instant.ofEpochMilli(rs.getLong(6))));
          }
        }
        return out;
      }
    });
  }

  @Override
  public Future<Optional<String>> newestOpenHelp(String phone) {
    return store.read(c -> {
      try (SqliteStore.Stmt st = SqliteStore.prepare(c, "SELECT h.checkin_id FROM help_requests h"
          + " JOIN checkins c ON c.id = h.checkin_id WHERE h.phone = ? AND h.state != 'resolved'"
          + " AND c.seq > (SELECT last_seq FROM people WHERE phone = ?) - ? ORDER BY c.seq DESC LIMIT 1")) {
        PreparedStatement ps = st.ps();
        ps.setString(1, phone);
        ps.setString(2, phone);
        ps.setInt(3, RECENT_CHECKINS);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
        }
      }
    });
  }
}
