-- Budget holds over Redis, as a library: it defines the local table
-- `budget` for a script built from it (the Reserve script of redis.go, the
-- joint admission of internal/admit/redisadmit), which passes KEYS and ARGV
-- with the offsets where its part starts (keys[ko + 1] is its first key,
-- a[ao + 1] its first argument), so nothing is copied. Everything is local:
-- Redis forbids a script to create globals.
--
-- keys = per budget: its hold hash h, its hold zset z, then its nb bucket keys.
-- a    = amount, ttl_ms, hold id, n budgets, then per budget: limit, hard
--        ("1" or "0"), nb.
-- budget.clock() is Redis TIME in milliseconds. budget.check(keys, ko, a, ao, now)
-- reaps expired holds and returns nil when every hard budget has room, or
-- {0, budget index (1-based), spent, held, now} for the first that has not.
-- budget.hold(keys, ko, a, ao, now) then places the hold on every budget.
--
-- Lua numbers are doubles and redis.call formats numbers unpredictably, so
-- amounts are passed to commands as the strings they came in as.
local budget = {}
do
  function budget.clock()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end

  function budget.check(keys, ko, a, ao, now)
    local amount = tonumber(a[ao + 1])
    local n = tonumber(a[ao + 4])
    local ki, ai = ko + 1, ao + 5
    for i = 1, n do
      local h, z = keys[ki], keys[ki + 1]
      local nb = tonumber(a[ai + 2])
      local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
      for _, hid in ipairs(expired) do
        local x = redis.call('HGET', h, 'h' .. hid)
        if x then
          redis.call('HINCRBY', h, 'held', '-' .. x)
          redis.call('HDEL', h, 'h' .. hid)
        end
      end
      if #expired > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now) end
      if a[ai + 1] == '1' then
        local spent = 0
        for j = 1, nb do spent = spent + tonumber(redis.call('GET', keys[ki + 1 + j]) or '0') end
        local held = tonumber(redis.call('HGET', h, 'held') or '0')
        if spent + held + amount > tonumber(a[ai]) then return {0, i, spent, held, now} end
      end
      ki, ai = ki + 2 + nb, ai + 3
    end
    return nil
  end

  function budget.hold(keys, ko, a, ao, now)
    local amount, ttl, id, n = a[ao + 1], tonumber(a[ao + 2]), a[ao + 3], tonumber(a[ao + 4])
    local ki, ai = ko + 1, ao + 5
    local keep = ttl + 3600000
    for i = 1, n do
      local h, z = keys[ki], keys[ki + 1]
      if redis.call('HSETNX', h, 'h' .. id, amount) == 1 then
        redis.call('HINCRBY', h, 'held', amount)
        redis.call('ZADD', z, now + ttl, id)
      end
      -- Idle books vanish about an hour after their last hold would have
      -- expired. The expiry is pushed out only once it has run down by half
      -- an hour, so a busy book is not given a new one on every request,
      -- and it always outlives the holds in it by at least that. The zset
      -- is the one to ask, and it keeps a member "_" scored +inf (never
      -- reaped): without it Redis deletes the zset when its last hold goes,
      -- and the next ZADD makes a new one without an expiry.
      if redis.call('PTTL', z) < keep - 1800000 then
        redis.call('ZADD', z, '+inf', '_')
        redis.call('PEXPIRE', h, keep)
        redis.call('PEXPIRE', z, keep)
      end
      ki, ai = ki + 2 + tonumber(a[ai + 2]), ai + 3
    end
  end
end
