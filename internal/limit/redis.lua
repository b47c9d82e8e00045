-- The limiter's own script, after redislib.lua: KEYS and ARGV are laid out
-- as that file describes, ARGV[1] naming the call ("admit" or "settle").
if ARGV[1] == 'settle' then return limit.settle(KEYS, 0, ARGV, 0, #KEYS) end
return limit.finish(limit.check(KEYS, 0, ARGV, 0, #KEYS))
