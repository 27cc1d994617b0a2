package org.crisishub.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.fanout.OutFrame;

/**
 * The forms of {@link RelayMessage} on the clustered event bus, one per protocol version. Stateless;
 * thread-safe.
 *
 * <p><b>Version 0</b> (every release before the codec; a message without a {@code v} field is
 * version 0): a JSON object with single-letter keys: {@code o} origin node, {@code k} kind
 * ({@code p} to phones, {@code i} to an incident, {@code r} to an incident's responders of the
 * agencies in {@code ag}, {@code x} close sessions), {@code f} the frame text, {@code c} its coalescing
 * key if any, {@code t} the send time (epoch ms), {@code to} the phones, {@code inc} the incident;
 * a close has {@code phone} (the owner), {@code tok} (absent: every token), {@code code} and
 * {@code reason}.
 *
 * <p><b>Version 1</b>: {@code {"v":1,"kind":"phones"|"incident"|"responders"|"close","origin":…}}
 * with {@code sentAt}, {@code frame}, {@code coalesce}, {@code phones}, {@code incident},
 * {@code agencies}, {@code owner}, {@code token}, {@code code}, {@code reason} as the kind needs.
 *
 * <p>A node reads every version up to {@link #CURRENT}; it sends {@link #CURRENT} only once every
 * member of the cluster advertises it (see {@link ClusterMembership}), and the previous release's
 * form until then, so a cluster keeps working while its nodes are upgraded one by one.
 */
public final class RelayCodec {
  /** The previous release's form. */
  public static final int V0 = 0;
  /** The version this release writes when every member reads it. */
  public static final int CURRENT = 1;

  /** A message this release cannot read: a newer version, an unknown kind, or a missing field. */
  public static final class UnreadableMessage extends RuntimeException {
    UnreadableMessage(String message) {
      super(message, null, false, false);
    }
  }

  private RelayCodec() {
  }

  /**
   * Encodes {@code m} in the form of {@code version} ({@link #V0} or {@link #CURRENT}).
   *
   * @throws IllegalArgumentException for any other version
   */
  public static JsonObject encode(RelayMessage m, int version) {
    return switch (version) {
      case V0 -> encodeV0(m);
      case CURRENT -> encodeV1(m);
      default -> throw new IllegalArgumentException("no relay message version " + version);
    };
  }

  /**
   * Decodes a message of any version up to {@link #CURRENT}.
   *
   * @throws UnreadableMessage when it is of a later version, of an unknown kind, or lacks a field
   */
  public static RelayMessage decode(JsonObject json) {
    Object v = json.getValue("v");
    int version;
    if (v == null) {
      version = V0;
    } else if (v instanceof Number n) {
      version = n.intValue();
    } else {
      throw new UnreadableMessage("relay message version is not a number");
    }
    try {
      return switch (version) {
        case V0 -> decodeV0(json);
        case CURRENT -> decodeV1(json);
        default -> throw new UnreadableMessage("relay message of version " + version + " (this node reads up to "
            + CURRENT + ")");
      };
    } catch (ClassCastException | NullPointerException e) {
      throw new UnreadableMessage("relay message of version " + version + " has a missing or mistyped field");
    }
  }

  private static JsonObject encodeV0(RelayMessage m) {
    JsonObject j = new JsonObject().put("o", m.origin());
    if (m instanceof RelayMessage.ToPhones p) {
      frameV0(j.put("k", "p"), p.frame(), p.sentAtMs()).put("to", new JsonArray(new ArrayList<>(p.phones())));
    } else if (m instanceof RelayMessage.ToIncident i) {
      frameV0(j.put("k", "i"), i.frame(), i.sentAtMs()).put("inc", i.incident());
    } else if (m instanceof RelayMessage.ToResponders r) {
      frameV0(j.put("k", "r"), r.frame(), r.sentAtMs()).put("inc", r.incident());
      if (!r.agencies().isEmpty()) {
        j.put("ag", new JsonArray(new ArrayList<>(r.agencies())));
      }
    } else if (m instanceof RelayMessage.CloseSessions x) {
      j.put("k", "x").put("phone", x.owner()).put("code", x.code()).put("reason", x.reason());
      if (x.tokenId() != null) {
        j.put("tok", x.tokenId());
      }
    }
    return j;
  }

