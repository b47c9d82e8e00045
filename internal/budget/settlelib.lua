-- Budget settlement over Redis, as a library after reservelib.lua: it adds
-- budget.settle to the `budget` table, for the Settle script of redis.go
-- and the joint settlement of internal/admit/redisadmit, which pass KEYS and
-- ARGV with the offsets where its part starts (keys[ko + 1] is its first
-- key, a[ao + 1] its first argument).
--
-- keys = per budget: its hold hash h, its hold zset z, its nb bucket keys
--        (the current bucket first), then its three alert keys.
-- a    = hold id, actual cost, n budgets, then per budget: limit, the
--        current bucket's expiry (Unix s, "0": none), nb, the alert marks'
--        expiry (Unix s, "0": none), book ("1", or "0" for a book listed
--        before: hold and spend are shared).
-- budget.settle drops the hold, books the actual cost in the current bucket
-- (once per book), sums the window and claims each alert threshold crossed
-- with SET NX: the replica whose claim succeeds is the only one to send that
-- alert. It returns {budget index, threshold, spent} per alert won.
do
  local thresholds = {50, 80, 100}

  function budget.settle(keys, ko, a, ao)
    local id, actual, n = a[ao + 1], a[ao + 2], a[ao + 3] + 0
    local hf = 'h' .. id
    local won = {}
    local ki, ai = ko + 1, ao + 4
    for i = 1, n do
      local h, z = keys[ki], keys[ki + 1]
      local limit, bexp, nb, mexp, book = a[ai] + 0, a[ai + 1], a[ai + 2] + 0, a[ai + 3], a[ai + 4]
      local spent -- the current bucket's, when INCRBY told it
      if book == '1' then
        local x = redis.call('HGET', h, hf)
        if x then
          redis.call('HINCRBY', h, 'held', '-' .. x)
          redis.call('HDEL', h, hf)
          redis.call('ZREM', z, id)
        end
        if actual ~= '0' then
          spent = redis.call('INCRBY', keys[ki + 2], actual)
          -- A bucket's expiry never changes: it is set when INCRBY made the
          -- key (Seed sets its own).
          if bexp ~= '0' and spent == actual + 0 then redis.call('EXPIREAT', keys[ki + 2], bexp) end
        end
      end
      local sum = 0
      for j = 1, nb do
        if j == 1 and spent then
          sum = sum + spent
        else
          sum = sum + (redis.call('GET', keys[ki + 1 + j]) or 0)
        end
      end
      for j = 1, 3 do
        if limit > 0 and sum * 100 >= thresholds[j] * limit then
          local ok
          if mexp ~= '0' then
            ok = redis.call('SET', keys[ki + 1 + nb + j], '1', 'NX', 'EXAT', mexp)
          else
            ok = redis.call('SET', keys[ki + 1 + nb + j], '1', 'NX')
          end
          if ok then
            won[#won + 1] = i
            won[#won + 1] = thresholds[j]
            won[#won + 1] = sum
          end
        end
      end
      ki, ai = ki + 2 + nb + 3, ai + 5
    end
    return won
  end
end
