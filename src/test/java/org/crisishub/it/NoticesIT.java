package org.crisishub.it;

import static org.crisishub.support.WsClient.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpMethod;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.crisishub.support.WsClient;
import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Responders: signed CAP notices with two-person approval, and help triage")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NoticesIT {
  static final String ADMIN = "admin-token-for-tests-0123456789";
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static String alice;
  static String bob;
  static String carol;

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir, Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_SMS_RATE", "20",
        "HUB_PUBLIC_URL", "https://hub.example.org"));
    api = new Api(hub.vertx, hub.port());
    createResponder("alice", "County EMS", "[\"publisher\"]");
    createResponder("bob", "County EMS", "[\"approver\"]");
    createResponder("carol", "Fire Dept", "[\"publisher\",\"approver\"]");
    alice = login("alice");
    bob = login("bob");
    carol = login("carol");
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  static void createResponder(String user, String agency, String roles) {
    var r = api.post("/api/v1/admin/responders", ADMIN, "{\"username\":\"" + user + "\",\"password\":\"correct horse "
        + user + "\",\"agency\":\"" + agency + "\",\"roles\":" + roles + "}");
    assertEquals(201, r.status(), r.text());
  }

  static String login(String user) {
    var r = api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"" + user + "\",\"password\":\"correct horse " + user + "\"}");
    assertEquals(200, r.status(), r.text());
    return r.json().path("token").asText();
  }

  static String draft(String token, String extra) {
    var r = api.post("/api/v1/notices", token, "{\"incident\":\"flood7\",\"headline\":\"Shelter open at Lincoln High\","
        + "\"body\":\"Go to 123 Main St. Bring water.\",\"severity\":\"severe\",\"urgency\":\"IMMEDIATE\","
        + "\"certainty\":\"observed\",\"area\":\"Riverside district\"" + extra + "}");
    assertEquals(201, r.status(), r.text());
    assertEquals("draft", r.json().path("state").asText());
    return r.json().path("id").asText();
  }

  /** Verifies a notice with the JDK alone against the JWK set, as any third party would. */
  static boolean verifies(JsonNode notice) throws Exception {
    JsonNode keys = api.get("/api/v1/keys", null).json().path("keys");
    for (JsonNode k : keys) {
      if (k.path("kid").asText().equals(notice.path("keyId").asText())) {
        assertEquals("OKP", k.path("kty").asText());
        assertEquals("Ed25519", k.path("crv").asText());
        byte[] raw = Base64.getUrlDecoder().decode(k.path("x").asText());
        byte[] spki = concat(HexFormat.of().parseHex("302a300506032b6570032100"), raw);
        var pub = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        ObjectNode unsigned = ((ObjectNode) notice).deepCopy();
        unsigned.remove("signature");
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(pub);
        s.update(new JsonCanonicalizer(unsigned.toString()).getEncodedUTF8());
        return s.verify(Base64.getUrlDecoder().decode(notice.path("signature").asText()));
      }
    }
    throw new AssertionError("no key " + notice.path("keyId"));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  @Order(1)
  @DisplayName("accounts: admin only, duplicates conflict, wrong passwords and person tokens are refused")
  void accounts() {
    assertEquals(401, api.post("/api/v1/admin/responders", "wrong", "{}").status());
    assertEquals(409, api.post("/api/v1/admin/responders", ADMIN, "{\"username\":\"alice\",\"password\":\"0123456789a\","
        + "\"agency\":\"X\",\"roles\":[\"publisher\"]}").status());
    assertEquals(400, api.post("/api/v1/admin/responders", ADMIN, "{\"username\":\"dave\",\"password\":\"short\","
        + "\"agency\":\"X\",\"roles\":[\"publisher\"]}").status());
    assertEquals(400, api.post("/api/v1/admin/responders", ADMIN, "{\"username\":\"dave\",\"password\":\"0123456789a\","
        + "\"agency\":\"X\",\"roles\":[\"king\"]}").status());
    assertEquals(401, api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"alice\",\"password\":\"wrong password\"}").status());
    assertEquals(401, api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"nobody\",\"password\":\"wrong password\"}").status());
    String person = api.login("+15559100001");
    assertEquals(403, api.post("/api/v1/incidents", person, "{\"code\":\"X1\",\"name\":\"x\"}").status(),
        "a valid token without the right");
  }

  @Test
  @Order(2)
  @DisplayName("incidents: created by responders with a textable code and an area; listed publicly")
  void incidents() {
    var r = api.post("/api/v1/incidents", alice, "{\"code\":\"flood7\",\"name\":\"River flood\",\"twoPersonRule\":true,"
        + "\"area\":{\"type\":\"polygon\",\"points\":[[38.0,-122.0],[38.0,-121.9],[38.1,-121.9],[38.1,-122.0]]}}");
    assertEquals(201, r.status(), r.text());
    assertEquals("FLOOD7", r.json().path("code").asText());
    assertEquals("open", r.json().path("state").asText());
    assertEquals(5, r.json().path("area").path("points").size(), "the ring is closed");
    assertEquals(409, api.post("/api/v1/incidents", alice, "{\"code\":\"FLOOD7\",\"name\":\"again\"}").status());
    assertEquals(400, api.post("/api/v1/incidents", alice, "{\"code\":\"no spaces\",\"name\":\"x\"}").status());
    assertEquals(400, api.post("/api/v1/incidents", alice,
        "{\"code\":\"FIRE2\",\"name\":\"x\",\"area\":{\"type\":\"circle\",\"lat\":95,\"lon\":0,\"radiusM\":5}}").status());
    assertEquals(201, api.post("/api/v1/incidents", carol, "{\"code\":\"FIRE2\",\"name\":\"Hill fire\","
        + "\"area\":{\"type\":\"circle\",\"lat\":34.0,\"lon\":-118.0,\"radiusM\":5000}}").status());
    var list = api.get("/api/v1/incidents", null);
    assertEquals(200, list.status());
    assertEquals(2, list.json().size());
  }

  @Test
  @Order(3)
  @DisplayName("a notice approved by a second responder is published signed, reaches subscribers and JOINed phones, and verifies")
  void lifecycle() throws Exception {
    String joined = "+15559200001", stopped = "+15559200002";
    for (String p : new String[] {joined, stopped}) {
      var r = api.post("/dev/sms/inbound", null, "{\"from\":\"" + p + "\",\"body\":\"JOIN flood7\"}");
      assertTrue(r.json().path("reply").asText().contains("FLOOD7"));
    }
    api.post("/dev/sms/inbound", null, "{\"from\":\"" + stopped + "\",\"body\":\"STOP\"}");

    assertEquals(403, api.post("/api/v1/notices", bob, "{\"incident\":\"FLOOD7\",\"headline\":\"h\",\"body\":\"b\","
        + "\"severity\":\"Minor\",\"urgency\":\"Future\",\"certainty\":\"Likely\"}").status(), "bob may not draft");
    var bad = api.post("/api/v1/notices", alice, "{\"incident\":\"FLOOD7\",\"headline\":\"h\",\"body\":\"b\","
        + "\"severity\":\"Apocalyptic\",\"urgency\":\"Future\",\"certainty\":\"Likely\"}");
    assertEquals(400, bad.status());
    assertTrue(bad.json().path("error").path("message").asText().contains("severity"));
    assertEquals(400, api.post("/api/v1/notices", alice, "{\"incident\":\"FLOOD7\",\"body\":\"b\",\"severity\":\"Minor\","
        + "\"urgency\":\"Future\",\"certainty\":\"Likely\"}").status(), "no headline");
    assertEquals(400, api.post("/api/v1/notices", alice, "{\"incident\":\"NOPE1\",\"headline\":\"h\",\"body\":\"b\","
        + "\"severity\":\"Minor\",\"urgency\":\"Future\",\"certainty\":\"Likely\"}").status(), "no such incident");

    String id = draft(alice, "");
    assertEquals(404, api.get("/api/v1/notices/" + id, null).status(), "drafts are not public");
    assertEquals("draft", api.get("/api/v1/notices/" + id, bob).json().path("state").asText());
    var queue = api.get("/api/v1/notices?state=draft&incident=flood7", bob);
    assertEquals(200, queue.status());
    assertEquals(id, queue.json().get(0).path("notice").path("id").asText());
    assertEquals(401, api.get("/api/v1/notices?state=draft", null).status());
    var early = api.post("/api/v1/notices/" + id + "/publish", alice, null);
    assertEquals(409, early.status(), "two-person rule: not approved yet");
    assertEquals(403, api.post("/api/v1/notices/" + id + "/approve", alice, null).status(), "alice is no approver");

    String body = "{\"incident\":\"FLOOD7\",\"headline\":\"h\",\"body\":\"b\",\"severity\":\"Minor\","
        + "\"urgency\":\"Future\",\"certainty\":\"Likely\"}";
    assertEquals(403, api.post("/api/v1/notices", carol, body).status(), "Fire Dept does not serve FLOOD7 yet");
    var partnered = api.post("/api/v1/incidents/FLOOD7/partners", alice, "{\"agency\":\"Fire Dept\"}");
    assertEquals(200, partnered.status(), partnered.text());
    assertEquals("County EMS", partnered.json().path("agency").asText());
    assertEquals("Fire Dept", partnered.json().path("partners").get(0).asText());
    String carols = draft(carol, "");
    var self = api.post("/api/v1/notices/" + carols + "/approve", carol, null);
    assertEquals(403, self.status(), "self-approval under the two-person rule");
    assertEquals("forbidden", self.errorCode());
    assertEquals("draft", api.get("/api/v1/notices/" + carols, carol).json().path("state").asText(), "nothing changed");

    try (WsClient sub = WsClient.connect(hub.vertx, hub.port(), null)) {
      assertEquals("ack", sub.reply(sub.send(frame("subscribe").put("incident", "FLOOD7"))).path("type").asText());
      var approved = api.post("/api/v1/notices/" + id + "/approve", bob, null);
      assertEquals(200, approved.status(), approved.text());
      assertEquals("approved", approved.json().path("state").asText());
      var published = api.post("/api/v1/notices/" + id + "/publish", alice, null);
      assertEquals(200, published.status(), published.text());
      JsonNode signed = published.json();
      assertEquals(id, signed.path("id").asText());
      assertEquals("Severe", signed.path("severity").asText());
      assertEquals("Immediate", signed.path("urgency").asText());
      assertEquals("Observed", signed.path("certainty").asText());
      assertEquals("Alert", signed.path("msgType").asText());
      assertEquals("Safety", signed.path("category").asText());
      assertEquals("Shelter open at Lincoln High", signed.path("event").asText());
      assertEquals("county-ems@hub.example.org", signed.path("sender").asText());
      assertTrue(signed.path("sent").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
      assertFalse(signed.has("state"), "state is never inside the signed object");

      JsonNode live = sub.next("notice").path("notice");
      assertEquals(signed, live);
      assertTrue(verifies(live), "verifies against /api/v1/keys with the JDK");
      ObjectNode tampered = ((ObjectNode) live).deepCopy();
      tampered.put("headline", "Shelter open at Lincoln Higi");
      assertFalse(verifies(tampered), "one changed character breaks the signature");
      assertEquals(409, api.post("/api/v1/notices/" + id + "/publish", alice, null).status(), "published once");
    }
    var view = api.get("/api/v1/notices/" + id, null);
    assertEquals("published", view.json().path("state").asText());
    assertTrue(verifies(view.json().path("notice")));

    // A late subscriber gets the current notices first.
    try (WsClient late = WsClient.connect(hub.vertx, hub.port(), null)) {
      late.send(frame("subscribe").put("incident", "flood7"));
      assertEquals("ack", late.next().path("type").asText());
      assertEquals(id, late.next().path("notice").path("id").asText());
    }

    // The SSE mirror: no login needed to follow an incident's notices.
    try (var sse = new org.crisishub.support.SseClient(hub.vertx, hub.port(), "/api/v1/events?incident=flood7")) {
      assertEquals(200, sse.response.statusCode());
      JsonNode first = sse.next();
      assertEquals("notice", first.path("type").asText());
      assertEquals(id, first.path("notice").path("id").asText());
    }
    assertEquals(404, api.get("/api/v1/events?incident=NOPE9", null).status());
    assertEquals(401, api.get("/api/v1/events", null).status());

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (api.get("/dev/sms/messages?to=%2B15559200001", null).json().toString().indexOf("OFFICIAL FLOOD7") < 0) {
      assertTrue(System.nanoTime() < deadline, "no notice SMS to the JOINed number");
      TimeUnit.MILLISECONDS.sleep(50);
    }
    assertFalse(api.get("/dev/sms/messages?to=%2B15559200002", null).json().toString().contains("OFFICIAL"),
        "STOP honoured");
  }

  @Test
  @Order(4)
  @DisplayName("the CAP XML validates against the official CAP 1.2 schema; a cancellation shows as cancelled")
  void capAndCancel() throws Exception {
    String id = api.get("/api/v1/incidents/FLOOD7/notices", null).json().get(0).path("id").asText();
    var cap = api.get("/api/v1/notices/" + id + ".cap", null);
    assertEquals(200, cap.status());
    assertTrue(cap.headers().get("Content-Type").startsWith("application/cap+xml"));
    Path xsd = Path.of("../shared/data/cap/CAP-v1.2.xsd");
    assertTrue(Files.isRegularFile(xsd), "the official CAP schema is expected at " + xsd.toAbsolutePath()
        + " (shared/ beside the project, as on every developer machine and in CI)");
    var schema = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(xsd.toFile());
    schema.newValidator().validate(new StreamSource(new StringReader(cap.text())));
    assertTrue(cap.text().contains("<sent>") && cap.text().contains("+00:00</sent>"));
    assertTrue(cap.text().contains("<polygon>38.0,-122.0 38.0,-121.9"), cap.text());

    String cancel = draft(alice, ",\"msgType\":\"cancel\",\"references\":\"" + id + "\"");
    assertEquals(200, api.post("/api/v1/notices/" + cancel + "/approve", bob, null).status());
    var pub = api.post("/api/v1/notices/" + cancel + "/publish", alice, null);
    assertEquals(200, pub.status());
    assertEquals(id, pub.json().path("references").asText());
    assertEquals("cancelled", api.get("/api/v1/notices/" + id, null).json().path("state").asText());
    var cancelCap = api.get("/api/v1/notices/" + cancel + ".cap", null).text();
    schema.newValidator().validate(new StreamSource(new StringReader(cancelCap)));
    assertTrue(cancelCap.contains("<references>county-ems@hub.example.org," + id + ","), cancelCap);
    assertEquals(400, api.post("/api/v1/notices", alice, "{\"incident\":\"FLOOD7\",\"headline\":\"h\",\"body\":\"b\","
        + "\"severity\":\"Minor\",\"urgency\":\"Future\",\"certainty\":\"Likely\",\"msgType\":\"Update\","
        + "\"references\":\"" + id + "\"}").status(), "a cancelled notice cannot be updated");
    var list = api.get("/api/v1/incidents/flood7/notices", null).json();
    assertEquals(cancel, list.get(0).path("id").asText(), "newest first");
    var atom = api.get("/api/v1/incidents/FLOOD7/notices.atom", null);
    assertEquals(200, atom.status());
    javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new org.xml.sax.InputSource(new StringReader(atom.text())));
    assertTrue(atom.text().contains("/api/v1/notices/" + id + ".cap"));
    Files.writeString(dir.resolve("last.cap"), cancelCap);
  }

  @Test
  @Order(5)
  @DisplayName("a notice without two-person rule is published by its author; it shows as expired after its expiry")
  void expiry() throws Exception {
    String exp = java.time.Instant.now().plusSeconds(2).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    var r = api.post("/api/v1/notices", carol, "{\"incident\":\"FIRE2\",\"headline\":\"Evacuate Oak Road\",\"body\":\"Now.\","
        + "\"severity\":\"Extreme\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\",\"expires\":\"" + exp + "\"}");
    assertEquals(201, r.status(), r.text());
    String id = r.json().path("id").asText();
    var pub = api.post("/api/v1/notices/" + id + "/publish", carol, null);
    assertEquals(200, pub.status(), pub.text());
    assertEquals("fire-dept@hub.example.org", pub.json().path("sender").asText());
    assertTrue(verifies(pub.json()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!"expired".equals(api.get("/api/v1/notices/" + id, null).json().path("state").asText())) {
      assertTrue(System.nanoTime() < deadline, "never shown as expired");
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  @Test
  @Order(6)
  @DisplayName("help triage: need_help reaches the incident's responders live and in the queue; the person is told")
  void helpTriage() throws Exception {
    String person = "+15559300001", inside = "+15559300002";
    String pt = api.login(person), it = api.login(inside);
    try (WsClient resp = WsClient.connect(hub.vertx, hub.port(), null);
         WsClient pw = WsClient.authed(hub.vertx, hub.port(), pt)) {
      resp.sendRaw("{\"type\":\"auth\",\"token\":\"" + alice + "\"}");
      assertEquals("alice", resp.next("ready").path("responder").asText());
      resp.reply(resp.send(frame("subscribe").put("incident", "FLOOD7")));
      var ci = pw.reply(pw.send(frame("checkin").put("status", "need_help").put("note", "water rising")
          .put("incident", "flood7")));
      String checkinId = ci.path("id").asText();
      JsonNode help = resp.next("help").path("checkin");
      assertEquals(checkinId, help.path("id").asText());
      assertEquals(person, help.path("phone").asText());
      assertEquals("water rising", help.path("note").asText());
      assertEquals("open", help.path("state").asText());
      assertEquals("normal", help.path("priority").asText());
      assertTrue(help.path("matched").isArray() && help.path("matched").isEmpty(), help.toString());
      assertTrue(help.has("reported") && !help.path("reported").asBoolean(), help.toString());

      var byArea = api.post("/api/v1/checkins", it, "{\"status\":\"need_help\",\"location\":{\"lat\":38.05,\"lon\":-121.95}}");
      assertEquals(201, byArea.status());
      assertEquals(byArea.json().path("id").asText(), resp.next("help").path("checkin").path("id").asText(),
          "inside the incident's polygon");
      api.post("/api/v1/checkins", it, "{\"status\":\"need_help\",\"location\":{\"lat\":10.0,\"lon\":10.0}}");

      var queue = api.get("/api/v1/incidents/FLOOD7/help", bob);
      assertEquals(200, queue.status());
      assertEquals(2, queue.json().size(), queue.text());
      assertEquals("normal", queue.json().get(0).path("priority").asText(), queue.text());
      assertFalse(queue.json().get(0).path("reported").asBoolean(true), queue.text());
      assertEquals(403, api.get("/api/v1/incidents/FLOOD7/help", pt).status(), "not for bystanders");

      var ack = api.post("/api/v1/help/" + checkinId + "/ack", bob, null);
      assertEquals(200, ack.status(), ack.text());
      JsonNode update = pw.next("help_update");
      assertEquals(checkinId, update.path("id").asText());
      assertEquals("acknowledged", update.path("state").asText());
      assertEquals(200, api.post("/api/v1/help/" + checkinId + "/resolve", bob, null).status());
      assertEquals("resolved", pw.next("help_update").path("state").asText());
      assertEquals(1, api.get("/api/v1/incidents/FLOOD7/help", bob).json().size(), "resolved leaves the queue");
      assertEquals(404, api.post("/api/v1/help/no-such-id/ack", bob, null).status());
    }
  }

  @Test
  @Order(7)
  @DisplayName("refused attempts are audited; keys rotate with old ones kept; a disabled responder's token stops working")
  void auditRotationDisable() throws Exception {
    var audit = api.get("/api/v1/admin/audit?limit=1000", ADMIN).json().path("entries");
    boolean selfApproval = false;
    for (JsonNode e : audit) {
      selfApproval |= e.path("action").asText().equals("notice.approve") && e.path("actor").asText().equals("carol")
          && e.path("outcome").asText().equals("refused") && e.path("detail").asText().equals("forbidden");
    }
    assertTrue(selfApproval, "self-approval refusal audited: " + audit);
    assertTrue(audit.toString().contains("\"action\":\"notice.publish\""));
    JsonNode old = api.get("/api/v1/incidents/FLOOD7/notices", null).json().get(0);
    assertEquals(201, api.post("/api/v1/admin/agencies/County%20EMS/keys/rotate", ADMIN, null).status());
    assertTrue(verifies(old), "old notices still verify after rotation");
    String id = draft(alice, "");
    api.post("/api/v1/notices/" + id + "/approve", bob, null);
    JsonNode fresh = api.post("/api/v1/notices/" + id + "/publish", alice, null).json();
    assertFalse(fresh.path("keyId").asText().equals(old.path("keyId").asText()), "signed with the new key");
    assertTrue(verifies(fresh));
    assertEquals(204, api.call(HttpMethod.DELETE, "/api/v1/admin/responders/bob", ADMIN, null).status());
    assertEquals(401, api.get("/api/v1/incidents/FLOOD7/help", bob).status());
    assertEquals(401, api.post("/api/v1/responders/sessions", null,
        "{\"username\":\"bob\",\"password\":\"correct horse bob\"}").status());
  }
}
