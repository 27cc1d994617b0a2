package org.crisishub.store.redis;

import static org.crisishub.store.redis.RedisStore.G;
import static org.crisishub.store.redis.RedisStore.sortedStrings;

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

/**
 * {@link org.crisishub.store.SmsInbound} on Redis: replies by MessageSid ({@code {g}:in:<sid>}, 7 days),
 * opt-outs ({@code {g}:optout}) and incident SMS subscriptions ({@code {g}:incsms:<code>},
 * {@code {g}:joined:<phone>}). Thread-safe.
 */
final class RedisSmsInbound implements org.crisishub.store.SmsInbound {
  /** KEYS[1] = {g}:incsms:code. ARGV: phone, code, joined (1/0), now. 1 when it changed something. */
  private static final String INCIDENT_SMS = """
      local jk = '{g}:joined:' .. ARGV[1]
      if ARGV[3] == '1' then
        if redis.call('ZADD', KEYS[1], 'NX', ARGV[4], ARGV[1]) == 0 then return 0 end
        redis.call('ZADD', jk, ARGV[4], ARGV[2])
        return 1
      end
      redis.call('ZREM', jk, ARGV[2])
      return redis.call('ZREM', KEYS[1], ARGV[1])
      """;

  private final RedisStore store;

  RedisSmsInbound(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<Void> setSmsOptOut(String phone, boolean optedOut, Instant now) {
    return store.send(optedOut
        ? Request.cmd(Command.HSET).arg(G + ":optout").arg(phone).arg(now.toEpochMilli())
        : Request.cmd(Command.HDEL).arg(G + ":optout").arg(phone)).mapEmpty();
  }

  @Override
  public Future<Boolean> isSmsOptedOut(String phone) {
    return store.send(Request.cmd(Command.HEXISTS).arg(G + ":optout").arg(phone)).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Optional<String>> inboundReply(String messageSid) {
    return store.send(Request.cmd(Command.GET).arg(G + ":in:" + messageSid))
        .map(r -> r == null ? Optional.empty() : Optional.of(r.toString()));
  }

  @Override
  public Future<Void> saveInboundReply(String messageSid, String reply, Instant now) {
    // Twilio retries a webhook for minutes; a week of memory is plenty.
    return store.send(Request.cmd(Command.SET).arg(G + ":in:" + messageSid).arg(reply).arg("NX").arg("PX")
        .arg(Duration.ofDays(7).toMillis())).mapEmpty();
  }

  @Override
  public Future<Boolean> setIncidentSms(String phone, String incident, boolean joined, Instant now) {
    return store.eval(INCIDENT_SMS, List.of(G + ":incsms:" + incident),
        List.of(phone, incident, joined ? "1" : "0", String.valueOf(now.toEpochMilli()))).map(r -> r.toInteger() > 0);
  }

  @Override
  public Future<List<String>> joinedOpenIncidents(String phone) {
    return store.send(Request.cmd(Command.ZRANGE).arg(G + ":joined:" + phone).arg(0).arg(-1).arg("WITHSCORES"))
        .compose(r -> {
          record Joined(String code, double at) {
          }
          List<Joined> joined = new ArrayList<>();
          for (Response e : r) {
            // RESP2 gives a flat list, RESP3 pairs.
            if (e.type() == io.vertx.redis.client.ResponseType.MULTI) {
              joined.add(new Joined(e.get(0).toString(), e.get(1).toDouble()));
            }
          }
          if (joined.isEmpty() && r.size() > 0 && r.get(0).type() != io.vertx.redis.client.ResponseType.MULTI) {
            for (int i = 0; i + 1 < r.size(); i += 2) {
              joined.add(new Joined(r.get(i).toString(), r.get(i + 1).toDouble()));
            }
          }
          joined.sort(Comparator.comparingDouble(Joined::at).reversed().thenComparing(Joined::code));
          List<Request> states = new ArrayList<>();
          for (Joined j : joined) {
            states.add(Request.cmd(Command.HGET).arg(G + ":inc:" + j.code()).arg("state"));
          }
          return store.batch(states).map(rs -> {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < joined.size(); i++) {
              if (rs.get(i) != null && rs.get(i).toString().equals("open")) {
                out.add(joined.get(i).code());
              }
            }
            return out;
          });
        });
  }

  @Override
  public Future<List<String>> incidentSmsSubscribers(String incident) {
    return store.send(Request.cmd(Command.ZRANGE).arg(G + ":incsms:" + incident).arg(0).arg(-1)).map(RedisStore::sortedStrings);
  }

}
