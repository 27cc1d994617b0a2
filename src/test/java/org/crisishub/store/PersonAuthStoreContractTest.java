package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.crisishub.domain.Area;
import org.crisishub.domain.Incident;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.crisishub.domain.Channel;
import org.crisishub.domain.CheckIn;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.CheckInResult;
import org.crisishub.domain.FollowState;
import org.crisishub.domain.Location;
import org.crisishub.domain.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link PersonAuthStore} (one-time codes),
 * on every engine (one subclass per engine). The concern is reached through
 * {@link Store#personAuth}; other concerns of the same store set the scene.
 */
public abstract class PersonAuthStoreContractTest extends StoreTestBase {
  protected PersonAuthStore auth;

  @BeforeEach
  void concern() {
    auth = store.personAuth();
  }

  @Test
  @DisplayName("one-time codes: single use, expire, and die after too many wrong tries")
  void otp() throws Exception {
    String p = "+15550000030";
    await(auth.saveOtp(p, "h1", T0.plusSeconds(600)));
    assertEquals(Store.OtpOutcome.WRONG, await(auth.checkOtp(p, "bad", T0, 3)));
    assertEquals(Store.OtpOutcome.OK, await(auth.checkOtp(p, "h1", T0, 3)));
    assertEquals(Store.OtpOutcome.NONE, await(auth.checkOtp(p, "h1", T0, 3)), "single use");
    await(auth.saveOtp(p, "h2", T0.plusSeconds(600)));
    assertEquals(Store.OtpOutcome.NONE, await(auth.checkOtp(p, "h2", T0.plusSeconds(601), 3)), "expired");
    await(auth.saveOtp(p, "h3", T0.plusSeconds(600)));
    for (int i = 0; i < 3; i++) {
      assertEquals(Store.OtpOutcome.WRONG, await(auth.checkOtp(p, "x", T0, 3)));
    }
    assertEquals(Store.OtpOutcome.NONE, await(auth.checkOtp(p, "h3", T0, 3)), "dead after 3 wrong tries");
  }
}
