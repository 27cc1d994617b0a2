package org.crisishub.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.twilio.security.RequestValidator;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.crisishub.core.SafetyCheckService;
import org.crisishub.domain.HubException;
import org.crisishub.domain.Phones;
import org.crisishub.sms.DevSmsSender;
import org.crisishub.sms.SmsConversation;
import org.crisishub.store.Outbox;
import org.crisishub.store.SmsInbound;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMS edge: the Twilio webhooks ({@code /sms/inbound}, {@code /sms/status}), checked with the
 * SDK's {@link RequestValidator} against {@code HUB_PUBLIC_URL} + path, and, in dev mode, the
 * simulator ({@code /dev/sms}, {@code /dev/sms/inbound}).
 */
public final class SmsRoutes implements HttpApi.Routes {
  /**
   * Largest form body of an SMS webhook: 64 KiB, room for a 1,600-character SMS of any script
   * percent-encoded (at most 19,200 bytes) with Twilio's other fields. The JSON API keeps 16 KiB.
   */
  public static final int MAX_FORM_BODY = 64 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(SmsRoutes.class);
  private static final String EMPTY_TWIML = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

  private final Uses uses;
  private final RequestValidator validator;
  private final MeterRegistry registry;
  private static final java.util.Set<String> TWILIO_STATUSES = java.util.Set.of("accepted", "scheduled", "queued",
      "sending", "sent", "delivered", "undelivered", "failed", "read", "receiving", "received", "canceled");

  /**
   * What the SMS edge uses. Every member is thread-safe.
   *
   * @param twilioAuthToken the account's auth token that signs webhooks; null or empty: every webhook
   *     call is refused (dev mode uses {@code /dev/sms/inbound})
   * @param publicUrl {@code HUB_PUBLIC_URL}, the base Twilio signed the webhook URL with
   * @param devSms the dev sender when {@code HUB_SMS=dev} (the {@code /dev/sms} routes), else null
   * @param devSmsOpen {@code HUB_DEV_SMS_OPEN}: the dev routes answer any client, not only loopback ones
   * @param clientAddress tells loopback clients
   * @param optOuts records the opt-out a 21610 delivery report means
   * @param outbox records delivery reports
   * @param safety the safety checks told of delivery reports, or null
   */
  public record Uses(String twilioAuthToken, String publicUrl, MeterRegistry registry, DevSmsSender devSms,
      boolean devSmsOpen, ClientAddress clientAddress, SmsConversation conversation, Phones phones, SmsInbound optOuts,
      Outbox outbox, Clock clock, SafetyCheckService safety) {
  }

  /** Thread-safe: one instance serves every HTTP verticle. */
  public SmsRoutes(Uses uses) {
    this.uses = uses;
    String token = uses.twilioAuthToken();
    this.validator = token == null || token.isEmpty() ? null : new RequestValidator(token);
    this.registry = uses.registry();
    refused = io.micrometer.core.instrument.Counter.builder("hub.sms.webhook.refused")
        .description("Twilio webhook calls refused for a missing or wrong X-Twilio-Signature").register(registry);
  }

  private final io.micrometer.core.instrument.Counter refused;

  @Override
  public void mount(Router r) {
    if (uses.devSms() != null && !uses.devSmsOpen()) {
      // Dev SMS shows every one-time code and texts as any number: loopback clients only.
      r.route("/dev/sms*").handler(ctx -> {
        if (uses.clientAddress().isLoopback(ctx.request())) {
          ctx.next();
        } else {
          Errors.send(ctx, new HubException(org.crisishub.domain.ErrorCode.FORBIDDEN,
              "the dev SMS endpoints answer loopback clients only (HUB_DEV_SMS_OPEN=true opens them)"));
        }
      });
    }
    BodyHandler form = BodyHandler.create(false).setBodyLimit(MAX_FORM_BODY);
    r.post("/sms/inbound").handler(form).handler(this::inbound);
    r.post("/sms/status").handler(form).handler(this::status);
    if (uses.devSms() != null) {
      r.post("/dev/sms/inbound").handler(form).handler(this::devInbound);
      r.get("/dev/sms").handler(ctx -> ctx.response().putHeader("Content-Type", "text/html; charset=utf-8")
          .sendFile("web/dev-sms.html"));
      r.get("/dev/sms/messages").handler(ctx -> HttpApi.handle(ctx, this::devMessages));
    }
  }

