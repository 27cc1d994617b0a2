package org.crisishub.notices;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.crisishub.core.IncidentAccess;
import org.crisishub.core.IncidentAccess.Act;
import org.crisishub.domain.Actor;
import org.crisishub.domain.Area;
import org.crisishub.domain.CheckInRequest;
import org.crisishub.domain.ErrorCode;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Incident;
import org.crisishub.domain.Responder;
import org.crisishub.domain.SmsReplies;
import org.crisishub.domain.SmsText;
import org.crisishub.core.DomainEvent;
import org.crisishub.core.EventSink;
import org.crisishub.domain.Rfc3339;
import org.crisishub.store.IncidentRegistry;
import org.crisishub.store.NoticeBoard;
import org.crisishub.store.TemplateStore;
import org.crisishub.store.NoticeBoard.NoticeRecord;

/**
 * Incidents and official notices: draft → (approved by a second responder where the incident has
 * the two-person rule) → published as an immutable, Ed25519-signed version. Updates and
 * cancellations are new notices referencing the one they replace. Nothing is edited in place or
 * deleted; every attempt, allowed or refused, is audited at the edge (edge.AuditedCall).
 */
public final class NoticeService {
  private final IncidentRegistry incidents;
  private final NoticeBoard board;
  private final TemplateStore templateStore;
  private final NoticeSigner signer;
  /** For the draft and signed JSON of notices, which are documents kept and signed as JSON. */
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  private final EventSink events;
  private final Clock clock;
  private final String senderDomain;
  private final Runnable smsQueued;

  /** A notice as served: the (signed, once published) object and its lifecycle state. */
  public record View(ObjectNode notice, String state, NoticeRecord record) {
  }

  private final io.micrometer.core.instrument.Counter published;

  /**
   * {@code incidents}: the incidents (and agency names) it manages; {@code board}: the notices and
   * keys; {@code templates}: the templates drafts are made from (all may be one store).
   * {@code registry} gets {@code hub.notices.published}.
   */
  public NoticeService(IncidentRegistry incidents, NoticeBoard board, TemplateStore templates, NoticeSigner signer, EventSink events, Clock clock, String publicUrl,
      Runnable smsQueued, io.micrometer.core.instrument.MeterRegistry registry) {
    this.published = io.micrometer.core.instrument.Counter.builder("hub.notices.published")
        .description("notices signed and published (updates and cancellations included)").register(registry);
    this.incidents = incidents;
    this.board = board;
    this.templateStore = templates;
    this.signer = signer;
    this.events = events;
    this.clock = clock;
    this.senderDomain = URI.create(publicUrl).getHost();
    this.smsQueued = smsQueued;
    this.templates = new TemplateService(templates, clock);
    this.drafts = new NoticeDrafts(incidents, board, this.templates, clock);
  }

  private final TemplateService templates;
  private final NoticeDrafts drafts;

  /** The notice templates of this hub (drafts made from them go through {@link #draft}). */
  public TemplateService templates() {
    return templates;
  }

  /** The SMS text of a notice to the numbers that joined its incident, before it is fitted to its segments. */
  static String smsText(String incident, String agency, String headline, String body) {
    return "OFFICIAL " + incident + " (" + agency + "): " + headline + ". " + body;
  }

  /**
   * The incident {@code code} when {@code who} may do {@code act} on it; {@code not_found} for an
   * unknown code, {@code forbidden} otherwise.
   */
  public Future<Incident> incidentFor(Actor who, String code, Act act, String action) {
    return incident(code).compose(inc -> {
      try {
        IncidentAccess.require(inc, who, act);
      } catch (HubException e) {
        return Future.failedFuture(e);
      }
      return Future.succeededFuture(inc);
    });
  }

  // ---------------------------------------------------------------- incidents

  public Future<Incident> createIncident(Responder who, String code, String name, JsonNode area, boolean twoPerson) {
    Incident inc;
    try {
      String c = CheckInRequest.normaliseIncident(code == null ? "" : code);
      if (name == null || name.isBlank() || name.length() > 200) {
        throw HubException.invalid("name must be 1 to 200 characters");
      }
      inc = new Incident(UUID.randomUUID().toString(), c, name.strip(), area == null || area.isNull() ? null
          : org.crisishub.store.AreaJson.fromJson(area), twoPerson, "open", clock.instant(), null, who.agency(), List.of());
    } catch (HubException e) {
      return Future.failedFuture(e);
    }
    return incidents.createIncident(inc).compose(created -> created
        ? Future.succeededFuture(inc)
        : Future.failedFuture(new HubException(ErrorCode.CONFLICT, "that incident code is taken")));
  }

