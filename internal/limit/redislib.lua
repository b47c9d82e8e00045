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
-- limit.finish(st [, out])):
--   keys = 1 per scope.
--   a    = "admit", now_us (0: server TIME), slot_us, n, lease_us, lease_n,
--          tokens, then rpm, tpm, concurrent per scope.
--   limit.finish returns allowed, scope index (1-based, 0 if allowed), which
--   (1 requests, 2 tokens, 3 concurrent), retry_us (-1: too large),
--   limit_req, rem_req, reset_req_us, limit_tok, rem_tok, reset_tok_us, then
--   per scope the token slot and the lease slot charged (-1: none); appended
--   to out when given.
-- Settlement (limit.settle(keys, ko, a, ao, nkeys)):
--   keys = 1 per scope.
--   a    = "settle", now_us, slot_us, n, lease_us, lease_n, delta tokens,
--          then token slot and lease slot per scope. Returns 1.
--
-- Why it is written this way: on Redis 7.0 the Lua around the commands,
-- not the commands, was most of a call's server time (string formatting,
-- tables that grow and rehash, the garbage both leave for the collector).
-- So the current slots' field names are formatted once per call and shared
-- by every scope, a window's table is built whole by one constructor, and
-- only fields that change are written. Numbers are formatted with %d before
-- they go to redis.call: given a number, Redis prints it with %.17g, which
-- costs more and is inexact from 1e17.
local limit = {}
do
  local now, slotw, n, leasew, leasen, names, digits
  local floor, fmt, tonumber, unpack, sub = math.floor, string.format, tonumber, unpack, string.sub
  -- Strings of digits become numbers by arithmetic (x + 0): one strtod,
  -- where tonumber(x) makes two.

  -- A window is an array, built whole by one constructor (a table with
  -- named fields costs a hash part; one that grows is rehashed), at these
  -- indices, written as literals (a local per index would be an upvalue of
  -- every function here, and Redis runs this file's definitions on every
  -- call):
  --   [1] kind ('r', 't', 'c')   [2] slot width      [3] slots
  --   [4] current slot           [5] head            [6] sum
  --   [7] last charged slot      [8] exists          [9] reset
  --   [10] head moved            [11] dirty (to write)
  --   [12], [13] the slot field open read and its value
  --   [14] the head's field when it is [12]
  --   [15], [16] the one change: field and amount
  --   [17] slot fields to delete [18] [7] to write
  --   [19] the head's digits when it is the current slot

  -- setup reads the arguments every call shares. A now_us of 0 means
  -- server time: server_us when the caller has read TIME already.
  local function setup(a, ao, server_us)
    now = a[ao + 2] + 0
    if now == 0 then
      now = server_us
      if not now then
        local t = redis.call('TIME')
        now = t[1] * 1000000 + t[2]
      end
    end
    slotw, n = a[ao + 3] + 0, a[ao + 4] + 0
    leasew, leasen = a[ao + 5] + 0, a[ao + 6] + 0
    names, digits = nil, nil
  end

  local function f(j) return fmt('%d', j) end

  -- Field names as literals: Lua builds a concatenated string anew on
  -- every call.
  local FH, FS, FL = {r = 'rh', t = 'th', c = 'ch'}, {r = 'rs', t = 'ts', c = 'cs'}, {r = 'rl', t = 'tl', c = 'cl'}

  -- slotname is the field of the current slot of window kind p, and the
  -- slot's digits: the same for every scope of a call, so formatted once.
  -- A head read back as these digits is the current slot, known without
  -- converting it.
  local function slotname(p)
    if not names then
      local s, l = f(floor(now / slotw)), f(floor(now / leasew))
      names, digits = {r = 'r' .. s, t = 't' .. s, c = 'c' .. l}, {r = s, t = s, c = l}
    end
    return names[p], digits[p]
  end

  -- open reads the windows kinds names ('r', 't', 'c' in a string) from
  -- one scope's hash, in one HMGET, and advances each to its current slot
  -- without writing. It also reads one slot field per window: twant's or
  -- cwant's (strings, as the arguments came) for the token and lease
  -- windows when given, else the current slot's, so that save can write
  -- that slot with the rest in one HSET instead of an HINCRBY.
  local function open(key, kinds, twant, cwant)
    local nk = #kinds
    local fields = {false, false, false, false, false, false, false, false, false, false, false, false, false}
    for i = 1, nk do
      local p = sub(kinds, i, i)
      local fj
      if p == 't' and twant then fj = 't' .. twant
      elseif p == 'c' and cwant then fj = 'c' .. cwant
      else fj = (slotname(p)) end
      fields[4 * i - 3], fields[4 * i - 2], fields[4 * i - 1], fields[4 * i] = FH[p], FS[p], FL[p], fj
    end
    local nf = 4 * nk
    local hasc = sub(kinds, nk, nk) == 'c'
    if not hasc then nf = nf + 1; fields[nf] = 'ch' end -- a lease window lives here: see save
    local v = redis.call('HMGET', key, unpack(fields, 1, nf))
    local sc = {false, false, false, key = key, leases = not hasc and v[nf] ~= false, r = false, t = false, c = false,
      nk = nk, rpm = 0, tpm = 0}
    for i = 1, nk do
      local p = sub(kinds, i, i)
      local w, nslots = slotw, n
      if p == 'c' then w, nslots = leasew, leasen end
      local cur = floor(now / w)
      local vh, vs, vl, vx = v[4 * i - 3], v[4 * i - 2], v[4 * i - 1], v[4 * i]
      local _, cd = slotname(p)
      local win = {p, w, nslots, cur, cur, 0, 0, vh ~= false, false, true, false,
        fields[4 * i], vx and vx + 0 or 0, false, false, 0, false, false, false}
      sc[i] = win
      sc[p] = win
      if p == 'c' then sc.leases = vh ~= false end
      if vh then
        local h = cur
        if vh ~= cd then h = vh + 0 end
        local sum = vs and vs + 0 or 0
        if vl == vh then win[7] = h else win[7] = vl and vl + 0 or 0 end
        if cur <= h then
          win[5], win[6], win[10] = h, sum, false
          if h == cur then win[19] = cd end
        elseif cur - h >= nslots or sum <= 0 then
          -- Everything in the window is stale. Its slot fields all lie in
          -- (h - n, h]: older ones were dropped as they left.
          local gone = {}
          for j = h - nslots + 1, h do gone[#gone + 1] = p .. f(j) end
          win[9], win[13], win[17] = true, 0, gone
        else
          -- The slots that left the window since the head last moved, read
          -- in one call: a key idle for a few seconds has skipped several.
          local old = {}
          for j = h + 1, cur do old[#old + 1] = p .. f(j - nslots) end
          local xs = redis.call('HMGET', key, unpack(old))
          local gone = {}
          for k = 1, #old do
            if xs[k] then
              sum = sum - xs[k]
              gone[#gone + 1] = old[k]
            end
          end
          win[6], win[17] = sum, gone
        end
      end
      if win[10] then win[19] = cd end -- the head moves to the current slot
      if win[5] == cur and (p == 'r' or (p == 't' and not twant) or (p == 'c' and not cwant)) then
        win[14] = win[12] -- the slot open read is the head's: add charges it
      end
    end
    return sc
  end

  -- save writes back the windows of a scope that changed: one HDEL of the
  -- slots that left them, one HSET of what changed (the sum and the slot
  -- open read always; the head when it moved, the last charged slot when
  -- it changed). The expiry is pushed out only when a head moved to a new
  -- slot: every charge lands in its window's head slot, so the hash then
  -- outlives the last charge of each window by at least n+1 of its slots.
  -- It is the longest window's (the leases') once the scope has one.
  local function save(sc)
    local del, moved, leases, ns = nil, false, sc.leases, 0
    local set = {false, false, false, false, false, false, false, false, false, false, false, false,
      false, false, false, false, false, false, false, false, false, false, false, false}
    for i = 1, sc.nk do
      local win = sc[i]
      if win[11] then
        local gone = win[17]
        if gone and #gone > 0 then
          del = del or {}
          for _, g in ipairs(gone) do del[#del + 1] = g end
        end
        local p = win[1]
        set[ns + 1], set[ns + 2] = FS[p], f(win[6])
        ns = ns + 2
        if win[10] then
          set[ns + 1], set[ns + 2] = FH[p], win[19]
          ns = ns + 2
        end
        if win[18] or not win[8] then
          set[ns + 1], set[ns + 2] = FL[p], win[19] or f(win[7])
          ns = ns + 2
        end
        if win[15] == win[12] then
          set[ns + 1], set[ns + 2] = win[15], f(win[13] + win[16])
          ns = ns + 2
        end
        moved = moved or win[10]
        leases = leases or p == 'c'
      end
    end
    if ns == 0 then return end
    if del then redis.call('HDEL', sc.key, unpack(del)) end
    redis.call('HSET', sc.key, unpack(set, 1, ns))
    for i = 1, sc.nk do
      local win = sc[i]
      if win[11] and win[15] ~= win[12] then
        redis.call('HINCRBY', sc.key, win[15], f(win[16])) -- a head ahead of the clock: rare
      end
    end
    if moved then
      local ttl = (n + 2) * slotw
      if leases then ttl = math.max(ttl, (leasen + 2) * leasew) end
      redis.call('PEXPIRE', sc.key, floor(ttl / 1000))
    end
  end

  -- change adds v to slot field fj of win: the one change a window gets per
  -- call (a charge at its head, or a refund).
  local function change(win, fj, v)
    win[15], win[16] = fj, v
    win[6] = win[6] + v
    win[11] = true
  end

  local function add(win, v)
    local fj = win[14] -- the head's field, when open read it (the usual case)
    if not fj then fj = win[1] .. f(win[5]) end
    change(win, fj, v)
    if win[7] ~= win[5] then win[7], win[18] = win[5], true end
  end

  -- wait is the time until need more fits under lim, -1 if it never does.
  local function wait(key, win, need, lim)
    if need > lim then return -1 end
    local over = win[6] + need - lim
    local slots = {}
    if win[8] and not win[9] then
      local all = redis.call('HGETALL', key)
      for i = 1, #all, 2 do
        if sub(all[i], 1, 1) == win[1] then
          local j = tonumber(sub(all[i], 2))
          if j then slots[j] = tonumber(all[i + 1]) end
        end
      end
    end
    local h, ns = win[5], win[3]
    for j = h - ns + 1, h do
      over = over - (slots[j] or 0)
      if over <= 0 then return (j + ns) * win[2] - now end
    end
    return 0
  end

  local function emptyin(win)
    if win[6] <= 0 then return 0 end
    return (win[7] + win[3]) * win[2] - now
  end

  -- settle refunds or adds tokens and gives back concurrency leases.
  function limit.settle(keys, ko, a, ao, nkeys)
    setup(a, ao)
    local delta = a[ao + 7] + 0
    for i = 1, nkeys do
      local ts, ls = a[ao + 7 + 2 * i - 1], a[ao + 7 + 2 * i]
      local tslot, lslot = ts + 0, ls + 0
      local kinds, twant = '', nil
      if tslot >= 0 and delta ~= 0 then
        kinds = 't'
        if delta < 0 then twant = ts end
      end
      if lslot >= 0 then kinds = kinds .. 'c' end
      if kinds ~= '' then
        local sc = open(keys[ko + i], kinds, twant, ls)
        local win = sc.t
        if win then
          if delta > 0 then
            add(win, delta)
          elseif win[8] and not win[9] and tslot > win[5] - n and tslot <= win[5] then
            local r = math.min(win[13], -delta)
            if r > 0 then change(win, win[12], -r) end
          end
        end
        win = sc.c
        if win and win[8] and not win[9] and lslot > win[5] - leasen and lslot <= win[5] and win[13] > 0 then
          change(win, win[12], -1)
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
    local st = {false, false, false, false, tokens = a[ao + 7] + 0, nscopes = nkeys, refused = 0, which = 0, retry = -2,
      toolarge = false}
    local function refuse(i, kind, us)
      if us < 0 then
        if not st.toolarge then st.refused, st.which, st.retry, st.toolarge = i, kind, -1, true end
        return
      end
      if not st.toolarge and us > st.retry then st.refused, st.which, st.retry = i, kind, us end
    end
    for i = 1, nkeys do
      local ai = ao + 7 + 3 * i
      local rpm, tpm, conc = a[ai - 2] + 0, a[ai - 1] + 0, a[ai] + 0
      local key = keys[ko + i]
      local kinds = ''
      if rpm > 0 then kinds = 'r' end
      if tpm > 0 then kinds = kinds .. 't' end
      if conc > 0 then kinds = kinds .. 'c' end
      -- A scope without limits is an empty scope: nothing read or written.
      local sc
      if kinds ~= '' then sc = open(key, kinds) else sc = {r = false, t = false, c = false, nk = 0, rpm = 0, tpm = 0} end
      sc.rpm, sc.tpm = rpm, tpm
      if sc.r and sc.r[6] + 1 > rpm then refuse(i, 1, wait(key, sc.r, 1, rpm)) end
      if sc.t and sc.t[6] + st.tokens > tpm then refuse(i, 2, wait(key, sc.t, st.tokens, tpm)) end
      if sc.c and sc.c[6] + 1 > conc then refuse(i, 3, 1000000) end
      st[i] = sc
    end
    return st
  end

  -- finish charges every scope of an admission check allowed (only then)
  -- and returns the reply described above, appended to out when given.
  function limit.finish(st, out)
    out = out or {}
    local o = #out
    out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = 0, st.refused, st.which, st.retry, 0
    out[o + 6], out[o + 7], out[o + 8], out[o + 9], out[o + 10] = 0, 0, 0, 0, 0
    if st.refused == 0 then
      out[o + 1] = 1
      out[o + 4] = 0
    end
    for i = 1, st.nscopes do
      local sc = st[i]
      local r, t, c = sc.r, sc.t, sc.c
      local tslot, lslot = -1, -1
      if st.refused == 0 and sc.nk > 0 then
        if r then add(r, 1) end
        if t then add(t, st.tokens); tslot = t[5] end
        if c then add(c, 1); lslot = c[5] end
        save(sc)
      end
      if r then
        local rem = math.max(0, sc.rpm - r[6])
        if out[o + 5] == 0 or rem < out[o + 6] then out[o + 5], out[o + 6], out[o + 7] = sc.rpm, rem, emptyin(r) end
      end
      if t then
        local rem = math.max(0, sc.tpm - t[6])
        if out[o + 8] == 0 or rem < out[o + 9] then out[o + 8], out[o + 9], out[o + 10] = sc.tpm, rem, emptyin(t) end
      end
      out[#out + 1] = tslot
      out[#out + 1] = lslot
    end
    return out
  end
end
