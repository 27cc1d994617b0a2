package org.crisishub.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.crisishub.store.AuditChain;

/**
 * The operator's check of the audit trail against a head kept elsewhere (docs/operations.md, "The
 * audit trail"). Reads every entry from a running hub ({@code GET /api/v1/admin/audit}, the admin
 * token from {@code HUB_ADMIN_TOKEN} in the environment, never an argument), recomputes every hash
 * and link itself (it does not trust the hub's verify endpoint), and, with a kept head, checks that
 * the entry numbered {@code --entries} still carries hash {@code --head}: a trail cut after that
 * entry, or rewritten up to it, fails.
 *
 * <pre>HUB_ADMIN_TOKEN=… java -cp crisis-hub.jar org.crisishub.tools.AuditCheck \
 *     --url http://hub:8080 [--head HASH --entries N]</pre>
 *
 * <p>Prints {@code ok entries=N head=HASH} (the new head, to keep for next time) and exits 0; exits 1
 * with {@code broken …} on standard output when the chain or the kept head does not hold; 2 for a
 * usage error or a hub it cannot read.
 */
public final class AuditCheck {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AuditCheck() {
  }

  /** The outcome of a check: exit status and the line to print. */
  public record Outcome(int status, String line) {
  }

  public static void main(String[] args) {
    Outcome o = run(args, System.getenv(), System.err);
    System.out.println(o.line());
    System.exit(o.status());
  }

  /** Runs the check with {@code env} as the environment; usage errors are also written to {@code err}. */
  public static Outcome run(String[] args, Map<String, String> env, PrintStream err) {
    String url = null;
    String keptHead = null;
    long keptEntries = -1;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--url" -> url = args[++i];
          case "--head" -> keptHead = args[++i].toLowerCase(java.util.Locale.ROOT);
          case "--entries" -> keptEntries = Long.parseLong(args[++i]);
          default -> throw new IllegalArgumentException("unknown argument " + args[i]);
        }
      }
      if (url == null || (keptHead == null) != (keptEntries < 0)) {
        throw new IllegalArgumentException("--url is required; --head and --entries go together");
      }
    } catch (RuntimeException e) {
      err.println("usage: AuditCheck --url http://hub:8080 [--head HASH --entries N]"
          + "   (admin token in HUB_ADMIN_TOKEN)");
      return new Outcome(2, "error " + e.getMessage());
    }
    String token = env.get("HUB_ADMIN_TOKEN");
    if (token == null || token.isEmpty()) {
      return new Outcome(2, "error HUB_ADMIN_TOKEN is not set");
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    AuditChain.Walk walk = new AuditChain.Walk();
    boolean keptSeen = keptEntries == 0 && AuditChain.GENESIS.equals(keptHead);
    String after = "0";
    String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    try {
      while (after != null) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/admin/audit?limit=1000&after="
            + after)).header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          return new Outcome(2, "error the hub answered " + r.statusCode() + " to the audit read");
        }
        JsonNode page = JSON.readTree(r.body());
        for (JsonNode n : page.path("entries")) {
          AuditChain.Entry e = AuditChain.parse(n);
          if (!walk.accept(e)) {
            return new Outcome(1, "broken brokenAt=" + walk.brokenAt());
          }
          if (keptHead != null && e.id() == keptEntries) {
            if (!keptHead.equals(e.hash())) {
              return new Outcome(1, "broken entry " + keptEntries + " no longer has the kept head hash");
            }
            keptSeen = true;
          }
        }
        after = page.hasNonNull("next") ? page.get("next").asText() : null;
      }
    } catch (IOException | IllegalArgumentException e) {
      return new Outcome(2, "error cannot read the audit trail from " + base + ": " + describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome(2, "error interrupted");
    }
    if (keptHead != null && !keptSeen) {
      return new Outcome(1, "broken the trail has " + walk.count() + " entries, fewer than the kept "
          + keptEntries + ": its tail was cut");
    }
    return new Outcome(0, "ok entries=" + walk.count() + " head=" + walk.head());
  }

  /** The exception's message, or its kind when it has none (a refused connection has no message). */
  private static String describe(Exception e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
