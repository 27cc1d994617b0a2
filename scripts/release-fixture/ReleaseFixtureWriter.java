package org.crisishub.fixtures;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpMethod;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.crisishub.support.Api;
import org.crisishub.support.FakeTwilio;
import org.crisishub.support.TestHub;
import org.crisishub.support.TwilioWebhook;

/**
 * Writes the release fixture of issue 14: a data set made by <b>this release's</b> hub, driven only
 * through its public API (HTTP, the signed Twilio webhook), plus {@code expected.json}, what was written
 * as the API showed it then.
 *
 * <p>Not compiled by the project's build: {@code scripts/make-release-fixture.sh} copies this file into
 * a clone of the release commit and runs it there with that commit's own test support classes
 * ({@code TestHub}, {@code Api}, {@code FakeTwilio}, {@code TwilioWebhook}). Run it by that script only.
 *
 * <p>Arguments: {@code embedded|redis} and the output folder. Embedded: the output gets
 * {@code data/} (the hub's data folder: {@code hub.db}). Redis: the output gets {@code redis/} (a
 * redis-server 7 folder, {@code appendonly yes}, {@code appendfsync always}, stopped with SHUTDOWN:
 * its {@code appendonlydir}). Both get {@code expected.json}.
 *
 * <p>The hub runs twice on the same data: first with a fast SMS rate (everything is sent, but one
 * message Twilio refused for good and one it answered 500, which waits 5 minutes for its retry), then
 * with a rate of one message per 1,000 s, so the SMS queued in that run stay in the outbox, never tried.
 *
 * <p>An older release may lack templates, triage (watch terms, help threads) or the chained audit:
 * the writer asks the API (404) and leaves those out, and says so under {@code features}.
 */
public final class ReleaseFixtureWriter {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  static final String ADMIN = "fixture-admin-token-0123456789";
  static final String SECRET = "fixture-token-secret-0123456789-0123456789";
  static final String TWILIO_TOKEN = "fixture-twilio-auth-token-0123";
  static final String FROM = "+15550009999";
  static final String PUBLIC = "https://hub.example.org";

  // The people (555-01xx: fictional numbers).
  static final String ANA = "+12025550101";
  static final String BEN = "+12025550102";
  static final String CAM = "+12025550103";
  static final String DEE = "+12025550104";
  static final String EVE = "+12025550105"; // SMS only
  static final String FAY = "+12025550106"; // SMS only, then STOP

  private final String engine;
  private final Path out;
  private FakeTwilio twilio;
  private TestHub hub;
  private Api api;
  private TwilioWebhook webhook;
  private final AtomicInteger inboundSids = new AtomicInteger();
  private final Map<String, String> tokens = new TreeMap<>();
  private final Map<String, String> responderTokens = new TreeMap<>();
  private final ObjectNode expected = JSON.createObjectNode();
  private final List<String> noticeIds = new ArrayList<>();
  private final List<String> safetyCheckIds = new ArrayList<>();
  private Process redis;
  private int redisPort;
  // What the release has (an older release may lack some): probed through the API in the first run.
  private boolean templates;
  private boolean triage;
  private boolean chainedAudit;

