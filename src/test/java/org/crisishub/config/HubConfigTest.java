package org.crisishub.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Configuration")
class HubConfigTest {
  @Test
  @DisplayName("defaults are the contract's")
  void defaults() {
    HubConfig c = HubConfig.load(Map.of());
    assertEquals(8080, c.httpPort());
    assertEquals(HubConfig.StoreKind.EMBEDDED, c.store());
    assertEquals(HubConfig.SmsMode.DEV, c.sms());
    assertEquals("http://localhost:8080", c.publicUrl());
    assertNull(c.adminToken());
    assertEquals(30, c.retentionDays());
    assertEquals("US", c.defaultRegion());
    assertEquals(java.time.ZoneId.of("UTC"), c.timezone(), "SMS times in UTC by default");
    assertTrue(c.rateLimits());
    assertEquals(1.0, c.smsRate());
    assertEquals(List.of(), c.allowedOrigins());
  }

  @Test
  @DisplayName("environment variables override; lists are comma separated")
  void overrides() {
    HubConfig c = HubConfig.load(Map.of("HUB_HTTP_PORT", "9090", "HUB_RATE_LIMITS", "OFF",
        "HUB_ALLOWED_ORIGINS", "https://a.example, https://b.example:8443", "HUB_DEFAULT_REGION", "gb",
        "PATH", "/usr/bin"));
    assertEquals(9090, c.httpPort());
    assertFalse(c.rateLimits());
    assertEquals(List.of("https://a.example", "https://b.example:8443"), c.allowedOrigins());
    assertEquals("GB", c.defaultRegion());
    assertEquals("http://localhost:9090", c.publicUrl());
    assertEquals(java.time.ZoneId.of("America/Chicago"),
        HubConfig.load(Map.of("HUB_TIMEZONE", "America/Chicago")).timezone());
  }

  @Test
  @DisplayName("unknown variables and invalid values stop the start with a message naming them")
  void invalid() {
    assertMessage(Map.of("HUB_HTTP_PORT", "http"), "HUB_HTTP_PORT");
    assertMessage(Map.of("HUB_HTTP_PORT", "70000"), "HUB_HTTP_PORT");
    assertMessage(Map.of("HUB_STORE", "postgres"), "HUB_STORE");
    assertMessage(Map.of("HUB_RATE_LIMITS", "maybe"), "HUB_RATE_LIMITS");
    assertMessage(Map.of("HUB_DEFAULT_REGION", "XX"), "HUB_DEFAULT_REGION");
    assertMessage(Map.of("HUB_ALLOWED_ORIGINS", "not an origin"), "HUB_ALLOWED_ORIGINS");
    assertMessage(Map.of("HUB_SMS_RATE", "0"), "HUB_SMS_RATE");
    assertMessage(Map.of("HUB_TIMEZONE", "Mars/Olympus"), "HUB_TIMEZONE");
    assertMessage(Map.of("HUB_TIMEZONE", "+02:00"), "HUB_TIMEZONE");
    assertMessage(Map.of("HUB_TIMEZONE", ""), "HUB_TIMEZONE");
    assertMessage(Map.of("HUB_CLUSTER", "true"), "HUB_STORE=redis");
    assertMessage(Map.of("HUB_CLUSTER", "true", "HUB_STORE", "redis"), "HUB_TOKEN_SECRET");
    assertMessage(Map.of("HUB_CLUSTER_MEMBERS", "a:1, b c"), "HUB_CLUSTER_MEMBERS");
    assertMessage(Map.of("HUB_REDIS_DURABILITY", "never"), "HUB_REDIS_DURABILITY");
    assertMessage(Map.of("HUB_CLUSTER", "true", "HUB_STORE", "redis", "HUB_TOKEN_SECRET", "x".repeat(40),
        "HUB_CLUSTER_JOIN", "kubernetes"), "HUB_K8S_SERVICE_DNS");
  }

