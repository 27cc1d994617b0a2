package org.crisishub.domain;


import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.crisishub.domain.SmsCommand.Lang;

/**
 * Every text the hub sends by SMS, in English and Spanish, each cut to fit its segment budget:
 * replies to commands fit in {@value #REPLY_SEGMENTS} segments, notifications in
 * {@value #NOTICE_SEGMENTS}. Texts without user content fit in one segment. Pure and thread-safe.
 */
public final class SmsReplies {
  public static final int REPLY_SEGMENTS = 2;
  public static final int NOTICE_SEGMENTS = 2;
  /** The default zone of SMS times. */
  public static final ZoneId UTC = ZoneId.of("UTC");
  private static final DateTimeFormatter HHMM = DateTimeFormatter.ofPattern("HH:mm zzz", Locale.ENGLISH);

  private SmsReplies() {
  }

  private static String pick(Lang lang, String en, String es) {
    return SmsText.fit(lang == Lang.ES ? es : en, REPLY_SEGMENTS);
  }

  public static String usage(Lang lang) {
    // No GSM extension characters ([ ] | ...): they take two septets each.
    return pick(lang,
        "Crisis Hub: SAFE note, SOS note, FOLLOW number, UNFOLLOW number, YES or NO number, STATUS number,"
            + " JOIN code, LEAVE code, STOP, START",
        "Crisis Hub: BIEN nota, SOCORRO nota, SEGUIR numero, DEJAR numero, SI o NO numero, ESTADO numero,"
            + " UNIR codigo, SALIR codigo, PARAR, INICIO");
  }

  /**
   * The reply to SAFE / SOS: what was recorded and who was told. {@code notified} is the number of
   * active followers; {@code helpIncidents} the incidents whose responders got the help request
   * (empty for SAFE, or when it joined no queue). With no followers the reply says how to get one:
   * family texts {@code FOLLOW <phone>} to the hub.
   */
  public static String checkedIn(Lang lang, Status status, long seq, int notified, List<String> helpIncidents,
      String phone) {
    boolean help = status == Status.NEED_HELP;
    String incidents = String.join(", ", helpIncidents);
    StringBuilder en = new StringBuilder(help ? "Recorded: you NEED HELP (#" : "Recorded: you are SAFE (#")
        .append(seq).append("). ");
    StringBuilder es = new StringBuilder(help ? "Registrado: NECESITAS AYUDA (#" : "Registrado: estas A SALVO (#")
        .append(seq).append("). ");
    if (notified > 0 && !helpIncidents.isEmpty()) {
      en.append("Told ").append(followersEn(notified)).append(" and the responders of ").append(incidents).append('.');
      es.append("Avisamos a ").append(followersEs(notified)).append(" y a los equipos de ").append(incidents)
          .append('.');
    } else if (notified > 0) {
      en.append("Told ").append(followersEn(notified)).append('.');
      es.append("Avisamos a ").append(followersEs(notified)).append('.');
    } else if (!helpIncidents.isEmpty()) {
      en.append("Told the responders of ").append(incidents).append('.');
      es.append("Avisamos a los equipos de ").append(incidents).append('.');
    }
    if (notified == 0) {
      en.append(helpIncidents.isEmpty() ? "No one follows you yet" : " No follower yet")
          .append(": ask family to text FOLLOW ").append(phone).append(" to this number.");
      es.append(helpIncidents.isEmpty() ? "Nadie te sigue aun" : " Aun no tienes contactos")
          .append(": pide a tu familia que envie SEGUIR ").append(phone).append(" a este numero.");
    }
    if (help) {
      en.append(" Call 911 if you can.");
      es.append(" Llama al 911 si puedes.");
    }
    return pick(lang, en.toString(), es.toString());
  }

  private static String followersEn(int n) {
    return n == 1 ? "1 follower" : n + " followers";
  }

  private static String followersEs(int n) {
    return n == 1 ? "1 contacto" : n + " contactos";
  }

  /** A clock time as SMS write it: {@code 22:42 UTC}, {@code 16:42 CST} in {@code zone}. */
  public static String clock(Instant at, ZoneId zone) {
    // ZoneOffset.UTC would print "Z": people read "UTC".
    return HHMM.withZone(zone.normalized().equals(java.time.ZoneOffset.UTC) ? UTC : zone).format(at);
  }

  public static String needNumber(Lang lang, String command) {
    return pick(lang, "Add a phone number: " + command + " +15551234567",
        "Agrega un numero: " + command + " +15551234567");
  }

