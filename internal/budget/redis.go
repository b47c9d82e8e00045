package budget

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/money"
)

// Redis keeps budgets in Redis so every replica enforces the same books.
// Reserve is one Lua script over all of a request's scopes (one round trip,
// all or none); Settle and Release are one script each. Hold expiry uses
// Redis TIME, so replicas agree on it whatever their clocks say, and expired
// holds are reaped inside the Reserve script from a ZSET of hold ids scored by
// expiry, once the earliest of them may have passed.
//
// Keys, under the prefix, per scope and period ("book"):
//
//	h:<book>              hash: "held" (sum of live holds), "h<id>" → amount,
//	                      "e" (no later than the earliest live hold's expiry:
//	                      when the next reap is due) and "x" (when the book's
//	                      keys expire), in Redis-clock milliseconds
//	z:<book>              zset: hold id → expiry in Redis-clock milliseconds,
//	                      and "_" → +inf, which keeps it (and its expiry) alive
//	                      between holds
//	s:<book>:<bucket>     string: settled spend of one bucket, nano-dollars
//	a:<book>:<window>:<t> string: alert t% sent for the window (SET NX)
//
// Amounts are exact while a window's spend stays under 2^53 nano-dollars
// (about $9 million): Lua numbers are doubles. All keys of a request must live
// in one Redis Cluster slot, so give the prefix a hash tag ("sy:{budget}:").
// The Reserve script is also a library (RedisLua) that the gateway's joint
// admission runs together with the rate limits (internal/admit/redisadmit).
type Redis struct {
	c        redis.UniversalClient
	prefix   string
	notifier *Notifier
	idBase   uint64
	ids      atomic.Uint64
	// skew is Redis TIME minus this host's clock in nanoseconds, learned from
	// every Reserve; buckets are chosen on the corrected clock so replicas
	// agree which period a request at a boundary belongs to.
	skew atomic.Int64
}

// NewRedis keeps budgets in c under keys starting with prefix (such as
// "switchyard:budget:"), sending alerts this replica wins to n. Give c short
// timeouts (dial and read of a few hundred milliseconds): an unreachable Redis
// must become ErrUnavailable quickly, not stall admission.
func NewRedis(c redis.UniversalClient, prefix string, n *Notifier) *Redis {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// Hold ids are a random 64-bit base plus a counter, so two replicas never
	// pick the same id; the top bit is cleared to keep ids positive.
	return &Redis{c: c, prefix: prefix, notifier: n, idBase: binary.LittleEndian.Uint64(b[:]) >> 1}
}

//go:embed reservelib.lua
var reserveLib string

// reserveScript is Reserve: every budget checked, then held on all or none.
var reserveScript = redis.NewScript(reserveLib + `
local now = budget.clock()
local refused = budget.check(KEYS, 0, ARGV, 0, now)
if refused then return refused end
budget.hold(KEYS, 0, ARGV, 0, now)
return {1, 0, 0, 0, now}
`)

//go:embed settlelib.lua
var settleLib string

// settleScript is Settle: budget.settle (settlelib.lua) over every budget.
var settleScript = redis.NewScript(reserveLib + settleLib + `
return budget.settle(KEYS, 0, ARGV, 0)
`)

var releaseScript = redis.NewScript(`
local id = ARGV[1]
for i = 1, #KEYS, 2 do
  local h, z = KEYS[i], KEYS[i + 1]
  local a = redis.call('HGET', h, 'h' .. id)
  if a then
    redis.call('HINCRBY', h, 'held', '-' .. a)
    redis.call('HDEL', h, 'h' .. id)
    redis.call('ZREM', z, id)
  end
end
return 1
`)

// statusScript reaps one book's expired holds and reads its spend and holds.
var statusScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h, z = KEYS[1], KEYS[2]
local expired = redis.call('ZRANGEBYSCORE', z, '-inf', now)
for _, hid in ipairs(expired) do
  local a = redis.call('HGET', h, 'h' .. hid)
  if a then
    redis.call('HINCRBY', h, 'held', '-' .. a)
    redis.call('HDEL', h, 'h' .. hid)
  end
