package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
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
import org.crisishub.domain.Agencies;
import org.crisishub.domain.Incident;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.IncidentRegistry} on the embedded store: table {@code incidents} (area
 * and partners as JSON). Partner changes are one operation of the writer. Thread-safe.
 */
final class SqliteIncidents implements org.crisishub.store.IncidentRegistry {
  private final SqliteStore store;

  SqliteIncidents(SqliteStore store) {
    this.store = store;
  }

  static List<Incident> incidents(Connection c, String sql, Object... args) throws SQLException {
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
    return store.write(c -> {
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
    return store.read(c -> {
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
    return store.write(c -> {
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
    return store.read(c -> incidents(c, "SELECT * FROM incidents WHERE code = ?", code).stream().findFirst());
  }

  @Override
  public Future<List<Incident>> incidents() {
    return store.read(c -> incidents(c, "SELECT * FROM incidents ORDER BY created_ms DESC, code"));
  }

  @Override
  public Future<Optional<Incident>> closeIncident(String code, Instant now) {
    return store.write(c -> {
      update(c, "UPDATE incidents SET state = 'closed', closed_ms = ? WHERE code = ? AND state = 'open'",
          now.toEpochMilli(), code);
      return incidents(c, "SELECT * FROM incidents WHERE code = ?", code).stream().findFirst();
    });
  }
}
