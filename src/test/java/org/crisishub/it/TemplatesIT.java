package org.crisishub.it;

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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;
import org.crisishub.support.Api;
import org.crisishub.support.RedisServer;
import org.crisishub.support.TestHub;
import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Notice templates end to end on the embedded store ({@link TemplatesRedisIT}: the same on Redis):
 * approved once, then notices filled from them and published by one publisher under the two-person
 * rule; what is refused; languages in the signed notice and in CAP; versions.
 */
@DisplayName("Templates: reviewed once, filled and published by one publisher, in several languages")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TemplatesIT {
  static final String ADMIN = "templates-test-admin-token-0123456789";
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static RedisServer redis;
  static String pub;
  static String writer;
  static String app;
  static String far;
  static String templateId;

  static final String SHELTER = """
      {"name":"Shelter open","headline":"Shelter open at {place}","body":"Go to {place} before {time}. Bring water and medicine.",
       "severity":"severe","urgency":"immediate","certainty":"observed","language":"en",
       "variants":[{"language":"es","headline":"Refugio abierto en {place}","body":"Vaya a {place} antes de las {time}. Traiga agua y medicinas."},
                   {"language":"fr","headline":"Abri ouvert à {place}","body":"Rendez-vous à {place} avant {time}. Apportez eau et médicaments."}],
       "placeholders":{"place":{"maxLength":40},"time":{"maxLength":10}}}""";

  @BeforeAll
  static void start(TestInfo info) throws Exception {
    Map<String, String> env = new java.util.HashMap<>(Map.of("HUB_ADMIN_TOKEN", ADMIN,
        "HUB_PUBLIC_URL", "https://hub.example.org"));
    if (info.getTestClass().orElseThrow() == TemplatesRedisIT.class) {
      redis = RedisServer.startNew();
      env.put("HUB_STORE", "redis");
      env.put("HUB_REDIS_URL", redis.url());
    }
    hub = TestHub.start(dir, env);
    api = new Api(hub.vertx, hub.port());
    api.createResponder(ADMIN, "pub", "County EMS", "[\"publisher\"]");
    api.createResponder(ADMIN, "writer", "County EMS", "[\"publisher\",\"approver\"]");
    api.createResponder(ADMIN, "app", "County EMS", "[\"approver\"]");
    api.createResponder(ADMIN, "far", "Other Agency", "[\"publisher\",\"approver\"]");
    pub = api.responderLogin("pub");
    writer = api.responderLogin("writer");
    app = api.responderLogin("app");
    far = api.responderLogin("far");
    var inc = api.post("/api/v1/incidents", pub, "{\"code\":\"TPL1\",\"name\":\"River flood\",\"twoPersonRule\":true,"
        + "\"area\":{\"type\":\"circle\",\"lat\":45.5,\"lon\":-122.6,\"radiusM\":3000}}");
    assertEquals(201, inc.status(), inc.text());
    assertEquals(201, api.post("/api/v1/incidents", far, "{\"code\":\"FAR1\",\"name\":\"Elsewhere\"}").status());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
    if (redis != null) {
      redis.close();
      redis = null;
    }
  }

  static Api.Resp fromTemplate(String token, String values) {
    return api.post("/api/v1/notices", token, "{\"incident\":\"tpl1\",\"template\":\"" + templateId + "\",\"values\":"
        + values + "}");
  }

  static int drafts() {
    var r = api.get("/api/v1/notices?incident=TPL1", pub);
    assertEquals(200, r.status(), r.text());
    return r.json().size();
  }

  @Test
  @Order(1)
  @DisplayName("a template is written by a publisher as version 1, a draft; bad placeholders and missing roles are refused")
  void write() {
    var r = api.post("/api/v1/templates", writer, SHELTER);
    assertEquals(201, r.status(), r.text());
    JsonNode t = r.json();
    templateId = t.path("id").asText();
    assertEquals(1, t.path("version").asInt());
    assertEquals("draft", t.path("state").asText());
    assertEquals("County EMS", t.path("agency").asText());
    assertEquals("en", t.path("language").asText());
    assertEquals("Severe", t.path("severity").asText());
    assertFalse(t.has("approvedVersion"));
    assertEquals(2, t.path("variants").size());
    assertEquals(40, t.path("placeholders").path("place").path("maxLength").asInt());

    var list = api.get("/api/v1/templates", app);
    assertEquals(200, list.status());
    assertEquals(1, list.json().size());
    JsonNode row = list.json().get(0);
    assertEquals(templateId, row.path("id").asText());
    assertEquals("Shelter open", row.path("name").asText());
    assertEquals("draft", row.path("state").asText());
    assertEquals(2, row.path("variants").size());
    assertEquals(0, api.get("/api/v1/templates", far).json().size(), "another agency's templates are not listed");

    String base = "\"name\":\"x\",\"severity\":\"Minor\",\"urgency\":\"Future\",\"certainty\":\"Likely\"";
    for (String bad : List.of(
        "{" + base + ",\"headline\":\"At {place}\",\"body\":\"b\",\"placeholders\":{}}",
        "{" + base + ",\"headline\":\"At {place}\",\"body\":\"b\",\"placeholders\":{\"place\":{}}}",
        "{" + base + ",\"headline\":\"At {place}\",\"body\":\"b\",\"placeholders\":{\"place\":{\"maxLength\":0}}}",
        "{" + base + ",\"headline\":\"At {place}\",\"body\":\"b\",\"placeholders\":{\"place\":{\"maxLength\":201}}}",
        "{" + base + ",\"headline\":\"h\",\"body\":\"b\",\"variants\":[{\"language\":\"es\",\"headline\":\"{x}\",\"body\":\"b\"}]}",
        "{" + base + ",\"headline\":\"h\",\"body\":\"b\",\"variants\":[{\"language\":\"en\",\"headline\":\"h\",\"body\":\"b\"}]}",
        "{" + base + ",\"headline\":\"h\",\"body\":\"b\",\"language\":\"not a tag!\"}",
        "{" + base + ",\"headline\":\"h\",\"body\":\"b\",\"severity\":\"Bad\"}")) {
      var b = api.post("/api/v1/templates", writer, bad);
      assertEquals(400, b.status(), bad + " → " + b.text());
      assertEquals("invalid_request", b.errorCode());
    }
    assertEquals(403, api.post("/api/v1/templates", app, SHELTER).status(), "writing needs the publisher role");
    assertEquals(1, api.get("/api/v1/templates", app).json().size(), "nothing was stored by the refusals");
  }

  @Test
  @Order(2)
  @DisplayName("approved once by another approver of the agency; never by its author, another agency or a publisher only")
  void approve() {
    var early = fromTemplate(pub, "{\"place\":\"Lincoln High\",\"time\":\"18:00\"}");
    assertEquals(409, early.status(), "no approved version yet: " + early.text());
    var own = api.post("/api/v1/templates/" + templateId + "/approve", writer, null);
    assertEquals(403, own.status(), "the author cannot approve their own version: " + own.text());
    assertEquals(403, api.post("/api/v1/templates/" + templateId + "/approve", far, null).status());
    assertEquals(403, api.post("/api/v1/templates/" + templateId + "/approve", pub, null).status());
    var ok = api.post("/api/v1/templates/" + templateId + "/approve", app, null);
    assertEquals(200, ok.status(), ok.text());
    assertEquals("approved", ok.json().path("state").asText());
    assertEquals(1, ok.json().path("approvedVersion").asInt());
    assertEquals("app", ok.json().path("approvedBy").asText());
    assertEquals(409, api.post("/api/v1/templates/" + templateId + "/approve", app, null).status(), "approved once");
    assertEquals(403, api.get("/api/v1/templates/" + templateId, far).status());
    assertEquals(404, api.get("/api/v1/templates/no-such-template", pub).status());
  }

  @Test
  @Order(3)
  @DisplayName("a filled notice is published by one publisher under the two-person rule; signed with template and languages")
  void publishFilled() throws Exception {
    var free = api.post("/api/v1/notices", pub, "{\"incident\":\"TPL1\",\"headline\":\"Free text\",\"body\":\"b\","
        + "\"severity\":\"Minor\",\"urgency\":\"Future\",\"certainty\":\"Likely\"}");
    assertEquals(201, free.status());
    assertEquals(409, api.post("/api/v1/notices/" + free.json().path("id").asText() + "/publish", pub, null).status(),
        "free text still needs a second responder under the two-person rule");

    var d = fromTemplate(pub, "{\"place\":\"Lincoln High\",\"time\":\"18:00\"}");
    assertEquals(201, d.status(), d.text());
    JsonNode draft = d.json();
    assertEquals("draft", draft.path("state").asText());
    assertEquals(templateId, draft.path("template").path("id").asText());
    assertEquals(1, draft.path("template").path("version").asInt());
    assertEquals("Shelter open at Lincoln High", draft.path("headline").asText());
    assertEquals("Go to Lincoln High before 18:00. Bring water and medicine.", draft.path("body").asText());
    assertEquals("Severe", draft.path("severity").asText());

    var p = api.post("/api/v1/notices/" + draft.path("id").asText() + "/publish", pub, null);
    assertEquals(200, p.status(), p.text());
    JsonNode n = p.json();
    assertEquals("en", n.path("language").asText());
    assertEquals(templateId, n.path("template").path("id").asText());
    assertEquals(1, n.path("template").path("version").asInt());
    assertEquals("es", n.path("variants").get(0).path("language").asText());
    assertEquals("Refugio abierto en Lincoln High", n.path("variants").get(0).path("headline").asText());
    assertEquals("Rendez-vous à Lincoln High avant 18:00. Apportez eau et médicaments.",
        n.path("variants").get(1).path("body").asText());
    assertTrue(verifies(n), "the signature covers the template and every language");
    ObjectNode forged = n.deepCopy();
    ((ObjectNode) forged.path("variants").get(0)).put("headline", "Refugio cerrado");
    assertFalse(verifies(forged), "changing a language variant breaks the signature");
    assertEquals("published", api.get("/api/v1/notices/" + n.path("id").asText(), null).json().path("state").asText());
  }

  @Test
  @Order(4)
  @DisplayName("free text beside a template, an over-long value, a line break, a missing or an undeclared value are refused")
  void refusals() {
    int before = drafts();
    List<String> bad = new ArrayList<>(List.of(
        "{\"place\":\"" + "x".repeat(41) + "\",\"time\":\"18:00\"}",
        "{\"place\":\"Lincoln\\nHigh\",\"time\":\"18:00\"}",
        "{\"place\":\"Lincoln\\r\\nHigh\",\"time\":\"18:00\"}",
        "{\"place\":\"Lincoln\\u2028High\",\"time\":\"18:00\"}",
        "{\"place\":\"Lincoln High\"}",
        "{\"place\":\"\",\"time\":\"18:00\"}",
        "{\"place\":\"Lincoln High\",\"time\":\"18:00\",\"extra\":\"x\"}",
        "{\"place\":\"Lincoln High\",\"time\":18}",
        "[\"Lincoln High\",\"18:00\"]"));
    for (String values : bad) {
      var r = fromTemplate(pub, values);
      assertEquals(400, r.status(), values + " → " + r.text());
      assertEquals("invalid_request", r.errorCode());
    }
    String ok = "\"incident\":\"TPL1\",\"template\":\"" + templateId + "\",\"values\":{\"place\":\"A\",\"time\":\"1\"}";
    for (String extra : List.of(",\"headline\":\"Free text\"", ",\"body\":\"More\"", ",\"severity\":\"Minor\"",
        ",\"msgType\":\"Alert\"", ",\"language\":\"es\"")) {
      var r = api.post("/api/v1/notices", pub, "{" + ok + extra + "}");
      assertEquals(400, r.status(), extra + " → " + r.text());
    }
    // the longest value that fits is accepted (40 code points, astral ones count once)
    var edge = fromTemplate(pub, "{\"place\":\"" + "🏠".repeat(40) + "\",\"time\":\"18:00\"}");
    assertEquals(201, edge.status(), edge.text());
    assertEquals(before + 1, drafts(), "only the valid request made a draft");
    assertEquals(403, api.post("/api/v1/notices", far, "{\"incident\":\"FAR1\",\"template\":\"" + templateId
        + "\",\"values\":{\"place\":\"A\",\"time\":\"1\"}}").status(), "another agency's template");
  }

  @Test
  @Order(5)
  @DisplayName("the CAP of a multi-language notice has one <info> per language and validates against CAP 1.2")
  void cap() throws Exception {
    var d = fromTemplate(pub, "{\"place\":\"Lincoln High\",\"time\":\"18:00\"}");
    String id = d.json().path("id").asText();
    assertEquals(200, api.post("/api/v1/notices/" + id + "/publish", pub, null).status());
    var cap = api.get("/api/v1/notices/" + id + ".cap", null);
    assertEquals(200, cap.status());
    Path xsd = Path.of("../shared/data/cap/CAP-v1.2.xsd");
    assertTrue(Files.isRegularFile(xsd), "the official CAP schema is expected at " + xsd.toAbsolutePath());
    var schema = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(xsd.toFile());
    schema.newValidator().validate(new StreamSource(new StringReader(cap.text())));
    var f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    var doc = f.newDocumentBuilder().parse(new org.xml.sax.InputSource(new StringReader(cap.text())));
    NodeList infos = doc.getElementsByTagNameNS("urn:oasis:names:tc:emergency:cap:1.2", "info");
    assertEquals(3, infos.getLength());
    List<String> langs = new ArrayList<>();
    List<String> headlines = new ArrayList<>();
    for (int i = 0; i < infos.getLength(); i++) {
      Element info = (Element) infos.item(i);
      langs.add(info.getElementsByTagNameNS("*", "language").item(0).getTextContent());
      headlines.add(info.getElementsByTagNameNS("*", "headline").item(0).getTextContent());
      assertEquals("Severe", info.getElementsByTagNameNS("*", "severity").item(0).getTextContent());
      assertEquals(1, info.getElementsByTagNameNS("*", "circle").getLength(), "every info carries the area");
    }
    assertEquals(List.of("en", "es", "fr"), langs);
    assertEquals(List.of("Shelter open at Lincoln High", "Refugio abierto en Lincoln High",
        "Abri ouvert à Lincoln High"), headlines);
  }

  @Test
  @Order(6)
  @DisplayName("editing makes a new version that needs approval while the approved one stays usable")
  void versions() throws Exception {
    String v2 = SHELTER.replace("Bring water and medicine.", "Bring water, medicine and ID.");
    var put = api.call(HttpMethod.PUT, "/api/v1/templates/" + templateId, writer, v2);
    assertEquals(200, put.status(), put.text());
    assertEquals(2, put.json().path("version").asInt());
    assertEquals("draft", put.json().path("state").asText());
    assertEquals(1, put.json().path("approvedVersion").asInt());
    JsonNode row = api.get("/api/v1/templates", pub).json().get(0);
    assertEquals(2, row.path("version").asInt());
    assertEquals("draft", row.path("state").asText());
    assertEquals(1, row.path("approvedVersion").asInt());

    var old = fromTemplate(pub, "{\"place\":\"Lincoln High\",\"time\":\"18:00\"}");
    assertEquals(201, old.status(), old.text());
    assertEquals(1, old.json().path("template").path("version").asInt(), "the approved version stays in use");
    assertTrue(old.json().path("body").asText().endsWith("Bring water and medicine."));
    String oldId = old.json().path("id").asText();
    var preview = api.post("/api/v1/templates/" + templateId + "/preview", pub,
        "{\"values\":{\"place\":\"Lincoln High\",\"time\":\"18:00\"},\"incident\":\"TPL1\"}");
    assertEquals(200, preview.status(), preview.text());
    assertEquals(1, preview.json().path("template").path("version").asInt());
    assertEquals(3, preview.json().path("languages").size());
    JsonNode fr = preview.json().path("languages").get(2);
    assertEquals("fr", fr.path("language").asText());
    assertEquals("Abri ouvert à Lincoln High", fr.path("headline").asText());
    assertEquals("GSM-7", fr.path("smsEncoding").asText(), "à and é are in the GSM 03.38 alphabet");
    assertEquals("OFFICIAL TPL1 (County EMS): Abri ouvert à Lincoln High. Rendez-vous à Lincoln High avant 18:00."
        + " Apportez eau et médicaments.", fr.path("sms").asText());
    assertEquals(1, fr.path("smsSegments").asInt());
    assertEquals(400, api.post("/api/v1/templates/" + templateId + "/preview", pub,
        "{\"values\":{\"place\":\"Lincoln\\nHigh\",\"time\":\"18:00\"}}").status());

    assertEquals(403, api.post("/api/v1/templates/" + templateId + "/approve", writer, null).status(),
        "the author of version 2 cannot approve it");
    var ok = api.post("/api/v1/templates/" + templateId + "/approve", app, null);
    assertEquals(200, ok.status(), ok.text());
    assertEquals(2, ok.json().path("approvedVersion").asInt());

    var fresh = fromTemplate(pub, "{\"place\":\"Lincoln High\",\"time\":\"18:00\"}");
    assertEquals(2, fresh.json().path("template").path("version").asInt());
    assertTrue(fresh.json().path("body").asText().endsWith("Bring water, medicine and ID."));
    var p = api.post("/api/v1/notices/" + fresh.json().path("id").asText() + "/publish", pub, null);
    assertEquals(200, p.status(), p.text());
    assertTrue(verifies(p.json()));
    // A draft of the replaced version is no longer pre-approved: under the two-person rule it needs a second responder.
    assertEquals(409, api.post("/api/v1/notices/" + oldId + "/publish", pub, null).status());
    assertEquals(200, api.post("/api/v1/notices/" + oldId + "/approve", app, null).status());
    assertEquals(200, api.post("/api/v1/notices/" + oldId + "/publish", pub, null).status());
    var v1 = api.get("/api/v1/templates/" + templateId + "?version=1", pub);
    assertEquals(200, v1.status());
    assertEquals("approved", v1.json().path("state").asText());
    assertTrue(v1.json().path("body").asText().endsWith("Bring water and medicine."));
  }

  /** Verifies a notice with the JDK alone against the JWK set, as any third party would. */
  static boolean verifies(JsonNode notice) throws Exception {
    for (JsonNode k : api.get("/api/v1/keys", null).json().path("keys")) {
      if (k.path("kid").asText().equals(notice.path("keyId").asText())) {
        byte[] raw = Base64.getUrlDecoder().decode(k.path("x").asText());
        byte[] spki = NoticesIT.concat(HexFormat.of().parseHex("302a300506032b6570032100"), raw);
        var key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        ObjectNode unsigned = ((ObjectNode) notice).deepCopy();
        unsigned.remove("signature");
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(new JsonCanonicalizer(unsigned.toString()).getEncodedUTF8());
        return s.verify(Base64.getUrlDecoder().decode(notice.path("signature").asText()));
      }
    }
    throw new AssertionError("no key " + notice.path("keyId"));
  }
}
