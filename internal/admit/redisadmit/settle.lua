-- One settlement, after limit.RedisLua and budget.RedisSettleLua: the
-- rate-limit correction and lease release of every scope, then the budget
-- holds settled and their spend booked, in one atomic step.
--
-- KEYS = the limit keys, then the budget keys.
-- ARGV = number of limit keys, number of limit arguments, the limit
--        arguments (limit.settle's), then the budget arguments
--        (budget.settle's); a half with no keys is skipped.
-- Returns budget.settle's alerts won ({} with no budgets).
local nlk, nla = tonumber(ARGV[1]), tonumber(ARGV[2])
if nlk > 0 then limit.settle(KEYS, 0, ARGV, 2, nlk) end
if #KEYS > nlk then return budget.settle(KEYS, nlk, ARGV, 2 + nla) end
return {}
