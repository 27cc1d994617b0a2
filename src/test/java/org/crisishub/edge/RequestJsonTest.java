package org.crisishub.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.crisishub.domain.HubException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RequestJson: the ref of a refused frame")
class RequestJsonTest {
  @Test
  @DisplayName("a frame refused for a duplicate key, a lone surrogate or trailing data still yields its one ref")
  void refOfRefusedFrames() {
    String[] refused = {
        "{\"type\":\"checkin\",\"ref\":\"d\",\"status\":\"safe\",\"status\":\"need_help\"}",
        "{\"type\":\"checkin\",\"ref\":\"d\",\"note\":\"\\ud800\",\"status\":\"safe\"}",
        "{\"type\":\"checkin\",\"ref\":\"d\",\"location\":{\"lat\":1,\"lat\":2}}",
        "{\"type\":\"checkin\",\"ref\":\"d\"} {\"x\":1}"};
    for (String f : refused) {
      assertThrows(HubException.class, () -> RequestJson.object(f), f);
      assertEquals("d", RequestJson.refOf(f).asText(), f);
    }
    assertEquals(7, RequestJson.refOf("{\"ref\":7,\"a\":1,\"a\":2}").asInt());
    assertEquals("{\"x\":[1,\"y\"]}", RequestJson.refOf("{\"ref\":{\"x\":[1,\"y\"]},\"a\":1,\"a\":2}").toString());
  }

  @Test
  @DisplayName("what follows a complete object (a comma, text, a second object) is refused as trailing data; a broken object as malformed JSON")
  void trailingDataMessage() {
    for (String t : new String[] {"{\"status\":\"safe\"},", "{\"status\":\"safe\"} x", "{\"status\":\"safe\"} {\"x\":1}",
        "{\"status\":\"safe\"}]"}) {
      HubException e = assertThrows(HubException.class, () -> RequestJson.object(t), t);
      assertEquals("trailing data after the JSON object", e.getMessage(), t);
    }
    for (String t : new String[] {"{\"status\":", "{\"status\" \"safe\"}", "{\"status\":\"safe\",}", "not json"}) {
      HubException e = assertThrows(HubException.class, () -> RequestJson.object(t), t);
      assertEquals("malformed JSON", e.getMessage(), t);
    }
  }

  @Test
  @DisplayName("no ref when there is none, when it appears twice, has ill-formed text, is not well-formed text, or the JSON breaks")
  void noRef() {
    assertNull(RequestJson.refOf("{\"type\":\"ping\",\"type\":\"x\"}"));
    assertNull(RequestJson.refOf("{\"ref\":\"a\",\"ref\":\"b\"}"));
    assertNull(RequestJson.refOf("{\"ref\":{\"x\":\"\\ud800\"},\"a\":1,\"a\":2}"));
    assertNull(RequestJson.refOf("{\"ref\":\"\\udc00\"}"));
    assertNull(RequestJson.refOf("{\"ref\":\"a\",\"status\":"));
    assertNull(RequestJson.refOf("[{\"ref\":\"a\"}]"));
    assertNull(RequestJson.refOf("not json"));
    assertNull(RequestJson.refOf("{\"nested\":{\"ref\":\"a\"},\"x\":1,\"x\":2}"));
  }
}
