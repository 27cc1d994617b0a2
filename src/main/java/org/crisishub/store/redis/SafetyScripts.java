package org.crisishub.store.redis;

/**
 * Lua scripts of {@link RedisSafetyChecks}. Every key lives under the global tag {@code {g}} (the
 * opt-outs are there too, so a start reads them in the same script). Layout: {@code {g}:sc:<id>} a
 * hash (field {@code d}: the draft's fixed fields as JSON; {@code state}, {@code approvedBy},
 * {@code audienceSize}, {@code started}, {@code closed} and the tally counters), {@code
 * {g}:scp:<id>} a hash phone → member JSON, {@code {g}:scl:<incident>} the incident's checks by
 * creation time, {@code {g}:sca:<phone>} the checks a number is in by start time, {@code
 * {g}:scsid} SID → {@code id|phone}.
 */
final class SafetyScripts {
  private SafetyScripts() {
  }

  /** KEYS[1] = {g}:sc:id. ARGV: id, approver. Returns 1 when it was a draft. */
  static final String APPROVE = """
      if redis.call('HGET', KEYS[1], 'state') ~= 'draft' then return 0 end
      redis.call('HSET', KEYS[1], 'state', 'approved', 'approvedBy', ARGV[2])
      return 1
      """;

  /** KEYS[1] = {g}:sc:id. ARGV: now. Returns 1 when it was running. */
  static final String CLOSE = """
      if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
      redis.call('HSET', KEYS[1], 'state', 'closed', 'closed', ARGV[1])
      return 1
      """;

  /**
   * KEYS[1] = {g}:sc:id. ARGV: id, now, SMS body or '', outbox index of {g}, outbox count, number of
   * from-states, from-states..., then phone, byLocation ('1'/'0') pairs. Returns 1 when started.
   */
  static final String START = Scripts.ENQUEUE + """
      local id, now, body, obx, nob = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
      local nfrom = tonumber(ARGV[6])
      table.remove(ARGV, 3); table.remove(ARGV, 3); table.remove(ARGV, 3)
      local st = redis.call('HGET', KEYS[1], 'state')
      local ok = false
      for i = 1, nfrom do if ARGV[3 + i] == st then ok = true end end
      if not ok then return 0 end
      local pk = '{g}:scp:' .. id
      local na, un = 0, 0
      for i = 4 + nfrom, #ARGV, 2 do
        local phone = ARGV[i]
        local state = 'no_answer'
        if redis.call('HEXISTS', '{g}:optout', phone) == 1 then state = 'unreachable' end
        local rec = {b = ARGV[i + 1], s = state}
        if state == 'no_answer' and body ~= '' then rec.a = 1; rec.d = 'queued' end
        if redis.call('HSETNX', pk, phone, cjson.encode(rec)) == 1 then
          if state == 'unreachable' then un = un + 1 else
            na = na + 1
            if body ~= '' then enqueue('{g}', obx, nob, phone, 'safety:' .. id, '', body, now) end
          end
          redis.call('ZADD', '{g}:sca:' .. phone, now, id)
        end
      end
      local asked = 0
      if body ~= '' then asked = na end
      redis.call('HSET', KEYS[1], 'state', 'running', 'started', now, 'audienceSize', na + un,
        'no_answer', na, 'unreachable', un, 'asked', asked)
      return 1
      """;

  /**
   * KEYS[1] = {g}:sc:id. ARGV: id, phone, status, channel, now. Returns 'ok', 'not_running',
   * 'not_in_audience' or 'no_such_check'.
   */
  static final String ANSWER = """
      local id, phone, status = ARGV[1], ARGV[2], ARGV[3]
      local st = redis.call('HGET', KEYS[1], 'state')
      if not st then return 'no_such_check' end
      if st ~= 'running' then return 'not_running' end
      local pk = '{g}:scp:' .. id
      local raw = redis.call('HGET', pk, phone)
      if not raw then return 'not_in_audience' end
      local m = cjson.decode(raw)
      local from = m.s
      m.s = status
      m.at = ARGV[5]
      m.ch = ARGV[4]
      redis.call('HSET', pk, phone, cjson.encode(m))
      if from ~= status then
        redis.call('HINCRBY', KEYS[1], from, -1)
        redis.call('HINCRBY', KEYS[1], status, 1)
      end
      return 'ok'
      """;

  /** KEYS[1] = {g}:sc:id. ARGV: id, phone, sms '1'/'0', session '1'/'0'. */
  static final String ASKED = """
      local pk = '{g}:scp:' .. ARGV[1]
      local raw = redis.call('HGET', pk, ARGV[2])
      if not raw then return 0 end
      local m = cjson.decode(raw)
      if not m.a then
        m.a = 1
        redis.call('HINCRBY', KEYS[1], 'asked', 1)
      end
      if ARGV[3] == '1' then m.d = 'queued'; m.e = nil end
      if ARGV[4] == '1' then m.ss = 1 end
      redis.call('HSET', pk, ARGV[2], cjson.encode(m))
      return 1
      """;

  /** KEYS[1] = {g}:sc:id. ARGV: id, phone, sid. */
  static final String ASK_SENT = """
      local pk = '{g}:scp:' .. ARGV[1]
      local raw = redis.call('HGET', pk, ARGV[2])
      if not raw then return 0 end
      local m = cjson.decode(raw)
      m.sid = ARGV[3]
      if not m.d or m.d == 'queued' then m.d = 'sent' end
      redis.call('HSET', pk, ARGV[2], cjson.encode(m))
      redis.call('HSET', '{g}:scsid', ARGV[3], ARGV[1] .. '|' .. ARGV[2])
      return 1
      """;

  /** KEYS[1] = {g}:scsid. ARGV: sid, status, errorCode or ''. Returns the check id or false. */
  static final String DELIVERY = """
      local v = redis.call('HGET', KEYS[1], ARGV[1])
      if not v then return false end
      local sep = string.find(v, '|', 1, true)
      local id, phone = string.sub(v, 1, sep - 1), string.sub(v, sep + 1)
      local ck, pk = '{g}:sc:' .. id, '{g}:scp:' .. id
      local raw = redis.call('HGET', pk, phone)
      if not raw then return false end
      local m = cjson.decode(raw)
      local status = ARGV[2]
      m.d = status
      if ARGV[3] ~= '' then m.e = ARGV[3] else m.e = nil end
      if status == 'delivered' and not m.dl then
        m.dl = 1
        redis.call('HINCRBY', ck, 'delivered', 1)
      end
      if (status == 'failed' or status == 'undelivered') and m.s == 'no_answer' and not m.ss and not m.dl then
        m.s = 'unreachable'
        redis.call('HINCRBY', ck, 'no_answer', -1)
        redis.call('HINCRBY', ck, 'unreachable', 1)
      end
      redis.call('HSET', pk, phone, cjson.encode(m))
      return id
      """;
}