end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now) end
local spent = 0
for j = 3, #KEYS do spent = spent + tonumber(redis.call('GET', KEYS[j]) or '0') end
return {spent, tonumber(redis.call('HGET', h, 'held') or '0')}
`)

func (r *Redis) holdKeys(k string) (h, z string) { return r.prefix + "h:" + k, r.prefix + "z:" + k }

func (r *Redis) bucketKey(k string, b Bucket) string {
	return r.prefix + "s:" + k + ":" + strconv.FormatInt(b.ID(), 10)
}

// clock is now corrected by the skew to Redis TIME last measured.
func (r *Redis) clock(now time.Time) time.Time { return now.Add(time.Duration(r.skew.Load())) }

// unavailable turns a transport failure into ErrUnavailable; a reply error
// from a reachable server (a script bug) stays as it is, and so does the
// caller's own cancellation: a client hanging up says nothing of Redis, and
// taken for an outage it would fail the replica closed for everyone.
func unavailable(ctx context.Context, op string, err error) error {
	// Only the context says whether it was the caller's: a dial timeout
	// also matches context.DeadlineExceeded.
	if ctx.Err() != nil {
		return fmt.Errorf("budget: redis %s: %w", op, err)
	}
	var re redis.Error
	if errors.As(err, &re) && !redis.HasErrorPrefix(err, "LOADING") && !redis.HasErrorPrefix(err, "MASTERDOWN") &&
		!redis.HasErrorPrefix(err, "READONLY") && !redis.HasErrorPrefix(err, "CLUSTERDOWN") && !redis.HasErrorPrefix(err, "BUSY") {
		return fmt.Errorf("budget: redis %s: %w", op, err)
	}
	return fmt.Errorf("%w (redis %s: %v)", ErrUnavailable, op, err)
}

// Reserve implements Backend in one round trip.
func (r *Redis) Reserve(ctx context.Context, budgets []Budget, amount money.Nanos, ttl time.Duration, now time.Time) (Reservation, *Refusal, error) {
	p, err := r.Plan(budgets, amount, ttl, now)
	if err != nil || len(budgets) == 0 {
		return Reservation{}, nil, err
	}
	sent := time.Now()
	res, err := reserveScript.Run(ctx, r.c, p.Keys, p.Args...).Int64Slice()
	if err != nil {
		p.Forget()
		return Reservation{}, nil, unavailable(ctx, "reserve", err)
	}
	return p.Decode(res, sent)
}

// forget releases, in the background, a hold whose Reserve failed: the
// script may have run and only its reply been lost (a read timeout, a
// cancelled caller), and the hold would then refuse others until it
// expired. Releasing an id Redis never held does nothing.
func (r *Redis) forget(id uint64, budgets []Budget) {
	keys := make([]string, 0, 2*len(budgets))
	for i := range budgets {
		h, z := r.holdKeys(budgets[i].book().redisKey())
		keys = append(keys, h, z)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = releaseScript.Run(ctx, r.c, keys, strconv.FormatUint(id, 10)).Err()
	}()
}

// Settle implements Backend in one round trip.
func (r *Redis) Settle(ctx context.Context, res Reservation, actual money.Nanos) error {
	if res.ID == 0 {
		return nil
	}
	p := r.SettlePlan(res, actual)
	won, err := settleScript.Run(ctx, r.c, p.Keys, p.Args...).Int64Slice()
	if err != nil {
		return unavailable(ctx, "settle", err)
	}
	p.Notify(won)
	return nil
}

// Release implements Backend in one round trip.
func (r *Redis) Release(ctx context.Context, res Reservation) error {
	if res.ID == 0 {
		return nil
	}
	keys := make([]string, 0, len(res.Budgets)*2)
	for i := range res.Budgets {
		h, z := r.holdKeys(res.Budgets[i].book().redisKey())
		keys = append(keys, h, z)
	}
	if err := releaseScript.Run(ctx, r.c, keys, strconv.FormatUint(res.ID, 10)).Err(); err != nil {
		return unavailable(ctx, "release", err)
	}
	return nil
}

// Status implements Backend.
func (r *Redis) Status(ctx context.Context, b Budget, now time.Time) (Status, error) {
	now = r.clock(now)
	k := b.book().redisKey()
	h, z := r.holdKeys(k)
	keys := []string{h, z}
	for _, bu := range b.Period.Buckets(nil, now) {
		keys = append(keys, r.bucketKey(k, bu))
	}
	v, err := statusScript.Run(ctx, r.c, keys).Int64Slice()
	if err != nil {
		return Status{}, unavailable(ctx, "status", err)
	}
	start, end := b.Period.Window(now)
	return Status{Spent: money.Nanos(v[0]), Held: money.Nanos(v[1]), Start: start, ResetsAt: end}, nil
}

// Seed implements Backend: it sets the bucket only when Redis has no value
// for it, because in cluster mode Redis holds the live books and the store's
// copy may lag behind them.
func (r *Redis) Seed(ctx context.Context, b Budget, bucket Bucket, spent money.Nanos) error {
	var exp time.Duration
	if !bucket.End.IsZero() {
		exp = time.Until(bucket.End.Add(b.Period.retention()))
		if exp <= 0 {
			return nil
		}
	}
	if err := r.c.SetNX(ctx, r.bucketKey(b.book().redisKey(), bucket), int64(spent), exp).Err(); err != nil {
		return unavailable(ctx, "seed", err)
	}
	return nil
}

// Reap drops expired holds in every book under the prefix. Reserve and Status
// reap the books they touch anyway; Reap keeps the held sums of books no
// request touches any more honest for whoever reads Redis directly.
func (r *Redis) Reap(ctx context.Context) error {
	iter := r.c.Scan(ctx, 0, r.prefix+"z:*", 500).Iterator()
	for iter.Next(ctx) {
		z := iter.Val()
		h := r.prefix + "h:" + z[len(r.prefix)+2:]
		if err := statusScript.Run(ctx, r.c, []string{h, z}).Err(); err != nil {
			return unavailable(ctx, "reap", err)
		}
	}
	if err := iter.Err(); err != nil {
		return unavailable(ctx, "reap", err)
	}
	return nil
}

// Run reaps every interval until ctx is done; failures wait for the next tick.
func (r *Redis) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = r.Reap(ctx)
		}
	}
}
