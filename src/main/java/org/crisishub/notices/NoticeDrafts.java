package org.crisishub.notices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.UUID;
import org.crisishub.core.IncidentAccess;
import org.crisishub.core.IncidentAccess.Act;
import org.crisishub.domain.Actor;
import org.crisishub.domain.Cap;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Responder;
import org.crisishub.domain.Rfc3339;
import org.crisishub.store.IncidentRegistry;
import org.crisishub.store.NoticeBoard;
import org.crisishub.store.NoticeBoard.NoticeRecord;

/**
 * The drafting half of {@link NoticeService}: a notice draft from request fields or from a
 * template, validated (CAP values, lengths, {@code expires}, {@code references}) and stored in state
 * {@code draft}. Holds no state of its own; thread-safe as the store is. Futures complete on the
 * store's callers' context.
 */
final class NoticeDrafts {
  /** For the draft JSON of notices, a document kept (and later signed) as JSON. */
  private static final ObjectMapper JSON = new ObjectMapper();
  private final IncidentRegistry incidents;
  private final NoticeBoard board;
  private final TemplateService templates;
  private final Clock clock;

  NoticeDrafts(IncidentRegistry incidents, NoticeBoard board, TemplateService templates, Clock clock) {
    this.incidents = incidents;
    this.board = board;
    this.templates = templates;
    this.clock = clock;
  }

