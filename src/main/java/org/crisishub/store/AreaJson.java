package org.crisishub.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.domain.Area;
import org.crisishub.domain.HubException;

/**
 * The wire and storage form of an {@link Area}: {@code {type: "circle", lat, lon, radiusM}} or
 * {@code {type: "polygon", points: [[lat, lon], ...]}}. Kept out of domain/ so that the domain has no
 * JSON library. Thread-safe.
 */
public final class AreaJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AreaJson() {
  }

  public static ObjectNode toJson(Area a) {
    ObjectNode n = JSON.createObjectNode();
    n.put("type", a.type());
    if ("circle".equals(a.type())) {
      n.put("lat", a.lat());
      n.put("lon", a.lon());
      n.put("radiusM", a.radiusM());
    } else {
      ArrayNode arr = n.putArray("points");
      for (double[] p : a.points()) {
        arr.addArray().add(p[0]).add(p[1]);
      }
    }
    return n;
  }

  /**
   * Reads the form of {@link #toJson}.
   *
   * @throws HubException {@code invalid_request} when it is not a valid area
   */
  public static Area fromJson(JsonNode n) {
    if (n == null || !n.isObject()) {
      throw HubException.invalid("area must be {type: circle, lat, lon, radiusM} or {type: polygon, points}");
    }
    String type = n.path("type").asText("");
    if (type.equals("circle")) {
      if (!n.path("lat").isNumber() || !n.path("lon").isNumber() || !n.path("radiusM").isNumber()) {
        throw HubException.invalid("a circle needs numbers lat, lon and radiusM");
      }
      return Area.circle(n.get("lat").doubleValue(), n.get("lon").doubleValue(), n.get("radiusM").doubleValue());
    }
    if (type.equals("polygon")) {
      JsonNode pts = n.path("points");
      if (!pts.isArray()) {
        throw HubException.invalid("a polygon needs points: [[lat, lon], ...]");
      }
      List<double[]> list = new ArrayList<>();
      for (JsonNode p : pts) {
        if (!p.isArray() || p.size() != 2 || !p.get(0).isNumber() || !p.get(1).isNumber()) {
          throw HubException.invalid("a polygon needs points: [[lat, lon], ...]");
        }
        list.add(new double[] {p.get(0).doubleValue(), p.get(1).doubleValue()});
      }
      return Area.polygon(list);
    }
    throw HubException.invalid("area.type must be circle or polygon");
  }

  /**
   * Reads a stored area as it was stored, without validating it again: an area stored before a rule
   * was tightened (a self-crossing polygon accepted by an older version) still loads.
   */
  public static Area fromJson(String json) {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a stored area is not valid JSON", e);
    }
    if ("circle".equals(n.path("type").asText())) {
      return new Area("circle", n.path("lat").doubleValue(), n.path("lon").doubleValue(),
          n.path("radiusM").doubleValue(), null);
    }
    List<double[]> list = new ArrayList<>();
    for (JsonNode p : n.path("points")) {
      list.add(new double[] {p.path(0).doubleValue(), p.path(1).doubleValue()});
    }
    return new Area("polygon", null, null, null, List.copyOf(list));
  }
}
