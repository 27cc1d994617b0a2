package org.crisishub.store.embedded;

import static org.crisishub.store.embedded.SqliteStore.prepare;
import static org.crisishub.store.embedded.SqliteStore.update;

import io.vertx.core.Future;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.crisishub.domain.Responder;
import org.crisishub.store.embedded.SqliteStore.Stmt;

/**
 * {@link org.crisishub.store.ResponderAccounts} on the embedded store: table {@code responders}.
 * Thread-safe.
 */
final class SqliteResponders implements org.crisishub.store.ResponderAccounts {
  private final SqliteStore store;

  SqliteResponders(SqliteStore store) {
    this.store = store;
  }

  @Override
  public Future<Boolean> createResponder(String username, String passwordHash, String agency, Set<String> roles,
      Instant now) {
    return store.write(c -> {
      return update(c, "INSERT OR IGNORE INTO responders (username, password_hash, agency, roles, disabled, created_ms)"
          + " VALUES (?,?,?,?,0,?)",
          username, passwordHash, agency, String.join(",", new java.util.TreeSet<>(roles)), now.toEpochMilli()) > 0;
    });
  }

  @Override
  public Future<Optional<ResponderRecord>> responder(String username) {
    return store.read(c -> {
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
    return store.write(c -> {
      return update(c, "UPDATE responders SET disabled = 1 WHERE username = ?", username) > 0;
    });
  }
}