  /**
   * Validates a draft's request fields ({@code template} given: see {@link #draftFromTemplate}),
   * checks the incident (exists, {@code who} may draft there, open) and what it references, and
   * stores the draft. The caller checked the publisher role. Fails with {@code invalid_request},
   * {@code forbidden} or {@code conflict}, storing nothing.
   */
  Future<NoticeRecord> draft(Responder who, JsonNode in) {
    if (in.has("template")) {
      return draftFromTemplate(who, in);
    }
    ObjectNode d;
    String code;
    try {
      code = CheckInRequest.normaliseIncident(text(in, "incident", 16, true));
      d = JSON.createObjectNode();
      d.put("incident", code);
      String headline = text(in, "headline", 160, true);
      d.put("headline", headline);
      d.put("body", text(in, "body", 4000, true));
      String event = text(in, "event", 160, false);
      d.put("event", event == null ? headline : event);
      String category = text(in, "category", 20, false);
      d.put("category", category == null ? "Safety" : Cap.canonical("category", category, Cap.CATEGORY));
      d.put("severity", Cap.canonical("severity", text(in, "severity", 20, true), Cap.SEVERITY));
      d.put("urgency", Cap.canonical("urgency", text(in, "urgency", 20, true), Cap.URGENCY));
      d.put("certainty", Cap.canonical("certainty", text(in, "certainty", 20, true), Cap.CERTAINTY));
      String area = text(in, "area", 200, false);
      if (area != null) {
        d.put("area", area);
      }
      String expires = expires(text(in, "expires", 40, false));
      if (expires != null) {
        d.put("expires", expires);
      }
      String msgType = text(in, "msgType", 10, false);
      d.put("msgType", msgType == null ? "Alert" : Cap.canonical("msgType", msgType, Cap.MSG_TYPE));
      String references = text(in, "references", 64, false);
      boolean needsRef = !d.path("msgType").asText().equals("Alert");
      if (needsRef && references == null) {
        throw HubException.invalid("an Update or Cancel needs references: the id of the notice it replaces");
      }
      if (!needsRef && references != null) {
        throw HubException.invalid("references is only for msgType Update or Cancel");
      }
      if (references != null) {
        d.put("references", references);
      }
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    return incidents.incident(code).compose(inc -> {
      if (inc.isEmpty()) {
        return Future.failedFuture(HubException.invalid("incident " + code + " does not exist"));
      }
      if (!IncidentAccess.allows(inc.get(), Actor.of(who), Act.DRAFT)) {
        return Future.failedFuture(NoticeService.forbiddenFor(inc.get(), who, Act.DRAFT));
      }
      if (!inc.get().open()) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "incident " + code + " is closed"));
      }
      Future<Void> refOk = !d.has("references") ? Future.succeededFuture()
          : board.notice(d.path("references").asText()).compose(ref -> {
            if (ref.isEmpty() || !ref.get().incident().equals(code) || !"published".equals(ref.get().state())) {
              return Future.failedFuture(HubException.invalid(
                  "references must be the id of a current published notice of " + code));
            }
            return Future.succeededFuture();
          });
      return refOk.compose(x -> insertDraft(who, code, d, d.path("headline").asText()));
    });
  }

  private Future<NoticeRecord> insertDraft(Responder who, String code, ObjectNode d, String auditDetail) {
    String id = UUID.randomUUID().toString();
    d.put("id", id);
    Instant expires = d.has("expires") ? Instant.parse(d.path("expires").asText()) : null;
    NoticeRecord rec = new NoticeRecord(id, code, who.username(), who.agency(), "draft", null, d.toString(), null,
        expires, clock.instant(), null);
    return board.insertNotice(rec).map(v -> rec);
  }

  private static final Set<String> TEMPLATE_FIELDS = Set.of("incident", "template", "values", "expires");

  /**
   * A draft from the latest approved version of a template of the author's agency, with only its
   * placeholder values filled in: {@code {incident, template, values, expires?}} and nothing else.
   */
  private Future<NoticeRecord> draftFromTemplate(Responder who, JsonNode in) {
    String code;
    String templateId;
    java.util.Map<String, String> values;
    String expires;
    try {
      for (var it = in.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!TEMPLATE_FIELDS.contains(f)) {
          throw HubException.invalid("with a template only incident, values and expires may be given, not " + f);
        }
      }
      code = CheckInRequest.normaliseIncident(text(in, "incident", 16, true));
      templateId = text(in, "template", 64, true);
      values = TemplateService.values(in.get("values"));
      expires = expires(text(in, "expires", 40, false));
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    return incidents.incident(code).compose(inc -> {
      if (inc.isEmpty()) {
        return Future.failedFuture(HubException.invalid("incident " + code + " does not exist"));
      }
      if (!IncidentAccess.allows(inc.get(), Actor.of(who), Act.DRAFT)) {
        return Future.failedFuture(NoticeService.forbiddenFor(inc.get(), who, Act.DRAFT));
      }
      if (!inc.get().open()) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "incident " + code + " is closed"));
      }
      return templates.forNotice(who, templateId, values).compose(f -> {
        var c = f.view().content();
        var main = f.texts().get(0);
        ObjectNode d = JSON.createObjectNode();
        d.put("incident", code);
        d.put("headline", main.headline());
        d.put("body", main.body());
        d.put("language", main.language());
        if (f.texts().size() > 1) {
          var vs = d.putArray("variants");
          for (var t : f.texts().subList(1, f.texts().size())) {
            vs.addObject().put("language", t.language()).put("headline", t.headline()).put("body", t.body());
          }
        }
        d.put("event", f.event() == null ? main.headline() : f.event());
        d.put("category", c.category());
        d.put("severity", c.severity());
        d.put("urgency", c.urgency());
        d.put("certainty", c.certainty());
        if (c.area() != null) {
          d.put("area", c.area());
        }
        if (expires != null) {
          d.put("expires", expires);
        }
        d.put("msgType", "Alert");
        d.putObject("template").put("id", f.view().template().id()).put("version", f.view().version().version());
        return insertDraft(who, code, d, "template " + templateId + " version " + f.view().version().version());
      });
    });
  }

  /** {@code expires} as given (null when absent), checked: an RFC 3339 time in the future. */
  private String expires(String expires) {
    if (expires == null) {
      return null;
    }
    Instant e;
    try {
      e = Instant.parse(expires);
    } catch (DateTimeParseException ex) {
      throw HubException.invalid("expires must be an RFC 3339 time such as 2026-11-22T18:00:00Z");
    }
    if (!e.isAfter(clock.instant())) {
      throw HubException.invalid("expires must be in the future");
    }
    return Rfc3339.seconds(e);
  }

  private static String text(JsonNode in, String field, int max, boolean required) {
    JsonNode v = in.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw HubException.invalid(field + " is required");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw HubException.invalid(field + " must be a string");
    }
    String s = v.textValue().strip();
    if (s.isEmpty() && required) {
      throw HubException.invalid(field + " is required");
    }
    if (s.codePointCount(0, s.length()) > max) {
      throw HubException.invalid(field + " must be at most " + max + " characters");
    }
    return s.isEmpty() ? null : s;
  }
}
