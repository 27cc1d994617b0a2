package org.crisishub.notices;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.StringWriter;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.crisishub.domain.Area;
import org.crisishub.domain.Incident;

/**
 * A signed notice as an OASIS CAP 1.2 alert. Element order follows the CAP 1.2 schema; times get
 * the {@code +00:00} offset the schema requires; {@code references} become CAP's
 * {@code sender,identifier,sent}. Pure and thread-safe.
 */
public final class CapXml {
  public static final String NS = "urn:oasis:names:tc:emergency:cap:1.2";
  private static final XMLOutputFactory XML = XMLOutputFactory.newFactory();

  private CapXml() {
  }

  /** CAP's dateTime: {@code 2026-11-22T14:05:09+00:00}. */
  static String capTime(String rfc3339Utc) {
    return rfc3339Utc.endsWith("Z") ? rfc3339Utc.substring(0, rfc3339Utc.length() - 1) + "+00:00" : rfc3339Utc;
  }

  /**
   * @param notice the signed notice
   * @param referenced the notice it references (null when none)
   * @param incident its incident, for the area geometry (may be null)
   */
  public static String render(JsonNode notice, JsonNode referenced, Incident incident) {
    StringWriter out = new StringWriter();
    try {
      XMLStreamWriter w = XML.createXMLStreamWriter(out);
      w.writeStartDocument("UTF-8", "1.0");
      w.writeStartElement("alert");
      w.writeDefaultNamespace(NS);
      el(w, "identifier", notice.path("id").asText());
      el(w, "sender", notice.path("sender").asText());
      el(w, "sent", capTime(notice.path("sent").asText()));
      el(w, "status", "Actual");
      el(w, "msgType", notice.path("msgType").asText());
      el(w, "scope", "Public");
      if (referenced != null) {
        el(w, "references", referenced.path("sender").asText() + "," + referenced.path("id").asText() + ","
            + capTime(referenced.path("sent").asText()));
      }
      el(w, "incidents", notice.path("incident").asText());
      // One <info> per language (CAP 1.2 §3.2.2): the main texts, then each variant, the rest alike.
      info(w, notice, incident, notice.path("language").asText(null), notice.path("headline").asText(),
          notice.path("body").asText());
      for (JsonNode v : notice.path("variants")) {
        info(w, notice, incident, v.path("language").asText(), v.path("headline").asText(), v.path("body").asText());
      }
      w.writeEndElement();
      w.writeEndDocument();
      w.close();
    } catch (XMLStreamException e) {
      throw new IllegalStateException("cannot write CAP XML", e);
    }
    return out.toString();
  }

  private static void info(XMLStreamWriter w, JsonNode notice, Incident incident, String language, String headline,
      String body) throws XMLStreamException {
    w.writeStartElement("info");
    if (language != null) {
      el(w, "language", language);
    }
    el(w, "category", notice.path("category").asText());
    el(w, "event", notice.path("event").asText());
    el(w, "urgency", notice.path("urgency").asText());
    el(w, "severity", notice.path("severity").asText());
    el(w, "certainty", notice.path("certainty").asText());
    if (notice.hasNonNull("expires")) {
      el(w, "expires", capTime(notice.path("expires").asText()));
    }
    el(w, "senderName", notice.path("agency").asText());
    el(w, "headline", headline);
    el(w, "description", body);
    Area area = incident == null ? null : incident.area();
    if (notice.hasNonNull("area") || area != null) {
      w.writeStartElement("area");
      el(w, "areaDesc", notice.hasNonNull("area") ? notice.path("area").asText() : incident.name());
      if (area != null && "polygon".equals(area.type())) {
        StringBuilder p = new StringBuilder();
        for (double[] pt : area.points()) {
          p.append(p.length() == 0 ? "" : " ").append(pt[0]).append(',').append(pt[1]);
        }
        el(w, "polygon", p.toString());
      } else if (area != null) {
        el(w, "circle", area.lat() + "," + area.lon() + " " + (area.radiusM() / 1000.0));
      }
      w.writeEndElement();
    }
    w.writeEndElement();
  }

  static void el(XMLStreamWriter w, String name, String text) throws XMLStreamException {
    w.writeStartElement(name);
    w.writeCharacters(text);
    w.writeEndElement();
  }
}
