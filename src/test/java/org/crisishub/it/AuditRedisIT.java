package org.crisishub.it;

import org.junit.jupiter.api.DisplayName;

/** The same audit scenarios with the hub on Redis (a real redis-server of the test's own; see AuditIT#start). */
@DisplayName("Audit trail on the Redis store: one entry per change and per refusal, paged, verified, kept head")
class AuditRedisIT extends AuditIT {
}
