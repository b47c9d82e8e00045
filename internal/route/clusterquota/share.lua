-- One deployment quota window's exchange (clusterquota.Redis.Share): add
-- this replica's counts, drop lapsed leases, grant this replica's lease.
-- Atomic, so that the leases granted never add up to more than the room.
--
-- KEYS[1], KEYS[2]: the cluster's counts of the previous and this minute
-- KEYS[3]: the leases, a hash of replica id -> "amount:lapse_ms"
-- KEYS[4], KEYS[5]: each replica's part of KEYS[1] and KEYS[2], a hash of
--       replica id -> count, so that a replica can tell when Redis lost
--       what it had added (a restart) and add it again
-- ARGV: id, limit, add_prev, add_cur, want, weight (of the previous
--       minute), now_ms, hold_ms, count_ttl_s
local id = ARGV[1]
local limit = tonumber(ARGV[2])
local want = tonumber(ARGV[5])
local weight = tonumber(ARGV[6])
local now = tonumber(ARGV[7])
local hold = tonumber(ARGV[8])
local ttl = tonumber(ARGV[9])

local function add(key, by, n)
  n = tonumber(n)
  if n == 0 then
    return tonumber(redis.call('GET', key) or 0), tonumber(redis.call('HGET', by, id) or 0)
  end
  local v = redis.call('INCRBY', key, n)
  redis.call('EXPIRE', key, ttl)
  local mine = redis.call('HINCRBY', by, id, n)
  redis.call('EXPIRE', by, ttl)
  return v, mine
end

local prev, mine_prev = add(KEYS[1], KEYS[4], ARGV[3])
local cur, mine_cur = add(KEYS[2], KEYS[5], ARGV[4])

local others, holders = 0, 0
local leases = redis.call('HGETALL', KEYS[3])
for i = 1, #leases, 2 do
  if leases[i] ~= id then
    local amount, lapse = string.match(leases[i + 1], '^(%-?%d+):(%d+)$')
    if lapse and tonumber(lapse) > now then
      others = others + tonumber(amount)
      holders = holders + 1
    else
      redis.call('HDEL', KEYS[3], leases[i])
    end
  end
end

local free = limit - math.max(cur, 0) - math.floor(math.max(prev, 0) * weight) - others
-- Alone, all the room; else half of it (or what was refused), so that
-- the others get their share at their own exchanges.
local grant = 0
if free > 0 and holders == 0 then
  grant = free
elseif free > 0 then
  grant = math.max(math.ceil(free / 2), want)
  if grant > free then
    grant = free
  end
end
redis.call('HSET', KEYS[3], id, string.format('%d:%d', grant, now + hold))
redis.call('PEXPIRE', KEYS[3], hold)
return {prev, cur, grant, mine_prev, mine_cur}
