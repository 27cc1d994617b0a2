package org.crisishub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Stream;
import org.crisishub.fanout.OutFrame;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Relay codec: typed cluster fan-out messages in version 0 (the previous release) and 1")
class RelayCodecTest {
  static final String STATUS = "{\"type\":\"status\",\"phone\":\"+15551234567\",\"status\":\"safe\",\"seq\":7}";

  static Stream<RelayMessage> messages() {
    return Stream.of(
        new RelayMessage.ToPhones("node-a", 1764557400000L, List.of("+15551234567", "+15557654321"),
            new OutFrame(STATUS, "status:+15551234567")),
        new RelayMessage.ToPhones("node-a", 1764557400000L, List.of("+15551234567"), OutFrame.of("{\"type\":\"x\"}")),
        new RelayMessage.ToIncident("node-a", 1764557400001L, "FLOOD7", OutFrame.of("{\"type\":\"notice\"}")),
        new RelayMessage.ToResponders("node-b", 1764557400002L, "FLOOD7", List.of("county", "redcross"),
            OutFrame.of("{\"type\":\"help\"}")),
        new RelayMessage.ToResponders("node-b", 1764557400002L, "FLOOD7", List.of(), OutFrame.of("{}")),
        new RelayMessage.CloseSessions("node-c", "+15551234567", "tok-1", (short) 4001, "token revoked"),
        new RelayMessage.CloseSessions("node-c", "responder:ann", null, (short) 4001, "account disabled"));
  }

  @ParameterizedTest
  @MethodSource("messages")
  @DisplayName("every message reads back as itself in both versions, also after a trip through JSON text")
  void roundTrips(RelayMessage m) {
    for (int version : new int[] {RelayCodec.V0, RelayCodec.CURRENT}) {
      JsonObject json = RelayCodec.encode(m, version);
      assertEquals(m, RelayCodec.decode(json), "version " + version);
      assertEquals(m, RelayCodec.decode(new JsonObject(json.encode())), "version " + version + " as text");
    }
  }

  @Test
  @DisplayName("a version-0 message exactly as the previous release sends it is read (no v field: version 0)")
  void readsPreviousRelease() {
    // As ClusterRelay.message("p", frame).put("to", ...) built it before the codec, as it arrives in JSON.
    String wire = """
        {"o":"node-3f1c","k":"p","f":"{\\"type\\":\\"status\\",\\"phone\\":\\"+15551234567\\",\\"status\\":\\"safe\\",\\"seq\\":7}",\
        "t":1764557400000,"c":"status:+15551234567","to":["+15551234567"]}""";
    assertEquals(new RelayMessage.ToPhones("node-3f1c", 1764557400000L, List.of("+15551234567"),
        new OutFrame(STATUS, "status:+15551234567")), RelayCodec.decode(new JsonObject(wire)));
    assertEquals(new RelayMessage.ToIncident("node-3f1c", 1764557400000L, "FLOOD7", OutFrame.of("{}")),
        RelayCodec.decode(new JsonObject("{\"o\":\"node-3f1c\",\"k\":\"i\",\"f\":\"{}\",\"t\":1764557400000,"
            + "\"inc\":\"FLOOD7\"}")));
    assertEquals(new RelayMessage.ToResponders("node-3f1c", 1764557400000L, "FLOOD7", List.of("county"),
        OutFrame.of("{}")), RelayCodec.decode(new JsonObject("{\"o\":\"node-3f1c\",\"k\":\"r\",\"f\":\"{}\","
            + "\"t\":1764557400000,\"inc\":\"FLOOD7\",\"ag\":[\"county\"]}")));
    assertEquals(new RelayMessage.CloseSessions("node-3f1c", "+15551234567", null, (short) 4001, "revoked"),
        RelayCodec.decode(new JsonObject("{\"o\":\"node-3f1c\",\"k\":\"x\",\"phone\":\"+15551234567\","
            + "\"code\":4001,\"reason\":\"revoked\"}")));
  }

