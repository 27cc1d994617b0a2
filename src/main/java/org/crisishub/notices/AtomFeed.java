package org.crisishub.notices;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.StringWriter;
import java.util.List;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.crisishub.domain.Incident;

/** An incident's published notices as an Atom feed (RFC 4287), each entry linking its CAP XML. */
public final class AtomFeed {
  private static final XMLOutputFactory XML = XMLOutputFactory.newFactory();

  private AtomFeed() {
  }

  /** {@code notices}: the signed notices, newest first. */
  public static String render(Incident incident, List<JsonNode> notices, String publicUrl) {
    StringWriter out = new StringWriter();
    try {
      XMLStreamWriter w = XML.createXMLStreamWriter(out);
      w.writeStartDocument("UTF-8", "1.0");
      w.writeStartElement("feed");
      w.writeDefaultNamespace("http://www.w3.org/2005/Atom");
      CapXml.el(w, "id", "urn:crisishub:incident:" + incident.code());
      CapXml.el(w, "title", incident.name() + " (" + incident.code() + ") - official notices");
      CapXml.el(w, "updated", notices.isEmpty() ? incident.createdAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
          .toString() : notices.get(0).path("sent").asText());
      link(w, "self", "application/atom+xml", publicUrl + "/api/v1/incidents/" + incident.code() + "/notices.atom");
      for (JsonNode n : notices) {
        w.writeStartElement("entry");
        CapXml.el(w, "id", "urn:uuid:" + n.path("id").asText());
        CapXml.el(w, "title", n.path("headline").asText());
        CapXml.el(w, "updated", n.path("sent").asText());
        w.writeStartElement("author");
        CapXml.el(w, "name", n.path("agency").asText());
        w.writeEndElement();
        w.writeEmptyElement("category");
        w.writeAttribute("term", n.path("msgType").asText());
        link(w, "alternate", "application/cap+xml", publicUrl + "/api/v1/notices/" + n.path("id").asText() + ".cap");
        CapXml.el(w, "summary", n.path("body").asText());
        w.writeEndElement();
      }
      w.writeEndElement();
      w.writeEndDocument();
      w.close();
    } catch (XMLStreamException e) {
      throw new IllegalStateException("cannot write Atom", e);
    }
    return out.toString();
  }

  private static void link(XMLStreamWriter w, String rel, String type, String href) throws XMLStreamException {
    w.writeEmptyElement("link");
    w.writeAttribute("rel", rel);
    w.writeAttribute("type", type);
    w.writeAttribute("href", href);
  }
}
