package org.crisishub.domain;

import java.util.List;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.Polygon;
import org.locationtech.jts.operation.valid.IsValidOp;
import org.locationtech.jts.operation.valid.TopologyValidationError;

/**
 * An incident's area: a circle ({@code lat, lon, radiusM}) or a polygon (a closed ring of at least
 * four {@code [lat, lon]} points, first equal to last, as CAP requires; an open ring is closed).
 * A polygon must be simple and enclose an area (checked with JTS): a self-crossing ("bowtie") ring or
 * one whose points lie on a line is refused with {@code invalid_request}. The JSON form is read and
 * written by {@code store.AreaJson}. Immutable and thread-safe.
 */
public record Area(String type, Double lat, Double lon, Double radiusM, List<double[]> points) {

  public static Area circle(double lat, double lon, double radiusM) {
    new Location(lat, lon, null);
    if (!(radiusM > 0) || radiusM > 5_000_000) {
      throw HubException.invalid("area.radiusM must be between 0 and 5000000");
    }
    return new Area("circle", lat, lon, radiusM, null);
  }

  public static Area polygon(List<double[]> points) {
    if (points == null || points.size() < 3 || points.size() > 1000) {
      throw HubException.invalid("area.points must hold 3 to 1000 [lat, lon] points");
    }
    for (double[] p : points) {
      if (p.length != 2) {
        throw HubException.invalid("area.points must be [lat, lon] pairs");
      }
      new Location(p[0], p[1], null);
    }
    List<double[]> ring = new java.util.ArrayList<>(points);
    double[] first = ring.get(0);
    double[] last = ring.get(ring.size() - 1);
    if (first[0] != last[0] || first[1] != last[1]) {
      ring.add(first.clone());
    }
    if (ring.size() < 4) {
      throw HubException.invalid("area.points must describe a polygon of at least three corners");
    }
    validate(ring);
    return new Area("polygon", null, null, null, List.copyOf(ring));
  }

  private static final GeometryFactory GEOMETRY = new GeometryFactory();

  /**
   * Checks the ring with JTS as a planar polygon (x = lon, y = lat): it must be valid in the OGC sense
   * (no self-crossing as in a "bowtie", no spike, no repeated ring) and enclose a positive area.
   */
  private static void validate(List<double[]> ring) {
    Coordinate[] cs = new Coordinate[ring.size()];
    for (int i = 0; i < cs.length; i++) {
      cs[i] = new Coordinate(ring.get(i)[1], ring.get(i)[0]);
    }
    Polygon polygon;
    try {
      polygon = GEOMETRY.createPolygon(cs);
    } catch (IllegalArgumentException e) {
      throw HubException.invalid("area.points do not describe a polygon: " + e.getMessage());
    }
    if (!(polygon.getArea() > 0)) {
      throw HubException.invalid("area.points enclose no area");
    }
    TopologyValidationError error = new IsValidOp(polygon).getValidationError();
    if (error != null) {
      throw HubException.invalid("area.points do not describe a simple polygon: "
          + error.getMessage().toLowerCase(java.util.Locale.ROOT) + " near [" + error.getCoordinate().y + ", "
          + error.getCoordinate().x + "]");
    }
  }

  /** True when {@code l} lies inside this area (great-circle distance for circles; ray casting for polygons). */
  public boolean contains(Location l) {
    if ("circle".equals(type)) {
      return distanceM(lat, lon, l.lat(), l.lon()) <= radiusM;
    }
    boolean inside = false;
    for (int i = 0, j = points.size() - 1; i < points.size(); j = i++) {
      double[] a = points.get(i);
      double[] b = points.get(j);
      if ((a[1] > l.lon()) != (b[1] > l.lon())
          && l.lat() < (b[0] - a[0]) * (l.lon() - a[1]) / (b[1] - a[1]) + a[0]) {
        inside = !inside;
      }
    }
    return inside;
  }

  static double distanceM(double lat1, double lon1, double lat2, double lon2) {
    double r = 6_371_000;
    double dLat = Math.toRadians(lat2 - lat1);
    double dLon = Math.toRadians(lon2 - lon1);
    double a = Math.sin(dLat / 2) * Math.sin(dLat / 2)
        + Math.cos(Math.toRadians(lat1)) * Math.cos(Math.toRadians(lat2)) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
  }
}
