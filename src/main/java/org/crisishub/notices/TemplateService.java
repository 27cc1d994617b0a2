package org.crisishub.notices;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.crisishub.domain.Cap;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.NoticeTemplate;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsReplies;
import org.crisishub.domain.SmsText;
import org.crisishub.store.TemplateStore;
import org.crisishub.store.TemplateStore.Template;
import org.crisishub.store.TemplateStore.Version;

/**
 * Notice templates (docs/notices.md, "Templates"): content reviewed once, published fast. A
 * publisher of an agency writes a template (version 1, a draft) or a new version of it; an approver
 * of the same agency who did not write that version approves it; notices are then made from the
 * latest approved version with only placeholder values filled in ({@link #forNotice}). The audit
 * entries of these requests are written by the edge (like every responder request). Thread-safe;
 * never blocks.
 */
public final class TemplateService {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final TemplateStore templates;
  private final Clock clock;

  /**
   * A template as shown: its pointers, one version and that version's content.
   *
   * @param template identity, agency, latest and approved version numbers
   * @param version the version shown (the latest, unless one was asked for)
   */
  public record View(Template template, Version version, NoticeTemplate content) {
  }

  /** The texts of a notice made from a template: the approved version used and the filled texts. */
  public record Filled(View view, List<NoticeTemplate.Text> texts, String event) {
  }

  public TemplateService(TemplateStore templates, Clock clock) {
    this.templates = templates;
    this.clock = clock;
  }

  // ---------------------------------------------------------------- writing

  /** A template's content as parsed from a request body, and the JSON it is stored as. */
  private record Parsed(NoticeTemplate content, String json) {
  }

  /** Parses a request body into a template; fails {@code invalid_request} (a {@link HubException}). */
  private Parsed parsed(JsonNode in) {
    NoticeTemplate content = parse(in);
    try {
      return new Parsed(content, JSON.writeValueAsString(content));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a template as JSON", e);
    }
  }

