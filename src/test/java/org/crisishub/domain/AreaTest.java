package org.crisishub.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Incident areas: simple polygons with an area, circles with a radius")
class AreaTest {
  static List<double[]> pts(double... latLon) {
    java.util.ArrayList<double[]> l = new java.util.ArrayList<>();
    for (int i = 0; i < latLon.length; i += 2) {
      l.add(new double[] {latLon[i], latLon[i + 1]});
    }
    return l;
  }

  static void refused(String why, List<double[]> points) {
    HubException e = assertThrows(HubException.class, () -> Area.polygon(points), why);
    assertEquals(ErrorCode.INVALID_REQUEST, e.code(), why);
  }

  @Test
  @DisplayName("a square is accepted, closed, and contains its centre but not a point outside")
  void square() {
    Area a = Area.polygon(pts(38.0, -122.0, 38.0, -121.9, 38.1, -121.9, 38.1, -122.0));
    assertEquals(5, a.points().size());
    assertTrue(a.contains(new Location(38.05, -121.95, null)));
    assertFalse(a.contains(new Location(38.2, -121.95, null)));
  }

  @Test
  @DisplayName("self-crossing, zero-area and degenerate polygons are refused")
  void degenerate() {
    refused("bowtie", pts(38.0, -122.0, 38.1, -121.9, 38.0, -121.9, 38.1, -122.0));
    refused("bowtie, closed", pts(0, 0, 1, 1, 1, 0, 0, 1, 0, 0));
    refused("points on a line", pts(0, 0, 1, 1, 2, 2));
    refused("points on a line, closed", pts(0, 0, 1, 0, 2, 0, 0, 0));
    refused("one point three times", pts(5, 5, 5, 5, 5, 5));
    refused("a spike back along an edge", pts(0, 0, 0, 2, 0, 1, 1, 1));
    refused("a figure eight touching itself", pts(0, 0, 0, 2, 1, 1, 2, 2, 2, 0, 1, 1));
    refused("too few points", pts(0, 0, 1, 1));
  }

  @Test
  @DisplayName("circles need a positive radius")
  void circles() {
    assertThrows(HubException.class, () -> Area.circle(10, 10, 0));
    assertThrows(HubException.class, () -> Area.circle(10, 10, -5));
    assertThrows(HubException.class, () -> Area.circle(10, 10, Double.NaN));
    assertTrue(Area.circle(10, 10, 1000).contains(new Location(10, 10, null)));
  }
}
