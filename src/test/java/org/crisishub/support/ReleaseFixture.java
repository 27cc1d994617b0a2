package org.crisishub.support;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A data set written by an earlier release, kept under {@code src/test/resources/fixtures/<release>/<engine>/}
 * by {@code scripts/make-release-fixture.sh}: {@code expected.json} (what the release's API showed, and
 * its outbox rows as stored) and the data itself: {@code data/} (embedded: the {@code HUB_DATA_DIR} with
 * {@code hub.db}) or {@code appendonlydir/} (Redis 7 AOF files).
 *
 * <p>{@link #storedOutbox} is the one place that reads the engines' outbox layout (no API lists
 * finished SMS): when the layout changes, change it here, keeping what it returns.
 */
public final class ReleaseFixture {
  private final Path dir;
  private final String engine;
  private final JsonNode expected;

  private ReleaseFixture(Path dir, String engine, JsonNode expected) {
    this.dir = dir;
    this.engine = engine;
    this.expected = expected;
  }

  /** The fixture {@code fixtures/<release>/<engine>} on the test class path. */
  public static ReleaseFixture load(String release, String engine) throws IOException {
    String name = "fixtures/" + release + "/" + engine;
    URL url = ReleaseFixture.class.getClassLoader().getResource(name + "/expected.json");
    if (url == null) {
      throw new IllegalStateException("no fixture " + name + " on the test class path");
    }
    try {
      Path dir = Path.of(url.toURI()).getParent();
      return new ReleaseFixture(dir, engine, Api.JSON.readTree(Files.readString(dir.resolve("expected.json"))));
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }

  /** {@code expected.json}. */
  public JsonNode expected() {
    return expected;
  }

  /**
   * Copies the data into {@code target} (created): embedded, the files of the data folder; Redis,
   * {@code appendonlydir/}, so a redis-server started with {@code --dir target} loads it.
   */
  public void copyTo(Path target) throws IOException {
    Path from = engine.equals("embedded") ? dir.resolve("data") : dir;
    Files.createDirectories(target);
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path rel = from.relativize(p);
        if (rel.toString().isEmpty() || rel.toString().equals("expected.json")) {
          continue;
        }
        Path to = target.resolve(rel.toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
  }

  /** SQLite's {@code user_version} (the schema version) of a {@code hub.db} (the hub stopped). */
  public static int sqliteUserVersion(Path db) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA user_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** One outbound SMS as stored; {@code sid} and {@code error} null when none. */
  public record OutboxRow(long id, String to, String body, String state, String sid, String error) {
  }

  /** The outbox rows of a {@code hub.db} (the hub stopped), by id. */
  public static Map<Long, OutboxRow> storedOutbox(Path db) throws SQLException {
    Map<Long, OutboxRow> rows = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, to_phone, body, state, sid, error FROM outbox")) {
      while (rs.next()) {
        rows.put(rs.getLong(1), new OutboxRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
            blankToNull(rs.getString(5)), blankToNull(rs.getString(6))));
      }
    }
    return rows;
  }

  /** The outbox rows of the Redis store at {@code port} ({@code {tag}:sms:<id>} hashes), by id. */
  public static Map<Long, OutboxRow> storedOutbox(int port) throws IOException {
    Map<Long, OutboxRow> rows = new TreeMap<>();
    try (Resp r = new Resp(port)) {
      for (Object key : (List<?>) r.call("KEYS", "*:sms:*")) {
        String k = (String) key;
        if (!k.matches("\\{[^}]+\\}:sms:[0-9]+")) {
          continue;
        }
        List<?> kv = (List<?>) r.call("HGETALL", k);
        Map<String, String> h = new HashMap<>();
        for (int i = 0; i + 1 < kv.size(); i += 2) {
          h.put((String) kv.get(i), (String) kv.get(i + 1));
        }
        long id = Long.parseLong(k.substring(k.lastIndexOf(':') + 1));
        rows.put(id, new OutboxRow(id, h.get("to"), h.get("body"), h.get("state"), blankToNull(h.get("sid")),
            blankToNull(h.get("error"))));
      }
    }
    return rows;
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** A minimal blocking RESP2 client: enough for KEYS and HGETALL. */
  static final class Resp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Resp(int port) throws IOException {
      socket = new Socket(InetAddress.getLoopbackAddress(), port);
      socket.setSoTimeout(10_000);
      in = new BufferedInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    }

    Object call(String... args) throws IOException {
      StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
      }
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return read();
    }

    private Object read() throws IOException {
      int type = in.read();
      String line = line();
      switch (type) {
        case '+':
          return line;
        case '-':
          throw new IOException("redis: " + line);
        case ':':
          return Long.parseLong(line);
        case '$': {
          int n = Integer.parseInt(line);
          if (n < 0) {
            return null;
          }
          byte[] buf = in.readNBytes(n + 2);
          return new String(buf, 0, n, StandardCharsets.UTF_8);
        }
        case '*': {
          int n = Integer.parseInt(line);
          List<Object> l = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            l.add(read());
          }
          return l;
        }
        default:
          throw new IOException("unexpected RESP reply type " + type);
      }
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int c = in.read(); c != '\r'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed");
        }
        b.write(c);
      }
      in.read();
      return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