  /** True when the request carries Twilio's valid signature for {@code HUB_PUBLIC_URL} + its path. */
  private boolean signed(RoutingContext ctx) {
    String signature = ctx.request().getHeader("X-Twilio-Signature");
    if (validator == null || signature == null) {
      return false;
    }
    Map<String, String> params = new HashMap<>();
    MultiMap form = ctx.request().formAttributes();
    for (String name : form.names()) {
      params.put(name, form.get(name));
    }
    return validator.validate(uses.publicUrl() + ctx.request().uri(), params, signature);
  }

  private void inbound(RoutingContext ctx) {
    if (!signed(ctx)) {
      refused.increment();
      LOG.warn("refused an unsigned or wrongly signed SMS webhook");
      Errors.send(ctx, HubException.forbidden());
      return;
    }
    MultiMap form = ctx.request().formAttributes();
    String from = form.get("From");
    String sid = form.get("MessageSid");
    if (from == null || sid == null || sid.isBlank()) {
      Errors.send(ctx, HubException.invalid("From and MessageSid are required"));
      return;
    }
    // A Body whose bytes are not UTF-8 cannot be read: the parser gets null and the sender the usage text.
    String body = !bodyIsUtf8(ctx) ? null : form.get("Body") == null ? "" : form.get("Body");
    uses.conversation().handle(from, body, sid).onComplete(ar -> {
      if (ar.failed()) {
        // Only a bad From or a store failure gets here; nothing was applied, so Twilio may retry.
        Errors.send(ctx, ar.cause());
        return;
      }
      ctx.response().putHeader("Content-Type", "text/xml; charset=utf-8").end(twiml(ar.result()));
    });
  }