  public static String badNumber(Lang lang) {
    return pick(lang, "That phone number was not understood. Use the full number, e.g. +15551234567",
        "No entendimos ese numero. Usa el numero completo, p. ej. +15551234567");
  }

  public static String followPending(Lang lang, String subject) {
    return pick(lang, "Asked " + subject + " to share their status with you. You will get it once they say YES.",
        "Pedimos a " + subject + " que comparta su estado contigo. Lo recibiras cuando diga SI.");
  }

  public static String followActive(Lang lang, String subject) {
    return pick(lang, "You now follow " + subject + ". Status changes will be sent to you.",
        "Ahora sigues a " + subject + ". Te enviaremos sus cambios de estado.");
  }

  public static String unfollowed(Lang lang, String subject) {
    return pick(lang, "You no longer follow " + subject + ".", "Ya no sigues a " + subject + ".");
  }

  public static String followSelf(Lang lang) {
    return pick(lang, "You cannot follow yourself.", "No puedes seguirte a ti mismo.");
  }

  /** Sent to the subject of a new follow request. */
  public static String followRequest(Lang lang, String follower) {
    return pick(lang, "Crisis Hub: " + follower + " asks to see your safety status. Reply YES " + follower
            + " to allow or NO " + follower + " to refuse.",
        "Crisis Hub: " + follower + " pide ver tu estado. Responde SI " + follower + " para aceptar o NO "
            + follower + " para rechazar.");
  }

  public static String noPending(Lang lang) {
    return pick(lang, "You have no follow requests waiting.", "No tienes solicitudes pendientes.");
  }

  public static String severalPending(Lang lang, boolean yes, List<String> followers) {
    String list = String.join(", ", followers);
    return pick(lang, "Several requests wait: " + list + ". Reply " + (yes ? "YES" : "NO") + " <number>.",
        "Hay varias solicitudes: " + list + ". Responde " + (yes ? "SI" : "NO") + " <numero>.");
  }

  public static String answered(Lang lang, String follower, boolean allowed) {
    return allowed
        ? pick(lang, follower + " can now see your status.", follower + " ya puede ver tu estado.")
        : pick(lang, follower + " cannot see your status.", follower + " no puede ver tu estado.");
  }

  public static String noRequestFrom(Lang lang, String follower) {
    return pick(lang, "No follow request from " + follower + ".", "No hay solicitud de " + follower + ".");
  }

  /**
   * The reply to STATUS: {@code name} is the asker's label of the person, else their number;
   * the time is written in {@code zone} ({@code HUB_TIMEZONE}).
   */
  public static String status(Lang lang, CheckIn c, String name, ZoneId zone) {
    String note = c.note() == null ? "" : " \"" + c.note() + "\"";
    String when = clock(c.at(), zone);
    return c.status() == Status.SAFE
        ? pick(lang, name + " is SAFE" + note + " (" + when + ", #" + c.seq() + ")",
            name + " esta A SALVO" + note + " (" + when + ", #" + c.seq() + ")")
        : pick(lang, name + " NEEDS HELP" + note + " (" + when + ", #" + c.seq() + ")",
            name + " NECESITA AYUDA" + note + " (" + when + ", #" + c.seq() + ")");
  }

  /** The reply to STATUS naming the person by number, times in UTC. */
  public static String status(Lang lang, CheckIn c) {
    return status(lang, c, c.phone(), java.time.ZoneOffset.UTC);
  }

  /**
   * The stored body of a status notification on the Redis store, sent only by a node of a release
   * before send-time rendering that claims the row during a rolling upgrade (this release renders
   * the status from the row's seq and never sends it): says that {@code phone} has a new status and
   * how to read it, without the status, note or time. One segment.
   */
  public static String statusFallback(String phone) {
    return "Crisis Hub: " + phone + " has a new status. Text STATUS " + phone + " to see it.";
  }

  /** Same answer for an unknown number, no consent, or no check-in yet: nothing to enumerate. */
  public static String noStatus(Lang lang, String phone) {
    return pick(lang, "No status of " + phone + " you may see.", "No hay estado de " + phone + " que puedas ver.");
  }

  public static String needCode(Lang lang, String command) {
    return pick(lang, "Add an incident code: " + command + " FLOOD7", "Agrega un codigo: " + command + " FLOOD7");
  }

  public static String badCode(Lang lang) {
    return pick(lang, "That incident code was not understood.", "No entendimos ese codigo.");
  }

