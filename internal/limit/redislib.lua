-- Sliding windows over Redis hashes: the same rules as window.go. This file
-- is a library: it defines the local table `limit`, and a script built from
-- it (redis.lua here, the joint admission of internal/admit/redisadmit) passes
-- KEYS and ARGV with the offsets where its part starts (ko, ao: keys[ko + 1]
-- is its first key, a[ao + 1] its first argument) and its number of keys,
-- so nothing is copied. Everything is local: Redis forbids a script to create
-- globals.
--
-- One hash per scope holds its three windows, each under a one-letter
-- prefix p (r requests, t tokens, c concurrency): fields p.."h" (head slot),
-- p.."s" (sum), p.."l" (last charged slot) and p..slot for every slot with
-- usage ("%d" of the slot number). One hash, not one per window, so a
-- scope's windows are read in one HMGET and written in one HSET.
--
-- Admission (limit.check(keys, ko, a, ao, nkeys [, server_us]), then
-- limit.finish):
--   keys = 1 per scope.
--   a    = "admit", now_us (0: server TIME), slot_us, n, lease_us, lease_n,
--          tokens, then rpm, tpm, concurrent per scope.
--   limit.finish returns allowed, scope index (1-based, 0 if allowed), which
--   (1 requests, 2 tokens, 3 concurrent), retry_us (-1: too large),
--   limit_req, rem_req, reset_req_us, limit_tok, rem_tok, reset_tok_us, then
--   per scope the token slot and the lease slot charged (-1: none).
-- Settlement (limit.settle(keys, ko, a, ao, nkeys)):
--   keys = 1 per scope.
--   a    = "settle", now_us, slot_us, n, lease_us, lease_n, delta tokens,
--          then token slot and lease slot per scope. Returns 1.
local limit = {}
do
  local now, slotw, n, leasew, leasen

  -- setup reads the arguments every call shares. A now_us of 0 means
  -- server time: server_us when the caller has read TIME already.
  local function setup(a, ao, server_us)
    now = tonumber(a[ao + 2])
    if now == 0 then
      now = server_us
      if not now then
        local t = redis.call('TIME')
        now = tonumber(t[1]) * 1000000 + tonumber(t[2])
      end
    end
    slotw, n = tonumber(a[ao + 3]), tonumber(a[ao + 4])
    leasew, leasen = tonumber(a[ao + 5]), tonumber(a[ao + 6])
  end

  local function f(j) return string.format('%d', j) end

  -- Field names as literals: Lua builds a concatenated string anew on
  -- every call, and string work is much of a script's cost.
  local FH, FS, FL = {r = 'rh', t = 'th', c = 'ch'}, {r = 'rs', t = 'ts', c = 'cs'}, {r = 'rl', t = 'tl', c = 'cl'}

  -- open reads the windows kinds names ('r', 't', 'c' in a string) from
  -- one scope's hash, in one HMGET, and advances each to its current slot
  -- without writing. It also reads one slot field per window: twant's or
  -- cwant's for the token and lease windows when given, else the current
  -- slot's, so that save can write that slot with the rest in one HSET
  -- instead of an HINCRBY. Few tables: Lua allocation is most of a script's
  -- cost.
  local function open(key, kinds, twant, cwant)
    local nk = #kinds
    local fields = {}
    for i = 1, nk do
      local p = string.sub(kinds, i, i)
      local w = slotw
      local want = twant
      if p == 'c' then w, want = leasew, cwant elseif p == 'r' then want = nil end
      fields[4 * i - 3] = FH[p]
      fields[4 * i - 2] = FS[p]
      fields[4 * i - 1] = FL[p]
      fields[4 * i] = p .. f(want or math.floor(now / w))
    end
    fields[4 * nk + 1] = 'ch' -- a lease window lives here: see save
    local v = redis.call('HMGET', key, unpack(fields))
    local sc = {key = key, leases = v[4 * nk + 1] ~= false}
    for i = 1, nk do
      local p = string.sub(kinds, i, i)
      local w, nslots = slotw, n
      if p == 'c' then w, nslots = leasew, leasen end
      local cur = math.floor(now / w)
      -- hs and ls keep the head and last slot as read, to write back
      -- unchanged without formatting them again.
      local win = {p = p, w = w, n = nslots, cur = cur, h = cur, sum = 0, last = 0, exists = v[4 * i - 3] ~= false,
        reset = false, moved = true, dirty = false, wf = fields[4 * i], wv = tonumber(v[4 * i]) or 0}
      sc[i] = win
      sc[p] = win
      if win.exists then
        local h, sum = tonumber(v[4 * i - 3]), tonumber(v[4 * i - 2]) or 0
        win.last = tonumber(v[4 * i - 1]) or 0
        if cur <= h then
          win.h, win.sum, win.moved, win.hs, win.ls = h, sum, false, v[4 * i - 3], v[4 * i - 1]
        elseif cur - h >= nslots or sum <= 0 then
          -- Everything in the window is stale. Its slot fields all lie in
          -- (h - n, h]: older ones were dropped as they left.
          win.reset, win.wv, win.gone = true, 0, {}
          for j = h - nslots + 1, h do win.gone[#win.gone + 1] = p .. f(j) end
        else
          -- The slots that left the window since the head last moved, read
          -- in one call: a key idle for a few seconds has skipped several.
          local old = {}
          for j = h + 1, cur do old[#old + 1] = p .. f(j - nslots) end
          local xs = redis.call('HMGET', key, unpack(old))
          win.gone = {}
          for k = 1, #old do
            if xs[k] then
              sum = sum - tonumber(xs[k])
              win.gone[#win.gone + 1] = old[k]
            end
          end
          win.sum = sum
        end
      end
      if win.h == cur and (p == 'r' or (p == 't' and not twant) or (p == 'c' and not cwant)) then
        win.cwf = win.wf -- the slot open read is the head's: add charges it
      end
    end
    return sc
  end

  -- save writes back the windows of a scope that changed: one HDEL of the
  -- slots that left them, one HSET of their heads, sums and the slot open
  -- read. The expiry is pushed out only when a head moved to a new slot:
  -- every charge lands in its window's head slot, so the hash then outlives
  -- the last charge of each window by at least n+1 of its slots. It is the
  -- longest window's (the leases') once the scope has one.
  local function save(sc)
    local del, set, moved, leases = nil, {}, false, sc.leases
    for _, win in ipairs(sc) do
      if win.dirty then
        if win.gone and #win.gone > 0 then
          del = del or {}
          for _, g in ipairs(win.gone) do del[#del + 1] = g end
        end
        local p = win.p
        set[#set + 1] = FH[p]
        set[#set + 1] = win.hs or f(win.h)
        set[#set + 1] = FS[p]
        set[#set + 1] = f(win.sum)
        set[#set + 1] = FL[p]
        set[#set + 1] = win.ls or f(win.last)
        if win.incf == win.wf then
          set[#set + 1] = win.incf
          set[#set + 1] = f(win.wv + win.incv)
        end
        moved = moved or win.moved
        leases = leases or p == 'c'
      end
    end
    if #set == 0 then return end
    if del then redis.call('HDEL', sc.key, unpack(del)) end
    redis.call('HSET', sc.key, unpack(set))
    for _, win in ipairs(sc) do
      if win.dirty and win.incf and win.incf ~= win.wf then
        redis.call('HINCRBY', sc.key, win.incf, win.incv) -- a head ahead of the clock: rare
      end
    end
    if moved then
      local ttl = (n + 2) * slotw
      if leases then ttl = math.max(ttl, (leasen + 2) * leasew) end
      redis.call('PEXPIRE', sc.key, math.floor(ttl / 1000))
    end
  end

  -- change adds v to slot field fj of win: the one change a window gets per
  -- call (a charge at its head, or a refund).
  local function change(win, fj, v)
    win.incf, win.incv = fj, v
    win.sum = win.sum + v
    win.dirty = true
  end

  local function add(win, v)
    local fj = win.cwf -- the head's field, when open read it (the usual case)
    if not fj then fj = win.p .. f(win.h) end
    change(win, fj, v)
    if win.last ~= win.h then win.last, win.ls = win.h, win.hs end
  end

  -- wait is the time until need more fits under lim, -1 if it never does.
  local function wait(key, win, need, lim)
    if need > lim then return -1 end
    local over = win.sum + need - lim
    local slots = {}
    if win.exists and not win.reset then
      local all = redis.call('HGETALL', key)
      for i = 1, #all, 2 do
        if string.sub(all[i], 1, 1) == win.p then
          local j = tonumber(string.sub(all[i], 2))
          if j then slots[j] = tonumber(all[i + 1]) end
        end
      end
    end
    for j = win.h - win.n + 1, win.h do
      over = over - (slots[j] or 0)
      if over <= 0 then return (j + win.n) * win.w - now end
    end
    return 0
  end

  local function emptyin(win)
    if win.sum <= 0 then return 0 end
    return (win.last + win.n) * win.w - now
  end

  -- settle refunds or adds tokens and gives back concurrency leases.
  function limit.settle(keys, ko, a, ao, nkeys)
    setup(a, ao)
    local delta = tonumber(a[ao + 7])
    for i = 1, nkeys do
      local tslot, lslot = tonumber(a[ao + 7 + 2 * i - 1]), tonumber(a[ao + 7 + 2 * i])
      local kinds, twant = '', nil
      if tslot >= 0 and delta ~= 0 then
        kinds = 't'
        if delta < 0 then twant = tslot end
      end
      if lslot >= 0 then kinds = kinds .. 'c' end
      if kinds ~= '' then
        local sc = open(keys[ko + i], kinds, twant, lslot)
        local win = sc.t
        if win then
          if delta > 0 then
            add(win, delta)
          elseif win.exists and not win.reset and tslot > win.h - n and tslot <= win.h then
            local r = math.min(win.wv, -delta)
            if r > 0 then change(win, win.wf, -r) end
          end
        end
        win = sc.c
        if win and win.exists and not win.reset and lslot > win.h - leasen and lslot <= win.h and win.wv > 0 then
          change(win, win.wf, -1)
        end
        save(sc)
      end
    end
    return 1
  end

  -- check reads every scope's windows and decides, writing nothing: a
  -- caller may still drop the admission (a budget refusing) and leave no
  -- trace.
  function limit.check(keys, ko, a, ao, nkeys, server_us)
    setup(a, ao, server_us)
    local st = {tokens = tonumber(a[ao + 7]), nscopes = nkeys, scopes = {}, refused = 0, which = 0, retry = -2, toolarge = false}
    local function refuse(i, kind, us)
      if us < 0 then
        if not st.toolarge then st.refused, st.which, st.retry, st.toolarge = i, kind, -1, true end
        return
      end
      if not st.toolarge and us > st.retry then st.refused, st.which, st.retry = i, kind, us end
    end
    for i = 1, nkeys do
      local rpm, tpm, conc = tonumber(a[ao + 7 + 3 * i - 2]), tonumber(a[ao + 7 + 3 * i - 1]), tonumber(a[ao + 7 + 3 * i])
      local key = keys[ko + i]
      local ws = {rpm = rpm, tpm = tpm, conc = conc}
      local kinds = ''
      if rpm > 0 then kinds = 'r' end
      if tpm > 0 then kinds = kinds .. 't' end
      if conc > 0 then kinds = kinds .. 'c' end
      if kinds ~= '' then
        ws.sc = open(key, kinds)
        ws.r, ws.t, ws.c = ws.sc.r, ws.sc.t, ws.sc.c
      end
      if ws.r and ws.r.sum + 1 > rpm then refuse(i, 1, wait(key, ws.r, 1, rpm)) end
      if ws.t and ws.t.sum + st.tokens > tpm then refuse(i, 2, wait(key, ws.t, st.tokens, tpm)) end
      if ws.c and ws.c.sum + 1 > conc then refuse(i, 3, 1000000) end
      st.scopes[i] = ws
    end
    return st
  end

  -- finish charges every scope of an admission check allowed (only then)
  -- and returns the reply described above.
  function limit.finish(st)
    local out = {0, st.refused, st.which, st.retry, 0, 0, 0, 0, 0, 0}
    if st.refused == 0 then
      out[1] = 1
      out[4] = 0
    end
    for i = 1, st.nscopes do
      local ws = st.scopes[i]
      local tslot, lslot = -1, -1
      if st.refused == 0 and ws.sc then
        if ws.r then add(ws.r, 1) end
        if ws.t then add(ws.t, st.tokens); tslot = ws.t.h end
        if ws.c then add(ws.c, 1); lslot = ws.c.h end
        save(ws.sc)
      end
      if ws.r then
        local rem = math.max(0, ws.rpm - ws.r.sum)
        if out[5] == 0 or rem < out[6] then out[5], out[6], out[7] = ws.rpm, rem, emptyin(ws.r) end
      end
      if ws.t then
        local rem = math.max(0, ws.tpm - ws.t.sum)
        if out[8] == 0 or rem < out[9] then out[8], out[9], out[10] = ws.tpm, rem, emptyin(ws.t) end
      end
      out[#out + 1] = tslot
      out[#out + 1] = lslot
    end
    return out
  end
end