  /**
   * True when the raw {@code Body} field of the form is UTF-8 once percent-decoded (Vert.x would
   * decode malformed bytes to U+FFFD without saying so).
   */
  static boolean bodyIsUtf8(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().buffer() == null) {
      return true;
    }
    String raw = ctx.body().buffer().toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq < 0 || !pair.substring(0, eq).equals("Body")) {
        continue;
      }
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(pair.length());
      for (int i = eq + 1; i < pair.length(); i++) {
        char c = pair.charAt(i);
        if (c == '+') {
          bytes.write(' ');
        } else if (c == '%' && i + 2 < pair.length()) {
          int hi = Character.digit(pair.charAt(i + 1), 16);
          int lo = Character.digit(pair.charAt(i + 2), 16);
          if (hi < 0 || lo < 0) {
            return false;
          }
          bytes.write(hi * 16 + lo);
          i += 2;
        } else if (c == '%') {
          return false;
        } else {
          bytes.write(c);
        }
      }
      if (!RequestJson.isUtf8(bytes.toByteArray())) {
        return false;
      }
    }
    return true;
  }

  private static final javax.xml.stream.XMLOutputFactory XML = javax.xml.stream.XMLOutputFactory.newFactory();

  /**
   * {@code <Response><Message>reply</Message></Response>}. Written with a StAX writer rather than the
   * SDK's TwiML builder: that one creates a new DOM and transformer factory per call, which took
   * most of the time of an SMS webhook under load (see docs/performance.md).
   */
  static String twiml(String reply) {
    if (reply == null || reply.isEmpty()) {
      return EMPTY_TWIML;
    }
    java.io.StringWriter out = new java.io.StringWriter(reply.length() + 96);
    try {
      javax.xml.stream.XMLStreamWriter w = XML.createXMLStreamWriter(out);
      w.writeStartDocument("UTF-8", "1.0");
      w.writeStartElement("Response");
      w.writeStartElement("Message");
      w.writeCharacters(reply);
      w.writeEndElement();
      w.writeEndElement();
      w.writeEndDocument();
      w.close();
    } catch (javax.xml.stream.XMLStreamException e) {
      throw new IllegalStateException("cannot render TwiML", e);
    }
    return out.toString();
  }

  private void status(RoutingContext ctx) {
    if (!signed(ctx)) {
      refused.increment();
      Errors.send(ctx, HubException.forbidden());
      return;
    }
    MultiMap form = ctx.request().formAttributes();
    String sid = form.get("MessageSid");
    String status = form.get("MessageStatus");
    if (sid == null || status == null) {
      Errors.send(ctx, HubException.invalid("MessageSid and MessageStatus are required"));
      return;
    }
    String errorCode = form.get("ErrorCode");
    String lower = status.toLowerCase(java.util.Locale.ROOT);
    // The status is Twilio's (queued, sent, delivered, undelivered, failed, ...); anything else is one
    // label value, so a forged callback cannot grow the series without bound.
    io.micrometer.core.instrument.Counter.builder("hub.sms.delivery")
        .description("Twilio delivery reports (status callbacks) by message status")
        .tag("status", TWILIO_STATUSES.contains(lower) ? lower : "other").register(registry).increment();
    if ("delivered".equals(lower)) {
      org.crisishub.sms.SmsOutcomes.of(registry, "delivered").increment();
    }
    if ("failed".equalsIgnoreCase(status) || "undelivered".equalsIgnoreCase(status)) {
      org.crisishub.sms.SmsOutcomes.of(registry, "failed").increment();
      LOG.warn("SMS {} not delivered: {} {}", sid, status, errorCode == null ? "" : errorCode);
    }
    // A 21610 ("unsubscribed") on any message, reported late, records the opt-out like one answered at once.
    String to = form.get("To");
    io.vertx.core.Future<Void> optOut = io.vertx.core.Future.succeededFuture();
    if (String.valueOf(org.crisishub.sms.OptOutGuard.UNSUBSCRIBED).equals(errorCode) && to != null) {
      try {
        String phone = uses.phones().normalise(to);
        optOut = uses.optOuts().setSmsOptOut(phone, true, uses.clock().instant());
      } catch (HubException e) {
        LOG.warn("a 21610 delivery report names an unreadable number");
      }
    }
    optOut.compose(v -> uses.outbox().recordDeliveryReport(sid, status, errorCode, uses.clock().instant()))
        .compose(v -> uses.safety() == null ? io.vertx.core.Future.<Void>succeededFuture()
            : uses.safety().deliveryReport(sid, status, errorCode))
        .onComplete(ar -> {
      if (ar.failed()) {
        Errors.send(ctx, ar.cause());
      } else {
        ctx.response().putHeader("Content-Type", "text/xml; charset=utf-8").end(EMPTY_TWIML);
      }
    });
  }

  /** {@code POST /dev/sms/inbound {from, body}}: as if Twilio had delivered it. */
  private void devInbound(RoutingContext ctx) {
    JsonNode b;
    String from;
    String body;
    try {
      b = HttpApi.bodyObject(ctx);
      from = Fields.requiredString(b, "from");
      body = Fields.optionalString(b, "body");
    } catch (HubException e) {
      Errors.send(ctx, e);
      return;
    } catch (Exception e) {
      Errors.send(ctx, HubException.invalid("malformed JSON"));
      return;
    }
    String sid = "SMdev" + UUID.randomUUID().toString().replace("-", "");
    uses.conversation().handle(from, body == null ? "" : body, sid).onComplete(ar -> {
      if (ar.failed()) {
        Errors.send(ctx, ar.cause());
      } else {
        ctx.response().putHeader("Content-Type", "application/json")
            .end(Wire.object().put("reply", ar.result()).toString());
      }
    });
  }

  /** {@code GET /dev/sms/messages[?to=]}: the texts the dev sender sent, oldest first. */
  private io.vertx.core.Future<HttpApi.Reply> devMessages(RoutingContext ctx) {
    String to = ctx.queryParams().get("to");
    String phone = to == null ? null : uses.phones().normalise(to);
    com.fasterxml.jackson.databind.node.ArrayNode a = Wire.array();
    for (DevSmsSender.Message m : uses.devSms().messages(phone)) {
      a.add(Wire.object().put("to", m.to()).put("body", m.body()).put("at", Wire.time(m.at())));
    }
    return io.vertx.core.Future.succeededFuture(HttpApi.Reply.ok(a));
  }
}
