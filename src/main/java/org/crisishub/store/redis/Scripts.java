package org.crisishub.store.redis;

/**
 * The Lua scripts of the Redis store. Each runs atomically and touches the keys of one hash tag
 * only (one Redis Cluster slot): the first key it is given names that tag, the others are built
 * from the tag passed as {@code ARGV[1]} (docs/cluster.md, "Key layout").
 *
 * <p>Follow edges are stored as {@code state|sms|updatedMs} (sms is 1 or 0); check-ins in a
 * person's sorted set as {@code seq|notified|payloadJson} with score {@code seq}.
 */
final class Scripts {
  private Scripts() {
  }

  /** Queues an SMS in the outbox of {@code tag}, or replaces the text of a waiting one with the same key. */
  static final String ENQUEUE = """
      local function enqueue(tag, idx, nshard, to, ck, subject, body, now)
        if ck ~= '' then
          local id = redis.call('GET', tag .. ':smsq:' .. to .. '|' .. ck)
          if id and redis.call('HGET', tag .. ':sms:' .. id, 'state') == 'queued' then
            redis.call('HSET', tag .. ':sms:' .. id, 'body', body, 'subject', subject, 'updated', now)
            return 0
          end
        end
        local n = redis.call('INCR', tag .. ':smsseq')
        local id = string.format('%d', n * nshard + idx)
        local mk = tag .. ':sms:' .. id
        redis.call('HSET', mk, 'to', to, 'ck', ck, 'subject', subject, 'body', body, 'state', 'queued',
          'attempts', 0, 'created', now, 'updated', now)
        local eid = redis.call('XADD', tag .. ':ob', '*', 'id', id)
        redis.call('HSET', mk, 'eid', eid)
        redis.call('ZADD', tag .. ':obw', now, id)
        if ck ~= '' then redis.call('SET', tag .. ':smsq:' .. to .. '|' .. ck, id) end
        return 1
      end
      """;