  private static JsonObject frameV0(JsonObject j, OutFrame frame, long sentAtMs) {
    j.put("f", frame.text()).put("t", sentAtMs);
    if (frame.coalesceKey() != null) {
      j.put("c", frame.coalesceKey());
    }
    return j;
  }

  private static RelayMessage decodeV0(JsonObject j) {
    String origin = j.getString("o");
    String kind = j.getString("k");
    if (kind == null) {
      throw new UnreadableMessage("version 0 relay message without a kind");
    }
    return switch (kind) {
      case "p" -> new RelayMessage.ToPhones(origin, sentAt(j.getLong("t")), strings(j.getJsonArray("to")),
          frame(j.getString("f"), j.getString("c")));
      case "i" -> new RelayMessage.ToIncident(origin, sentAt(j.getLong("t")), required(j.getString("inc")),
          frame(j.getString("f"), j.getString("c")));
      case "r" -> new RelayMessage.ToResponders(origin, sentAt(j.getLong("t")), required(j.getString("inc")),
          j.getJsonArray("ag") == null ? List.of() : strings(j.getJsonArray("ag")),
          frame(j.getString("f"), j.getString("c")));
      case "x" -> new RelayMessage.CloseSessions(origin, required(j.getString("phone")), j.getString("tok"),
          j.getInteger("code").shortValue(), j.getString("reason"));
      default -> throw new UnreadableMessage("version 0 relay message of unknown kind " + kind);
    };
  }

  private static JsonObject encodeV1(RelayMessage m) {
    JsonObject j = new JsonObject().put("v", CURRENT);
    if (m instanceof RelayMessage.ToPhones p) {
      frameV1(j.put("kind", "phones").put("origin", p.origin()), p.frame(), p.sentAtMs())
          .put("phones", new JsonArray(new ArrayList<>(p.phones())));
    } else if (m instanceof RelayMessage.ToIncident i) {
      frameV1(j.put("kind", "incident").put("origin", i.origin()), i.frame(), i.sentAtMs())
          .put("incident", i.incident());
    } else if (m instanceof RelayMessage.ToResponders r) {
      frameV1(j.put("kind", "responders").put("origin", r.origin()), r.frame(), r.sentAtMs())
          .put("incident", r.incident()).put("agencies", new JsonArray(new ArrayList<>(r.agencies())));
    } else if (m instanceof RelayMessage.CloseSessions x) {
      j.put("kind", "close").put("origin", x.origin()).put("owner", x.owner()).put("code", x.code())
          .put("reason", x.reason());
      if (x.tokenId() != null) {
        j.put("token", x.tokenId());
      }
    }
    return j;
  }

  private static JsonObject frameV1(JsonObject j, OutFrame frame, long sentAtMs) {
    j.put("sentAt", sentAtMs).put("frame", frame.text());
    if (frame.coalesceKey() != null) {
      j.put("coalesce", frame.coalesceKey());
    }
    return j;
  }

  private static RelayMessage decodeV1(JsonObject j) {
    String origin = j.getString("origin");
    String kind = j.getString("kind");
    if (kind == null) {
      throw new UnreadableMessage("version 1 relay message without a kind");
    }
    return switch (kind) {
      case "phones" -> new RelayMessage.ToPhones(origin, sentAt(j.getLong("sentAt")), strings(j.getJsonArray("phones")),
          frame(j.getString("frame"), j.getString("coalesce")));
      case "incident" -> new RelayMessage.ToIncident(origin, sentAt(j.getLong("sentAt")),
          required(j.getString("incident")), frame(j.getString("frame"), j.getString("coalesce")));
      case "responders" -> new RelayMessage.ToResponders(origin, sentAt(j.getLong("sentAt")),
          required(j.getString("incident")), strings(j.getJsonArray("agencies")),
          frame(j.getString("frame"), j.getString("coalesce")));
      case "close" -> new RelayMessage.CloseSessions(origin, required(j.getString("owner")), j.getString("token"),
          j.getInteger("code").shortValue(), j.getString("reason"));
      default -> throw new UnreadableMessage("version 1 relay message of unknown kind " + kind);
    };
  }

  private static long sentAt(Long t) {
    return t == null ? 0 : t;
  }

  private static OutFrame frame(String text, String coalesceKey) {
    return new OutFrame(required(text), coalesceKey);
  }

  private static <T> T required(T value) {
    if (value == null) {
      throw new NullPointerException();
    }
    return value;
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      out.add(required(a.getString(i)));
    }
    return out;
  }
}
