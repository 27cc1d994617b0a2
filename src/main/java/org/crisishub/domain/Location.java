package org.crisishub.domain;

/** Where a person says they are. {@code accuracyM} may be null. */
public record Location(double lat, double lon, Double accuracyM) {
  public Location {
    if (!Double.isFinite(lat) || lat < -90 || lat > 90) {
      throw HubException.invalid("location.lat must be between -90 and 90");
    }
    if (!Double.isFinite(lon) || lon < -180 || lon > 180) {
      throw HubException.invalid("location.lon must be between -180 and 180");
    }
    if (accuracyM != null && (!Double.isFinite(accuracyM) || accuracyM < 0 || accuracyM > 1_000_000)) {
      throw HubException.invalid("location.accuracyM must be between 0 and 1000000");
    }
  }
}