  /**
   * KEYS[1] = tag:seq:phone. ARGV: tag, outbox index, outbox count, phone, payload, now, idempotency key
   * or '', window ms, SMS text with the seq placeholder, placeholder, incident or '', check-in id, the
   * check-in's time in ms (madeAt, else now), a JSON object of follower → that follower's own SMS text
   * (with the seq placeholder; for followers who labelled the person), '1' when the time is the client's
   * madeAt else '0', help incidents... Returns
   * {'dup', member} or
   * {'new', seq, late (1/0), follower1, edge1, ...} (active followers).
   *
   * <p>{@code tag:st:phone} = {@code seq|time ms|m} of the person's latest status ({@code m} = 1 when
   * its time is the client's madeAt; absent counts as 0): a check-in whose time is earlier is late
   * (stored, marked, no SMS) and leaves it alone, except that two check-ins both timed by the hub are
   * ordered by seq (commit order), never by their millisecond stamps, which pipelining may swap.
   */
  static final String CHECK_IN = ENQUEUE + """
      local tag, idx, nshard, phone, payload, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
      local cik = tag .. ':ci:' .. phone
      local idk = ''
      if ARGV[7] ~= '' then
        idk = tag .. ':idem:' .. phone .. ':' .. ARGV[7]
        local v = redis.call('GET', idk)
        if v then
          local sep = string.find(v, '|', 1, true)
          local seq = string.sub(v, 1, sep - 1)
          if tonumber(now) - tonumber(string.sub(v, sep + 1)) < tonumber(ARGV[8]) then
            local m = redis.call('ZRANGEBYSCORE', cik, seq, seq)
            if #m > 0 then return {'dup', m[1]} end
          end
        end
      end
      local time = tonumber(ARGV[13])
      local stk = tag .. ':st:' .. phone
      local cur = redis.call('GET', stk)
      local stTime, stMade = nil, false
      if cur then
        local a = string.find(cur, '|', 1, true)
        local b = string.find(cur, '|', a + 1, true)
        stTime = tonumber(string.sub(cur, a + 1, b and b - 1 or -1))
        stMade = b ~= nil and string.sub(cur, b + 1) == '1'
      else
        -- Stored before v2: the newest check-in is the status.
        local top = redis.call('ZRANGE', cik, -1, -1)
        if #top > 0 then
          local a = string.find(top[1], '|', 1, true)
          local b = string.find(top[1], '|', a + 1, true)
          local prev = cjson.decode(string.sub(top[1], b + 1))
          stTime = tonumber(prev.ma or prev.at)
          stMade = prev.ma ~= nil
        end
      end
      local made = ARGV[15] == '1'
      local late = stTime ~= nil and time < stTime and (made or stMade)
      local seq = redis.call('INCR', KEYS[1])
      if late then
        payload = string.sub(payload, 1, -2) .. ',"late":true}'
      else
        redis.call('SET', stk, seq .. '|' .. ARGV[13] .. '|' .. (made and '1' or '0'))
      end
      -- The text with its last mark replaced by "#<seq>)": the seq is known only here.
      local function withSeq(text, mark, seq)
        local s, e, from = nil, nil, 1
        while true do
          local a, b = string.find(text, mark, from, true)
          if not a then break end
          s, e, from = a, b, a + 1
        end
        return s and (string.sub(text, 1, s - 1) .. '#' .. seq .. ')' .. string.sub(text, e + 1)) or text
      end
      local fw = redis.call('HGETALL', tag .. ':fw:' .. phone)
      local out = {'new', seq, late and 1 or 0}
      local body = nil
      local own = cjson.decode(ARGV[14])
      for i = 1, #fw, 2 do
        local v = fw[i + 1]
        if string.sub(v, 1, 7) == 'active|' then
          table.insert(out, fw[i])
          table.insert(out, v)
          if string.sub(v, 8, 8) == '1' and not late then
            local text = own[fw[i]]
            if text then
              text = withSeq(text, ARGV[10], seq)
            elseif not body then
              body = withSeq(ARGV[9], ARGV[10], seq)
            end
            enqueue(tag, idx, nshard, fw[i], 'status:' .. phone, phone, text or body, now)
          end
        end
      end
      local notified = (#out - 3) / 2
      redis.call('ZADD', cik, seq, seq .. '|' .. notified .. '|' .. payload)
      redis.call('ZADD', tag .. ':age', now, phone .. '|' .. seq .. '|' .. ARGV[11])
      if idk ~= '' then redis.call('SET', idk, seq .. '|' .. now, 'PX', tonumber(ARGV[8]) + 3600000) end
      for i = 16, #ARGV do
        redis.call('HSET', tag .. ':help:' .. ARGV[i], ARGV[12], cjson.encode({phone = phone, seq = tostring(seq),
          state = 'open', by = '', ag = '', created = now, updated = now}))
        redis.call('SADD', tag .. ':helpinc:' .. ARGV[12], ARGV[i])
      end
      return out
      """;

  /**
   * KEYS[1] = tag:fw:subject, KEYS[2] = tag:fl:subject. ARGV: follower, label ('' = remove). Sets the
   * follower's private label of the subject; 0 (nothing changed) when there is no follow.
   */
  static final String SET_LABEL = """
      if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
      if ARGV[2] == '' then redis.call('HDEL', KEYS[2], ARGV[1]) else redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
      return 1
      """;

  /** KEYS[1] = tag:fw:subject, KEYS[2] = tag:fl:subject. ARGV: follower. Removes the follow and its label. */
  static final String UNFOLLOW = """
      redis.call('HDEL', KEYS[2], ARGV[1])
      return redis.call('HDEL', KEYS[1], ARGV[1])
      """;

  /** KEYS[1] = a hash; ARGV: field, expected value ('' = absent), new value ('' = delete). 1 when set. */
  static final String COMPARE_AND_SET = """
      local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
      if cur ~= ARGV[2] then return 0 end
      if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
      return 1
      """;