  private ReleaseFixtureWriter(String engine, Path out) {
    this.engine = engine;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3 || !List.of("embedded", "redis").contains(args[0])) {
      System.err.println("usage: ReleaseFixtureWriter embedded|redis OUTPUT_DIR RELEASE_COMMIT");
      System.exit(2);
    }
    int rc = 0;
    try {
      ReleaseFixtureWriter w = new ReleaseFixtureWriter(args[0], Path.of(args[1]));
      w.expected.put("release", args[2]);
      w.run();
    } catch (Throwable t) {
      t.printStackTrace();
      rc = 1;
    }
    System.exit(rc);
  }

  Map<String, String> env(String rate) {
    Map<String, String> env = new HashMap<>();
    env.put("HUB_SMS", "twilio");
    env.put("HUB_TWILIO_ACCOUNT_SID", FakeTwilio.ACCOUNT);
    env.put("HUB_TWILIO_AUTH_TOKEN", TWILIO_TOKEN);
    env.put("HUB_TWILIO_FROM", FROM);
    env.put("HUB_TWILIO_API_BASE", twilio.baseUrl());
    env.put("HUB_PUBLIC_URL", PUBLIC);
    env.put("HUB_SMS_RATE", rate);
    // A transient failure waits base/2..cap = exactly 5 minutes: it is still waiting when we stop.
    env.put("HUB_SMS_RETRY_BASE_MS", "600000");
    env.put("HUB_ADMIN_TOKEN", ADMIN);
    env.put("HUB_TOKEN_SECRET", SECRET);
    env.put("HUB_RETENTION_DAYS", "3650");
    if (engine.equals("redis")) {
      env.put("HUB_STORE", "redis");
      env.put("HUB_REDIS_URL", "redis://127.0.0.1:" + redisPort);
      env.put("HUB_REDIS_DURABILITY", "always");
    }
    return env;
  }

  void run() throws Exception {
    Files.createDirectories(out);
    Path data = out.resolve("data");
    if (engine.equals("redis")) {
      data = Files.createTempDirectory("fixture-data");
      startRedis(out.resolve("redis"));
    }
    twilio = FakeTwilio.start();
    boolean done = false;
    try {
      // ---------------------------------------------------------------- first run: everything sent
      startHub(data, "1000");
      firstRun();
      settle();
      record();
      stopHub();
      // ---------------------------------------------------------------- second run: queued, never tried
      startHub(data, "0.001");
      secondRun();
      settle();
      record();
      stopHub();
      expected.set("outbox", engine.equals("redis") ? redisOutbox() : sqliteOutbox(data.resolve("hub.db")));
      done = true;
    } finally {
      twilio.close();
      if (redis != null) {
        if (done) {
          shutdownRedis();
        } else {
          redis.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
      }
    }
    expected.put("engine", engine);
    Files.writeString(out.resolve("expected.json"), JSON.writeValueAsString(expected) + "\n");
  }

  // ---------------------------------------------------------------------- the story

  void firstRun() throws Exception {
    admin("/api/v1/admin/responders", "{\"username\":\"pia\",\"password\":\"password of pia\","
        + "\"agency\":\"County EMS\",\"roles\":[\"publisher\"]}", 201);
    admin("/api/v1/admin/responders", "{\"username\":\"abe\",\"password\":\"password of abe\","
        + "\"agency\":\"County EMS\",\"roles\":[\"approver\"]}", 201);
    admin("/api/v1/admin/responders", "{\"username\":\"rex\",\"password\":\"password of rex\","
        + "\"agency\":\"Red Cross\",\"roles\":[\"publisher\",\"approver\"]}", 201);
    admin("/api/v1/admin/responders", "{\"username\":\"gone\",\"password\":\"password of gone\","
        + "\"agency\":\"County EMS\",\"roles\":[\"publisher\"]}", 201);
    expect(api.call(HttpMethod.DELETE, "/api/v1/admin/responders/gone", ADMIN, null), 204);
    String pia = responder("pia");
    String abe = responder("abe");
    String rex = responder("rex");
    post("/api/v1/incidents", pia, "{\"code\":\"FLOOD7\",\"name\":\"River flood\",\"twoPersonRule\":true}", 201);
    post("/api/v1/incidents", rex, "{\"code\":\"FIRE3\",\"name\":\"Hill fire\"}", 201);
    post("/api/v1/incidents/FLOOD7/partners", pia, "{\"agency\":\"Red Cross\"}", 200);
    templates = api.get("/api/v1/templates", pia).status() != 404;
    triage = api.get("/api/v1/incidents/FLOOD7/watch-terms", pia).status() != 404;
    chainedAudit = api.get("/api/v1/admin/audit/verify", ADMIN).status() != 404;
    ObjectNode features = expected.putObject("features");
    features.put("templates", templates).put("triage", triage).put("chainedAudit", chainedAudit);
    if (triage) {
      put("/api/v1/incidents/FLOOD7/watch-terms", pia, "{\"terms\":[\"insulin\",\"roof\"]}", 200);
    }

    String ana = login(ANA);
    String ben = login(BEN);
    String cam = login(CAM);
    String dee = login(DEE);

    // Follows: trusted contact (active at once), approved with SMS and a label, pending, revoked.
    put("/api/v1/contacts/" + CAM, ana, "{}", 200);
    post("/api/v1/follows", cam, "{\"phone\":\"" + ANA + "\"}", 201);
    post("/api/v1/follows", ben, "{\"phone\":\"" + ANA + "\",\"sms\":true}", 201);
    post("/api/v1/followers/" + BEN, ana, "{\"allow\":true}", 200);
    put("/api/v1/follows/" + ANA, ben, "{\"label\":\"Mum \u2764\"}", 200);
    post("/api/v1/follows", dee, "{\"phone\":\"" + ANA + "\"}", 201);
    post("/api/v1/follows", cam, "{\"phone\":\"" + BEN + "\",\"sms\":true}", 201);
    post("/api/v1/followers/" + CAM, ben, "{\"allow\":true}", 200);
    post("/api/v1/followers/" + CAM, ben, "{\"allow\":false}", 200);
    post("/api/v1/follows", ana, "{\"phone\":\"" + DEE + "\"}", 201);
    post("/api/v1/followers/" + ANA, dee, "{\"allow\":true}", 200);
    // By SMS: Eve asks to follow Ana, Ana answers YES by SMS; Eve and Fay join FLOOD7's notices.
    text(EVE, "FOLLOW " + ANA);
    text(ANA, "YES " + EVE);
    text(EVE, "JOIN FLOOD7");
    text(FAY, "JOIN FLOOD7");
    text(CAM, "JOIN FLOOD7");

    // Check-ins: web with note, location, incident, madeAt, idempotency key; a late one; SMS ones.
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    api.call(HttpMethod.POST, "/api/v1/checkins", ana, "{\"status\":\"safe\",\"note\":\"At the school gym \u00e9\u00e8\","
        + "\"location\":{\"lat\":38.8977,\"lon\":-77.0365,\"accuracyM\":12},\"incident\":\"FLOOD7\",\"madeAt\":\""
        + now.minusSeconds(600) + "\"}", "Idempotency-Key", "fixture-ana-1");
    post("/api/v1/checkins", ana, "{\"status\":\"need_help\",\"note\":\"Water rising, need insulin\","
        + "\"incident\":\"FLOOD7\",\"madeAt\":\"" + now.minusSeconds(300) + "\"}", 201);
    post("/api/v1/checkins", ana, "{\"status\":\"safe\",\"note\":\"written offline before\","
        + "\"madeAt\":\"" + now.minusSeconds(900) + "\"}", 201); // late
    post("/api/v1/checkins", ben, "{\"status\":\"safe\"}", 201);
    post("/api/v1/checkins", dee, "{\"status\":\"need_help\",\"note\":\"Smoke near the road\",\"incident\":\"FIRE3\","
        + "\"location\":{\"lat\":38.9,\"lon\":-77.1}}", 201);
    text(CAM, "SOS on the roof of the barn");
    text(EVE, "SAFE with my sister");
    settle();

    // Help triage.
    JsonNode help = get("/api/v1/incidents/FLOOD7/help", pia);
    String anaHelp = null;
    String camHelp = null;
    for (JsonNode h : help) {
      String phone = h.path("phone").asText(h.path("checkin").path("phone").asText());
      if (phone.equals(ANA)) {
        anaHelp = h.path("id").asText(h.path("checkin").path("id").asText());
      } else if (phone.equals(CAM)) {
        camHelp = h.path("id").asText(h.path("checkin").path("id").asText());
      }
    }
    if (anaHelp == null || camHelp == null) {
      throw new IllegalStateException("help queue: " + help);
    }
    if (triage) {
      post("/api/v1/help/" + anaHelp + "/messages", pia, "{\"text\":\"A boat is on its way\"}", 201);
    }
    post("/api/v1/help/" + anaHelp + "/ack", rex, null, 200);
    settle();
    // One message Twilio refuses for good (400, invalid number): the resolve notice to Cam.
    twilio.script(400);
    post("/api/v1/help/" + camHelp + "/resolve", pia, null, 200);
    settle();
    // One that fails for now (500): retried 5 minutes later, so still waiting at the end.
    twilio.script(500);
    post("/api/v1/help/" + anaHelp + "/resolve", pia, null, 200);
    settle();

    // Opt-out: Fay texts STOP; a notice later is not queued for her.
    text(FAY, "STOP");

    // Notices: published, updated (the first superseded), cancelled; a draft; an approved one; a
    // template-made one; a key rotation between them (both keys must verify).
    String n1 = draft(pia, "{\"incident\":\"FLOOD7\",\"headline\":\"Shelter open at Lincoln High\",\"body\":\"Bring"
        + " water and medicine.\",\"severity\":\"severe\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\"}");
    post("/api/v1/notices/" + n1 + "/approve", abe, null, 200);
    post("/api/v1/notices/" + n1 + "/publish", pia, null, 200);
    admin("/api/v1/admin/agencies/County%20EMS/keys/rotate", null, 201);
    String n2 = draft(pia, "{\"incident\":\"FLOOD7\",\"headline\":\"Shelter moved to the Civic Center\",\"body\":\"Lincoln"
        + " High is full.\",\"severity\":\"Severe\",\"urgency\":\"Expected\",\"certainty\":\"Likely\",\"msgType\":\"Update\","
        + "\"references\":\"" + n1 + "\"}");
    post("/api/v1/notices/" + n2 + "/approve", abe, null, 200);
    post("/api/v1/notices/" + n2 + "/publish", pia, null, 200);
    String n3 = draft(rex, "{\"incident\":\"FIRE3\",\"headline\":\"Road 9 closed\",\"body\":\"Use Road 12.\","
        + "\"severity\":\"Moderate\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\"}");
    post("/api/v1/notices/" + n3 + "/publish", rex, null, 200);
    String n4 = draft(rex, "{\"incident\":\"FIRE3\",\"headline\":\"Road 9 open again\",\"body\":\"All clear.\","
        + "\"severity\":\"Minor\",\"urgency\":\"Past\",\"certainty\":\"Observed\",\"msgType\":\"Cancel\",\"references\":\""
        + n3 + "\"}");
    post("/api/v1/notices/" + n4 + "/publish", rex, null, 200);
    String n5 = draft(pia, "{\"incident\":\"FLOOD7\",\"headline\":\"Boil water\",\"body\":\"Until further notice.\","
        + "\"severity\":\"Moderate\",\"urgency\":\"Expected\",\"certainty\":\"Likely\"}");
    String n6 = draft(pia, "{\"incident\":\"FLOOD7\",\"headline\":\"Bridge closed\",\"body\":\"Use the ferry.\","
        + "\"severity\":\"Moderate\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\"}");
    post("/api/v1/notices/" + n6 + "/approve", abe, null, 200);
    noticeIds.addAll(List.of(n1, n2, n3, n4, n5, n6));
    if (templates) {
      noticeIds.add(fromTemplate(pia, abe));
    }
    settle();

    safetyCheck(pia, abe, dee);
  }

  /** A template, approved, then changed (a new draft version); a notice from its approved version. */
  String fromTemplate(String pia, String abe) {
    JsonNode tpl = post("/api/v1/templates", pia, "{\"name\":\"shelter\",\"headline\":\"Shelter open at {place}\","
        + "\"body\":\"Go to {place} now.\",\"severity\":\"Severe\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\","
        + "\"variants\":[{\"language\":\"es\",\"headline\":\"Refugio abierto en {place}\",\"body\":\"Vaya a {place}.\"}],"
        + "\"placeholders\":{\"place\":{\"maxLength\":60}}}", 201);
    String tid = tpl.path("id").asText();
    post("/api/v1/templates/" + tid + "/approve", abe, null, 200);
    put("/api/v1/templates/" + tid, pia, "{\"name\":\"shelter\",\"headline\":\"Shelter open: {place}\","
        + "\"body\":\"Go to {place} now.\",\"severity\":\"Severe\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\","
        + "\"placeholders\":{\"place\":{\"maxLength\":60}}}", 200);
    String n7 = draft(pia, "{\"incident\":\"FLOOD7\",\"template\":\"" + tid + "\",\"values\":{\"place\":\"Eastside Arena\"}}");
    post("/api/v1/notices/" + n7 + "/publish", pia, null, 200);
    expected.put("templateId", tid);
    return n7;
  }

  void safetyCheck(String pia, String abe, String dee) throws Exception {
    String rex = responder("rex");
    // A safety check on FLOOD7 (joined numbers plus a list): approved, started, answered, closed.
    JsonNode sc = post("/api/v1/incidents/FLOOD7/safety-checks", pia, "{\"question\":\"Are you safe?\","
        + "\"audience\":{\"joined\":true,\"inArea\":false,\"numbers\":[\"" + DEE + "\",\"" + FAY + "\"]}}", 201);
    String scId = sc.path("id").asText();
    safetyCheckIds.add(scId);
    post("/api/v1/safety-checks/" + scId + "/approve", abe, null, 200);
    post("/api/v1/safety-checks/" + scId + "/start", pia, null, 200);
    settle();
    text(EVE, "1");
    post("/api/v1/safety-checks/" + scId + "/answers", dee, "{\"status\":\"need_help\",\"note\":\"Cannot leave\"}", 201);
    settle();
    post("/api/v1/safety-checks/" + scId + "/close", pia, null, 200);
    // FIRE3 is closed (its check-ins' retention clock starts).
    post("/api/v1/incidents/FIRE3/close", rex, null, 200);
    settle();
  }

  void secondRun() throws Exception {
    String ana = login(ANA);
    String dee = login(DEE);
    String pia = responder("pia");
    String abe = responder("abe");
    // Two status changes of Ana: Ben's and Eve's SMS about the first are coalesced into the second
    // while they wait (only one goes out at this rate: the first message claimed takes the one token).
    post("/api/v1/checkins", ana, "{\"status\":\"safe\",\"note\":\"Home now\",\"incident\":\"FLOOD7\"}", 201);
    post("/api/v1/checkins", ana, "{\"status\":\"safe\",\"note\":\"Home, all fine\"}", 201);
    // A follow request by SMS to a web user, and one to an SMS-only number.
    text(EVE, "FOLLOW " + DEE);
    post("/api/v1/follows", dee, "{\"phone\":\"" + EVE + "\",\"sms\":true}", 201);
    // A notice published now: its SMS to the joined numbers (not Fay: STOP) waits too.
    String n8 = draft(pia, "{\"incident\":\"FLOOD7\",\"headline\":\"Curfew from 8 pm\",\"body\":\"Stay indoors.\","
        + "\"severity\":\"Moderate\",\"urgency\":\"Expected\",\"certainty\":\"Likely\"}");
    post("/api/v1/notices/" + n8 + "/approve", abe, null, 200);
    post("/api/v1/notices/" + n8 + "/publish", pia, null, 200);
    noticeIds.add(n8);
  }

  // ---------------------------------------------------------------------- what the API shows

  /** Records, through the public API, everything the fixture must keep (overwritten by each run). */
  void record() throws Exception {
    String pia = responder("pia");
    String rex = responder("rex");
    ObjectNode people = JSON.createObjectNode();
    ObjectNode checkins = JSON.createObjectNode();
    ObjectNode status = JSON.createObjectNode();
    ObjectNode follows = JSON.createObjectNode();
    ObjectNode followers = JSON.createObjectNode();
    ObjectNode contacts = JSON.createObjectNode();
    Map<String, String> names = new LinkedHashMap<>();
    names.put("ana", ANA);
    names.put("ben", BEN);
    names.put("cam", CAM);
    names.put("dee", DEE);
    names.put("eve", EVE);
    // Fay replied STOP: no code reaches her, so she cannot sign in (she has no check-ins or follows).
    for (var e : names.entrySet()) {
      String phone = e.getValue();
      people.put(e.getKey(), phone);
      String t = login(phone);
      checkins.set(phone, get("/api/v1/people/" + enc(phone) + "/checkins?afterSeq=0&limit=1000", t));
      Api.Resp s = api.get("/api/v1/people/" + enc(phone) + "/status", t);
      if (s.status() == 200) {
        status.set(phone, s.json());
      }
      follows.set(phone, get("/api/v1/follows", t));
      followers.set(phone, get("/api/v1/followers", t));
      contacts.set(phone, get("/api/v1/contacts", t));
    }
    people.put("fay", FAY);
    expected.set("people", people);
    expected.set("checkins", checkins);
    expected.set("status", status);
    expected.set("follows", follows);
    expected.set("followers", followers);
    expected.set("contacts", contacts);
    expected.set("incidents", get("/api/v1/incidents", null));
    ArrayNode notices = JSON.createArrayNode();
    for (String id : noticeIds) {
      Api.Resp r = api.get("/api/v1/notices/" + id, pia);
      if (r.status() != 200) {
        r = api.get("/api/v1/notices/" + id, rex);
      }
      expect(r, 200);
      notices.add(r.json());
    }
    expected.set("notices", notices);
    ObjectNode published = JSON.createObjectNode();
    published.set("FLOOD7", get("/api/v1/incidents/FLOOD7/notices", null));
    published.set("FIRE3", get("/api/v1/incidents/FIRE3/notices", null));
    expected.set("incidentNotices", published);
    expected.set("keys", get("/api/v1/keys", null));
    ObjectNode help = JSON.createObjectNode();
    help.set("FLOOD7", get("/api/v1/incidents/FLOOD7/help", pia));
    expected.set("help", help);
    ArrayNode checks = JSON.createArrayNode();
    for (String id : safetyCheckIds) {
      checks.add(get("/api/v1/safety-checks/" + id, pia));
    }
    expected.set("safetyChecks", checks);
    if (templates) {
      expected.set("templates", get("/api/v1/templates", pia));
    }
    if (triage) {
      expected.set("watchTerms", get("/api/v1/incidents/FLOOD7/watch-terms", pia));
    }
    ObjectNode responders = JSON.createObjectNode();
    for (String u : List.of("pia", "abe", "rex", "gone")) {
      responders.put(u, "password of " + u);
    }
    expected.set("responderPasswords", responders);
    if (chainedAudit) {
      JsonNode verify = get("/api/v1/admin/audit/verify", ADMIN);
      if (!verify.path("ok").asBoolean()) {
        throw new IllegalStateException("audit chain broken: " + verify);
      }
      expected.set("audit", get("/api/v1/admin/audit?after=0&limit=1000", ADMIN).path("entries"));
    }
    ObjectNode config = JSON.createObjectNode();
    config.put("HUB_ADMIN_TOKEN", ADMIN);
    config.put("HUB_TOKEN_SECRET", SECRET);
    config.put("HUB_TWILIO_AUTH_TOKEN", TWILIO_TOKEN);
    config.put("HUB_TWILIO_FROM", FROM);
    config.put("HUB_PUBLIC_URL", PUBLIC);
    expected.set("config", config);
    // Facts of the story (what was texted), not read back: the API shows neither.
    expected.set("optedOut", JSON.createArrayNode().add(FAY));
    ObjectNode joined = JSON.createObjectNode();
    joined.set("FLOOD7", JSON.createArrayNode().add(CAM).add(EVE).add(FAY));
    expected.set("joinedBySms", joined);
  }

  // ---------------------------------------------------------------------- the outbox as stored

  static ArrayNode sqliteOutbox(Path db) throws Exception {
    ArrayNode rows = JSON.createArrayNode();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      try (ResultSet v = st.executeQuery("PRAGMA user_version")) {
        v.next();
        System.out.println("hub.db user_version " + v.getInt(1));
      }
      try (ResultSet rs = st.executeQuery("SELECT id, to_phone, coalesce_key, subject, body, state, attempts, sid, error"
          + " FROM outbox ORDER BY id")) {
        while (rs.next()) {
          ObjectNode r = rows.addObject();
          r.put("id", rs.getLong(1));
          r.put("to", rs.getString(2));
          putIf(r, "coalesceKey", rs.getString(3));
          putIf(r, "subject", rs.getString(4));
          r.put("body", rs.getString(5));
          r.put("state", rs.getString(6));
          r.put("attempts", rs.getInt(7));
          putIf(r, "sid", rs.getString(8));
          putIf(r, "error", rs.getString(9));
        }
      }
    }
    return rows;
  }

  ArrayNode redisOutbox() throws Exception {
    List<ObjectNode> rows = new ArrayList<>();
    try (Resp r = new Resp(redisPort)) {
      for (Object key : (List<?>) r.call("KEYS", "*:sms:*")) {
        if (!((String) key).matches("\\{[^}]+\\}:sms:[0-9]+")) {
          continue;
        }
        List<?> kv = (List<?>) r.call("HGETALL", (String) key);
        Map<String, String> h = new HashMap<>();
        for (int i = 0; i + 1 < kv.size(); i += 2) {
          h.put((String) kv.get(i), (String) kv.get(i + 1));
        }
        String k = (String) key;
        ObjectNode o = JSON.createObjectNode();
        o.put("id", Long.parseLong(k.substring(k.lastIndexOf(':') + 1)));
        o.put("to", h.get("to"));
        putIf(o, "coalesceKey", h.get("ck"));
        putIf(o, "subject", h.get("subject"));
        o.put("body", h.get("body"));
        o.put("state", h.get("state"));
        o.put("attempts", Integer.parseInt(h.getOrDefault("attempts", "0")));
        putIf(o, "sid", h.get("sid"));
        putIf(o, "error", h.get("error"));
        rows.add(o);
      }
    }
    rows.sort((a, b) -> Long.compare(a.path("id").asLong(), b.path("id").asLong()));
    ArrayNode arr = JSON.createArrayNode();
    rows.forEach(arr::add);
    return arr;
  }

  static void putIf(ObjectNode o, String k, String v) {
    if (v != null && !v.isEmpty()) {
      o.put(k, v);
    }
  }

  // ---------------------------------------------------------------------- plumbing

  void startHub(Path data, String rate) throws Exception {
    hub = TestHub.start(data, env(rate));
    api = new Api(hub.vertx, hub.port());
    webhook = new TwilioWebhook(hub.vertx, hub.port(), PUBLIC, TWILIO_TOKEN);
    tokens.clear();
    responderTokens.clear();
  }

  void stopHub() throws Exception {
    webhook.close();
    api.close();
    try {
      hub.close();
    } catch (AssertionError e) {
      // TestHub's check that no event loop was blocked: on a loaded machine a slow start trips it.
      // The hub did stop; the data is what it wrote. A generator, not a test: say so and go on.
      System.err.println("warning: " + e.getMessage());
    }
  }

  /** Waits until the fake Twilio got no new request for 2 s (a generator, not a test: time is fine). */
  void settle() throws InterruptedException {
    int seen = -1;
    while (true) {
      int n = twilio.requests().size();
      if (n == seen) {
        return;
      }
      seen = n;
      TimeUnit.MILLISECONDS.sleep(2000);
    }
  }

  String login(String phone) {
    String t = tokens.get(phone);
    if (t != null) {
      return t;
    }
    int before = twilio.requests().size();
    expect(api.post("/api/v1/otp", null, "{\"phone\":\"" + phone + "\"}"), 202);
    String code = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (code == null && System.nanoTime() < deadline) {
      List<FakeTwilio.Req> reqs = twilio.requests();
      for (int i = reqs.size() - 1; i >= before; i--) {
        FakeTwilio.Req r = reqs.get(i);
        if (phone.equals(r.to()) && r.body() != null && r.body().contains("code: ")) {
          code = r.body().replaceAll("(?s).*code: ([0-9]{6}).*", "$1");
          break;
        }
      }
      Thread.onSpinWait();
    }
    if (code == null) {
      throw new IllegalStateException("no code reached " + phone);
    }
    Api.Resp s = expect(api.post("/api/v1/sessions", null, "{\"phone\":\"" + phone + "\",\"code\":\"" + code + "\"}"), 200);
    t = s.json().path("token").asText();
    tokens.put(phone, t);
    return t;
  }

  String responder(String user) {
    return responderTokens.computeIfAbsent(user, u -> expect(api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"" + u + "\",\"password\":\"password of " + u + "\"}"), 200).json().path("token").asText());
  }

  String text(String from, String body) {
    var r = webhook.sms(from, body, String.format("SMfixture%023d", inboundSids.incrementAndGet()));
    if (r.statusCode() != 200) {
      throw new IllegalStateException("SMS " + body + ": " + r.statusCode() + " " + r.bodyAsString());
    }
    return r.bodyAsString();
  }

  String draft(String token, String body) {
    return post("/api/v1/notices", token, body, 201).path("id").asText();
  }

  void admin(String path, String body, int status) {
    expect(api.post(path, ADMIN, body), status);
  }

  JsonNode post(String path, String token, String body, int status) {
    return expect(api.post(path, token, body), status).json();
  }

  JsonNode put(String path, String token, String body, int status) {
    return expect(api.call(HttpMethod.PUT, path, token, body), status).json();
  }

  JsonNode get(String path, String token) {
    return expect(api.get(path, token), 200).json();
  }

  static Api.Resp expect(Api.Resp r, int status) {
    if (r.status() != status) {
      throw new IllegalStateException("expected " + status + ", got " + r.status() + ": " + r.text());
    }
    return r;
  }

  static String enc(String phone) {
    return phone.replace("+", "%2B");
  }

  // ---------------------------------------------------------------------- redis-server

  void startRedis(Path dir) throws Exception {
    Files.createDirectories(dir);
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      redisPort = s.getLocalPort();
    }
    redis = new ProcessBuilder("redis-server", "--port", String.valueOf(redisPort), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
        "--daemonize", "no", "--logfile", "").redirectErrorStream(true)
        .redirectOutput(Files.createTempFile("fixture-redis", ".log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Resp r = new Resp(redisPort)) {
        if ("PONG".equals(r.call("PING"))) {
          return;
        }
      } catch (IOException e) {
        if (System.nanoTime() > deadline || !redis.isAlive()) {
          throw e;
        }
        TimeUnit.MILLISECONDS.sleep(50);
      }
    }
  }

  void shutdownRedis() throws Exception {
    try (Resp r = new Resp(redisPort)) {
      r.call("SHUTDOWN", "NOSAVE");
    } catch (IOException expectedClose) {
      // SHUTDOWN closes the connection instead of answering
    }
    if (!redis.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("redis-server did not stop");
    }
  }

  /** A minimal RESP2 client (blocking), enough for PING, KEYS, HGETALL, SHUTDOWN. */
  static final class Resp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream os;

    Resp(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(10_000);
      in = new java.io.BufferedInputStream(socket.getInputStream());
      os = socket.getOutputStream();
    }

    Object call(String... args) throws IOException {
      StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
        b.append('$').append(bytes.length).append("\r\n").append(a).append("\r\n");
      }
      os.write(b.toString().getBytes(StandardCharsets.UTF_8));
      os.flush();
      return read();
    }

    private Object read() throws IOException {
      int type = in.read();
      if (type < 0) {
        throw new IOException("connection closed");
      }
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
          throw new IOException("unexpected RESP type " + (char) type);
      }
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) != '\r') {
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
