package org.crisishub.store.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.crisishub.domain.Area;
import org.crisishub.store.SafetyCheckStore;

/**
 * {@link SafetyCheckStore} on Redis: one Lua script per change ({@link SafetyScripts}), all keys
 * under {@code {g}}, so a member's move and the counters it changes are one atomic, fsynced unit.
 * Thread-safe.
 */
public final class RedisSafetyChecks implements SafetyCheckStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String G = RedisStore.G;
  private final RedisStore redis;
  private final RedisSafetyReports reports;
  private final RedisSafetyWaves waves;

  public RedisSafetyChecks(RedisStore redis) {
    this.redis = redis;
    this.reports = new RedisSafetyReports(redis, this);
    this.waves = new RedisSafetyWaves(redis);
  }

  static String key(String id) {
    return G + ":sc:" + id;
  }

  static String peopleKey(String id) {
    return G + ":scp:" + id;
  }

  @Override
  public Future<Void> createCheck(Check d) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", d.id()).put("incident", d.incident()).put("author", d.author()).put("agency", d.agency())
        .put("question", d.question()).put("audience", d.audienceJson()).put("needsApproval", d.needsApproval())
        .put("smsRecipients", d.smsRecipients()).put("smsSegments", d.smsSegments())
        .put("smsEncoding", d.smsEncoding()).put("estimatedSendSeconds", d.estimatedSendSeconds())
        .put("created", d.createdAt().toEpochMilli());
    if (d.escalationJson() != null) {
      n.put("escalation", d.escalationJson());
    }
    List<Request> tx = List.of(
        Request.cmd(Command.HSET).arg(key(d.id())).arg("d").arg(n.toString()).arg("state").arg("draft")
            .arg("audienceSize").arg(d.audienceSize()),
        Request.cmd(Command.ZADD).arg(G + ":scl:" + d.incident()).arg(d.createdAt().toEpochMilli()).arg(d.id()));
    return redis.multi(tx).mapEmpty();
  }

  private static long num(Response h, String field) {
    Response v = h.get(field);
    return v == null ? 0 : Long.parseLong(v.toString());
  }

  private static Instant at(Response h, String field) {
    Response v = h.get(field);
    return v == null || v.toString().isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(v.toString()));
  }

  private static Optional<Check> parse(Response h) {
    if (h == null || h.size() == 0 || h.get("d") == null) {
      return Optional.empty();
    }
    try {
      JsonNode d = JSON.readTree(h.get("d").toString());
      Response approvedBy = h.get("approvedBy");
      return Optional.of(new Check(d.get("id").asText(), d.get("incident").asText(), d.get("author").asText(),
          d.get("agency").asText(), h.get("state").toString(), d.get("question").asText(), d.get("audience").asText(),
          d.has("escalation") ? d.get("escalation").asText() : null, d.get("needsApproval").asBoolean(),
          approvedBy == null ? null : approvedBy.toString(), num(h, "audienceSize"), d.get("smsRecipients").asLong(),
          d.get("smsSegments").asInt(), d.get("smsEncoding").asText(), d.get("estimatedSendSeconds").asLong(),
          Instant.ofEpochMilli(d.get("created").asLong()), at(h, "started"), at(h, "closed"),
          new Tallies(num(h, "asked"), num(h, "delivered"), num(h, "safe"), num(h, "need_help"), num(h, "no_answer"),
              num(h, "unreachable"), num(h, "reported_safe"), num(h, "reported_need_help"))));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable safety check in Redis", e);
    }
  }

  @Override
  public Future<Optional<Check>> check(String id) {
    return redis.send(Request.cmd(Command.HGETALL).arg(key(id))).map(RedisSafetyChecks::parse);
  }

  private Future<List<Check>> all(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> reqs = new ArrayList<>();
    ids.forEach(id -> reqs.add(Request.cmd(Command.HGETALL).arg(key(id))));
    return redis.batch(reqs).map(rs -> {
      List<Check> out = new ArrayList<>();
      rs.forEach(r -> parse(r).ifPresent(out::add));
      return out;
    });
  }

  static List<String> strings(Response r) {
    List<String> out = new ArrayList<>();
    if (r != null) {
      r.forEach(x -> out.add(x.toString()));
    }
    return out;
  }

  @Override
  public Future<List<Check>> checks(String incident) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(G + ":scl:" + incident).arg(0).arg(-1))
        .compose(r -> all(strings(r)))
        .map(l -> l.stream().sorted(Comparator.comparing(Check::createdAt).thenComparing(Check::id).reversed())
            .toList());
  }

  @Override
  public Future<Optional<Check>> approveCheck(String id, String approver, Instant now) {
    return redis.eval(SafetyScripts.APPROVE, List.of(key(id)), List.of(id, approver))
        .compose(r -> r.toInteger() == 1 ? check(id) : Future.succeededFuture(Optional.empty()));
  }

  private Future<Boolean> start(String id, List<String> fromStates, List<Member> audience, String smsBody,
      Instant now, Instant repeatAt, Instant followersAt, String mode) {
    List<String> args = new ArrayList<>(List.of(id, String.valueOf(now.toEpochMilli()),
        smsBody == null ? "" : smsBody, String.valueOf(RedisStore.SHARDS), String.valueOf(RedisStore.OUTBOXES),
        repeatAt == null ? "" : String.valueOf(repeatAt.toEpochMilli()),
        followersAt == null ? "" : String.valueOf(followersAt.toEpochMilli()), mode,
        String.valueOf(fromStates.size())));
    args.addAll(fromStates);
    for (Member m : audience) {
      args.add(m.phone());
      args.add(m.byLocation() ? "1" : "0");
    }
    return redis.eval(SafetyScripts.START, List.of(key(id)), args).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Optional<Check>> startCheck(String id, List<String> fromStates, List<Member> audience, String smsBody,
      Instant now, Instant repeatAt, Instant followersAt) {
    return start(id, fromStates, audience, smsBody, now, repeatAt, followersAt, "start")
        .compose(ok -> ok ? check(id) : Future.succeededFuture(Optional.<Check>empty()))
        .andThen(ar -> {
          if (smsBody != null && ar.succeeded() && ar.result().isPresent()) {
            // The asks the opted-out (unreachable) numbers are never sent (counted once, when the check runs).
            redis.optedOutWithheld(ar.result().get().tallies().unreachable());
          }
        });
  }

  @Override
  public Future<Optional<Check>> beginStart(String id, List<String> fromStates) {
    List<String> args = new ArrayList<>(List.of(String.valueOf(fromStates.size())));
    args.addAll(fromStates);
    return redis.eval(SafetyScripts.BEGIN, List.of(key(id)), args)
        .compose(r -> r.toInteger() == 1 ? check(id) : Future.succeededFuture(Optional.empty()));
  }

  @Override
  public Future<Boolean> addAudience(String id, List<Member> audience, String smsBody, Instant now) {
    return start(id, List.of("starting"), audience, smsBody, now, null, null, "add");
  }

  @Override
  public Future<Optional<Check>> closeCheck(String id, Instant now) {
    return redis.eval(SafetyScripts.CLOSE, List.of(key(id)), List.of(String.valueOf(now.toEpochMilli()), id))
        .compose(r -> r.toInteger() == 1 ? check(id) : Future.succeededFuture(Optional.empty()));
  }

  @Override
  public Future<AnsweredCheckIn> answerWithCheckIn(String id, org.crisishub.domain.CheckInRequest req, Instant now) {
    // The answer script checks and moves (one step on {g}); the check-in is its own script on the
    // person's shard. Not one atomic step: a failure between them fails this future, and the retry
    // (same key) records the check-in once and moves no counter again.
    return redis.eval(SafetyScripts.ANSWER, List.of(key(id)), List.of(id, req.phone(), req.status().wire(),
        req.channel().wire(), String.valueOf(now.toEpochMilli()))).compose(r -> "ok".equals(r.toString())
            ? redis.checkInLog().recordCheckIn(req, now).map(ci -> new AnsweredCheckIn("ok", ci))
            : Future.succeededFuture(new AnsweredCheckIn(r.toString(), null)));
  }

  @Override
  public Future<AnswerResult> answer(String id, String phone, String status, String channel, Instant now) {
    return redis.eval(SafetyScripts.ANSWER, List.of(key(id)), List.of(id, phone, status, channel,
        String.valueOf(now.toEpochMilli()))).compose(r -> check(id).map(c -> new AnswerResult(r.toString(),
            c.orElse(null))));
  }

  @Override
  public Future<Void> asked(String id, String phone, boolean sms, boolean session, Instant now) {
    return redis.eval(SafetyScripts.ASKED, List.of(key(id)), List.of(id, phone, sms ? "1" : "0", session ? "1" : "0"))
        .mapEmpty();
  }

  @Override
  public Future<Void> askSent(String id, String phone, String sid, Instant now) {
    return redis.eval(SafetyScripts.ASK_SENT, List.of(key(id)), List.of(id, phone, sid)).mapEmpty();
  }

  @Override
  public Future<Optional<String>> deliveryReport(String sid, String status, String errorCode, Instant now) {
    return redis.eval(SafetyScripts.DELIVERY, List.of(G + ":scsid"), List.of(sid, status,
        errorCode == null ? "" : errorCode)).map(r -> r == null ? Optional.<String>empty() : Optional.of(r.toString()));
  }

  static Person member(String phone, String raw) {
    try {
      JsonNode m = JSON.readTree(raw);
      return new Person(phone, "1".equals(m.path("b").asText()), m.get("s").asText(),
          m.has("at") ? Instant.ofEpochMilli(Long.parseLong(m.get("at").asText())) : null,
          m.has("ch") ? m.get("ch").asText() : null, m.has("d") ? m.get("d").asText() : null,
          m.has("e") ? m.get("e").asText() : null, m.has("rs") ? m.get("rs").asText() : null,
          m.has("ra") ? Instant.ofEpochMilli(Long.parseLong(m.get("ra").asText())) : null,
          m.has("rb") ? m.get("rb").asText() : null);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable safety check member in Redis", e);
    }
  }

  @Override
  public Future<List<Person>> people(String id, String state) {
    if (state != null) {
      // The state's own set, then those members only: never a scan of the whole audience.
      return redis.send(Request.cmd(Command.SMEMBERS).arg(G + ":scs:" + id + ":" + state)).compose(r -> {
        List<String> phones = strings(r);
        phones.sort(null);
        List<Request> reqs = new ArrayList<>();
        for (int i = 0; i < phones.size(); i += 1000) {
          Request q = Request.cmd(Command.HMGET).arg(peopleKey(id));
          phones.subList(i, Math.min(phones.size(), i + 1000)).forEach(q::arg);
          reqs.add(q);
        }
        if (reqs.isEmpty()) {
          return Future.succeededFuture(List.<Person>of());
        }
        return redis.batch(reqs).map(rs -> {
          List<Person> out = new ArrayList<>();
          int k = 0;
          for (Response part : rs) {
            for (Response raw : part) {
              String phone = phones.get(k++);
              if (raw != null) {
                Person p = member(phone, raw.toString());
                if (state.equals(p.state())) {
                  out.add(p);
                }
              }
            }
          }
          return out;
        });
      });
    }
    return redis.send(Request.cmd(Command.HGETALL).arg(peopleKey(id))).map(h -> {
      List<Person> out = new ArrayList<>();
      if (h != null) {
        for (String phone : h.getKeys()) {
          out.add(member(phone, h.get(phone).toString()));
        }
      }
      out.sort(Comparator.comparing(Person::phone));
      return out;
    });
  }

  @Override
  public Future<PeoplePage> people(String id, String state, String after, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
    // The state's set (or, without a state, the members in phone order), sorted; only the page's
    // members are read and decoded.
    Future<List<String>> ids = state == null
        ? redis.send(Request.cmd(Command.ZRANGE).arg(G + ":scm:" + id).arg(after == null ? "-" : "(" + after)
            .arg("+").arg("BYLEX").arg("LIMIT").arg(0).arg(limit + 1)).map(RedisSafetyChecks::strings)
        : redis.send(Request.cmd(Command.SMEMBERS).arg(G + ":scs:" + id + ":" + state)).map(r -> {
          List<String> all = strings(r);
          List<String> sorted = new ArrayList<>(all.size());
          for (String p : all) {
            if (after == null || p.compareTo(after) > 0) {
              sorted.add(p);
            }
          }
          sorted.sort(null);
          return sorted.size() > limit + 1 ? sorted.subList(0, limit + 1) : sorted;
        });
    return ids.compose(phones -> {
      boolean more = phones.size() > limit;
      List<String> page = more ? phones.subList(0, limit) : phones;
      if (page.isEmpty()) {
        return Future.succeededFuture(new PeoplePage(List.of(), null));
      }
      Request q = Request.cmd(Command.HMGET).arg(peopleKey(id));
      page.forEach(q::arg);
      return redis.send(q).map(rs -> {
        List<Person> out = new ArrayList<>(page.size());
        int k = 0;
        for (Response raw : rs) {
          String phone = page.get(k++);
          if (raw != null) {
            Person p = member(phone, raw.toString());
            if (state == null || state.equals(p.state())) {
              out.add(p);
            }
          }
        }
        return new PeoplePage(out, more ? page.get(page.size() - 1) : null);
      });
    });
  }

  @Override
  public Future<Optional<Person>> person(String id, String phone) {
    return redis.send(Request.cmd(Command.HGET).arg(peopleKey(id)).arg(phone))
        .map(r -> r == null ? Optional.<Person>empty() : Optional.of(member(phone, r.toString())));
  }

  @Override
  public Future<List<Check>> openAsksOf(String phone) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(G + ":sca:" + phone).arg(0).arg(-1).arg("REV"))
        .compose(r -> {
          List<String> ids = strings(r);
          if (ids.isEmpty()) {
            return Future.succeededFuture(List.<Check>of());
          }
          List<Request> reqs = new ArrayList<>();
          ids.forEach(id -> reqs.add(Request.cmd(Command.HGET).arg(peopleKey(id)).arg(phone)));
          return redis.batch(reqs).compose(ps -> {
            List<String> open = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
              Response p = ps.get(i);
              if (p != null) {
                String s = member(phone, p.toString()).state();
                if (s.equals("no_answer") || s.equals("unreachable")) {
                  open.add(ids.get(i));
                }
              }
            }
            return all(open);
          }).map(l -> l.stream().filter(c -> "running".equals(c.state()))
              .sorted(Comparator.comparing(Check::startedAt).thenComparing(Check::id).reversed()).toList());
        });
  }

  // ---------------------------------------------------------------- escalation waves (RedisSafetyWaves)

  @Override
  public Future<List<String>> dueWaves(Instant now, int max) {
    return waves.dueWaves(now, max);
  }

  @Override
  public Future<Optional<WaveClaim>> claimWave(String id, String owner, Instant now, Duration lease) {
    return waves.claimWave(id, owner, now, lease);
  }

  @Override
  public Future<Optional<WaveBatch>> waveBatch(String id, String wave, String owner, Instant now, Duration lease,
      int limit) {
    return waves.waveBatch(id, wave, owner, now, lease, limit);
  }

  @Override
  public Future<Optional<List<WaveItem>>> waveCommit(String id, String wave, String owner, Instant now,
      Duration lease, String cursor, List<WaveItem> items) {
    return waves.waveCommit(id, wave, owner, now, lease, cursor, items);
  }

  @Override
  public Future<Boolean> finishWave(String id, String wave, String owner, Instant now) {
    return waves.finishWave(id, wave, owner, now);
  }

  @Override
  public Future<Integer> releaseWaveLeases() {
    return waves.releaseWaveLeases();
  }

  @Override
  public Future<Boolean> reached(String id, String phone, String follower) {
    return waves.reached(id, phone, follower);
  }

  @Override
  public Future<List<WaveItem>> pendingFrames(String id, int max) {
    return waves.pendingFrames(id, max);
  }

  @Override
  public Future<Void> framesSent(String id, List<String> phones) {
    return waves.framesSent(id, phones);
  }

  @Override
  public Future<List<String>> audiencePage(String id, String after, int limit) {
    return redis.send(Request.cmd(Command.ZRANGEBYLEX).arg(G + ":scm:" + id).arg(after == null ? "-" : "(" + after)
        .arg("+").arg("LIMIT").arg(0).arg(limit)).map(RedisSafetyChecks::strings);
  }

  @Override
  public Future<Void> askedSessions(String id, List<String> phones, Instant now) {
    if (phones.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> args = new ArrayList<>();
    args.add(id);
    args.addAll(phones);
    return redis.eval(SafetyScripts.ASKED_SESSIONS, List.of(key(id)), args).mapEmpty();
  }

  @Override
  public Future<ReportResult> report(String id, String phone, String follower, String status, String note,
      Instant now) {
    return reports.report(id, phone, follower, status, note, now);
  }

  @Override
  public Future<List<Report>> reportedHelp(String incident) {
    return reports.reportedHelp(incident);
  }

  @Override
  public Future<Optional<Report>> newestOpenReported(String follower) {
    return reports.newestOpenReported(follower);
  }

  @Override
  public Future<Optional<Report>> reportedRequest(String reportId) {
    return reports.reportedRequest(reportId);
  }

  @Override
  public Future<HelpStateResult> setReportedState(String reportId, String state, String responder, String agency,
      Instant now) {
    return reports.setReportedState(reportId, state, responder, agency, now);
  }

  @Override
  public Future<List<String>> latestInside(Area area) {
    return scan("0", new ArrayList<>()).compose(keys -> {
      if (keys.isEmpty()) {
        return Future.succeededFuture(List.<String>of());
      }
      List<Request> reqs = new ArrayList<>();
      keys.forEach(k -> reqs.add(Request.cmd(Command.ZRANGE).arg(k).arg(-1).arg(-1)));
      return redis.batch(reqs).map(rs -> {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
          Response r = rs.get(i);
          if (r == null || r.size() == 0) {
            continue;
          }
          String k = keys.get(i);
          String phone = k.substring(k.indexOf(":ci:") + 4);
          var ci = RedisStore.parseCheckIn(phone, r.get(0).toString());
          if (ci.location() != null && area.contains(ci.location())) {
            out.add(phone);
          }
        }
        out.sort(null);
        return out;
      });
    });
  }

  /** Every person's check-in key ({@code {sN}:ci:<phone>}), by SCAN (a cluster: per node, see docs/cluster.md). */
  private Future<List<String>> scan(String cursor, List<String> acc) {
    return redis.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg("{s*}:ci:*").arg("COUNT").arg(1000))
        .compose(r -> {
          r.get(1).forEach(k -> acc.add(k.toString()));
          String next = r.get(0).toString();
          return next.equals("0") ? Future.succeededFuture(acc) : scan(next, acc);
        });
  }

  /** Deletes an incident's checks with their members and SID links (retention). */
  Future<Void> purgeIncident(String incident) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(G + ":scl:" + incident).arg(0).arg(-1)).compose(r -> {
      List<String> ids = strings(r);
      if (ids.isEmpty()) {
        return Future.succeededFuture();
      }
      List<Request> reads = new ArrayList<>();
      ids.forEach(id -> reads.add(Request.cmd(Command.HGETALL).arg(peopleKey(id))));
      reads.add(Request.cmd(Command.HGETALL).arg(G + ":screp:" + incident));
      return redis.batch(reads).compose(ps -> {
        List<Request> dels = new ArrayList<>();
        Response reps = ps.get(ids.size());
        List<Request> threads = new ArrayList<>();
        if (reps != null && reps.size() > 0) {
          Request byId = Request.cmd(Command.HDEL).arg(G + ":screpx");
          for (String rid : reps.getKeys()) {
            byId.arg(rid);
            // The thread of a reported call for help lives with the threads, on its own key.
            threads.add(Request.cmd(Command.DEL).arg(RedisTriage.threadKey(rid)));
            dels.add(Request.cmd(Command.ZREM).arg(G + ":scby:" + RedisSafetyReports.parse(reps.get(rid).toString())
                .follower()).arg(rid));
          }
          dels.add(byId);
        }
        for (int i = 0; i < ids.size(); i++) {
          Response h = ps.get(i);
          if (h != null) {
            for (String phone : h.getKeys()) {
              dels.add(Request.cmd(Command.ZREM).arg(G + ":sca:" + phone).arg(ids.get(i)));
              try {
                JsonNode m = JSON.readTree(h.get(phone).toString());
                if (m.has("sid")) {
                  dels.add(Request.cmd(Command.HDEL).arg(G + ":scsid").arg(m.get("sid").asText()));
                }
              } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
              }
            }
          }
          String id = ids.get(i);
          dels.add(Request.cmd(Command.DEL).arg(key(id)).arg(peopleKey(id)).arg(G + ":scm:" + id)
              .arg(G + ":scr:" + id).arg(G + ":scf:" + id).arg(G + ":scfp:" + id).arg(G + ":scs:" + id + ":no_answer").arg(G + ":scs:" + id + ":unreachable")
              .arg(G + ":scs:" + id + ":safe").arg(G + ":scs:" + id + ":need_help"));
          dels.add(Request.cmd(Command.ZREM).arg(G + ":scdue").arg(id));
        }
        dels.add(Request.cmd(Command.DEL).arg(G + ":scl:" + incident).arg(G + ":screp:" + incident)
            .arg(G + ":schelp:" + incident));
        return redis.multi(dels).compose(x -> threads.isEmpty() ? Future.<List<Response>>succeededFuture(List.of())
            : redis.batch(threads)).mapEmpty();
      });
    });
  }
}