  /**
   * KEYS[1] = tag:ct:owner. ARGV: tag, owner, contact, now. Trusts the contact; a pending follow of
   * the contact on the owner becomes active and its new edge is returned.
   */
  static final String PUT_CONTACT = """
      redis.call('HSETNX', KEYS[1], ARGV[3], ARGV[4])
      local fk = ARGV[1] .. ':fw:' .. ARGV[2]
      local v = redis.call('HGET', fk, ARGV[3])
      if v and string.sub(v, 1, 8) == 'pending|' then
        local nv = 'active|' .. string.sub(v, 9, 9) .. '|' .. ARGV[4]
        redis.call('HSET', fk, ARGV[3], nv)
        return nv
      end
      return false
      """;

  /** KEYS[1] = otp hash. ARGV: code hash, now, max tries. */
  static final String CHECK_OTP = """
      local v = redis.call('HMGET', KEYS[1], 'h', 'exp', 'tries')
      if not v[1] or tonumber(v[2]) <= tonumber(ARGV[2]) then return 'NONE' end
      if v[1] == ARGV[1] then redis.call('DEL', KEYS[1]) return 'OK' end
      local t = tonumber(v[3]) + 1
      if t >= tonumber(ARGV[3]) then redis.call('DEL', KEYS[1]) else redis.call('HSET', KEYS[1], 'tries', t) end
      return 'WRONG'
      """;

  /** KEYS[1] = tag:ob. ARGV: tag, outbox index, outbox count, to, coalesce key or '', subject or '', body, now. */
  static final String ENQUEUE_SMS = ENQUEUE + """
      return enqueue(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
      """;

  /**
   * KEYS[1] = tag:ob. ARGV: tag, group, owner, now, max, lease ms. Moves due retries back into the
   * stream, takes over entries whose lease ran out (XAUTOCLAIM), reads new ones (XREADGROUP), and
   * returns {id, to, body, attempts, coalesce key, ...} of those still to be sent; entries whose follow was
   * revoked are cancelled here.
   */
  static final String CLAIM = """
      local tag, group, owner, now, max, lease = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
      local due = redis.call('ZRANGEBYSCORE', tag .. ':obd', '-inf', now, 'LIMIT', 0, max)
      for _, id in ipairs(due) do
        redis.call('ZREM', tag .. ':obd', id)
        local mk = tag .. ':sms:' .. id
        if redis.call('EXISTS', mk) == 1 then
          redis.call('HSET', mk, 'eid', redis.call('XADD', KEYS[1], '*', 'id', id))
        end
      end
      local entries = {}
      local ac = redis.call('XAUTOCLAIM', KEYS[1], group, owner, lease, '0-0', 'COUNT', max)
      for _, e in ipairs(ac[2]) do table.insert(entries, e) end
      if #entries < max then
        local r = redis.call('XREADGROUP', 'GROUP', group, owner, 'COUNT', max - #entries, 'STREAMS', KEYS[1], '>')
        if r then for _, e in ipairs(r[1][2]) do table.insert(entries, e) end end
      end
      local out = {}
      for _, e in ipairs(entries) do
        local eid, id = e[1], e[2][2]
        local mk = tag .. ':sms:' .. id
        local m = redis.call('HMGET', mk, 'state', 'to', 'subject', 'body', 'attempts', 'ck')
        local drop = nil
        if m[1] ~= 'queued' and m[1] ~= 'sending' then
          drop = 'gone'
        elseif m[3] ~= '' and string.sub(redis.call('HGET', tag .. ':fw:' .. m[3], m[2]) or '', 1, 7) ~= 'active|' then
          drop = 'cancelled'
        end
        if drop then
          redis.call('XACK', KEYS[1], group, eid)
          redis.call('XDEL', KEYS[1], eid)
          if drop == 'cancelled' then
            redis.call('HSET', mk, 'state', 'cancelled', 'error', 'no longer an active follower', 'updated', now)
            redis.call('ZREM', tag .. ':obw', id)
            redis.call('ZADD', tag .. ':obdone', now, id)
          end
        else
          local att = tonumber(m[5]) + 1
          redis.call('HSET', mk, 'state', 'sending', 'attempts', att, 'owner', owner, 'updated', now)
          if m[6] ~= '' then
            local qk = tag .. ':smsq:' .. m[2] .. '|' .. m[6]
            if redis.call('GET', qk) == id then redis.call('DEL', qk) end
          end
          table.insert(out, id)
          table.insert(out, m[2])
          table.insert(out, m[4])
          table.insert(out, att)
          table.insert(out, m[6] or '')
        end
      end
      return out
      """;

