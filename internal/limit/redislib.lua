-- Sliding windows over Redis hashes: the same rules as window.go. This file
-- is a library: it defines the local table `limit`, and a script built from
-- it (redis.lua here, the joint admission of internal/admit/redisadmit) passes
-- KEYS and ARGV with the offsets where its part starts (ko, ao: keys[ko + 1]
-- is its first key, a[ao + 1] its first argument) and its number of keys,
-- so nothing is copied. Everything is local: Redis forbids a script to create
-- globals.
--
-- A window key holds fields h (head slot), s (sum), l (last charged slot)
-- and one field per slot with usage ("%d" of the slot number).
--
-- Admission (limit.check(keys, ko, a, ao, nkeys [, server_us]), then
-- limit.finish):
--   keys = 3 per scope (requests, tokens, concurrency windows).
--   a    = "admit", now_us (0: server TIME), slot_us, n, lease_us, lease_n,
--          tokens, then rpm, tpm, concurrent per scope.
--   limit.finish returns allowed, scope index (1-based, 0 if allowed), which
--   (1 requests, 2 tokens, 3 concurrent), retry_us (-1: too large),
--   limit_req, rem_req, reset_req_us, limit_tok, rem_tok, reset_tok_us, then
--   per scope the token slot and the lease slot charged (-1: none).
-- Settlement (limit.settle(keys, ko, a, ao, nkeys)):
--   keys = 2 per scope (tokens, concurrency windows).
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

  -- open reads a window and advances it to slot cur without writing. It
  -- reads the field of slot want (default cur) in the same call, so save can
  -- write that slot with the rest in one HSET instead of an HINCRBY.
  local function open(key, w, nslots, want)
    local cur = math.floor(now / w)
    local wf = f(want or cur)
    local v = redis.call('HMGET', key, 'h', 's', 'l', wf)
    local win = {key = key, w = w, n = nslots, cur = cur, h = cur, sum = 0, last = 0, exists = v[1] ~= false, reset = false,
      moved = true, gone = {}, inc = {}, wf = wf, wv = tonumber(v[4]) or 0}
    if not win.exists then return win end
    local h, sum = tonumber(v[1]), tonumber(v[2]) or 0
    win.last = tonumber(v[3]) or 0
    if cur <= h then
      win.h, win.sum, win.moved = h, sum, false
      return win
    end
    if cur - h >= nslots or sum <= 0 then
      win.reset, win.wv = true, 0
    else
      -- The slots that left the window since the head last moved, read
      -- in one call: a key idle for a few seconds has skipped several.
      local old = {}
      for j = h + 1, cur do old[#old + 1] = f(j - nslots) end
      local xs = redis.call('HMGET', key, unpack(old))
      for k = 1, #old do
        if xs[k] then
          sum = sum - tonumber(xs[k])
          win.gone[#win.gone + 1] = old[k]
        end
      end
      win.sum = sum
    end
    return win
  end

  -- save writes the window back after changes at the head: one HSET with
  -- the head, sum, last slot and the slot open read. The expiry is pushed
  -- out only when the head moved to a new slot: every charge lands in the
  -- head slot, so the key then outlives its last charge by at least n+1
  -- slots, one more than the window needs.
  local function save(win)
    if win.reset then
      redis.call('DEL', win.key)
    elseif #win.gone > 0 then
      redis.call('HDEL', win.key, unpack(win.gone))
    end
    local set = {'h', f(win.h), 's', f(win.sum), 'l', f(win.last)}
    for fj, v in pairs(win.inc) do
      if fj == win.wf then
        set[#set + 1] = fj
        set[#set + 1] = f(win.wv + v)
      else
        redis.call('HINCRBY', win.key, fj, v)
      end
    end
    redis.call('HSET', win.key, unpack(set))
    if win.moved then
      redis.call('PEXPIRE', win.key, math.floor((win.n + 2) * win.w / 1000))
    end
  end

  local function add(win, v)
    local fj = f(win.h)
    win.inc[fj] = (win.inc[fj] or 0) + v
    win.sum = win.sum + v
    win.last = win.h
  end

  -- wait is the time until need more fits under lim, -1 if it never does.
  local function wait(win, need, lim)
    if need > lim then return -1 end
    local over = win.sum + need - lim
    local slots = {}
    if win.exists and not win.reset then
      local all = redis.call('HGETALL', win.key)
      for i = 1, #all, 2 do
        local j = tonumber(all[i])
        if j then slots[j] = tonumber(all[i + 1]) end
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
    local nscopes = nkeys / 2
    for i = 1, nscopes do
      local tslot, lslot = tonumber(a[ao + 7 + 2 * i - 1]), tonumber(a[ao + 7 + 2 * i])
      if tslot >= 0 and delta ~= 0 then
        local win = open(keys[ko + 2 * i - 1], slotw, n, tslot)
        if delta > 0 then
          add(win, delta)
          save(win)
        elseif win.exists and not win.reset and tslot > win.h - n and tslot <= win.h then
          local r = math.min(win.wv, -delta)
          if r > 0 then
            win.inc[win.wf] = -r
            win.sum = win.sum - r
            save(win)
          end
        end
      end
      if lslot >= 0 then
        local win = open(keys[ko + 2 * i], leasew, leasen, lslot)
        if win.exists and not win.reset and lslot > win.h - leasen and lslot <= win.h and win.wv > 0 then
          win.inc[win.wf] = -1
          win.sum = win.sum - 1
          save(win)
        end
      end
    end
    return 1
  end

  -- check reads every scope's windows and decides, writing nothing: a
  -- caller may still drop the admission (a budget refusing) and leave no
  -- trace.
  function limit.check(keys, ko, a, ao, nkeys, server_us)
    setup(a, ao, server_us)
    local st = {tokens = tonumber(a[ao + 7]), nscopes = nkeys / 3, wins = {}, refused = 0, which = 0, retry = -2, toolarge = false}
    local function refuse(i, kind, us)
      if us < 0 then
        if not st.toolarge then st.refused, st.which, st.retry, st.toolarge = i, kind, -1, true end
        return
      end
      if not st.toolarge and us > st.retry then st.refused, st.which, st.retry = i, kind, us end
    end
    for i = 1, st.nscopes do
      local rpm, tpm, conc = tonumber(a[ao + 7 + 3 * i - 2]), tonumber(a[ao + 7 + 3 * i - 1]), tonumber(a[ao + 7 + 3 * i])
      local ws = {rpm = rpm, tpm = tpm, conc = conc}
      if rpm > 0 then
        ws.r = open(keys[ko + 3 * i - 2], slotw, n)
        if ws.r.sum + 1 > rpm then refuse(i, 1, wait(ws.r, 1, rpm)) end
      end
      if tpm > 0 then
        ws.t = open(keys[ko + 3 * i - 1], slotw, n)
        if ws.t.sum + st.tokens > tpm then refuse(i, 2, wait(ws.t, st.tokens, tpm)) end
      end
      if conc > 0 then
        ws.c = open(keys[ko + 3 * i], leasew, leasen)
        if ws.c.sum + 1 > conc then refuse(i, 3, 1000000) end
      end
      st.wins[i] = ws
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
      local ws = st.wins[i]
      local tslot, lslot = -1, -1
      if st.refused == 0 then
        if ws.r then add(ws.r, 1); save(ws.r) end
        if ws.t then add(ws.t, st.tokens); save(ws.t); tslot = ws.t.h end
        if ws.c then add(ws.c, 1); save(ws.c); lslot = ws.c.h end
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