  /** A new template from a request body; {@code who} needs the {@code publisher} role. */
  public Future<View> create(Responder who, JsonNode in) {
    if (!who.can(Responder.PUBLISHER)) {
      return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN,
          "writing templates needs the publisher role"));
    }
    Parsed p;
    try {
      p = parsed(in);
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    NoticeTemplate content = p.content();
    String json = p.json();
    String id = UUID.randomUUID().toString();
    var now = clock.instant();
    Template t = new Template(id, who.agency(), now, 1, null);
    Version v = new Version(id, 1, who.username(), json, "draft", null, now, null);
    return templates.createTemplate(t, v).map(new View(t, v, content));
  }

  /** A new version (a draft) of template {@code id}; the approved one stays in use until this one is approved. */
  public Future<View> update(Responder who, String id, JsonNode in) {
    return own(who, id, "template.update").compose(t -> {
      if (!who.can(Responder.PUBLISHER)) {
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN,
            "writing templates needs the publisher role"));
      }
      Parsed p;
      try {
        p = parsed(in);
      } catch (HubException e) {
        return Future.failedFuture(e);
      }
      NoticeTemplate content = p.content();
      String json = p.json();
      return templates.addVersion(id, who.username(), json, clock.instant()).compose(n -> n.isEmpty()
          ? Future.failedFuture(HubException.notFound("no such template"))
          : get(who, id, n.get()));
    });
  }

  /**
   * Approves the template's latest version: an approver of its agency who did not write that
   * version ({@code forbidden} otherwise); {@code conflict} when the latest version is already
   * approved or a newer one arrived meanwhile.
   */
  public Future<View> approve(Responder who, String id) {
    return own(who, id, "template.approve").compose(t -> {
      if (!who.can(Responder.APPROVER)) {
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN,
            "approving templates needs the approver role"));
      }
      return version(t, t.latestVersion()).compose(v -> {
        if (!"draft".equals(v.state())) {
          return Future.failedFuture(new HubException(ErrorCode.CONFLICT,
              "version " + v.version() + " is already approved"));
        }
        if (who.username().equals(v.author())) {
          return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN,
              "two-person rule: a template version must be approved by someone other than its author"));
        }
        return templates.approveVersion(id, v.version(), who.username(), clock.instant()).compose(ok -> ok
            ? get(who, id, v.version())
            : Future.failedFuture(new HubException(ErrorCode.CONFLICT,
                "the template changed meanwhile: approve its latest version")));
      });
    });
  }

  // ---------------------------------------------------------------- reading

  /** The caller's agency's templates, latest versions, by name. */
  public Future<List<View>> list(Responder who) {
    return templates.templates(who.agency()).compose(list -> Future.all(list.stream()
        .map(t -> version(t, t.latestVersion()).map(v -> new View(t, v, content(v)))).toList())
        .map(all -> {
          List<View> out = new ArrayList<>();
          for (int i = 0; i < all.size(); i++) {
            out.add(all.resultAt(i));
          }
          out.sort(Comparator.comparing((View v) -> v.content().name().toLowerCase(java.util.Locale.ROOT))
              .thenComparing(v -> v.template().id()));
          return out;
        }));
  }

  /**
   * One version of a template of the caller's agency ({@code version} 0: the latest);
   * {@code not_found} for an unknown template or version, {@code forbidden} for another agency's.
   */
  public Future<View> get(Responder who, String id, int version) {
    return own(who, id, "template.read").compose(t -> version(t, version == 0 ? t.latestVersion() : version)
        .map(v -> new View(t, v, content(v))));
  }

  /**
   * The latest approved version of template {@code id} of the caller's agency with {@code values}
   * filled in, every language: {@code conflict} while no version is approved,
   * {@code invalid_request} for values that break the template's rules.
   */
  public Future<Filled> forNotice(Responder who, String id, Map<String, String> values) {
    return own(who, id, "notice.draft").compose(t -> {
      if (t.approvedVersion() == null) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT,
            "the template has no approved version yet"));
      }
      return version(t, t.approvedVersion()).map(v -> {
        NoticeTemplate c = content(v);
        return new Filled(new View(t, v, c), c.fill(values), c.filledEvent(values));
      });
    });
  }

  /**
   * What a notice from the template would say, in every language, with the SMS it would take:
   * {@code [{language, headline, body, sms, smsSegments, smsEncoding}]}. {@code version} 0: the
   * latest approved ({@code conflict} while none); {@code incident} (may be null) names the
   * incident in the SMS text.
   */
  public Future<Preview> preview(Responder who, String id, int version, Map<String, String> values, String incident) {
    return own(who, id, "template.preview").compose(t -> {
      int n = version != 0 ? version : t.approvedVersion() == null ? 0 : t.approvedVersion();
      if (n == 0) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "the template has no approved version yet"));
      }
      return version(t, n).map(v -> {
        NoticeTemplate c = content(v);
        List<PreviewText> out = new ArrayList<>();
        for (NoticeTemplate.Text x : c.fill(values)) {
          String full = NoticeService.smsText(incident == null ? "CODE" : incident, who.agency(), x.headline(), x.body());
          String sms = SmsText.fit(full, SmsReplies.NOTICE_SEGMENTS);
          out.add(new PreviewText(x.language(), x.headline(), x.body(), sms, SmsText.segments(sms),
              SmsText.isGsm7(sms) ? "GSM-7" : "UCS-2", !sms.equals(full)));
        }
        return new Preview(new View(t, v, c), out);
      });
    });
  }

  /** A preview: the version used and one text per language. */
  public record Preview(View view, List<PreviewText> texts) {
  }

  /** One language of a preview; {@code smsCut}: the SMS is shortened to fit its segments. */
  public record PreviewText(String language, String headline, String body, String sms, int smsSegments,
      String smsEncoding, boolean smsCut) {
  }

  // ---------------------------------------------------------------- helpers

  /** The template when it exists ({@code not_found}) and belongs to the caller's agency ({@code forbidden}). */
  private Future<Template> own(Responder who, String id, String action) {
    return templates.template(id).compose(t -> {
      if (t.isEmpty()) {
        return Future.failedFuture(HubException.notFound("no such template"));
      }
      if (!t.get().agency().equalsIgnoreCase(who.agency())) {
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN, "the template belongs to another agency"));
      }
      return Future.succeededFuture(t.get());
    });
  }

  private Future<Version> version(Template t, int n) {
    return templates.version(t.id(), n).compose(v -> v.isPresent() ? Future.succeededFuture(v.get())
        : Future.failedFuture(HubException.notFound("no such template version")));
  }

  private static NoticeTemplate content(Version v) {
    try {
      return JSON.readValue(v.contentJson(), NoticeTemplate.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored template " + v.templateId() + " v" + v.version() + " is not readable", e);
    }
  }

  /**
   * A template from a request body: {@code name, headline, body, severity, urgency, certainty,
   * event?, category?, area?, language?, variants?, placeholders}.
   */
  static NoticeTemplate parse(JsonNode in) {
    String language = in.hasNonNull("language") ? NoticeTemplate.language("language", string(in, "language", true))
        : "en";
    String event = string(in, "event", false);
    if (event != null && event.codePointCount(0, event.length()) > NoticeTemplate.MAX_HEADLINE) {
      throw HubException.invalid("event must be at most " + NoticeTemplate.MAX_HEADLINE + " characters");
    }
    String category = string(in, "category", false);
    String area = string(in, "area", false);
    if (area != null && area.codePointCount(0, area.length()) > 200) {
      throw HubException.invalid("area must be at most 200 characters");
    }
    List<NoticeTemplate.Variant> variants = new ArrayList<>();
    JsonNode vs = in.get("variants");
    if (vs != null && !vs.isNull()) {
      if (!vs.isArray()) {
        throw HubException.invalid("variants must be a list of {language, headline, body}");
      }
      for (int i = 0; i < vs.size(); i++) {
        JsonNode v = vs.get(i);
        if (!v.isObject()) {
          throw HubException.invalid("variants[" + i + "] must be an object {language, headline, body}");
        }
        variants.add(new NoticeTemplate.Variant(NoticeTemplate.language("variants[" + i + "].language",
            string(v, "language", true)), string(v, "headline", true), string(v, "body", true)));
      }
    }
    Map<String, Integer> placeholders = new LinkedHashMap<>();
    JsonNode ps = in.get("placeholders");
    if (ps != null && !ps.isNull()) {
      if (!ps.isObject()) {
        throw HubException.invalid("placeholders must be an object {name: {maxLength}}");
      }
      for (var e : ps.properties()) {
        JsonNode max = e.getValue().isObject() ? e.getValue().get("maxLength") : null;
        if (max == null || !max.isIntegralNumber() || !max.canConvertToInt()) {
          throw HubException.invalid("placeholders." + e.getKey() + " needs a maxLength of 1 to "
              + NoticeTemplate.MAX_VALUE_LENGTH);
        }
        placeholders.put(e.getKey(), max.intValue());
      }
    }
    return new NoticeTemplate(string(in, "name", true), language, string(in, "headline", true),
        string(in, "body", true), event,
        category == null ? "Safety" : Cap.canonical("category", category, Cap.CATEGORY),
        Cap.canonical("severity", string(in, "severity", true), Cap.SEVERITY),
        Cap.canonical("urgency", string(in, "urgency", true), Cap.URGENCY),
        Cap.canonical("certainty", string(in, "certainty", true), Cap.CERTAINTY),
        area, variants, placeholders).validate();
  }

  private static String string(JsonNode in, String field, boolean required) {
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
    if (s.isEmpty()) {
      if (required) {
        throw HubException.invalid(field + " is required");
      }
      return null;
    }
    return s;
  }

  /**
   * {@code values} of a request: an object of strings ({@code invalid_request} otherwise). The
   * template's rules are checked by {@link NoticeTemplate#fill}.
   */
  public static Map<String, String> values(JsonNode v) {
    Map<String, String> out = new LinkedHashMap<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isObject()) {
      throw HubException.invalid("values must be an object {name: text}");
    }
    for (var e : v.properties()) {
      if (!e.getValue().isTextual()) {
        throw HubException.invalid("values." + e.getKey() + " must be a string");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return out;
  }
}