  /** KEYS[1] = tag:ob. ARGV: tag, group, id, state (sent, failed), sid or '', error or '', now. */
  static final String FINISH = """
      local tag, group, id, st, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[7]
      local mk = tag .. ':sms:' .. id
      local m = redis.call('HMGET', mk, 'eid', 'ck', 'to', 'state')
      if not m[4] then return 0 end
      redis.call('HSET', mk, 'state', st, 'sid', ARGV[5], 'error', ARGV[6], 'updated', now)
      if m[1] then
        redis.call('XACK', KEYS[1], group, m[1])
        redis.call('XDEL', KEYS[1], m[1])
        redis.call('HDEL', mk, 'eid')
      end
      redis.call('ZREM', tag .. ':obw', id)
      redis.call('ZREM', tag .. ':obd', id)
      redis.call('ZADD', tag .. ':obdone', now, id)
      if st == 'failed' and m[4] ~= 'failed' then redis.call('INCR', tag .. ':obf') end
      if m[2] ~= '' then
        local qk = tag .. ':smsq:' .. m[3] .. '|' .. m[2]
        if redis.call('GET', qk) == id then redis.call('DEL', qk) end
      end
      return 1
      """;

  /** KEYS[1] = tag:ob. ARGV: tag, group, id, next attempt at, error, now. */
  static final String RETRY = """
      local tag, group, id = ARGV[1], ARGV[2], ARGV[3]
      local mk = tag .. ':sms:' .. id
      local m = redis.call('HMGET', mk, 'eid', 'ck', 'to', 'state')
      if m[4] ~= 'sending' then return 0 end
      redis.call('HSET', mk, 'state', 'queued', 'error', ARGV[5], 'updated', ARGV[6])
      if m[1] then
        redis.call('XACK', KEYS[1], group, m[1])
        redis.call('XDEL', KEYS[1], m[1])
        redis.call('HDEL', mk, 'eid')
      end
      redis.call('ZADD', tag .. ':obd', ARGV[4], id)
      if m[2] ~= '' then redis.call('SET', tag .. ':smsq:' .. m[3] .. '|' .. m[2], id, 'NX') end
      return 1
      """;

  /**
   * KEYS[1] = tag:ob. ARGV: tag, group, and a consumer ('' = all). Makes the claimed entries new
   * again; a named consumer is then removed from the group.
   */
  static final String RELEASE = """
      local tag, group = ARGV[1], ARGV[2]
      local n = 0
      while true do
        local p
        if ARGV[3] == '' then
          p = redis.call('XPENDING', KEYS[1], group, '-', '+', 1000)
        else
          p = redis.call('XPENDING', KEYS[1], group, '-', '+', 1000, ARGV[3])
        end
        if #p == 0 then break end
        for _, e in ipairs(p) do
          local eid = e[1]
          local r = redis.call('XRANGE', KEYS[1], eid, eid)
          redis.call('XACK', KEYS[1], group, eid)
          redis.call('XDEL', KEYS[1], eid)
          if #r > 0 then
            local id = r[1][2][2]
            local mk = tag .. ':sms:' .. id
            if redis.call('HGET', mk, 'state') == 'sending' then
              redis.call('HSET', mk, 'state', 'queued', 'eid', redis.call('XADD', KEYS[1], '*', 'id', id))
              n = n + 1
            end
          end
        end
      end
      if ARGV[3] ~= '' then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], group, ARGV[3]) end
      return n
      """;

  /**
   * KEYS[1] = tag:ob. ARGV: group, idle ms. Removes consumers (senders of nodes long gone) that hold
   * nothing and were idle that long.
   */
  static final String FORGET_IDLE_SENDERS = """
      local n = 0
      for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
        local f = {}
        for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
        if tonumber(f['pending']) == 0 and tonumber(f['idle']) > tonumber(ARGV[2]) then
          redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
          n = n + 1
        end
      end
      return n
      """;

