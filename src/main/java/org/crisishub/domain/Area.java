package org.crisishub.domain;

import java.util.List;

/**
 * An incident's area: a circle ({@code lat, lon, radiusM}) or a polygon (a closed ring of at least
 * four {@code [lat, lon]} points, first equal to last, as CAP requires; an open ring is closed).
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
    return new Area("polygon", null, null, null, List.copyOf(ring));
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

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** The wire and storage form: {@code {type: circle, lat, lon, radiusM}} or {@code {type: polygon, points}}. */
  public com.fasterxml.jackson.databind.node.ObjectNode toJson() {
    var n = JSON.createObjectNode();
    n.put("type", type);
    if ("circle".equals(type)) {
      n.put("lat", lat);
      n.put("lon", lon);
      n.put("radiusM", radiusM);
    } else {
      var arr = n.putArray("points");
      for (double[] p : points) {
        arr.addArray().add(p[0]).add(p[1]);
      }
    }
    return n;
  }

  /**
   * Reads the form of {@link #toJson()}.
   *
   * @throws HubException {@code invalid_request} when it is not a valid area
   */
  public static Area fromJson(com.fasterxml.jackson.databind.JsonNode n) {
    if (n == null || !n.isObject()) {
      throw HubException.invalid("area must be {type: circle, lat, lon, radiusM} or {type: polygon, points}");
    }
    String type = n.path("type").asText("");
    if (type.equals("circle")) {
      if (!n.path("lat").isNumber() || !n.path("lon").isNumber() || !n.path("radiusM").isNumber()) {
        throw HubException.invalid("a circle needs numbers lat, lon and radiusM");
      }
      return circle(n.get("lat").doubleValue(), n.get("lon").doubleValue(), n.get("radiusM").doubleValue());
    }
    if (type.equals("polygon")) {
      var pts = n.path("points");
      if (!pts.isArray()) {
        throw HubException.invalid("a polygon needs points: [[lat, lon], ...]");
      }
      List<double[]> list = new java.util.ArrayList<>();
      for (var p : pts) {
        if (!p.isArray() || p.size() != 2 || !p.get(0).isNumber() || !p.get(1).isNumber()) {
          throw HubException.invalid("a polygon needs points: [[lat, lon], ...]");
        }
        list.add(new double[] {p.get(0).doubleValue(), p.get(1).doubleValue()});
      }
      return polygon(list);
    }
    throw HubException.invalid("area.type must be circle or polygon");
  }

  public static Area fromJson(String json) {
    try {
      return fromJson(JSON.readTree(json));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw HubException.invalid("area is not valid JSON");
    }
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
