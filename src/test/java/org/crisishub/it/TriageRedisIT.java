package org.crisishub.it;

import org.junit.jupiter.api.DisplayName;

/** The same triage scenarios with the hub on Redis (a real redis-server of the test's own; see TriageIT#start). */
@DisplayName("Triage on the Redis store: keyword watch and reply threads by web and SMS")
class TriageRedisIT extends TriageIT {
}
