package org.crisishub.it;

import org.junit.jupiter.api.DisplayName;

/** The same template scenarios with the hub on Redis (a real redis-server of the test's own; see TemplatesIT#start). */
@DisplayName("Templates on the Redis store: reviewed once, filled and published by one publisher, in several languages")
class TemplatesRedisIT extends TemplatesIT {
}
