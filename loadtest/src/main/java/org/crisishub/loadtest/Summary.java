package org.crisishub.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Medians over repeated runs: groups the result files of a folder by scenario and rate, and prints
 * the median of each figure and latency percentile (with the individual values).
 *
 * <pre>java -cp loadtest/target/loadtest.jar org.crisishub.loadtest.Summary loadtest/results</pre>
 */
public final class Summary {
  private Summary() {
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "loadtest/results");
    Map<String, List<JsonNode>> groups = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        JsonNode r = Report.JSON.readTree(f.toFile());
        String rate = r.path("params").path("rate").asText("");
        groups.computeIfAbsent(r.path("scenario").asText() + (rate.isEmpty() ? "" : " @" + rate + "/s"),
            k -> new ArrayList<>()).add(r);
      }
    }
    for (Map.Entry<String, List<JsonNode>> g : groups.entrySet()) {
      System.out.println("## " + g.getKey() + " (" + g.getValue().size() + " runs)");
      Map<String, List<Double>> values = new TreeMap<>();
      for (JsonNode r : g.getValue()) {
        r.path("figures").properties().forEach(e -> values.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
            .add(e.getValue().asDouble()));
        r.path("latencyMs").properties().forEach(l -> l.getValue().properties().forEach(e -> {
          if (!e.getKey().equals("count")) {
            values.computeIfAbsent(l.getKey() + " " + e.getKey() + " ms", k -> new ArrayList<>())
                .add(e.getValue().asDouble());
          }
        }));
      }
      for (Map.Entry<String, List<Double>> v : values.entrySet()) {
        List<Double> sorted = v.getValue().stream().sorted().toList();
        double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
            : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        System.out.printf("- %s: median %s (runs: %s)%n", v.getKey(), fmt(median),
            v.getValue().stream().map(Summary::fmt).toList());
      }
      System.out.println();
    }
  }

  static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e12 ? String.valueOf((long) d) : String.format("%.1f", d);
  }
}
