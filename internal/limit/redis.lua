-- The limiter's own script, after redislib.lua: KEYS and ARGV are laid out
-- as that file describes, ARGV[1] naming the call ("admit" or "settle").
if ARGV[1] == 'settle' then return limit.settle(KEYS, ARGV) end
return limit.finish(limit.check(KEYS, ARGV))
