package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.Map;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * People, not numbers: private labels (REST, board data, SMS to that follower only), SMS times in
 * {@code HUB_TIMEZONE}, Spanish usage for Spanish text, and replies that say who was told.
 */
@DisplayName("People: labels, times in HUB_TIMEZONE, Spanish replies, who was told")
class PeopleIT {
  private static final String ADMIN = "admin-token-for-people-it";
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir, Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_SMS_RATE", "50",
        "HUB_TIMEZONE", "America/Chicago"));
    api = new Api(hub.vertx, hub.port());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  static Api.Resp put(String path, String token, String body) {
    return api.call(HttpMethod.PUT, path, token, body);
  }

  static String enc(String phone) {
    return phone.replace("+", "%2B");
  }

  @Test
  @DisplayName("PUT /follows/{phone} {label}: 200 for one's own follow, 400 over 40 code points or a bad number,"
      + " 404 when not following; only the follower sees it, and that follower's SMS name the person by it")
  void labels() throws Exception {
    String mom = "+15557100001";
    String kid = "+15557100002";
    String aunt = "+15557100003";
    String kidToken = api.login(kid);
    String auntToken = api.login(aunt);
    String momToken = api.login(mom);
    assertEquals(404, put("/api/v1/follows/" + enc(mom), kidToken, "{\"label\":\"Mamá\"}").status(),
        "not following yet");
    assertEquals(201, api.post("/api/v1/follows", kidToken, "{\"phone\":\"" + mom + "\",\"sms\":true}").status());
    assertEquals(201, api.post("/api/v1/follows", auntToken, "{\"phone\":\"" + mom + "\",\"sms\":true}").status());
    assertEquals(200, api.post("/api/v1/followers/" + enc(kid), momToken, "{\"allow\":true}").status());
    assertEquals(200, api.post("/api/v1/followers/" + enc(aunt), momToken, "{\"allow\":true}").status());

    String forty = "👩".repeat(40);
    Api.Resp ok = put("/api/v1/follows/" + enc(mom), kidToken, "{\"label\":\"" + forty + "\"}");
    assertEquals(200, ok.status(), ok.toString());
    assertEquals(forty, ok.json().path("label").asText(), "40 code points (80 UTF-16 units) fit");
    Api.Resp tooLong = put("/api/v1/follows/" + enc(mom), kidToken, "{\"label\":\"" + forty + "x\"}");
    assertEquals(400, tooLong.status());
    assertEquals("invalid_request", tooLong.errorCode());
    assertEquals(400, put("/api/v1/follows/not-a-number", kidToken, "{\"label\":\"Mom\"}").status());
    assertEquals(400, put("/api/v1/follows/" + enc(mom), kidToken, "{\"label\":7}").status());
    assertEquals(401, put("/api/v1/follows/" + enc(mom), null, "{\"label\":\"Mom\"}").status());
    Api.Resp set = put("/api/v1/follows/" + "%28555%29%20710-0001", kidToken, "{\"label\":\" Mamá \"}");
    assertEquals(200, set.status(), "a number as people write it");
    assertEquals(mom, set.json().path("phone").asText());
    assertEquals("Mamá", set.json().path("label").asText(), "trimmed");
    assertEquals("active", set.json().path("state").asText());

    JsonNode mine = api.get("/api/v1/follows", kidToken).json();
    assertEquals("Mamá", mine.get(0).path("label").asText());
    assertFalse(api.get("/api/v1/follows", auntToken).json().get(0).has("label"), "the aunt sees no label");
    assertFalse(api.get("/api/v1/followers", momToken).text().contains("Mamá"), "mom never sees it");

    assertEquals(201, api.post("/api/v1/checkins", momToken, "{\"status\":\"safe\",\"note\":\"at school\"}").status());
    JsonNode toKid = DevSmsIT.awaitMessage(api, kid, "at school");
    assertTrue(toKid.path("body").asText().contains("Mamá (" + mom + ") is SAFE"), toKid.toString());
    assertTrue(toKid.path("body").asText().matches("(?s).*\\(\\d\\d:\\d\\d C[SD]T, #1\\).*"),
        "time in HUB_TIMEZONE: " + toKid);
    JsonNode toAunt = DevSmsIT.awaitMessage(api, aunt, "at school");
    assertFalse(toAunt.path("body").asText().contains("Mamá"), toAunt.toString());

    assertTrue(DevSmsIT.say(api, kid, "STATUS " + mom).startsWith("Mamá is SAFE"), "STATUS names her by the label");
    assertTrue(DevSmsIT.say(api, aunt, "STATUS " + mom).startsWith(mom + " is SAFE"));

    assertEquals(200, put("/api/v1/follows/" + enc(mom), kidToken, "{\"label\":\"\"}").status(), "\"\" removes it");
    assertFalse(api.get("/api/v1/follows", kidToken).json().get(0).has("label"));
  }

  @Test
  @DisplayName("a Spanish text that is no command gets the Spanish usage; Spanish commands get Spanish replies")
  void spanish() {
    String p = "+15557200001";
    assertTrue(DevSmsIT.say(api, p, "hola").startsWith("Crisis Hub: BIEN nota, SOCORRO nota"), "hola");
    assertTrue(DevSmsIT.say(api, p, "¿qué hago?").startsWith("Crisis Hub: BIEN nota"));
    assertTrue(DevSmsIT.say(api, p, "what is this").startsWith("Crisis Hub: SAFE note"));
    String bien = DevSmsIT.say(api, p, "BIEN en casa");
    assertTrue(bien.startsWith("Registrado: estas A SALVO (#1). Nadie te sigue aun: pide a tu familia que envie"
        + " SEGUIR " + p + " a este numero."), bien);
  }

  @Test
  @DisplayName("SOS names who was told: followers and the incident's responders; no '0 followers told', and how"
      + " to invite family")
  void whoWasTold() throws Exception {
    String responder = responderToken();
    assertEquals(201, api.post("/api/v1/incidents", responder, "{\"code\":\"FLOODP\",\"name\":\"River flood\"}")
        .status());
    String lone = "+15557300001";
    assertTrue(DevSmsIT.say(api, lone, "JOIN FLOODP").contains("FLOODP"));
    String sos = DevSmsIT.say(api, lone, "SOS trapped on the roof");
    assertTrue(sos.startsWith("Recorded: you NEED HELP (#1). Told the responders of FLOODP. No follower yet: ask"
        + " family to text FOLLOW " + lone + " to this number. Call 911 if you can."), sos);
    assertFalse(sos.contains("0 follower"), sos);
    String socorro = DevSmsIT.say(api, lone, "SOCORRO sigo en el techo");
    assertTrue(socorro.startsWith("Registrado: NECESITAS AYUDA (#2). Avisamos a los equipos de FLOODP."), socorro);

    String safe = DevSmsIT.say(api, lone, "SAFE");
    assertTrue(safe.startsWith("Recorded: you are SAFE (#3). No one follows you yet: ask family to text FOLLOW "
        + lone + " to this number."), safe);

    String fam = "+15557300002";
    assertTrue(DevSmsIT.say(api, fam, "FOLLOW " + lone).contains("Asked"));
    assertTrue(DevSmsIT.say(api, lone, "YES").contains("can now see your status"));
    String both = DevSmsIT.say(api, lone, "SOS still here");
    assertTrue(both.startsWith("Recorded: you NEED HELP (#4). Told 1 follower and the responders of FLOODP. Call"
        + " 911 if you can."), both);

    String token = api.login(lone);
    Api.Resp ack = api.post("/api/v1/checkins", token, "{\"status\":\"need_help\",\"incident\":\"FLOODP\"}");
    assertEquals(201, ack.status());
    assertEquals(1, ack.json().path("notified").asInt());
    assertEquals("FLOODP", ack.json().path("helpIncidents").get(0).asText(), "the page learns who was told");
    Api.Resp plain = api.post("/api/v1/checkins", token, "{\"status\":\"safe\"}");
    assertFalse(plain.json().has("helpIncidents"));
  }

  static String responderToken() {
    return api.responder(ADMIN, "people-it", "a long password", "Red Cross", "[\"publisher\",\"approver\"]");
  }
}
