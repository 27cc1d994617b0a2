package org.crisishub.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The result of one run: named latency histograms, counters, a per-second series; JSON and HTML. */
public final class Report {
  static final ObjectMapper JSON = new ObjectMapper();
  final String scenario;
  final ObjectNode params = JSON.createObjectNode();
  final Map<String, Histogram> latencies = new LinkedHashMap<>();
  final ObjectNode figures = JSON.createObjectNode();
  final List<long[]> perSecond = new ArrayList<>();
  /**
   * Named series of one value per second of the measured part (for example the worst latency of
   * the requests due in each second, in milliseconds): where in a run its tail fell.
   */
  final Map<String, List<Long>> series = new LinkedHashMap<>();

  Report(String scenario) {
    this.scenario = scenario;
  }

  /** Microsecond histogram up to one minute. */
  static Histogram histogram() {
    return new Histogram(3_600_000_000L, 3);
  }

  public ObjectNode json() {
    ObjectNode root = JSON.createObjectNode();
    root.put("scenario", scenario);
    root.set("params", params);
    root.set("figures", figures);
    ObjectNode lat = root.putObject("latencyMs");
    latencies.forEach((name, h) -> {
      ObjectNode n = lat.putObject(name);
      n.put("count", h.getTotalCount());
      n.put("p50", h.getValueAtPercentile(50) / 1000.0);
      n.put("p90", h.getValueAtPercentile(90) / 1000.0);
      n.put("p99", h.getValueAtPercentile(99) / 1000.0);
      n.put("p999", h.getValueAtPercentile(99.9) / 1000.0);
      n.put("max", h.getMaxValue() / 1000.0);
    });
    ArrayNode series = root.putArray("perSecond");
    for (long[] s : perSecond) {
      series.addArray().add(s[0]).add(s[1]);
    }
    ObjectNode named = root.putObject("series");
    this.series.forEach((name, values) -> values.forEach(named.putArray(name)::add));
    return root;
  }

  /** Writes {@code <scenario>-<stamp>.json} and an HTML page with an SVG percentile chart. */
  Path write(Path dir) throws Exception {
    Files.createDirectories(dir);
    String stamp = java.time.Instant.now().toString().replace(":", "").replace(".", "");
    Path json = dir.resolve(scenario + "-" + stamp + ".json");
    ObjectNode data = json();
    Files.writeString(json, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(data));
    Files.writeString(dir.resolve(scenario + "-" + stamp + ".html"), html(data));
    return json;
  }

  private String html(ObjectNode data) {
    StringBuilder svg = new StringBuilder();
    int w = 640;
    int h = 260;
    double[] pct = {50, 75, 90, 95, 99, 99.9, 99.99, 100};
    double max = 1;
    for (Histogram hist : latencies.values()) {
      max = Math.max(max, hist.getMaxValue() / 1000.0);
    }
    svg.append("<svg width='").append(w).append("' height='").append(h + 40)
        .append("' xmlns='http://www.w3.org/2000/svg' font-size='11'>");
    String[] colors = {"#1d4ed8", "#b91c1c", "#047857", "#7c3aed"};
    int c = 0;
    for (Map.Entry<String, Histogram> e : latencies.entrySet()) {
      StringBuilder path = new StringBuilder();
      for (int i = 0; i < pct.length; i++) {
        double x = 40 + i * (w - 60.0) / (pct.length - 1);
        double v = e.getValue().getValueAtPercentile(pct[i]) / 1000.0;
        double y = h - Math.log10(1 + v) / Math.log10(1 + max) * (h - 20);
        path.append(i == 0 ? "M" : "L").append(String.format("%.1f,%.1f", x, y));
      }
      svg.append("<path d='").append(path).append("' fill='none' stroke='").append(colors[c % colors.length])
          .append("' stroke-width='2'/><text x='50' y='").append(14 + 14 * c).append("' fill='")
          .append(colors[c % colors.length]).append("'>").append(e.getKey()).append("</text>");
      c++;
    }
    for (int i = 0; i < pct.length; i++) {
      double x = 40 + i * (w - 60.0) / (pct.length - 1);
      svg.append("<text x='").append(String.format("%.0f", x - 10)).append("' y='").append(h + 15).append("'>p")
          .append(pct[i]).append("</text>");
    }
    svg.append("<text x='2' y='").append(h).append("'>0</text><text x='2' y='20'>").append(String.format("%.0f", max))
        .append("ms</text></svg>");
    StringBuilder bars = new StringBuilder("<svg width='640' height='120' xmlns='http://www.w3.org/2000/svg'>");
    long peak = 1;
    for (long[] s : perSecond) {
      peak = Math.max(peak, s[1]);
    }
    for (int i = 0; i < perSecond.size(); i++) {
      double bh = perSecond.get(i)[1] * 100.0 / peak;
      bars.append(String.format("<rect x='%d' y='%.1f' width='%d' height='%.1f' fill='#1d4ed8'/>",
          i * 640 / Math.max(1, perSecond.size()), 100 - bh, Math.max(1, 640 / Math.max(1, perSecond.size()) - 1), bh));
    }
    bars.append("<text x='2' y='115' font-size='11'>per second, peak ").append(peak).append("</text></svg>");
    return "<!doctype html><meta charset='utf-8'><title>" + scenario + "</title><h1>" + scenario
        + "</h1><h2>Latency percentiles (log scale)</h2>" + svg + "<h2>Throughput</h2>" + bars
        + "<h2>Data</h2><pre>" + data.toPrettyString().replace("<", "&lt;") + "</pre>";
  }
}