  /** KEYS[1] = tag:obw. ARGV: tag. Returns {waiting, oldest created or '', failed}. */
  static final String OUTBOX_STATS = """
      local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
      return {redis.call('ZCARD', KEYS[1]), first[2] or '', redis.call('GET', ARGV[1] .. ':obf') or '0'}
      """;

  /**
   * KEYS[1] = tag:age. ARGV: tag, cutoff, limit, incidents to keep... Deletes check-ins made before
   * the cutoff unless their incident is kept, with their help entries, and finished SMS older than
   * the cutoff. Returns the number of check-ins deleted.
   */
  static final String PURGE = """
      local tag, cutoff = ARGV[1], ARGV[2]
      local keep = {}
      for i = 4, #ARGV do keep[ARGV[i]] = true end
      local n = 0
      local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff, 'LIMIT', 0, tonumber(ARGV[3]))
      for _, m in ipairs(old) do
        local a = string.find(m, '|', 1, true)
        local b = string.find(m, '|', a + 1, true)
        local phone, seq, inc = string.sub(m, 1, a - 1), string.sub(m, a + 1, b - 1), string.sub(m, b + 1)
        if inc == '' or not keep[inc] then
          local cik = tag .. ':ci:' .. phone
          local rows = redis.call('ZRANGEBYSCORE', cik, seq, seq)
          for _, row in ipairs(rows) do
            local p1 = string.find(row, '|', 1, true)
            local p2 = string.find(row, '|', p1 + 1, true)
            local id = cjson.decode(string.sub(row, p2 + 1)).id
            for _, hi in ipairs(redis.call('SMEMBERS', tag .. ':helpinc:' .. id)) do
              redis.call('HDEL', tag .. ':help:' .. hi, id)
            end
            redis.call('DEL', tag .. ':helpinc:' .. id)
          end
          redis.call('ZREMRANGEBYSCORE', cik, seq, seq)
          redis.call('ZREM', KEYS[1], m)
          n = n + 1
        end
      end
      for _, id in ipairs(redis.call('ZRANGEBYSCORE', tag .. ':obdone', '-inf', '(' .. cutoff, 'LIMIT', 0, 10000)) do
        local mk = tag .. ':sms:' .. id
        if redis.call('HGET', mk, 'state') == 'failed' then redis.call('DECR', tag .. ':obf') end
        redis.call('DEL', mk)
        redis.call('ZREM', tag .. ':obdone', id)
      end
      return n
      """;

  /** KEYS[1] = tag:help:incident. ARGV: tag. Returns {checkinId, helpJson, checkInMember, ...}. */
  static final String HELP_LIST = """
      local all = redis.call('HGETALL', KEYS[1])
      local out = {}
      for i = 1, #all, 2 do
        local h = cjson.decode(all[i + 1])
        local rows = redis.call('ZRANGEBYSCORE', ARGV[1] .. ':ci:' .. h.phone, h.seq, h.seq)
        if #rows > 0 then
          table.insert(out, all[i])
          table.insert(out, all[i + 1])
          table.insert(out, rows[1])
        end
      end
      return out
      """;

  /**
   * KEYS[1] = tag:helpinc:checkinId. ARGV: tag, checkin id, state, responder, now, agency. Returns
   * {incident, helpJson, checkInMember} of the first entry, an empty list, or {'!', state} changing
   * nothing when an entry's state is not before ARGV[3] (Store.HELP_STATES: forward only).
   */
  static final String SET_HELP = """
      local tag, id = ARGV[1], ARGV[2]
      local rank = {open = 1, acknowledged = 2, resolved = 3}
      local out = {}
      for _, inc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        local raw = redis.call('HGET', tag .. ':help:' .. inc, id)
        if raw then
          local from = cjson.decode(raw).state
          if not rank[from] or not rank[ARGV[3]] or rank[ARGV[3]] <= rank[from] then
            return {'!', from}
          end
        end
      end
      for _, inc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        local hk = tag .. ':help:' .. inc
        local raw = redis.call('HGET', hk, id)
        if raw then
          local h = cjson.decode(raw)
          h.state = ARGV[3]
          h.by = ARGV[4]
          h.updated = ARGV[5]
          h.ag = ARGV[6]
          local enc = cjson.encode(h)
          redis.call('HSET', hk, id, enc)
          if #out == 0 then
            local rows = redis.call('ZRANGEBYSCORE', tag .. ':ci:' .. h.phone, h.seq, h.seq)
            if #rows > 0 then out = {inc, enc, rows[1]} end
          end
        end
      end
      return out
      """;

