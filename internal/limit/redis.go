package limit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed redislib.lua
var luaLib string

//go:embed redis.lua
var luaMain string

// script runs by EVALSHA and falls back to EVAL (which loads it) when the
// server does not have it yet, such as after a restart.
var script = redis.NewScript(luaLib + luaMain)

// DefaultPrefix is where Redis keeps limiter state when it is used alone.
// The braces are a Redis Cluster hash tag: every scope of one admission must
// live in one slot for a single script to touch them atomically. The gateway
// keeps its windows under redisadmit.Prefix instead, the tag its budget
// books have, so one script takes both.
const DefaultPrefix = "sy:{limit}:"

// Redis is the cluster Limiter: every replica pointing at the same Redis
// shares one set of windows. Admit and Settle each take one round trip (one
// script across all scopes), and time is Redis server time, so replicas with
// skewed clocks still agree. Each scope is one hash (prefix + scope name)
// holding its three windows; it expires a little after its longest window
// (the concurrency leases' when it has them), so idle scopes leave nothing
// behind.
//
// Give the client short timeouts and few retries (ClientOptions does): a
// limiter that waits seconds for a dead Redis holds every request as long.
type Redis struct {
	c        redis.Scripter
	prefix   string
	now      func() time.Time
	leaseTTL time.Duration
}

// NewRedis returns a limiter over c with keys under prefix ("" means
// DefaultPrefix).
func NewRedis(c redis.Scripter, prefix string, o Options) *Redis {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Redis{c: c, prefix: prefix, now: o.Now, leaseTTL: o.leaseTTL()}
}

// ClientOptions parses a redis:// URL (as in cluster.redis) with timeouts fit
// for admission: a dead Redis is noticed in about a quarter second (a second
// when its host stops answering dials), not the client's default seconds of
// dial retries.
func ClientOptions(url string) (*redis.Options, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("limit: redis url: %w", err)
	}
	// A dial gets a second: on a loaded machine a burst's dials to a live
	// Redis took over 250 ms, and failing closed then refused a thousand
	// requests for an outage that was not one (CI, 2026-12-07). A dead
	// Redis on the same host refuses the dial at once; reads still time out
	// in 250 ms.
	if !strings.Contains(url, "dial_timeout") {
		o.DialTimeout = time.Second
	}
	if !strings.Contains(url, "read_timeout") {
		o.ReadTimeout = 250 * time.Millisecond
	}
	if !strings.Contains(url, "write_timeout") {
		o.WriteTimeout = 250 * time.Millisecond
	}
	if !strings.Contains(url, "max_retries") {
		o.MaxRetries = 1
	}
	o.DialerRetries = 1
	// A burst of admissions queues for the pool rather than dialing a storm
	// of connections at once (each dial racing the short dial timeout): a
	// few connections stay open, and waiting for one is not an outage.
	if !strings.Contains(url, "min_idle_conns") {
		o.MinIdleConns = 8
	}
	if !strings.Contains(url, "pool_timeout") {
		o.PoolTimeout = 3 * time.Second
	}
	return o, nil
}

func (r *Redis) nowArg() int64 {
	if r.now == nil {
		return 0 // the script reads Redis TIME
	}
	return r.now().UnixMicro()
}

func (r *Redis) common(mode string, tokens int64) []any {
	slot := Window / rateSlots
	lease := r.leaseTTL / leaseSlots
	return []any{mode, r.nowArg(), slot.Microseconds(), rateSlots + 1, lease.Microseconds(), leaseSlots + 1, tokens}
}

// Admit implements Limiter.
func (r *Redis) Admit(ctx context.Context, a *Ask) (Decision, Ticket, error) {
	p := r.Plan(a)
	res, err := script.Run(ctx, r.c, p.Keys, p.Args...).Int64Slice()
	if err != nil {
		return Decision{}, Ticket{}, classify(ctx, "admit", err)
	}
	return p.Decode(res)
}

// Settle implements Limiter.
func (r *Redis) Settle(ctx context.Context, t Ticket, actual int64) error {
	p, ok := r.SettlePlan(t, actual)
	if !ok {
		return nil
	}
	if err := script.Run(ctx, r.c, p.Keys, p.Args...).Err(); err != nil {
		return classify(ctx, "settle", err)
	}
	return nil
}

// classify marks errors that mean Redis cannot serve us as ErrUnavailable;
// the caller's own cancellation and script errors (bugs) are not.
func classify(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("limit: redis %s: %w", op, err)
	}
	var re redis.Error
	if errors.As(err, &re) && !errors.Is(err, redis.ErrClosed) {
		msg := re.Error()
		for _, p := range []string{"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "BUSY", "NOREPLICAS"} {
			if strings.HasPrefix(msg, p) {
				return fmt.Errorf("limit: redis %s: %w: %w", op, ErrUnavailable, err)
			}
		}
		return fmt.Errorf("limit: redis %s: %w", op, err)
	}
	return fmt.Errorf("limit: redis %s: %w: %w", op, ErrUnavailable, err)
}
