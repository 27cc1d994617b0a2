package org.crisishub.domain;

import java.time.Instant;

/**
 * A stored check-in. {@code seq} increases by one per person, starting at 1; {@code note},
 * {@code location} and {@code incident} may be null (absent).
 */
public record CheckIn(
    String id,
    String phone,
    Status status,
    String note,
    Location location,
    String incident,
    Channel channel,
    Instant at,
    long seq) {
}
