package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crisishub.support.Api;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the notice-verification recipe of docs/notices.md, as written there (only the hub's address,
 * the notice id and the jar are filled in), with bash, curl, jq and openssl.
 */
@DisplayName("The recipe of docs/notices.md verifies genuine notices, whatever characters they hold")
class NoticeRecipeIT {
  static final String ADMIN = "recipe-admin-token-0123456789";
  @TempDir
  static Path dir;
  static TestHub hub;
  static Api api;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    hub = TestHub.start(dir.resolve("hub"), Map.of("HUB_ADMIN_TOKEN", ADMIN, "HUB_PUBLIC_URL", "https://hub.example.org"));
    api = new Api(hub.vertx, hub.port());
    assertEquals(201, api.post("/api/v1/admin/responders", ADMIN, "{\"username\":\"pat\",\"password\":\"correct horse pat\","
        + "\"agency\":\"County EMS\",\"roles\":[\"publisher\"]}").status());
    token = api.post("/api/v1/responders/sessions", null, "{\"username\":\"pat\",\"password\":\"correct horse pat\"}")
        .json().path("token").asText();
    assertEquals(201, api.post("/api/v1/incidents", token, "{\"code\":\"STORM4\",\"name\":\"Storm\"}").status());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    hub.close();
  }

  /** The sh block under "Verify a notice with standard tools" in docs/notices.md. */
  static String recipe() throws Exception {
    String doc = Files.readString(Path.of("docs/notices.md"));
    int section = doc.indexOf("## Verify a notice with standard tools");
    assertTrue(section >= 0, "the recipe's section is in docs/notices.md");
    int start = doc.indexOf("```sh\n", section) + 6;
    int end = doc.indexOf("```", start);
    return doc.substring(start, end);
  }

  /** Publishes a notice whose headline and body are given as JSON string contents (escapes allowed). */
  static String publish(String headlineJson, String bodyJson) {
    var d = api.post("/api/v1/notices", token, "{\"incident\":\"STORM4\",\"headline\":\"" + headlineJson + "\",\"body\":\""
        + bodyJson + "\",\"severity\":\"Severe\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\"}");
    assertEquals(201, d.status(), d.text());
    String id = d.json().path("id").asText();
    var p = api.post("/api/v1/notices/" + id + "/publish", token, null);
    assertEquals(200, p.status(), p.text());
    return id;
  }

  /** Runs the recipe for notice {@code id} in a fresh folder; returns its output (stdout and stderr). */
  static String run(String id, Path work) throws Exception {
    Files.createDirectories(work);
    String classpath = System.getProperty("java.class.path");
    String script = recipe()
        .replaceFirst("(?m)^B=.*$", "B=http://127.0.0.1:" + hub.port() + "; ID=" + id)
        .replaceFirst("(?m)^JAR=.*$", "JAR='" + classpath.replace("'", "'\\\\''") + "'");
    Files.writeString(work.resolve("recipe.sh"), script);
    Process p = new ProcessBuilder("bash", "-eo", "pipefail", "recipe.sh").directory(work.toFile())
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the recipe finished");
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("control characters, DEL, U+2028/2029, emoji and astral characters: Signature Verified Successfully")
  void verifies() throws Exception {
    String[][] notices = {
        {"DEL\\u007f in the headline", "and\\u007fin the body"},
        {"controls \\u0001\\u0008\\u000b\\u000c\\u001f", "tab\\tline\\nreturn\\r end"},
        {"line separator\\u2028and paragraph\\u2029", "quotes \\\"x\\\" backslash \\\\ slash /"},
        {"emoji \\ud83c\\udf0a\\ud83c\\udfe0 and \uD83D\uDE4F raw", "astral \\ud834\\udd1e \\ud840\\udc00 \\ud83d\\udc68\\u200d\\ud83d\\udc69"},
        {"\u00BFD\u00F3nde? \u5730\u9707 \u0417\u0435\u043C\u043B\u0435\u0442\u0440\u044F\u0441\u0435\u043D\u0438\u0435",
            "\u0645\u0623\u0648\u0649 \\u00a0nbsp \\ufeff bom \\ufffd"}};
    int i = 0;
    for (String[] n : notices) {
      String id = publish(n[0], n[1]);
      String out = run(id, dir.resolve("run" + i++));
      assertTrue(out.contains("Signature Verified Successfully"), n[0] + ":\n" + out);
    }
  }

  @Test
  @DisplayName("the recipe still catches a forged notice, and the jq form it replaced really differs on DEL")
  void catchesForgery() throws Exception {
    String id = publish("Evacuate\\u007f now", "Go north.");
    Path work = dir.resolve("forged");
    assertTrue(run(id, work).contains("Signature Verified Successfully"));
    // Re-run the last steps on a tampered copy: openssl must refuse it.
    ObjectNode notice = (ObjectNode) Api.JSON.readTree(work.resolve("notice.json").toFile());
    notice.put("body", "Go south.");
    Files.writeString(work.resolve("notice.json"), notice.toString());
    String recipe = recipe();
    String tail = recipe.substring(recipe.indexOf("java -cp"));
    String head = recipe.substring(0, recipe.indexOf("curl"))
        .replaceFirst("(?m)^B=.*$", "")
        .replaceFirst("(?m)^JAR=.*$", "JAR='" + System.getProperty("java.class.path") + "'");
    String fns = recipe.lines().filter(l -> l.startsWith("b64url_decode()")).findFirst().orElseThrow();
    Files.writeString(work.resolve("again.sh"), head + fns + "\n" + tail);
    Process p = new ProcessBuilder("bash", "again.sh").directory(work.toFile()).redirectErrorStream(true).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(out.contains("Signature Verification Failure"), out);
    assertFalse(out.contains("Signature Verified Successfully"), out);

    // The old recipe's `jq -cjS 'del(.signature)'` escapes DEL and so signs different bytes.
    Process jq = new ProcessBuilder("jq", "-cjS", "del(.signature)", "notice.json").directory(work.toFile()).start();
    String jqOut = new String(jq.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(jq.waitFor(30, TimeUnit.SECONDS));
    assertTrue(jqOut.contains("\\u007f"), "jq escapes DEL: " + jqOut);
    assertFalse(new String(Files.readAllBytes(work.resolve("msg.bin")), StandardCharsets.UTF_8).contains("\\u007f"));
  }
}
