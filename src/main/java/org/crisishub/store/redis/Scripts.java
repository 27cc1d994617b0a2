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

  /**
   * Queues an SMS in the outbox of {@code tag}, or replaces the text of a waiting one with the same key.
   * {@code seq} (optional; '' or absent = none) is the check-in seq of a status notification, whose
   * body is '' and whose text the sender renders; a replaced message takes the new body and seq.
   */
  static final String ENQUEUE = """
      local function enqueue(tag, idx, nshard, to, ck, subject, body, now, seq)
        seq = seq or ''
        if ck ~= '' then
          local id = redis.call('GET', tag .. ':smsq:' .. to .. '|' .. ck)
          if id and redis.call('HGET', tag .. ':sms:' .. id, 'state') == 'queued' then
            redis.call('HSET', tag .. ':sms:' .. id, 'body', body, 'subject', subject, 'seq', seq, 'updated', now)
            return 0
          end
        end
        local n = redis.call('INCR', tag .. ':smsseq')
        local id = string.format('%d', n * nshard + idx)
        local mk = tag .. ':sms:' .. id
        redis.call('HSET', mk, 'to', to, 'ck', ck, 'subject', subject, 'body', body, 'seq', seq, 'state', 'queued',
          'attempts', 0, 'created', now, 'updated', now)
        local eid = redis.call('XADD', tag .. ':ob', '*', 'id', id)
        redis.call('HSET', mk, 'eid', eid)
        redis.call('ZADD', tag .. ':obw', now, id)
        if ck ~= '' then redis.call('SET', tag .. ':smsq:' .. to .. '|' .. ck, id) end
        return 1
      end
      """;

  /** KEYS[1] = a hash; ARGV: field, expected value ('' = absent), new value ('' = delete). 1 when set. */
  static final String COMPARE_AND_SET = """
      local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
      if cur ~= ARGV[2] then return 0 end
      if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
      return 1
      """;

  /** KEYS[1] = a hash. ARGV: field/value pairs. Creates the hash only when it does not exist; 1 when created. */
  static final String CREATE_HASH = """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], unpack(ARGV))
      return 1
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
}
