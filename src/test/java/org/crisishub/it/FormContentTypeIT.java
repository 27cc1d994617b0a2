package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.crisishub.edge.SmsRoutes;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API bodies are JSON whatever their Content-Type (api.md, Conventions). {@code curl -d}, as in the
 * README, sends {@code application/x-www-form-urlencoded}: such a body must not be decoded as a form
 * (a {@code %} in a note is no percent escape, and a long list is no oversized form attribute).
 */
@DisplayName("API bodies sent with a form Content-Type are read as JSON")
class FormContentTypeIT {
  static final String ADMIN = "form-admin-token-0123456789";
  static final String FORM = "application/x-www-form-urlencoded";
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static String responder;

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir, Map.of("HUB_ADMIN_TOKEN", ADMIN));
    api = new Api(hub.vertx, hub.port());
    responder = api.responder(ADMIN, "fran", "correct horse fran", "County EMS", "[\"publisher\",\"approver\"]");
    assertEquals(201, api.post("/api/v1/incidents", responder, "{\"code\":\"FORM1\",\"name\":\"Form\"}").status());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  @Test
  void aNoteWithAPercentSignIsStored() {
    String person = api.login("+15553200001");
    Api.Resp r = api.call(HttpMethod.POST, "/api/v1/checkins", person,
        "{\"status\":\"safe\",\"note\":\"battery 5% & 100%\"}", "Content-Type", FORM);
    assertEquals(201, r.status(), r.text());
    Api.Resp status = api.get("/api/v1/people/+15553200001/status", person);
    assertEquals("battery 5% & 100%", status.json().path("note").asText());
  }

  @Test
  void aThousandLongWatchTermsLongerThanTheFormLimitAreStored() {
    StringBuilder b = new StringBuilder("{\"terms\":[");
    for (int i = 0; i < 1000; i++) {
      b.append(i == 0 ? "" : ",").append('"').append("w".repeat(60)).append(String.format("%04d", i)).append('"');
    }
    String body = b.append("]}").toString();
    assertTrue(body.getBytes(StandardCharsets.UTF_8).length > SmsRoutes.MAX_FORM_BODY, "the failing case");
    Api.Resp r = api.call(HttpMethod.PUT, "/api/v1/incidents/FORM1/watch-terms", responder, body, "Content-Type", FORM);
    assertEquals(200, r.status(), r.text());
    assertEquals(1000, r.json().path("terms").size());
  }

  @Test
  void aMultipartBodyIsNoJsonObject() {
    String person = api.login("+15553200002");
    Api.Resp r = api.call(HttpMethod.POST, "/api/v1/checkins", person, "{\"status\":\"safe\"} %",
        "Content-Type", "multipart/form-data; boundary=x");
    assertEquals(400, r.status(), r.text());
    assertEquals("invalid_request", r.errorCode());
    assertEquals(404, api.get("/api/v1/people/+15553200002/status", person).status(), "nothing stored");
  }
}