  /**
   * KEYS[1] = tag:helpinc:checkinId. ARGV: tag, checkin id. Returns {incident, helpJson, checkInMember}
   * of the first entry, or an empty list.
   */
  static final String HELP_GET = """
      local tag, id = ARGV[1], ARGV[2]
      for _, inc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        local raw = redis.call('HGET', tag .. ':help:' .. inc, id)
        if raw then
          local h = cjson.decode(raw)
          local rows = redis.call('ZRANGEBYSCORE', tag .. ':ci:' .. h.phone, h.seq, h.seq)
          if #rows > 0 then return {inc, raw, rows[1]} end
        end
      end
      return {}
      """;

  /**
   * KEYS[1] = tag:ci:phone, KEYS[2] = tag:st:phone. Returns the member of the person's latest status
   * (the newest check-in that was not late), or nil.
   */
  static final String LATEST = """
      local cur = redis.call('GET', KEYS[2])
      if cur then
        local seq = string.sub(cur, 1, string.find(cur, '|', 1, true) - 1)
        local m = redis.call('ZRANGEBYSCORE', KEYS[1], seq, seq)
        return m[1] or false
      end
      local m = redis.call('ZRANGE', KEYS[1], -1, -1)
      return m[1] or false
      """;

  /** KEYS[1] = {g}:incsms:code. ARGV: phone, code, joined (1/0), now. 1 when it changed something. */
  static final String INCIDENT_SMS = """
      local jk = '{g}:joined:' .. ARGV[1]
      if ARGV[3] == '1' then
        if redis.call('ZADD', KEYS[1], 'NX', ARGV[4], ARGV[1]) == 0 then return 0 end
        redis.call('ZADD', jk, ARGV[4], ARGV[2])
        return 1
      end
      redis.call('ZREM', jk, ARGV[2])
      return redis.call('ZREM', KEYS[1], ARGV[1])
      """;

  /** KEYS[1] = a hash. ARGV: field/value pairs. Creates the hash only when it does not exist; 1 when created. */
  static final String CREATE_HASH = """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], unpack(ARGV))
      return 1
      """;

  /** KEYS[1] = {g}:inc:code. ARGV: now. */
  static final String CLOSE_INCIDENT = """
      if redis.call('HGET', KEYS[1], 'state') == 'open' then
        redis.call('HSET', KEYS[1], 'state', 'closed', 'closed', ARGV[1])
      end
      return redis.call('HGETALL', KEYS[1])
      """;

  /**
   * KEYS[1] = {g}:akey:agency. ARGV: kid, key json, only if none (1/0). Makes the key the agency's
   * active one; returns the active key's json.
   */
  static final String PUT_KEY = """
      local cur = redis.call('GET', KEYS[1])
      if ARGV[3] == '1' and cur then return redis.call('HGET', '{g}:keys', cur) end
      redis.call('HSET', '{g}:keys', ARGV[1], ARGV[2])
      redis.call('SET', KEYS[1], ARGV[1])
      return ARGV[2]
      """;

  /** KEYS[1] = {g}:notice:id. ARGV: approver. */
  static final String APPROVE_NOTICE = """
      if redis.call('HGET', KEYS[1], 'state') ~= 'draft' then return 0 end
      redis.call('HSET', KEYS[1], 'state', 'approved', 'approvedBy', ARGV[1])
      return 1
      """;

