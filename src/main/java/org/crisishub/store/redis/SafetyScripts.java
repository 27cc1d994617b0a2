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

  /**
   * KEYS[1] = {g}:sc:id. ARGV: number of from-states, from-states... Returns 1 when the check was in
   * one of them and is now starting (its counters reset unless it was starting already).
   */
  static final String BEGIN = """
      local st = redis.call('HGET', KEYS[1], 'state')
      local ok = false
      for i = 1, tonumber(ARGV[1]) do if ARGV[1 + i] == st then ok = true end end
      if not ok then return 0 end
      if st ~= 'starting' then
        redis.call('HSET', KEYS[1], 'state', 'starting', 'audienceSize', 0, 'no_answer', 0, 'unreachable', 0,
          'asked', 0)
      end
      return 1
      """;

  /** KEYS[1] = {g}:sc:id. ARGV: now, id. Returns 1 when it was running. */
  static final String CLOSE = """
      if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
      redis.call('HSET', KEYS[1], 'state', 'closed', 'closed', ARGV[1])
      redis.call('HDEL', KEYS[1], 'leaseOwner', 'leaseUntil')
      redis.call('ZREM', '{g}:scdue', ARGV[2])
      return 1
      """;

  /**
   * KEYS[1] = {g}:sc:id. ARGV: id, now, SMS body or '', outbox index of {g}, outbox count, repeat wave
   * due ms or '', followers wave due ms or '', mode ('start': add and run; 'add': add to a starting
   * check), number of from-states, from-states..., then phone, byLocation ('1'/'0') pairs. The
   * counters grow by the members added (a start from a state other than starting begins at 0).
   * Returns 1 when done.
   */
  static final String START = Scripts.ENQUEUE + """
      local id, now, body, obx, nob = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
      local repeatAt, followersAt, mode = ARGV[6], ARGV[7], ARGV[8]
      local nfrom = tonumber(ARGV[9])
      local st = redis.call('HGET', KEYS[1], 'state')
      local ok = false
      for i = 1, nfrom do if ARGV[9 + i] == st then ok = true end end
      if not ok then return 0 end
      if st ~= 'starting' then
        redis.call('HSET', KEYS[1], 'audienceSize', 0, 'no_answer', 0, 'unreachable', 0, 'asked', 0)
      end
      local pk, mk = '{g}:scp:' .. id, '{g}:scm:' .. id
      local na, un = 0, 0
      for i = 10 + nfrom, #ARGV, 2 do
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
          redis.call('ZADD', mk, 0, phone)
          redis.call('SADD', '{g}:scs:' .. id .. ':' .. state, phone)
        end
      end
      local asked = 0
      if body ~= '' then asked = na end
      redis.call('HINCRBY', KEYS[1], 'audienceSize', na + un)
      redis.call('HINCRBY', KEYS[1], 'no_answer', na)
      redis.call('HINCRBY', KEYS[1], 'unreachable', un)
      redis.call('HINCRBY', KEYS[1], 'asked', asked)
      if mode == 'add' then
        redis.call('HSET', KEYS[1], 'state', 'starting')
        return 1
      end
      redis.call('HSET', KEYS[1], 'state', 'running', 'started', now)
      local next = nil
      if repeatAt ~= '' then
        redis.call('HSET', KEYS[1], 'repeatAt', repeatAt); next = tonumber(repeatAt)
      end
      if followersAt ~= '' then
        redis.call('HSET', KEYS[1], 'followersAt', followersAt)
        if not next or tonumber(followersAt) < next then next = tonumber(followersAt) end
      end
      if next then redis.call('ZADD', '{g}:scdue', next, id) end
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
        redis.call('SMOVE', '{g}:scs:' .. id .. ':' .. from, '{g}:scs:' .. id .. ':' .. status, phone)
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
        if m.s == 'unreachable' then
          m.s = 'no_answer'
          redis.call('HINCRBY', ck, 'unreachable', -1)
          redis.call('HINCRBY', ck, 'no_answer', 1)
          redis.call('SMOVE', '{g}:scs:' .. id .. ':unreachable', '{g}:scs:' .. id .. ':no_answer', phone)
        end
      end
      if (status == 'failed' or status == 'undelivered') and m.s == 'no_answer' and not m.ss and not m.dl then
        m.s = 'unreachable'
        redis.call('HINCRBY', ck, 'no_answer', -1)
        redis.call('HINCRBY', ck, 'unreachable', 1)
        redis.call('SMOVE', '{g}:scs:' .. id .. ':no_answer', '{g}:scs:' .. id .. ':unreachable', phone)
      end
      redis.call('HSET', pk, phone, cjson.encode(m))
      return id
      """;

  /**
   * KEYS[1] = {g}:scdue. ARGV: now, max. The running checks with a wave due and no live lease.
   */
  static final String DUE = """
      local now = tonumber(ARGV[1])
      local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
      local out = {}
      for _, id in ipairs(ids) do
        local h = redis.call('HMGET', '{g}:sc:' .. id, 'state', 'leaseOwner', 'leaseUntil')
        if h[1] == 'running' and (not h[2] or tonumber(h[3]) < now) then table.insert(out, id) end
      end
      return out
      """;

  /**
   * KEYS[1] = {g}:sc:id. ARGV: id, owner, now, lease ms. Returns {wave, cursor or ''} of the claimed
   * wave, or false.
   */
  static final String CLAIM_WAVE = """
      local h = redis.call('HMGET', KEYS[1], 'state', 'repeatAt', 'followersAt', 'repeatDone', 'followersDone',
        'repeatCursor', 'followersCursor', 'leaseOwner', 'leaseUntil')
      if h[1] ~= 'running' then return false end
      local now = tonumber(ARGV[3])
      if h[8] and h[8] ~= ARGV[2] and tonumber(h[9]) >= now then return false end
      local r, f = tonumber(h[2]), tonumber(h[3])
      local rd = r and r <= now and h[4] ~= '1'
      local fd = f and f <= now and h[5] ~= '1'
      local wave, cur
      if rd and (not fd or r <= f) then wave, cur = 'repeat', h[6]
      elseif fd then wave, cur = 'followers', h[7]
      else return false end
      redis.call('HSET', KEYS[1], 'leaseOwner', ARGV[2], 'leaseUntil', string.format('%d', now + tonumber(ARGV[4])))
      return {wave, cur or ''}
      """;

  /**
   * KEYS[1] = {g}:sc:id. ARGV: id, wave, owner, now, lease ms, limit. Returns {cursor, end '1'/'0',
   * phones...}, or false when the lease is not the owner's.
   */
  static final String WAVE_BATCH = """
      local id, wave = ARGV[1], ARGV[2]
      local h = redis.call('HMGET', KEYS[1], 'state', 'leaseOwner', wave .. 'Cursor')
      if h[1] ~= 'running' or h[2] ~= ARGV[3] then return false end
      local cur = h[3] or ''
      local from = '-'
      if cur ~= '' then from = '(' .. cur end
      local limit = tonumber(ARGV[6])
      local ms = redis.call('ZRANGEBYLEX', '{g}:scm:' .. id, from, '+', 'LIMIT', 0, limit)
      local flag = 'f'
      if wave == 'repeat' then flag = 'r' end
      local out = {cur, '0'}
      if #ms < limit then out[2] = '1' end
      for _, p in ipairs(ms) do
        out[1] = p
        local raw = redis.call('HGET', '{g}:scp:' .. id, p)
        if raw then
          local m = cjson.decode(raw)
          local unanswered = m.s == 'no_answer' or m.s == 'unreachable'
          if not m[flag] and unanswered and (wave == 'followers' or m.s == 'no_answer' or m.d) then
            table.insert(out, p)
          end
        end
      end
      redis.call('HSET', KEYS[1], 'leaseUntil', string.format('%d', tonumber(ARGV[4]) + tonumber(ARGV[5])))
      return out
      """;

  /**
   * KEYS[1] = {g}:sc:id. ARGV: id, wave, owner, now, lease ms, cursor, outbox index of {g}, outbox
   * count, items as JSON [{p, sms: [{to, sub, body}], reached: [follower...]}]. Returns the phones
   * done, or false when the lease is not the owner's.
   */
  static final String WAVE_COMMIT = Scripts.ENQUEUE + """
      local id, wave, now = ARGV[1], ARGV[2], ARGV[4]
      local h = redis.call('HMGET', KEYS[1], 'state', 'leaseOwner')
      if h[1] ~= 'running' or h[2] ~= ARGV[3] then return false end
      local obx, nob = tonumber(ARGV[7]), tonumber(ARGV[8])
      local flag = 'f'
      if wave == 'repeat' then flag = 'r' end
      local pk = '{g}:scp:' .. id
      local done = {}
      for _, it in ipairs(cjson.decode(ARGV[9])) do
        local raw = redis.call('HGET', pk, it.p)
        if raw then
          local m = cjson.decode(raw)
          if not m[flag] and (m.s == 'no_answer' or m.s == 'unreachable') then
            m[flag] = 1
            local key = 'safety:' .. id .. ':f:' .. it.p
            if wave == 'repeat' then
              key = 'safety:' .. id
              if #it.sms > 0 then m.d = 'queued'; m.e = nil end
            end
            redis.call('HSET', pk, it.p, cjson.encode(m))
            -- No subject: the claim of the {g} outbox cannot read the follows (they live on the subject's
            -- shard); the follow was read as active for this wave just before.
            for _, s in ipairs(it.sms) do enqueue('{g}', obx, nob, s.to, key, '', s.body, now) end
            for _, f in ipairs(it.reached) do redis.call('HSET', '{g}:scr:' .. id, it.p .. '|' .. f, 1) end
            -- The frames owed to the followers, until the node that sends them says so ({g}:scfp:<id>).
            if wave == 'followers' and #it.reached > 0 then
              redis.call('HSET', '{g}:scfp:' .. id, it.p, cjson.encode(it.reached))
            end
            table.insert(done, it.p)
          end
        end
      end
      redis.call('HSET', KEYS[1], wave .. 'Cursor', ARGV[6],
        'leaseUntil', string.format('%d', tonumber(now) + tonumber(ARGV[5])))
      return done
      """;

  /** KEYS[1] = {g}:sc:id. ARGV: id, wave, owner. Returns 1 when the owner held the lease. */
  static final String FINISH_WAVE = """
      local h = redis.call('HMGET', KEYS[1], 'leaseOwner', 'repeatAt', 'followersAt', 'repeatDone', 'followersDone')
      if h[1] ~= ARGV[3] then return 0 end
      redis.call('HSET', KEYS[1], ARGV[2] .. 'Done', '1')
      redis.call('HDEL', KEYS[1], 'leaseOwner', 'leaseUntil')
      local rdone = ARGV[2] == 'repeat' or h[4] == '1'
      local fdone = ARGV[2] == 'followers' or h[5] == '1'
      local next = nil
      if not rdone and h[2] then next = tonumber(h[2]) end
      if not fdone and h[3] and (not next or tonumber(h[3]) < next) then next = tonumber(h[3]) end
      if next then redis.call('ZADD', '{g}:scdue', next, ARGV[1]) else redis.call('ZREM', '{g}:scdue', ARGV[1]) end
      return 1
      """;

  /**
   * KEYS[1] = {g}:sc:id. ARGV: id, phone, follower, status, note or '', now, new report id. Returns
   * {outcome} ('no_such_check', 'not_running', 'not_reached', 'answered') or {'ok', report JSON}.
   * Reports live in {g}:screp:<incident> (id → JSON; hs: help state, br/ba: who acted, u: when),
   * {g}:screpx (id → incident), {g}:scf:<id> ('phone|follower' → that follower's current report id);
   * {g}:schelp:<incident> holds the reported need_help still in the help queue, {g}:scby:<follower>
   * the same by reporter (for SMS thread routing). Reports by different
   * followers are independent; the same follower's later report replaces theirs (a repeated
   * need_help while theirs is not resolved updates its note, same id).
   */
  static final String REPORT = """
      local id, phone, follower, status = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
      local st = redis.call('HGET', KEYS[1], 'state')
      if not st then return {'no_such_check'} end
      if st ~= 'running' then return {'not_running'} end
      if redis.call('HEXISTS', '{g}:scr:' .. id, phone .. '|' .. follower) == 0 then return {'not_reached'} end
      local pk = '{g}:scp:' .. id
      local raw = redis.call('HGET', pk, phone)
      if not raw then return {'answered'} end
      local m = cjson.decode(raw)
      if m.s ~= 'no_answer' and m.s ~= 'unreachable' then return {'answered'} end
      local before = m.rs
      m.rs, m.ra, m.rb = status, ARGV[6], follower
      redis.call('HSET', pk, phone, cjson.encode(m))
      if before ~= status then
        if before then redis.call('HINCRBY', KEYS[1], 'reported_' .. before, -1) end
        redis.call('HINCRBY', KEYS[1], 'reported_' .. status, 1)
      end
      local inc = cjson.decode(redis.call('HGET', KEYS[1], 'd')).incident
      local rk, fk, hk = '{g}:screp:' .. inc, '{g}:scf:' .. id, '{g}:schelp:' .. inc
      local mine = nil
      local mineId = redis.call('HGET', fk, phone .. '|' .. follower)
      if mineId then
        local old = redis.call('HGET', rk, mineId)
        if old then mine = cjson.decode(old) end
      end
      if status == 'need_help' and mine and mine.status == 'need_help' and mine.hs ~= 'resolved' then
        mine.note = ARGV[5]
        local enc = cjson.encode(mine)
        redis.call('HSET', rk, mine.id, enc)
        return {'ok', enc}
      end
      if mine then
        redis.call('ZREM', hk, mine.id)
        redis.call('ZREM', '{g}:scby:' .. follower, mine.id)
      end
      local rec = {id = ARGV[7], check = id, incident = inc, phone = phone, follower = follower,
        status = status, note = ARGV[5], at = ARGV[6], u = ARGV[6]}
      if status == 'need_help' then rec.hs = 'open' end
      local enc = cjson.encode(rec)
      redis.call('HSET', rk, ARGV[7], enc)
      redis.call('HSET', '{g}:screpx', ARGV[7], inc)
      redis.call('HSET', fk, phone .. '|' .. follower, ARGV[7])
      if status == 'need_help' then
        redis.call('ZADD', hk, ARGV[6], ARGV[7])
        redis.call('ZADD', '{g}:scby:' .. follower, ARGV[6], ARGV[7])
      end
      return {'ok', enc}
      """;

  /** KEYS[1] = {g}:screpx. ARGV: report id. Returns the report's JSON, or false. */
  static final String READ_REPORT = """
      local inc = redis.call('HGET', KEYS[1], ARGV[1])
      if not inc then return false end
      return redis.call('HGET', '{g}:screp:' .. inc, ARGV[1])
      """;

  /**
   * KEYS[1] = {g}:screpx. ARGV: report id, state, responder, agency, now. Moves a reported need_help
   * forward (open → acknowledged → resolved; a resolved one leaves the queue). Returns {'ok', JSON},
   * {'conflict', JSON} or {'not_found'}.
   */
  static final String SET_REPORTED = """
      local inc = redis.call('HGET', KEYS[1], ARGV[1])
      if not inc then return {'not_found'} end
      local rk = '{g}:screp:' .. inc
      local raw = redis.call('HGET', rk, ARGV[1])
      if not raw then return {'not_found'} end
      local r = cjson.decode(raw)
      if r.status ~= 'need_help' then return {'not_found'} end
      local order = {open = 1, acknowledged = 2, resolved = 3}
      local from, to = order[r.hs or 'open'], order[ARGV[2]]
      if not to or to <= from then return {'conflict', raw} end
      r.hs, r.br, r.ba, r.u = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
      local enc = cjson.encode(r)
      redis.call('HSET', rk, ARGV[1], enc)
      if ARGV[2] == 'resolved' then
        redis.call('ZREM', '{g}:schelp:' .. inc, ARGV[1])
        redis.call('ZREM', '{g}:scby:' .. r.follower, ARGV[1])
      end
      return {'ok', enc}
      """;

  /**
   * KEYS[1] = {g}:sc:id. ARGV: id, phones... Each member had an open session that got the ask:
   * counted asked once, marked with a session. Returns how many were newly asked.
   */
  static final String ASKED_SESSIONS = """
      local pk = '{g}:scp:' .. ARGV[1]
      local n = 0
      for i = 2, #ARGV do
        local raw = redis.call('HGET', pk, ARGV[i])
        if raw then
          local m = cjson.decode(raw)
          if not m.a then m.a = 1; n = n + 1 end
          m.ss = 1
          redis.call('HSET', pk, ARGV[i], cjson.encode(m))
        end
      end
      if n > 0 then redis.call('HINCRBY', KEYS[1], 'asked', n) end
      return n
      """;

  /** KEYS[1] = {g}:scdue. Releases the wave leases of every check with waves left. Returns how many. */
  static final String RELEASE = """
      local n = 0
      for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
        if redis.call('HDEL', '{g}:sc:' .. id, 'leaseOwner', 'leaseUntil') > 0 then n = n + 1 end
      end
      return n
      """;
}
