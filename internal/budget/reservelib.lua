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
-- budget.hold(keys, ko, a, ao, now) then places the hold on every budget,
-- from what check read (call check first, in the same script).
--
-- Besides "held" and "h<id>", the hold hash keeps two fields that spare a
-- command on every request: "e", no later than the earliest expiry of a
-- live hold (a reap is due only once it has passed: holds are settled
-- long before they expire, so most requests skip ZRANGEBYSCORE), and "x",
-- when the book's keys expire (what PTTL would say). A book without them
-- (written before they existed) is reaped and has its expiry pushed out,
-- which sets them.
--
-- Lua numbers are doubles: the amount is passed on as the string it came
-- in as, and a computed sum is written (with %d: redis.call would print a
-- number with %.17g, slower and inexact from 1e17) only while it is below
-- 2^53; else the command adds it itself, exactly.
local budget = {}
do
  local tonumber, fmt = tonumber, string.format
  -- Strings of digits become numbers by arithmetic (x + 0): one strtod,
  -- where tonumber(x) makes two.
  local EXACT = 9007199254740992 -- 2^53
  -- NONE is "e" while a book holds nothing: no reap is due before a hold.
  local NONE = '9007199254740991'

  -- read is what check learnt of each budget's book, for hold: per budget
  -- the held sum, whether this hold is already there (the script ran before
  -- with the same id), "e" and "x".
  local read

  local function num(v) return fmt('%d', v) end

  function budget.clock()
    local t = redis.call('TIME')
    return t[1] * 1000 + math.floor(t[2] / 1000)
  end

  -- reap drops book (h, z)'s holds that expired by now and returns its held
  -- sum afterwards and its new "e".
  local function reap(h, z, now, held)
    local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
    if #expired > 0 then
      local fields = {}
      for k, hid in ipairs(expired) do fields[k] = 'h' .. hid end
      local xs = redis.call('HMGET', h, unpack(fields))
      local gone = {}
      for k = 1, #xs do
        if xs[k] then
          held = redis.call('HINCRBY', h, 'held', '-' .. xs[k])
          gone[#gone + 1] = fields[k]
        end
      end
      if #gone > 0 then redis.call('HDEL', h, unpack(gone)) end
      redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
    end
    local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
    local e = NONE
    if first[1] and first[1] ~= '_' then e = first[2] end
    redis.call('HSET', h, 'e', e)
    return held, tonumber(e)
  end

  function budget.check(keys, ko, a, ao, now)
    local amount = a[ao + 1] + 0
    local hf = 'h' .. a[ao + 3]
    local n = a[ao + 4] + 0
    local ki, ai = ko + 1, ao + 5
    read = {}
    for i = 1, n do
      local h, z = keys[ki], keys[ki + 1]
      local nb = a[ai + 2] + 0
      local v = redis.call('HMGET', h, 'held', hf, 'e', 'x')
      local held, e = v[1] and v[1] + 0 or 0, v[3] and v[3] + 0
      if not v[1] then
        -- A book that never held anything (no "held") has nothing to reap,
        -- and reap would make its hash without an expiry.
        e = NONE + 0
      elseif not e or e <= now then
        held, e = reap(h, z, now, held)
      end
      read[4 * i - 3], read[4 * i - 2], read[4 * i - 1], read[4 * i] = held, v[2] ~= false, e, v[4] and v[4] + 0 or 0
      if a[ai + 1] == '1' then
        local spent = 0
        for j = 1, nb do spent = spent + (redis.call('GET', keys[ki + 1 + j]) or 0) end
        if spent + held + amount > a[ai] + 0 then return {0, i, spent, held, now} end
      end
      ki, ai = ki + 2 + nb, ai + 3
    end
    return nil
  end

  function budget.hold(keys, ko, a, ao, now)
    local amount, ttl, id, n = a[ao + 1], a[ao + 2] + 0, a[ao + 3], a[ao + 4] + 0
    local hf, amt = 'h' .. id, amount + 0
    local ki, ai = ko + 1, ao + 5
    local keep = ttl + 3600000
    local exp = now + ttl
    local done = {} -- books held already: a book listed twice is held once
    for i = 1, n do
      local h, z = keys[ki], keys[ki + 1]
      local held, there, e, x = read[4 * i - 3], read[4 * i - 2], read[4 * i - 1], read[4 * i]
      if done[h] then there, x = true, now + keep end
      done[h] = true
      -- Idle books vanish about an hour after their last hold would have
      -- expired. The expiry is pushed out only once it has run down by half
      -- an hour, so a busy book is not given a new one on every request,
      -- and it always outlives the holds in it by at least that. The zset
      -- keeps a member "_" scored +inf (never reaped): without it Redis
      -- deletes the zset when its last hold goes, and the next ZADD makes a
      -- new one without an expiry.
      local renew = x - now < keep - 1800000
      if not there then
        local set = {hf, amount}
        if held + amt < EXACT then
          set[3], set[4] = 'held', num(held + amt)
        else
          redis.call('HINCRBY', h, 'held', amount)
        end
        if exp < e then set[#set + 1], set[#set + 2] = 'e', num(exp) end
        if renew then set[#set + 1], set[#set + 2] = 'x', num(now + keep) end
        redis.call('HSET', h, unpack(set))
        if renew then
          redis.call('ZADD', z, exp, id, '+inf', '_')
        else
          redis.call('ZADD', z, exp, id)
        end
      elseif renew then
        redis.call('HSET', h, 'x', num(now + keep))
        redis.call('ZADD', z, '+inf', '_')
      end
      if renew then
        redis.call('PEXPIRE', h, keep)
        redis.call('PEXPIRE', z, keep)
      end
      ki, ai = ki + 2 + a[ai + 2], ai + 3
    end
  end
end