  @Test
  @DisplayName("version 0 is written with the previous release's single-letter keys and no version field")
  void writesPreviousRelease() {
    JsonObject json = RelayCodec.encode(new RelayMessage.ToPhones("node-a", 1764557400000L, List.of("+15551234567"),
        new OutFrame(STATUS, "status:+15551234567")), RelayCodec.V0);
    assertEquals(new JsonObject().put("o", "node-a").put("k", "p").put("f", STATUS).put("t", 1764557400000L)
        .put("c", "status:+15551234567").put("to", new io.vertx.core.json.JsonArray().add("+15551234567")), json);
    assertFalse(json.containsKey("v"));
    JsonObject close = RelayCodec.encode(new RelayMessage.CloseSessions("node-a", "+15551234567", "tok-1",
        (short) 4001, "revoked"), RelayCodec.V0);
    assertEquals(new JsonObject("{\"o\":\"node-a\",\"k\":\"x\",\"phone\":\"+15551234567\",\"code\":4001,"
        + "\"reason\":\"revoked\",\"tok\":\"tok-1\"}"), new JsonObject(close.encode()));
  }

  @Test
  @DisplayName("version 1 carries its version and names its fields")
  void writesCurrent() {
    JsonObject json = RelayCodec.encode(new RelayMessage.ToIncident("node-a", 5, "FLOOD7", OutFrame.of("{}")),
        RelayCodec.CURRENT);
    assertEquals(new JsonObject("{\"v\":1,\"kind\":\"incident\",\"origin\":\"node-a\",\"sentAt\":5,"
        + "\"frame\":\"{}\",\"incident\":\"FLOOD7\"}"), new JsonObject(json.encode()));
  }

  @Test
  @DisplayName("a later version, an unknown kind or a missing field is unreadable, not a crash")
  void unreadable() {
    assertThrows(RelayCodec.UnreadableMessage.class,
        () -> RelayCodec.decode(new JsonObject("{\"v\":2,\"kind\":\"phones\",\"origin\":\"n\"}")));
    assertThrows(RelayCodec.UnreadableMessage.class,
        () -> RelayCodec.decode(new JsonObject("{\"v\":\"1\",\"kind\":\"phones\"}")));
    assertThrows(RelayCodec.UnreadableMessage.class,
        () -> RelayCodec.decode(new JsonObject("{\"o\":\"n\",\"k\":\"q\",\"f\":\"{}\"}")));
    assertThrows(RelayCodec.UnreadableMessage.class,
        () -> RelayCodec.decode(new JsonObject("{\"o\":\"n\",\"f\":\"{}\"}")));
    assertThrows(RelayCodec.UnreadableMessage.class,
        () -> RelayCodec.decode(new JsonObject("{\"o\":\"n\",\"k\":\"p\",\"f\":\"{}\"}")));
    assertThrows(RelayCodec.UnreadableMessage.class,
        () -> RelayCodec.decode(new JsonObject("{\"v\":1,\"kind\":\"close\",\"origin\":\"n\",\"owner\":\"+1\"}")));
    assertThrows(IllegalArgumentException.class, () -> RelayCodec.encode(
        new RelayMessage.ToIncident("n", 0, "X", OutFrame.of("{}")), 2));
  }

  @Test
  @DisplayName("the version sent is the lowest any member advertises; a member advertising none reads version 0")
  void lowestVersion() {
    assertEquals(RelayCodec.CURRENT, ClusterMembership.lowestRelayVersion(List.of("1", "1")));
    assertEquals(RelayCodec.V0, ClusterMembership.lowestRelayVersion(java.util.Arrays.asList("1", null, "1")));
    assertEquals(RelayCodec.V0, ClusterMembership.lowestRelayVersion(List.of("1", "garbage")));
    assertEquals(RelayCodec.CURRENT, ClusterMembership.lowestRelayVersion(List.of("1", "7")));
    assertEquals(RelayCodec.CURRENT, ClusterMembership.lowestRelayVersion(List.of()));
  }
}
