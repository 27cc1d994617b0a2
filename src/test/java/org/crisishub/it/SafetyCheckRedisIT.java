package org.crisishub.it;

import org.junit.jupiter.api.DisplayName;

/** The same safety-check scenarios with the hub on Redis (a real redis-server of the test's own; see SafetyCheckIT#start). */
@DisplayName("Safety checks on the Redis store: audience, asks, answers on every channel, delivery, tallies, estimate")
class SafetyCheckRedisIT extends SafetyCheckIT {
}