  @Test
  @DisplayName("HUB_MAP_TILES: an http(s) {z}/{x}/{y} template; its origin (with {s}. as *.) goes into img-src; anything else stops the start")
  void mapTiles() {
    HubConfig none = HubConfig.load(Map.of());
    assertEquals(null, none.mapTiles());
    assertEquals(null, none.mapTilesOrigin());
    HubConfig osm = HubConfig.load(Map.of("HUB_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"));
    assertEquals("https://tile.openstreetmap.org/{z}/{x}/{y}.png", osm.mapTiles());
    assertEquals("https://tile.openstreetmap.org", osm.mapTilesOrigin());
    assertEquals("https://*.tile.example.org",
        HubConfig.load(Map.of("HUB_MAP_TILES", "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png")).mapTilesOrigin());
    assertEquals("http://127.0.0.1:8099",
        HubConfig.load(Map.of("HUB_MAP_TILES", "http://127.0.0.1:8099/tiles/{z}/{x}/{y}.png?key=abc")).mapTilesOrigin());
    assertEquals("https://tiles.example.org",
        HubConfig.load(Map.of("HUB_MAP_TILES", "HTTPS://Tiles.Example.org/{z}/{x}/{y}.png")).mapTilesOrigin());
    assertMessage(Map.of("HUB_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}.png"), "HUB_MAP_TILES");
    assertMessage(Map.of("HUB_MAP_TILES", "ftp://tiles.example.org/{z}/{x}/{y}.png"), "HUB_MAP_TILES");
    assertMessage(Map.of("HUB_MAP_TILES", "javascript:{z}{x}{y}"), "HUB_MAP_TILES");
    assertMessage(Map.of("HUB_MAP_TILES", "/tiles/{z}/{x}/{y}.png"), "HUB_MAP_TILES");
    assertMessage(Map.of("HUB_MAP_TILES", "https://user:pw@tiles.example.org/{z}/{x}/{y}.png"), "HUB_MAP_TILES");
    assertMessage(Map.of("HUB_MAP_TILES", "https://tiles.{s}.example.org/{z}/{x}/{y}.png"), "HUB_MAP_TILES");
    assertMessage(Map.of("HUB_MAP_TILES", "https://tiles.example.org; script-src *;/{z}/{x}/{y}.png"), "HUB_MAP_TILES");
    assertMessage(Map.of("HUB_MAP_TILES", "https://tiles example.org/{z}/{x}/{y}.png"), "HUB_MAP_TILES");
    // A password in the URL is refused and never echoed back (start errors reach logs).
    HubConfig.ConfigException withPassword = assertThrows(HubConfig.ConfigException.class,
        () -> HubConfig.load(Map.of("HUB_MAP_TILES", "https://user:s3cret-pw@tiles.example.org/{z}/{x}/{y}.png")));
    assertFalse(withPassword.getMessage().contains("s3cret-pw"), withPassword.getMessage());
  }

  @Test
  @DisplayName("an unknown HUB_ variable or a weak secret is a loud warning, not a refusal")
  void warnings() {
    HubConfig c = HubConfig.load(Map.of("HUB_HTTP_PROT", "1", "HUB_TOKEN_SECRET", "short"));
    assertTrue(c.warnings().stream().anyMatch(w -> w.contains("HUB_HTTP_PROT")), c.warnings().toString());
    assertTrue(c.warnings().stream().anyMatch(w -> w.contains("HUB_TOKEN_SECRET")), c.warnings().toString());
  }

  @Test
  @DisplayName("a Twilio timeout not under the SMS claim's lease is a warning (a slow call could be sent twice)")
  void twilioTimeoutAgainstLease() {
    Map<String, String> twilio = Map.of("HUB_SMS", "twilio", "HUB_TWILIO_ACCOUNT_SID", "AC1", "HUB_TWILIO_AUTH_TOKEN",
        "token", "HUB_TWILIO_FROM", "+15550000001", "HUB_PUBLIC_URL", "https://hub.example.org");
    Map<String, String> slow = new java.util.HashMap<>(twilio);
    slow.put("HUB_TWILIO_TIMEOUT_MS", "8000");
    slow.put("HUB_SMS_LEASE_SECONDS", "3");
    assertTrue(HubConfig.load(slow).warnings().stream().anyMatch(w -> w.contains("HUB_TWILIO_TIMEOUT_MS (8000)")),
        () -> HubConfig.load(slow).warnings().toString());
    assertFalse(HubConfig.load(twilio).warnings().stream().anyMatch(w -> w.contains("HUB_TWILIO_TIMEOUT_MS")),
        "the defaults (10 s against 60 s) are fine");
  }