  /** Closes an incident: a responder of its agencies, or the admin. */
  public Future<Incident> closeIncident(Actor who, String code) {
    return incidentFor(who, code, Act.CLOSE, "incident.close").compose(inc ->
        incidents.closeIncident(inc.code(), clock.instant()).compose(i -> i.isPresent()
            ? Future.succeededFuture(i.get())
            : Future.failedFuture(HubException.notFound("no such incident"))));
  }

  /**
   * Adds ({@code add}) or removes a partner agency: a responder of the owning agency, or the admin.
   * The first agency the admin adds to an incident without owner becomes its owner. Removing the
   * owner is a {@code conflict}.
   */
  public Future<Incident> partner(Actor who, String code, String agency, boolean add) {
    String action = add ? "incident.partner.add" : "incident.partner.remove";
    String a = agency == null ? "" : agency.strip();
    if (a.isEmpty() || a.length() > 100) {
      return incident(code).compose(inc -> Future.failedFuture(HubException.invalid("agency must be 1 to 100 characters")));
    }
    // One agency, one name: an agency the hub knows in another letter case keeps its first spelling.
    return incidentFor(who, code, Act.MANAGE_PARTNERS, action).compose(inc -> incidents.agencyNamed(a).compose(name -> {
      if (!add && org.crisishub.domain.Agencies.same(name, inc.agency())) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT,
            "the owning agency cannot be removed from its incident"));
      }
      return incidents.setIncidentPartner(inc.code(), name, add).compose(i -> i.isPresent()
          ? Future.succeededFuture(i.get())
          : Future.failedFuture(HubException.notFound("no such incident")));
    }));
  }

  public Future<Incident> incident(String code) {
    return incidents.existing(code);
  }

  public Future<List<Incident>> incidents() {
    return incidents.incidents();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Drafts a notice from request fields (or a template); the author needs the {@code publisher} role. */
  public Future<View> draft(Responder who, JsonNode in) {
    if (!who.can(Responder.PUBLISHER)) {
      return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN, "drafting needs the publisher role"));
    }
    return drafts.draft(who, in).map(this::view);
  }

  static HubException forbiddenFor(Incident inc, Responder who, Act act) {
    try {
      IncidentAccess.require(inc, Actor.of(who), act);
      return HubException.forbidden();
    } catch (HubException e) {
      return e;
    }
  }

  /**
   * Approves a draft. Needs the {@code approver} role; under the incident's two-person rule the
   * approver must not be the author.
   */
  public Future<View> approve(Responder who, String id) {
    return load(id).compose(rec -> {
      if (!who.can(Responder.APPROVER)) {
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN, "approving needs the approver role"));
      }
      if (!"draft".equals(rec.state())) {
        return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "only a draft can be approved"));
      }
      return incidents.incident(rec.incident()).compose(inc -> {
        if (inc.isEmpty() || !IncidentAccess.allows(inc.get(), Actor.of(who), Act.APPROVE)) {
          return Future.failedFuture(inc.isEmpty() ? HubException.forbidden()
              : forbiddenFor(inc.get(), who, Act.APPROVE));
        }
        if (inc.get().twoPersonRule() && who.username().equals(rec.author())) {
          return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN,
              "two-person rule: a notice must be approved by someone other than its author"));
        }
        return board.approveNotice(id, who.username(), clock.instant()).compose(ok -> ok
            ? load(id).map(this::view)
            : Future.failedFuture(new HubException(ErrorCode.CONFLICT, "only a draft can be approved")));
      });
    });
  }

  /**
   * Signs and publishes a notice, then delivers it to the incident's live subscribers and queues
   * it by SMS to the numbers that joined the incident. Needs the {@code publisher} role; under the
   * two-person rule the notice must have been approved.
   */
  public Future<ObjectNode> publish(Responder who, String id) {
    return load(id).compose(rec -> {
      if (!who.can(Responder.PUBLISHER)) {
        return Future.failedFuture(new HubException(ErrorCode.FORBIDDEN, "publishing needs the publisher role"));
      }
      return incidents.incident(rec.incident()).compose(inc -> {
        if (inc.isEmpty() || !IncidentAccess.allows(inc.get(), Actor.of(who), Act.PUBLISH)) {
          return Future.failedFuture(inc.isEmpty() ? HubException.forbidden()
              : forbiddenFor(inc.get(), who, Act.PUBLISH));
        }
        return preApproved(rec, who).compose(pre -> publish(who, rec, inc.get().twoPersonRule() && !pre));
      });
    });
  }

  /**
   * True when the draft was made from the version of a template of {@code who}'s agency that is
   * still that template's approved version: its content was reviewed once, so it needs no second
   * approval, also under the two-person rule.
   */
  private Future<Boolean> preApproved(NoticeRecord rec, Responder who) {
    JsonNode t = parse(rec.draftJson()).path("template");
    if (!t.isObject()) {
      return Future.succeededFuture(false);
    }
    int version = t.path("version").asInt();
    return templateStore.template(t.path("id").asText()).map(o -> o.isPresent()
        && o.get().agency().equalsIgnoreCase(who.agency()) && o.get().approvedVersion() != null
        && o.get().approvedVersion() == version);
  }

  private Future<ObjectNode> publish(Responder who, NoticeRecord rec, boolean twoPerson) {
    String id = rec.id();
    Set<String> from = twoPerson ? Set.of("approved") : Set.of("draft", "approved");
    if (!from.contains(rec.state())) {
      return Future.failedFuture(new HubException(ErrorCode.CONFLICT, twoPerson && "draft".equals(rec.state())
          ? "two-person rule: the notice must be approved by a second responder first"
          : "the notice is already " + rec.state()));
    }
    Instant now = clock.instant();
    // Signed in the name of, and with the key of, the publishing responder's agency.
    ObjectNode n = signedShape(rec, who.agency(), now);
    return signer.sign(who.agency(), n).compose(signed -> {
      String ref = signed.path("references").asText(null);
      String refState = "Cancel".equals(signed.path("msgType").asText()) ? "cancelled" : "superseded";
      String sms = SmsText.fit(smsText(rec.incident(), who.agency(), signed.path("headline").asText(),
          signed.path("body").asText()), SmsReplies.NOTICE_SEGMENTS);
      String signedJson = signed.toString();
      return board.publishNotice(id, from, signedJson, now, ref,
          refState, sms).compose(ok -> {
            if (!ok) {
              return Future.failedFuture(new HubException(ErrorCode.CONFLICT, "the notice changed meanwhile"));
            }
            smsQueued.run();
            published.increment();
            events.publish(new DomainEvent.NoticePublished(rec.incident(), signedJson));
            return Future.succeededFuture(signed);
          });
    });
  }

  /** The object that is signed: the draft's fields, who sends it, when, in the contract's order. */
  private ObjectNode signedShape(NoticeRecord rec, String agency, Instant now) {
    JsonNode d = parse(rec.draftJson());
    ObjectNode n = JSON.createObjectNode();
    n.put("id", rec.id());
    n.put("incident", rec.incident());
    n.put("agency", agency);
    n.put("sender", NoticeSigner.slug(agency) + "@" + senderDomain);
    for (String f : List.of("headline", "body", "language")) {
      if (d.hasNonNull(f)) {
        n.put(f, d.path(f).asText());
      }
    }
    if (d.has("variants")) {
      n.set("variants", d.get("variants").deepCopy());
    }
    for (String f : List.of("event", "category", "severity", "urgency", "certainty", "area")) {
      if (d.hasNonNull(f)) {
        n.put(f, d.path(f).asText());
      }
    }
    if (d.has("template")) {
      n.set("template", d.get("template").deepCopy());
    }
    n.put("sent", Rfc3339.seconds(now));
    if (d.hasNonNull("expires")) {
      n.put("expires", d.path("expires").asText());
    }
    n.put("msgType", d.path("msgType").asText());
    if (d.hasNonNull("references")) {
      n.put("references", d.path("references").asText());
    }
    return n;
  }

  private static ObjectNode parse(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalStateException("stored notice is not JSON", e);
    }
  }

  private Future<NoticeRecord> load(String id) {
    return board.notice(id).compose(o -> o.isPresent() ? Future.succeededFuture(o.get())
        : Future.failedFuture(HubException.notFound("no such notice")));
  }

  /** The lifecycle state shown to clients; {@code expired} is a published notice past its expiry. */
  String state(NoticeRecord rec) {
    return rec.shownState(clock.instant());
  }

  private View view(NoticeRecord rec) {
    ObjectNode n = rec.signedJson() != null ? parse(rec.signedJson()) : parse(rec.draftJson());
    return new View(n, state(rec), rec);
  }

  /**
   * A notice by id. Published versions (also superseded, cancelled, expired) are public; drafts
   * only for responders ({@code who} null: the public), others get {@code not_found}.
   */
  public Future<View> get(String id, Responder who) {
    return load(id).compose(rec -> {
      if (rec.signedJson() != null) {
        return Future.succeededFuture(view(rec));
      }
      if (who == null) {
        return Future.failedFuture(HubException.notFound("no such notice"));
      }
      return incidents.incident(rec.incident()).compose(inc -> inc.isPresent()
          && IncidentAccess.allows(inc.get(), Actor.of(who), Act.SEE_DRAFTS)
          ? Future.succeededFuture(view(rec)) : Future.failedFuture(HubException.notFound("no such notice")));
    });
  }

  /**
   * The approval queue and other lists, for responders: only notices of incidents their agency
   * serves; naming another agency's incident is {@code forbidden}.
   */
  public Future<List<View>> list(Responder who, String incident, String state) {
    if (incident == null) {
      return incidents.incidents().compose(all -> {
        Set<String> mine = new java.util.HashSet<>();
        for (Incident i : all) {
          if (IncidentAccess.allows(i, Actor.of(who), Act.SEE_DRAFTS)) {
            mine.add(i.code());
          }
        }
        return list(null, state).map(views -> views.stream().filter(v -> mine.contains(v.record().incident())).toList());
      });
    }
    return incidentFor(Actor.of(who), incident, Act.SEE_DRAFTS, "notice.list").compose(i -> list(i.code(), state));
  }

  private Future<List<View>> list(String incident, String state) {
    String inc = incident == null ? null : CheckInRequest.normaliseIncident(incident);
    String st = state == null ? null : state.toLowerCase(Locale.ROOT);
    if (st != null && !Set.of("draft", "approved", "published", "superseded", "cancelled", "expired").contains(st)) {
      return Future.failedFuture(HubException.invalid(
          "state must be draft, approved, published, superseded, cancelled or expired"));
    }
    String stored = "expired".equals(st) ? "published" : st;
    return board.notices(inc, stored).map(list -> {
      List<View> out = new ArrayList<>();
      for (NoticeRecord r : list) {
        View v = view(r);
        if (st == null || st.equals(v.state())) {
          out.add(v);
        }
      }
      return out;
    });
  }

  /** The signed notices ever published for an incident, newest first (public). */
  public Future<List<View>> published(String code) {
    return incident(code).compose(inc -> board.notices(inc.code(), null)).map(list -> list.stream()
        .filter(r -> r.signedJson() != null).map(this::view).toList());
  }

  /** CAP 1.2 XML of a published notice. */
  public Future<String> cap(String id) {
    return get(id, null).compose(v -> {
      String ref = v.notice().path("references").asText(null);
      Future<Optional<NoticeRecord>> refRec = ref == null ? Future.succeededFuture(Optional.empty()) : board.notice(ref);
      return refRec.compose(r -> incidents.incident(v.record().incident()).map(inc -> CapXml.render(v.notice(),
          r.filter(x -> x.signedJson() != null).map(x -> (JsonNode) parse(x.signedJson())).orElse(null),
          inc.orElse(null))));
    });
  }

  /** The incident's Atom feed. */
  public Future<String> atom(String code, String publicUrl) {
    return incident(code).compose(inc -> published(code).map(list -> AtomFeed.render(inc,
        list.stream().map(v -> (JsonNode) v.notice()).toList(), publicUrl)));
  }

  /** {@code {"keys": [JWK...]}}: every signing key, old ones too, so old notices still verify. */
  public Future<ObjectNode> jwks() {
    return board.keys().map(keys -> {
      ObjectNode set = JSON.createObjectNode();
      var arr = set.putArray("keys");
      keys.forEach(k -> arr.add(NoticeSigner.jwk(k)));
      return set;
    });
  }

  /** Gives an agency (named in any letter case) a new signing key; old keys stay listed. */
  public Future<NoticeBoard.AgencyKey> rotate(String agency) {
    return incidents.agencyNamed(agency).compose(a -> board.rotateKey(signer.generate(a)));
  }
}
