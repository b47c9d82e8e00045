-- One admission, after limit.RedisLua and budget.RedisLua: every hard
-- budget and every rate limit is checked, then all are taken, or none.
-- Budgets are checked first, as on the split path (internal/admit), so both
-- paths give the same answer when both would refuse.
--
-- KEYS = the limit keys, then the budget keys.
-- ARGV = number of limit keys, number of limit arguments, number of budget
--        keys, the limit arguments, then the budget arguments (each half as
--        its library describes; a half with no keys is skipped).
-- Returns a verdict, then:
--   0 (taken): limit.finish's reply if there are limits, then {1, 0, 0, 0,
--     now_ms} if there are budgets;
--   1 (a limit refused): limit.finish's reply, nothing taken;
--   2 (a budget refused): budget.check's refusal, nothing taken.
local nlk, nla, nbk = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lao, bao = 3, 3 + nla -- where each half's arguments start

-- One TIME for both halves.
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now -- budget.clock's milliseconds, when there are budgets

-- Check: budget.check reaps expired holds (which changes no answer) and
-- limit.check writes nothing.
if nbk > 0 then
  now = math.floor(now_us / 1000)
  local r = budget.check(KEYS, nlk, ARGV, bao, now)
  if r then return {2, r[1], r[2], r[3], r[4], r[5]} end
end
local st
if nlk > 0 then
  st = limit.check(KEYS, 0, ARGV, lao, nlk, now_us)
  if st.refused ~= 0 then return limit.finish(st, {1}) end -- refused: charges nothing
end

-- Take: the reply is built in one table, each half appending its part.
local out = {0}
if st then limit.finish(st, out) end
if now then
  budget.hold(KEYS, nlk, ARGV, bao, now)
  local o = #out
  out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = 1, 0, 0, 0, now
end
return out
