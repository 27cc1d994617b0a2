package org.crisishub.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.crisishub.support.TestHub;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's walk-through as a reader would paste it: every {@code sh} block of its
 * "Five-minute walk-through" section except the start commands, in one bash, in order, against a
 * hub started here on a free port ({@code HUB} points there). Each command's answer is checked, so
 * the README cannot drift from the product.
 */
@DisplayName("README walk-through: its shell blocks, run as written against a hub, answer as the README says")
class WalkthroughIT {
  private static final String MARK = "@@walkthrough@@ ";

  @TempDir
  Path dir;

  /** The walk-through's shell blocks, start commands ({@code mvn ...}) left out. */
  static List<String> blocks(String readme) {
    int from = readme.indexOf("## Five-minute walk-through");
    assertTrue(from >= 0, "README has no walk-through section");
    int to = readme.indexOf("\n## ", from + 1);
    String section = readme.substring(from, to < 0 ? readme.length() : to);
    List<String> blocks = new ArrayList<>();
    Matcher m = Pattern.compile("(?s)```sh\n(.*?)```").matcher(section);
    while (m.find()) {
      if (!m.group(1).matches("(?s)(\\S+=\\S+ )*mvn .*")) {
        blocks.add(m.group(1));
      }
    }
    return blocks;
  }

  /** A block's commands: comments dropped; continuation lines, open quotes and heredocs kept together. */
  static List<String> commands(String block) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    String heredocEnd = null;
    Pattern heredoc = Pattern.compile("<<-?'?([A-Za-z_]+)'?\\s*$");
    for (String line : block.split("\n")) {
      if (heredocEnd != null) {
        cur.append(line).append('\n');
        if (line.strip().equals(heredocEnd)) {
          heredocEnd = null;
          out.add(cur.toString());
          cur.setLength(0);
        }
        continue;
      }
      if (cur.length() == 0 && (line.isBlank() || line.strip().startsWith("#"))) {
        continue;
      }
      cur.append(line).append('\n');
      Matcher h = heredoc.matcher(line);
      if (h.find()) {
        heredocEnd = h.group(1);
        continue;
      }
      String text = cur.toString();
      if (line.endsWith("\\") || text.chars().filter(c -> c == '\'').count() % 2 == 1) {
        continue;
      }
      out.add(text);
      cur.setLength(0);
    }
    assertTrue(cur.length() == 0 && heredocEnd == null, "unfinished command in the README: " + cur);
    return out;
  }

  @Test
  @DisplayName("every command of the walk-through succeeds and answers what the README says it does")
  void walkthrough() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    Matcher admin = Pattern.compile("HUB_ADMIN_TOKEN=(\\S+) mvn -q compile exec:java").matcher(readme);
    assertTrue(admin.find(), "the walk-through says how to start the hub with an admin token");
    List<String> commands = new ArrayList<>();
    for (String b : blocks(readme)) {
      commands.addAll(commands(b));
    }
    assertTrue(commands.size() >= 15, "walk-through commands: " + commands);

    try (TestHub hub = TestHub.start(dir, Map.of("HUB_ADMIN_TOKEN", admin.group(1)))) {
      StringBuilder script = new StringBuilder();
      for (int i = 0; i < commands.size(); i++) {
        script.append("echo '").append(MARK).append(i).append("'\n").append(commands.get(i))
            .append("echo \"\n").append(MARK).append("rc $?\"\n");
      }
      script.append("echo '").append(MARK).append("vars'\n");
      for (String v : List.of("ALICE_TOKEN", "BOB_TOKEN", "RESPONDER_TOKEN", "NOTICE_ID")) {
        script.append("echo \"").append(v).append("=${").append(v).append(":-}\"\n");
      }
      Path file = dir.resolve("walkthrough.sh");
      Files.writeString(file, script);
      ProcessBuilder pb = new ProcessBuilder("bash", file.toString()).redirectErrorStream(true);
      pb.environment().put("HUB", "http://127.0.0.1:" + hub.port());
      pb.environment().keySet().removeIf(k -> k.startsWith("HUB_"));
      Process p = pb.start();
      byte[] all = p.getInputStream().readAllBytes();
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the walk-through did not finish");
      String output = new String(all, StandardCharsets.UTF_8);

      List<String> answers = new ArrayList<>();
      String[] parts = output.split(Pattern.quote(MARK));
      for (int i = 0; i < commands.size(); i++) {
        String head = parts[1 + 2 * i];
        String rc = parts[2 + 2 * i];
        assertTrue(head.startsWith(i + "\n"), "output out of step at command " + i + ":\n" + output);
        assertEquals("rc 0", rc.strip(), "failed: " + commands.get(i) + "\n" + head);
        String answer = head.substring(head.indexOf('\n') + 1);
        answers.add(answer);
        assertFalse(answer.contains("{\"error\":"), "error answer to " + commands.get(i) + answer);
      }
      String vars = parts[parts.length - 1];
      for (String v : List.of("ALICE_TOKEN", "BOB_TOKEN", "RESPONDER_TOKEN", "NOTICE_ID")) {
        assertTrue(Pattern.compile("(?m)^" + v + "=\\S{8,}$").matcher(vars).find(), v + " was not captured: " + vars);
      }

      // What each kind of command must answer; each must occur in the README.
      Map<String, List<String>> expect = new LinkedHashMap<>();
      expect.put("-XPOST $HUB/api/v1/follows ", List.of("\"state\":\"pending\""));
      expect.put("curl -s $HUB/api/v1/followers -H", List.of("+15557654321", "pending"));
      expect.put("/api/v1/followers/+15557654321", List.of("\"state\":\"active\""));
      expect.put("-XPOST $HUB/api/v1/checkins", List.of("\"notified\":1", "\"seq\":1"));
      expect.put("/status -H", List.of("\"status\":\"safe\"", "at the school gym"));
      expect.put("checkins?afterSeq=0", List.of("at the school gym"));
      expect.put("--until snapshot", List.of("\"type\":\"ready\"", "\"type\":\"snapshot\"", "+15551234567"));
      expect.put("--until ack", List.of("\"type\":\"ack\"", "\"ref\":\"1\"", "\"seq\":2"));
      expect.put("/dev/sms/inbound", List.of("\"reply\":", "ankle hurt"));
      expect.put("/api/v1/admin/responders", List.of("dispatch", "County EMS"));
      expect.put("-XPOST $HUB/api/v1/incidents", List.of("FLOOD7"));
      expect.put("/publish", List.of("\"signature\":", "Shelter open at Lincoln High"));
      expect.put(".cap", List.of("<alert", "Shelter open at Lincoln High"));
      for (Map.Entry<String, List<String>> e : expect.entrySet()) {
        boolean found = false;
        for (int i = 0; i < commands.size(); i++) {
          if (commands.get(i).contains(e.getKey())) {
            found = true;
            for (String want : e.getValue()) {
              assertTrue(answers.get(i).contains(want),
                  "the answer to\n" + commands.get(i) + "has no " + want + ":\n" + answers.get(i));
            }
          }
        }
        assertTrue(found, "the walk-through lost its command with " + e.getKey());
      }
    }
  }
}
