package org.crisishub.store.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.crisishub.store.SafetyCheckStore.HelpStateResult;
import org.crisishub.store.SafetyCheckStore.Report;
import org.crisishub.store.SafetyCheckStore.ReportResult;

/**
 * Follower reports of {@link RedisSafetyChecks} (layout in {@link SafetyScripts#REPORT}): each
 * follower's latest report about a person is theirs, independent of other followers'; a reported
 * {@code need_help} is a help request with its own state. One script per change. Thread-safe.
 */
final class RedisSafetyReports {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String G = RedisStore.G;
  private final RedisStore redis;
  private final RedisSafetyChecks checks;

  RedisSafetyReports(RedisStore redis, RedisSafetyChecks checks) {
    this.redis = redis;
    this.checks = checks;
  }

  /** A report's stored JSON (fields written by the scripts; a missing help state of a need_help is open). */
  static Report parse(String raw) {
    try {
      JsonNode n = JSON.readTree(raw);
      String note = n.path("note").asText("");
      String status = n.get("status").asText();
      Instant at = Instant.ofEpochMilli(Long.parseLong(n.get("at").asText()));
      String hs = n.has("hs") ? n.get("hs").asText() : "need_help".equals(status) ? "open" : null;
      return new Report(n.get("id").asText(), n.get("check").asText(), n.get("incident").asText(),
          n.get("phone").asText(), n.get("follower").asText(), status, note.isEmpty() ? null : note, at, hs,
          n.has("br") ? n.get("br").asText() : null, n.has("ba") ? n.get("ba").asText() : null,
          n.has("u") ? Instant.ofEpochMilli(Long.parseLong(n.get("u").asText())) : at);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable safety check report in Redis", e);
    }
  }

  Future<ReportResult> report(String id, String phone, String follower, String status, String note, Instant now) {
    String rid = java.util.UUID.randomUUID().toString();
    return redis.eval(SafetyScripts.REPORT, List.of(G + ":sc:" + id), List.of(id, phone, follower, status,
        note == null ? "" : note, String.valueOf(now.toEpochMilli()), rid)).compose(r -> checks.check(id).map(c -> {
          String outcome = r.get(0).toString();
          Report rep = "ok".equals(outcome) ? parse(r.get(1).toString()) : null;
          return new ReportResult(outcome, rep, c.orElse(null));
        }));
  }

  Future<List<Report>> reportedHelp(String incident) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(G + ":schelp:" + incident).arg(0).arg(-1)).compose(r -> {
      List<String> ids = new ArrayList<>();
      r.forEach(x -> ids.add(x.toString()));
      if (ids.isEmpty()) {
        return Future.succeededFuture(List.<Report>of());
      }
      Request q = Request.cmd(Command.HMGET).arg(G + ":screp:" + incident);
      ids.forEach(q::arg);
      return redis.send(q).compose(raws -> {
        List<Report> reports = new ArrayList<>();
        raws.forEach(x -> {
          if (x != null) {
            Report rep = parse(x.toString());
            if ("open".equals(rep.helpState()) || "acknowledged".equals(rep.helpState())) {
              reports.add(rep);
            }
          }
        });
        if (reports.isEmpty()) {
          return Future.succeededFuture(List.<Report>of());
        }
        List<Request> reqs = new ArrayList<>();
        reports.forEach(rep -> reqs.add(Request.cmd(Command.HGET).arg(G + ":scp:" + rep.check()).arg(rep.phone())));
        return redis.batch(reqs).map(ps -> {
          List<Report> out = new ArrayList<>();
          for (int i = 0; i < reports.size(); i++) {
            Response p = ps.get(i);
            if (p != null) {
              String s = RedisSafetyChecks.member(reports.get(i).phone(), p.toString()).state();
              // Only the person's own answer takes a reported call out; other followers' reports never do.
              if (s.equals("no_answer") || s.equals("unreachable")) {
                out.add(reports.get(i));
              }
            }
          }
          return out;
        });
      });
    });
  }

  Future<Optional<Report>> newestOpenReported(String follower) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(G + ":scby:" + follower).arg(0).arg(0).arg("REV"))
        .compose(r -> r == null || r.size() == 0 ? Future.succeededFuture(Optional.<Report>empty())
            : reportedRequest(r.get(0).toString()));
  }

  Future<Optional<Report>> reportedRequest(String reportId) {
    return redis.eval(SafetyScripts.READ_REPORT, List.of(G + ":screpx"), List.of(reportId)).map(r -> {
      if (r == null) {
        return Optional.<Report>empty();
      }
      Report rep = parse(r.toString());
      return "need_help".equals(rep.status()) ? Optional.of(rep) : Optional.<Report>empty();
    });
  }

  Future<HelpStateResult> setReportedState(String reportId, String state, String responder, String agency,
      Instant now) {
    return redis.eval(SafetyScripts.SET_REPORTED, List.of(G + ":screpx"), List.of(reportId, state, responder,
        agency, String.valueOf(now.toEpochMilli()))).map(r -> new HelpStateResult(r.get(0).toString(),
            r.size() > 1 ? parse(r.get(1).toString()) : null));
  }
}