  /** The reply to {@code JOIN code} for an incident that does not exist or is closed; nothing is stored. */
  public static String noSuchIncident(Lang lang, String code) {
    return pick(lang, "There is no open incident " + code + ". Check the code and text JOIN again.",
        "No hay un incidente abierto " + code + ". Revisa el codigo y envia UNIRSE de nuevo.");
  }

  public static String joined(Lang lang, String code) {
    return pick(lang, "You will get official notices for " + code + " by SMS. LEAVE " + code + " to stop.",
        "Recibiras avisos oficiales de " + code + " por SMS. SALIR " + code + " para dejar de recibirlos.");
  }

  public static String left(Lang lang, String code) {
    return pick(lang, "No more notices for " + code + ".", "No recibiras mas avisos de " + code + ".");
  }

  public static String stopped(Lang lang) {
    return pick(lang, "Crisis Hub: you will get no more messages. Reply START to get them again.",
        "Crisis Hub: no recibiras mas mensajes. Responde INICIO para volver a recibirlos.");
  }

  public static String started(Lang lang) {
    return pick(lang, "Crisis Hub: messages are on again. Reply HELP for commands, STOP to end.",
        "Crisis Hub: mensajes activados. Responde AYUDA para comandos, PARAR para terminar.");
  }

  public static String tooMany(Lang lang) {
    return pick(lang, "Too many messages. Please wait a little and try again.",
        "Demasiados mensajes. Espera un poco y vuelve a intentarlo.");
  }

  public static String unavailable(Lang lang) {
    return pick(lang, "Crisis Hub could not record this right now. Please send it again.",
        "Crisis Hub no pudo registrar esto ahora. Envialo de nuevo.");
  }

  /** The reply to an SMS answer to a safety check. */
  public static String safetyAnswered(Lang lang, Status status, String incident) {
    return status == Status.SAFE
        ? pick(lang, "Crisis Hub " + incident + ": thank you, you are recorded as SAFE.",
            "Crisis Hub " + incident + ": gracias, quedo registrado que esta A SALVO.")
        : pick(lang, "Crisis Hub " + incident + ": recorded that you NEED HELP. Responders of " + incident
            + " see it.", "Crisis Hub " + incident + ": registrado que NECESITA AYUDA. Los equipos de " + incident
            + " lo ven.");
  }

  /**
   * The notification a follower who asked for SMS gets when a status changes, naming the person by
   * number, the time in UTC. {@code name} (other overload) is that
   * follower's own label of the person (never shown to anyone else), else the person's number; the
   * time is written in {@code zone} ({@code HUB_TIMEZONE}).
   */
  public static String statusNotice(CheckIn c) {
    return statusNotice(c, c.phone(), java.time.ZoneOffset.UTC);
  }

  /** As {@link #statusNotice(CheckIn)}, naming the person {@code name}, times in {@code zone}. */
  public static String statusNotice(CheckIn c, String name, ZoneId zone) {
    String note = c.note() == null ? "" : ": " + c.note();
    String what = c.status() == Status.SAFE ? "is SAFE" : "NEEDS HELP";
    String who = name.equals(c.phone()) ? name : name + " (" + c.phone() + ")";
    return SmsText.fit("Crisis Hub: " + who + " " + what + note + " (" + clock(c.at(), zone) + ", #"
        + c.seq() + ")", NOTICE_SEGMENTS);
  }

  /**
   * The reply to an SMS that went to the sender's help thread; {@code bareAnswer}: it was a bare YES,
   * NO or OK after a responder's message, so the reply also says how to answer a follow request.
   */
  public static String threadReply(Lang lang, boolean bareAnswer) {
    String en = "Crisis Hub: your reply was passed to the responders.";
    String es = "Crisis Hub: tu respuesta se paso a los equipos de emergencia.";
    if (bareAnswer) {
      en += " To answer a follow request, text YES <number>.";
      es += " Para responder a una solicitud de seguimiento, envia SI <numero>.";
    }
    return pick(lang, en, es);
  }

  /**
   * A responder's message to the person who asked for help, by SMS: the agency, the text, and how to
   * answer. Fits {@value #NOTICE_SEGMENTS} segments: a long text goes without the "how to answer" part,
   * and is cut with an ellipsis when it must be.
   */
  public static String threadMessage(String agency, String text) {
    String head = "Crisis Hub" + (agency == null ? "" : ", " + agency) + ": ";
    String full = head + text + " (Reply by SMS to answer.)";
    return SmsText.segments(full) <= NOTICE_SEGMENTS ? full : SmsText.fit(head + text, NOTICE_SEGMENTS);
  }

}