  @Test
  @DisplayName("connection limits: 90 % of the open-file limit per node, 2,000 streams per address, 10 s for headers")
  void connectionLimits() {
    HubConfig.Connections c = HubConfig.load(Map.of()).connections();
    long files = HubConfig.openFileLimit();
    if (files > 0) {
      assertEquals((int) (files * 0.9), c.maxPerNode());
    }
    assertEquals(2000, c.maxPerIp());
    assertEquals(10, c.headerTimeoutSeconds());
    assertEquals(75, c.keepAliveSeconds());

    HubConfig.Connections set = HubConfig.load(Map.of("HUB_MAX_CONNECTIONS", "500", "HUB_MAX_CONNECTIONS_PER_IP", "7",
        "HUB_HEADER_TIMEOUT_SECONDS", "3")).connections();
    assertEquals(500, set.maxPerNode());
    assertEquals(7, set.maxPerIp());
    assertEquals(3, set.headerTimeoutSeconds());
    assertEquals(0, HubConfig.load(Map.of("HUB_RATE_LIMITS", "off")).connections().maxPerIp(),
        "HUB_RATE_LIMITS=off lifts the per-address cap");

    assertMessage(Map.of("HUB_MAX_CONNECTIONS", "0"), "HUB_MAX_CONNECTIONS");
    assertMessage(Map.of("HUB_MAX_CONNECTIONS_PER_IP", "many"), "HUB_MAX_CONNECTIONS_PER_IP");
    assertMessage(Map.of("HUB_HEADER_TIMEOUT_SECONDS", "0"), "HUB_HEADER_TIMEOUT_SECONDS");
    if (files > 0 && files < Integer.MAX_VALUE) {
      HubConfig above = HubConfig.load(Map.of("HUB_MAX_CONNECTIONS", String.valueOf(files + 1)));
      assertTrue(above.warnings().stream().anyMatch(w -> w.contains("open-file limit")), above.warnings().toString());
    }
  }

  @Test
  @DisplayName("enumerated settings are enums, any case accepted; a bad value names the setting and every accepted value")
  void enumerations() {
    HubConfig c = HubConfig.load(Map.of("HUB_STORE", "Redis", "HUB_SMS", "TWILIO", "HUB_TWILIO_ACCOUNT_SID", "AC1",
        "HUB_TWILIO_AUTH_TOKEN", "t", "HUB_TWILIO_FROM", "+15550001111", "HUB_REDIS_DURABILITY", "everysec",
        "HUB_LOG_FORMAT", "json", "HUB_CLUSTER_JOIN", "kubernetes"));
    assertEquals(HubConfig.StoreKind.REDIS, c.store());
    assertEquals(HubConfig.SmsMode.TWILIO, c.sms());
    assertEquals(org.crisishub.store.redis.RedisStore.Durability.EVERYSEC, c.redisDurability());
    assertEquals(HubConfig.LogFormat.JSON, c.logFormat());
    assertEquals(HubConfig.ClusterJoin.KUBERNETES, c.clustering().join());
    HubConfig d = HubConfig.load(Map.of());
    assertEquals(org.crisishub.store.redis.RedisStore.Durability.ALWAYS, d.redisDurability());
    assertEquals(HubConfig.LogFormat.TEXT, d.logFormat());
    assertEquals(HubConfig.ClusterJoin.TCP, d.clustering().join());
    assertEquals("embedded", d.store().toString(), "shown as written in the configuration");
    assertMessage(Map.of("HUB_STORE", "postgres"), "HUB_STORE=postgres must be one of [embedded, redis]");
    assertMessage(Map.of("HUB_SMS", "sns"), "HUB_SMS=sns must be one of [dev, twilio]");
    assertMessage(Map.of("HUB_LOG_FORMAT", "xml"), "HUB_LOG_FORMAT=xml must be one of [text, json]");
    assertMessage(Map.of("HUB_CLUSTER_JOIN", "multicast"), "HUB_CLUSTER_JOIN=multicast must be one of [tcp, kubernetes]");
    assertMessage(Map.of("HUB_REDIS_DURABILITY", "never"),
        "HUB_REDIS_DURABILITY=never must be one of [always, everysec, unchecked]");
  }

  private static void assertMessage(Map<String, String> env, String mustName) {
    HubConfig.ConfigException e = assertThrows(HubConfig.ConfigException.class, () -> HubConfig.load(env));
    assertTrue(e.getMessage().contains(mustName), e.getMessage());
  }
}
