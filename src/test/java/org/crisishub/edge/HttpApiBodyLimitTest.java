package org.crisishub.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Which API bodies may be longer than {@link HttpApi#MAX_BODY}, and that the contract's lists fit. */
class HttpApiBodyLimitTest {

  @Test
  void aSafetyCheckDraftHolds5000NumbersAsPeopleWriteThem() {
    StringBuilder b = new StringBuilder("{\"question\":\"").append("q".repeat(280))
        .append("\",\"audience\":{\"joined\":false,\"inArea\":false,\"numbers\":[");
    for (int i = 0; i < 5000; i++) {
      b.append(i == 0 ? "" : ", ").append(String.format("\"+1 (555) %03d-%04d\"", i / 10000, i % 10000));
    }
    b.append("]},\"escalation\":{\"repeatAfterSeconds\":600,\"followersAfterSeconds\":1800}}");
    int size = b.toString().getBytes(StandardCharsets.UTF_8).length;
    assertTrue(size > HttpApi.MAX_BODY, "the case the general limit refused: " + size);
    int limit = HttpApi.bodyLimit(HttpMethod.POST, "/api/v1/incidents/FLOOD7/safety-checks");
    assertTrue(size <= limit, size + " bytes must fit in " + limit);
  }

  @Test
  void onlyTheDraftAndTheWatchTermsGetTheLongerLimits() {
    assertEquals(HttpApi.MAX_SAFETY_CHECK_BODY, HttpApi.bodyLimit(HttpMethod.POST, "/api/v1/incidents/flood7/safety-checks"));
    assertEquals(HttpApi.MAX_WATCH_TERMS_BODY, HttpApi.bodyLimit(HttpMethod.PUT, "/api/v1/incidents/FLOOD7/watch-terms"));
    assertEquals(HttpApi.MAX_BODY, HttpApi.bodyLimit(HttpMethod.PUT, "/api/v1/incidents/FLOOD7/safety-checks"));
    assertEquals(HttpApi.MAX_BODY, HttpApi.bodyLimit(HttpMethod.POST, "/api/v1/incidents/FLOOD7/safety-checks/x"));
    assertEquals(HttpApi.MAX_BODY, HttpApi.bodyLimit(HttpMethod.POST, "/api/v1/incidents/A/B/safety-checks"));
    assertEquals(HttpApi.MAX_BODY, HttpApi.bodyLimit(HttpMethod.POST, "/api/v1/safety-checks/x/answers"));
    assertEquals(HttpApi.MAX_BODY, HttpApi.bodyLimit(HttpMethod.POST, "/api/v1/checkins"));
  }
}
