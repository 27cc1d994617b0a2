package org.crisishub.it;

import org.junit.jupiter.api.DisplayName;

/** The escalation scenarios with the hub on Redis (a real redis-server of the test's own; see SafetyEscalationIT#start). */
@DisplayName("Safety checks, escalation, on the Redis store")
class SafetyEscalationRedisIT extends SafetyEscalationIT {
}