  /**
   * KEYS[1] = {g}:notice:id. ARGV: outbox index, outbox count, id, from states (comma list), signed json,
   * published at, referenced id or '', referenced state, SMS text or ''.
   */
  static final String PUBLISH_NOTICE = ENQUEUE + """
      local st = redis.call('HGET', KEYS[1], 'state')
      if not st or not string.find(',' .. ARGV[4] .. ',', ',' .. st .. ',', 1, true) then return 0 end
      redis.call('HSET', KEYS[1], 'state', 'published', 'signed', ARGV[5], 'published', ARGV[6])
      if ARGV[7] ~= '' then
        local rk = '{g}:notice:' .. ARGV[7]
        if redis.call('HGET', rk, 'state') == 'published' then redis.call('HSET', rk, 'state', ARGV[8]) end
      end
      if ARGV[9] ~= '' then
        local inc = redis.call('HGET', KEYS[1], 'incident')
        for _, p in ipairs(redis.call('ZRANGE', '{g}:incsms:' .. inc, 0, -1)) do
          enqueue('{g}', tonumber(ARGV[1]), tonumber(ARGV[2]), p, 'notice:' .. ARGV[3], '', ARGV[9], ARGV[6])
        end
      end
      return 1
      """;

  /**
   * KEYS[1] = {g}:inc:code. ARGV: agency, add (1/0). Adds or removes a partner; adding to an
   * incident without owner makes the agency its owner. Returns the incident's hash, or an empty list.
   */
  static final String INCIDENT_PARTNER = """
      if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
      local owner = redis.call('HGET', KEYS[1], 'agency') or ''
      local raw = redis.call('HGET', KEYS[1], 'partners')
      local partners = {}
      if raw and raw ~= '' then
        local ok, list = pcall(cjson.decode, raw)
        if ok and type(list) == 'table' then partners = list end
      end
      local kept, found = {}, false
      for _, p in ipairs(partners) do
        if p == ARGV[1] then
          found = true
          if ARGV[2] == '1' then table.insert(kept, p) end
        else
          table.insert(kept, p)
        end
      end
      if ARGV[2] == '1' then
        if owner == '' then
          owner = ARGV[1]
          local without = {}
          for _, p in ipairs(kept) do if p ~= ARGV[1] then table.insert(without, p) end end
          kept = without
        elseif owner ~= ARGV[1] and not found then
          table.insert(kept, ARGV[1])
        end
      end
      local enc = '[]'
      if #kept > 0 then enc = cjson.encode(kept) end
      redis.call('HSET', KEYS[1], 'agency', owner, 'partners', enc)
      return redis.call('HGETALL', KEYS[1])
      """;

  /**
   * KEYS[1] = {g}:incs. Gives every incident without an {@code agency} field the agency of the
   * responder named in its creation audit entry ('' when none is found). Returns how many got one.
   */
  static final String OWN_INCIDENTS = """
      local need, n = {}, 0
      for _, c in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
        if redis.call('HEXISTS', '{g}:inc:' .. c, 'agency') == 0 then
          need[c] = true
          n = n + 1
        end
      end
      if n == 0 then return 0 end
      local creators = {}
      local audit = redis.call('LRANGE', '{g}:audit', 0, -1)
      for i = #audit, 1, -1 do
        local s = audit[i]
        local bar = string.find(s, '|', 1, true)
        if bar then
          local ok, e = pcall(cjson.decode, string.sub(s, bar + 1))
          if ok and type(e) == 'table' and e.action == 'incident.create' and e.outcome == 'done'
              and type(e.target) == 'string' and need[e.target] and creators[e.target] == nil
              and type(e.actor) == 'string' then
            creators[e.target] = e.actor
          end
        end
      end
      local owned = 0
      for c, _ in pairs(need) do
        local agency = ''
        if creators[c] then
          agency = redis.call('HGET', '{g}:resp:' .. creators[c], 'agency') or ''
        end
        if agency ~= '' then owned = owned + 1 end
        redis.call('HSET', '{g}:inc:' .. c, 'agency', agency)
        if redis.call('HEXISTS', '{g}:inc:' .. c, 'partners') == 0 then
          redis.call('HSET', '{g}:inc:' .. c, 'partners', '[]')
        end
      end
      return owned
      """;
}
