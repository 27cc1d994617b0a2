package org.crisishub.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.crisishub.domain.Phones;
import org.crisishub.store.redis.RedisStore;

/**
 * The hub's configuration, read once at start-up: the defaults in {@code conf/hub.properties}
 * (inside the jar), then a {@code conf/hub.properties} in the working directory if there is one,
 * then {@code HUB_*} environment variables. Every value is validated here: an invalid value, or an
 * unknown key in a conf file, stops the start with a message naming it; an unknown {@code HUB_*}
 * environment variable is reported in {@link #warnings()}.
 */
public record HubConfig(
    String httpHost,
    int httpPort,
    Path dataDir,
    StoreKind store,
    String redisUrl,
    boolean cluster,
    SmsMode sms,
    String publicUrl,
    String adminToken,
    List<String> allowedOrigins,
    String tokenSecret,
    List<String> trustedProxies,
    int retentionDays,
    String defaultRegion,
    boolean rateLimits,
    double smsRate,
    int sessionTtlHours,
    int wsIdleSeconds,
    int wsStallSeconds,
    int wsQueueFrames,
    int wsSendBufferBytes,
    Twilio twilio,
    int smsRetryBaseMs,
    int smsMaxAttempts,
    int smsLeaseSeconds,
    Cluster clustering,
    RedisStore.Durability redisDurability,
    int shutdownDelaySeconds,
    int reconnectSpreadMs,
    LogFormat logFormat,
    String smsNumber,
    boolean devSmsOpen,
    Connections connections,
    java.time.ZoneId timezone,
    int auditChainDelayMs,
    SafetyWaves safetyWaves,
    String mapTiles,
    List<String> warnings) {

  /**
   * The origin ({@code scheme://host[:port]}) of {@link #mapTiles()} as a Content-Security-Policy source,
   * with a leading <code>{s}.</code> subdomain label as {@code *.}; {@code null} without map tiles.
   */
  public String mapTilesOrigin() {
    return mapTiles == null ? null : tilesOrigin(mapTiles);
  }

  /**
   * Checks a {@code HUB_MAP_TILES} template and gives its origin as a CSP source: an {@code http} or
   * {@code https} URL without user info, holding <code>{z}</code>, <code>{x}</code> and <code>{y}</code>
   * in its path or query; <code>{s}</code> (a subdomain letter) only as the host's first label; no other
   * placeholder in the host.
   *
   * @throws ConfigException naming what is wrong
   */
  static String tilesOrigin(String template) {
    // Never echo a password: user info (refused below) is masked in every message.
    String bad = "HUB_MAP_TILES=" + template.replaceFirst("://[^/?#]*@", "://***@") + " ";
    for (String p : List.of("{z}", "{x}", "{y}")) {
      if (!template.contains(p)) {
        throw new ConfigException(bad + "must be a tile URL template with {z}, {x} and {y},"
            + " such as https://tile.openstreetmap.org/{z}/{x}/{y}.png");
      }
    }
    boolean anySubdomain = template.matches("(?i)https?://\\{s\\}\\..*");
    String probe = template.replaceFirst("\\{s\\}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
        .replace("{r}", "").replace("{-y}", "0");
    java.net.URI uri;
    try {
      uri = new java.net.URI(probe);
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(bad + "is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new ConfigException(bad + "must start with https:// (or http://)");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty() || uri.getRawUserInfo() != null) {
      throw new ConfigException(bad + "must name a host (and no user:password@)");
    }
    String rest = template.substring(template.indexOf("://") + 3);
    String authority = rest.split("[/?#]", 2)[0];
    if ((anySubdomain ? authority.substring(4) : authority).matches(".*[{}].*")) {
      throw new ConfigException(bad + "may hold a placeholder in its host only as {s}. at the start");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (anySubdomain) {
      host = "*" + host.substring(1);
    }
    return scheme + "://" + host + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
  }

  /**
   * Escalation waves of safety checks (docs/safety-checks.md): {@code leaseSeconds} how long a
   * node's claim on a wave lasts without renewal before another node takes it over;
   * {@code batch} audience members read and committed per step; {@code backlog} the outbox depth
   * (messages waiting) above which a wave waits before queueing more; {@code tickMs} how often each
   * node looks for due waves.
   */
  public record SafetyWaves(int leaseSeconds, int batch, int backlog, int tickMs) {
  }

  /**
   * Cluster settings (used when {@code cluster}): Hazelcast join ({@code tcp} from {@code members},
   * or {@code kubernetes} DNS of {@code k8sServiceDns}), this node's Hazelcast port and address, and
   * the fixed clustered event-bus port.
   */
  public record Cluster(ClusterJoin join, List<String> members, int port, String host, int eventBusPort,
      String k8sServiceDns) {
  }

  /**
   * Limits on client connections ({@code HUB_MAX_CONNECTIONS}, {@code HUB_MAX_CONNECTIONS_PER_IP},
   * {@code HUB_HEADER_TIMEOUT_SECONDS}, {@code HUB_HTTP_KEEPALIVE_SECONDS}).
   *
   * @param maxPerNode TCP connections this node holds at once, every kind; more are closed at accept
   * @param maxPerIp WebSocket and SSE streams of one client address (after trusted proxies) at once;
   *     0 when {@code HUB_RATE_LIMITS=off} (no per-address cap)
   * @param headerTimeoutSeconds a request whose request line and headers are not complete this long
   *     after its first byte (for a connection's first request: after the connection opened) is closed
   * @param keepAliveSeconds a kept-alive connection waiting for its next request is closed after this
   */
  public record Connections(int maxPerNode, int maxPerIp, int headerTimeoutSeconds, int keepAliveSeconds) {
  }

  /** Twilio account settings; only validated when {@code HUB_SMS=twilio}. */
  public record Twilio(String accountSid, String authToken, String from, String apiBase, int timeoutMs) {
  }

  /** {@code HUB_STORE}: where acknowledged data lives. */
  public enum StoreKind {
    /** SQLite in {@code HUB_DATA_DIR} (one node). */
    EMBEDDED,
    /** The Redis server at {@code HUB_REDIS_URL} (needed for a cluster). */
    REDIS;

    /** The value as written in the configuration. */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code HUB_SMS}: how outbound SMS leave the hub. */
  public enum SmsMode {
    /** Kept in memory and shown at {@code /dev/sms/*}; nothing is texted. */
    DEV,
    /** Sent through Twilio with the {@code HUB_TWILIO_*} credentials. */
    TWILIO;

    /** The value as written in the configuration. */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code HUB_CLUSTER_JOIN}: how a node finds the other members. */
  public enum ClusterJoin {
    /** The addresses in {@code HUB_CLUSTER_MEMBERS}. */
    TCP,
    /** DNS of the headless service {@code HUB_K8S_SERVICE_DNS}. */
    KUBERNETES;

    /** The value as written in the configuration. */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code HUB_LOG_FORMAT}: lines for people or one JSON object per event (read by logback.xml). */
  public enum LogFormat {
    TEXT,
    JSON;

    /** The value as written in the configuration. */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Thrown for an unknown key or an invalid value; its message is meant for the operator. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
      super(message);
    }
  }

  private static final String DEFAULTS = "conf/hub.properties";

  /** Reads the configuration with {@code env} as the environment (the process's, in production). */
  public static HubConfig load(Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>(readDefaults());
    Set<String> known = new TreeSet<>(values.keySet());
    Path local = Path.of(DEFAULTS);
    if (Files.isRegularFile(local)) {
      Map<String, String> file = readProperties(local);
      List<String> unknown = new ArrayList<>();
      for (String k : file.keySet()) {
        if (!known.contains(k)) {
          unknown.add(k);
        }
      }
      if (!unknown.isEmpty()) {
        throw new ConfigException("unknown key(s) in " + local.toAbsolutePath() + ": " + unknown
            + " (known: " + known + ")");
      }
      values.putAll(file);
    }
    List<String> unknownEnv = new ArrayList<>();
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey().startsWith("HUB_")) {
        if (known.contains(e.getKey())) {
          values.put(e.getKey(), e.getValue());
        } else {
          unknownEnv.add(e.getKey());
        }
      }
    }
    List<String> warnings = new ArrayList<>();
    if (!unknownEnv.isEmpty()) {
      // A warning, not an error: platforms inject variables of their own, and a typo must be seen.
      warnings.add("ignoring unknown environment variable(s) " + unknownEnv + " (known: " + known + ")");
    }
    return from(values, warnings);
  }

  private static Map<String, String> readDefaults() {
    try (InputStream in = HubConfig.class.getClassLoader().getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new ConfigException(DEFAULTS + " is missing from the classpath");
      }
      Properties p = new Properties();
      p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
      return toMap(p);
    } catch (IOException e) {
      throw new ConfigException("cannot read built-in " + DEFAULTS + ": " + e.getMessage());
    }
  }

  private static Map<String, String> readProperties(Path path) {
    try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      Properties p = new Properties();
      p.load(r);
      return toMap(p);
    } catch (IOException e) {
      throw new ConfigException("cannot read " + path.toAbsolutePath() + ": " + e.getMessage());
    }
  }

  private static Map<String, String> toMap(Properties p) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String k : new TreeSet<>(p.stringPropertyNames())) {
      m.put(k, p.getProperty(k).strip());
    }
    return m;
  }

  private static HubConfig from(Map<String, String> v, List<String> warnings) {
    int port = intIn(v, "HUB_HTTP_PORT", 0, 65535);
    StoreKind store = oneOf(v, "HUB_STORE", StoreKind.class);
    boolean cluster = bool(v, "HUB_CLUSTER", "true", "false");
    SmsMode sms = oneOf(v, "HUB_SMS", SmsMode.class);
    if (cluster && store != StoreKind.REDIS) {
      throw new ConfigException("HUB_CLUSTER=true needs HUB_STORE=redis: the embedded store is one file on one"
          + " machine, and nodes of a cluster must share what they acknowledge");
    }
    if (cluster && v.get("HUB_TOKEN_SECRET").isEmpty()) {
      throw new ConfigException("HUB_CLUSTER=true needs HUB_TOKEN_SECRET, the same on every node, so a session"
          + " token made on one node is accepted by the others");
    }
    String apiBase = v.get("HUB_TWILIO_API_BASE");
    if (!apiBase.startsWith("http://") && !apiBase.startsWith("https://")) {
      throw new ConfigException("HUB_TWILIO_API_BASE must start with http:// or https://");
    }
    Twilio twilio = new Twilio(v.get("HUB_TWILIO_ACCOUNT_SID"), v.get("HUB_TWILIO_AUTH_TOKEN"),
        v.get("HUB_TWILIO_FROM"), apiBase, intIn(v, "HUB_TWILIO_TIMEOUT_MS", 100, 120_000));
    int smsLeaseSeconds = intIn(v, "HUB_SMS_LEASE_SECONDS", 1, 3600);
    if (sms == SmsMode.TWILIO && twilio.timeoutMs() >= smsLeaseSeconds * 1000L) {
      warnings.add("HUB_TWILIO_TIMEOUT_MS (" + twilio.timeoutMs() + ") is not under HUB_SMS_LEASE_SECONDS ("
          + smsLeaseSeconds + " s): a slow Twilio call can outlive its claim, and the SMS is then sent again");
    }
    if (sms == SmsMode.TWILIO) {
      for (String k : List.of("HUB_TWILIO_ACCOUNT_SID", "HUB_TWILIO_AUTH_TOKEN", "HUB_TWILIO_FROM")) {
        if (v.get(k).isEmpty()) {
          throw new ConfigException("HUB_SMS=twilio needs " + k);
        }
      }
    }
    String region = v.get("HUB_DEFAULT_REGION").toUpperCase(Locale.ROOT);
    try {
      new Phones(region);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("HUB_DEFAULT_REGION=" + region + " is not a known ISO 3166 region code");
    }
    String publicUrl = v.get("HUB_PUBLIC_URL");
    if (publicUrl.isEmpty()) {
      publicUrl = "http://localhost:" + port;
    } else if (!publicUrl.startsWith("http://") && !publicUrl.startsWith("https://")) {
      throw new ConfigException("HUB_PUBLIC_URL must start with http:// or https://");
    }
    String adminToken = v.get("HUB_ADMIN_TOKEN");
    if (!adminToken.isEmpty() && adminToken.length() < 16) {
      warnings.add("HUB_ADMIN_TOKEN is shorter than 16 characters: easy to guess");
    }
    String secret = v.get("HUB_TOKEN_SECRET");
    if (!secret.isEmpty() && secret.length() < 32) {
      warnings.add("HUB_TOKEN_SECRET is shorter than 32 characters: use a long random value");
    }
    List<String> origins = list(v.get("HUB_ALLOWED_ORIGINS"));
    for (String o : origins) {
      if (!o.equals("*") && !o.matches("https?://[^/\\s]+")) {
        throw new ConfigException("HUB_ALLOWED_ORIGINS: \"" + o + "\" is not an origin (scheme://host[:port])");
      }
    }
    double smsRate;
    try {
      smsRate = Double.parseDouble(v.get("HUB_SMS_RATE"));
    } catch (NumberFormatException e) {
      throw new ConfigException("HUB_SMS_RATE must be a number of SMS segments per second");
    }
    if (!(smsRate > 0) || smsRate > 10_000) {
      throw new ConfigException("HUB_SMS_RATE must be above 0 and at most 10000");
    }
    Cluster clustering = new Cluster(oneOf(v, "HUB_CLUSTER_JOIN", ClusterJoin.class),
        list(v.get("HUB_CLUSTER_MEMBERS")), intIn(v, "HUB_CLUSTER_PORT", 1, 65535), v.get("HUB_CLUSTER_HOST"),
        intIn(v, "HUB_EVENTBUS_PORT", 0, 65535), v.get("HUB_K8S_SERVICE_DNS"));
    for (String m : clustering.members()) {
      if (!m.matches("[^:\\s]+(:\\d{1,5})?")) {
        throw new ConfigException("HUB_CLUSTER_MEMBERS: \"" + m + "\" is not host or host:port");
      }
    }
    if (cluster && clustering.join() == ClusterJoin.KUBERNETES && clustering.k8sServiceDns().isEmpty()) {
      throw new ConfigException("HUB_CLUSTER_JOIN=kubernetes needs HUB_K8S_SERVICE_DNS (the headless service)");
    }
    RedisStore.Durability durability = oneOf(v, "HUB_REDIS_DURABILITY", RedisStore.Durability.class);
    String smsNumber = v.getOrDefault("HUB_SMS_NUMBER", "");
    if (!smsNumber.isEmpty() && !smsNumber.matches(E164)) {
      throw new ConfigException("HUB_SMS_NUMBER must be an E.164 number such as +15551234567");
    }
    if (smsNumber.isEmpty() && twilio.from() != null && !twilio.from().isEmpty()) {
      if (twilio.from().matches(E164)) {
        smsNumber = twilio.from();
      } else {
        warnings.add("HUB_TWILIO_FROM is not an E.164 number: pages show no SMS fallback (set HUB_SMS_NUMBER)");
      }
    }
    boolean rateLimits = bool(v, "HUB_RATE_LIMITS", "on", "off");
    Connections connections = connections(v, rateLimits, warnings);
    String zoneName = v.getOrDefault("HUB_TIMEZONE", "UTC");
    java.time.ZoneId timezone;
    try {
      // Region ids (America/Chicago) and UTC only: a fixed offset would be wrong half the year.
      if (zoneName.isEmpty() || !(zoneName.equals("UTC") || zoneName.contains("/"))) {
        throw new java.time.DateTimeException(zoneName);
      }
      timezone = java.time.ZoneId.of(zoneName);
      // Loads the zone's names now, on the starting thread, not on an event loop at the first SMS.
      org.crisishub.domain.SmsReplies.clock(java.time.Instant.EPOCH, timezone);
    } catch (java.time.DateTimeException e) {
      throw new ConfigException("HUB_TIMEZONE=" + zoneName + " is not an IANA time zone such as UTC or"
          + " America/Chicago");
    }
    String mapTiles = v.getOrDefault("HUB_MAP_TILES", "");
    if (!mapTiles.isEmpty()) {
      tilesOrigin(mapTiles);
    }
    mapTiles = mapTiles.isEmpty() ? null : mapTiles;
    return new HubConfig(
        v.get("HUB_HTTP_HOST"),
        port,
        Path.of(v.get("HUB_DATA_DIR")),
        store,
        v.get("HUB_REDIS_URL"),
        cluster,
        sms,
        stripSlash(publicUrl),
        adminToken.isEmpty() ? null : adminToken,
        origins,
        secret.isEmpty() ? null : secret,
        list(v.get("HUB_TRUSTED_PROXIES")),
        intIn(v, "HUB_RETENTION_DAYS", 1, 3650),
        region,
        rateLimits,
        smsRate,
        intIn(v, "HUB_SESSION_TTL_HOURS", 1, 24 * 90),
        intIn(v, "HUB_WS_IDLE_SECONDS", 5, 3600),
        intIn(v, "HUB_WS_STALL_SECONDS", 1, 600),
        intIn(v, "HUB_WS_QUEUE_FRAMES", 8, 100_000),
        intIn(v, "HUB_WS_SEND_BUFFER_BYTES", 0, 64 * 1024 * 1024),
        twilio,
        intIn(v, "HUB_SMS_RETRY_BASE_MS", 10, 600_000),
        intIn(v, "HUB_SMS_MAX_ATTEMPTS", 1, 100),
        smsLeaseSeconds,
        clustering,
        durability,
        intIn(v, "HUB_SHUTDOWN_DELAY_SECONDS", 0, 600),
        intIn(v, "HUB_RECONNECT_SPREAD_MS", 0, 600_000),
        oneOf(v, "HUB_LOG_FORMAT", LogFormat.class),
        smsNumber.isEmpty() ? null : smsNumber,
        bool(v, "HUB_DEV_SMS_OPEN", "true", "false"),
        connections,
        timezone,
        intIn(v, "HUB_AUDIT_CHAIN_DELAY_MS", 0, 3_600_000),
        new SafetyWaves(intIn(v, "HUB_SAFETY_WAVE_LEASE_SECONDS", 1, 3600), intIn(v, "HUB_SAFETY_WAVE_BATCH", 1, 10_000),
            intIn(v, "HUB_SAFETY_WAVE_BACKLOG", 1, 10_000_000), intIn(v, "HUB_SAFETY_WAVE_TICK_MS", 10, 60_000)),
        mapTiles,
        List.copyOf(warnings));
  }

  private static final String E164 = "\\+[1-9][0-9]{6,14}";

  /** Share of the open-file limit that {@code HUB_MAX_CONNECTIONS} takes by default (the rest: files, Redis, cluster). */
  static final double DEFAULT_CONNECTION_SHARE = 0.9;
  /** The node cap when the open-file limit cannot be read (not a Unix JVM). */
  static final int FALLBACK_MAX_CONNECTIONS = 10_000;

  private static Connections connections(Map<String, String> v, boolean rateLimits, List<String> warnings) {
    long fileLimit = openFileLimit();
    int maxPerNode;
    if (v.get("HUB_MAX_CONNECTIONS").isEmpty()) {
      maxPerNode = fileLimit > 0 ? (int) Math.max(1, Math.min(Integer.MAX_VALUE, (long) (fileLimit * DEFAULT_CONNECTION_SHARE)))
          : FALLBACK_MAX_CONNECTIONS;
    } else {
      maxPerNode = intIn(v, "HUB_MAX_CONNECTIONS", 1, Integer.MAX_VALUE);
      if (fileLimit > 0 && maxPerNode > fileLimit) {
        warnings.add("HUB_MAX_CONNECTIONS=" + maxPerNode + " is above the open-file limit (" + fileLimit
            + "): the process runs out of files first; raise the limit (ulimit -n) or lower the cap");
      }
    }
    int perIp = intIn(v, "HUB_MAX_CONNECTIONS_PER_IP", 1, Integer.MAX_VALUE);
    return new Connections(maxPerNode, rateLimits ? perIp : 0, intIn(v, "HUB_HEADER_TIMEOUT_SECONDS", 1, 3600),
        intIn(v, "HUB_HTTP_KEEPALIVE_SECONDS", 1, 3600));
  }

  /** The process's open-file limit (soft), or -1 when the JVM cannot tell. */
  static long openFileLimit() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static List<String> list(String s) {
    if (s == null || s.isBlank()) {
      return List.of();
    }
    return Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
  }

  private static int intIn(Map<String, String> v, String key, int min, int max) {
    String s = v.get(key);
    try {
      int n = Integer.parseInt(s);
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key + "=" + s + " must be a whole number from " + min + " to " + max);
    }
  }

  private static String oneOf(Map<String, String> v, String key, String... allowed) {
    String s = v.get(key).toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(s)) {
        return a;
      }
    }
    throw new ConfigException(key + "=" + v.get(key) + " must be one of " + Arrays.toString(allowed));
  }

  /**
   * The constant of {@code type} whose name is the value of {@code key} in any case (the setting's
   * values are the constants' names in lower case).
   */
  private static <E extends Enum<E>> E oneOf(Map<String, String> v, String key, Class<E> type) {
    E[] constants = type.getEnumConstants();
    String[] allowed = new String[constants.length];
    for (int i = 0; i < constants.length; i++) {
      allowed[i] = constants[i].name().toLowerCase(Locale.ROOT);
    }
    String value = oneOf(v, key, allowed);
    return constants[Arrays.asList(allowed).indexOf(value)];
  }

  private static boolean bool(Map<String, String> v, String key, String yes, String no) {
    return oneOf(v, key, yes, no).equals(yes);
  }
}
