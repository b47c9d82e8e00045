// Package redisadmit admits a request in one Redis round trip: its rate limits and budget holds on every scope, checked and taken by one atomic script.
package redisadmit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/limit"
	"github.com/switchyard/switchyard/internal/money"
)

// Prefix is where cluster admission keeps its state: budget books right
// under it (as before this package existed, so an upgrade keeps every
// replica's spend) and rate-limit windows under Prefix+"l:".
//
// Why one hash tag for everything: a Lua script may only touch keys of one
// Redis Cluster slot, and one admission touches its key's and its tenant's
// windows and books. Tagging by tenant would spread tenants over a cluster's
// shards, but every budget and limit call would then need the tenant of a
// key scope, and the gateway talks to one Redis node anyway; one tag keeps
// every admission legal on a cluster (on one shard) at no cost on one node.
const Prefix = "sy:{budget}:"

//go:embed joint.lua
var jointLua string

// script is the joint admission: both halves' libraries, then joint.lua.
var script = redis.NewScript(limit.RedisLua + budget.RedisLua + jointLua)

//go:embed settle.lua
var settleLua string

// settleScript is the joint settlement: both halves' settlement libraries,
// then settle.lua.
var settleScript = redis.NewScript(limit.RedisLua + budget.RedisSettleLua + settleLua)

// Joint is admit.Joint over Redis: Limits and Budgets are the usual Redis
// limiter and budget books, under one hash tag, and Admit takes both in one
// script. Give the client short timeouts (limit.ClientOptions).
type Joint struct {
	Limits  *limit.Redis
	Budgets *budget.Redis
	// LimitFallback and BudgetFallback, when set, wrap Limits and Budgets
	// for the Admitter. While either counts Redis as down, Admit answers
	// unavailable without a round trip (the fallbacks decide and probe for
	// Redis's return), and a Redis failure in Admit is reported to both.
	LimitFallback  *limit.Fallback
	BudgetFallback *budget.Fallback

	c redis.Scripter
}

// New keeps limits and budgets in c under prefix ("" means Prefix), which
// must hold a hash tag ("{…}") so every key of an admission lands in one
// Redis Cluster slot. Budget alerts this replica wins go to n. o sets the
// limiter's lease and, for tests, its clock.
func New(c redis.UniversalClient, prefix string, n *budget.Notifier, o limit.Options) (*Joint, error) {
	if prefix == "" {
		prefix = Prefix
	}
	open := strings.IndexByte(prefix, '{')
	if open < 0 || strings.IndexByte(prefix[open:], '}') < 2 {
		return nil, fmt.Errorf("redisadmit: prefix %q has no hash tag such as {budget}: an admission's keys would span Redis Cluster slots", prefix)
	}
	return &Joint{Limits: limit.NewRedis(c, prefix+"l:", o), Budgets: budget.NewRedis(c, prefix, n), c: c}, nil
}

// Admit implements admit.Joint in one round trip: one EVALSHA (an EVAL the
// first time a Redis sees the script).
func (j *Joint) Admit(ctx context.Context, la *limit.Ask, budgets []budget.Budget, amount money.Nanos, ttl time.Duration, now time.Time) (admit.Taken, error) {
	if (j.LimitFallback != nil && j.LimitFallback.Unavailable()) || (j.BudgetFallback != nil && j.BudgetFallback.Down()) {
		return admit.Taken{}, errDown
	}
	var lp limit.AdmitPlan
	if len(la.Scopes) > 0 {
		lp = j.Limits.Plan(la)
	}
	bp, err := j.Budgets.Plan(budgets, amount, ttl, now)
	if err != nil {
		return admit.Taken{}, err
	}
	keys := make([]string, 0, len(lp.Keys)+len(bp.Keys))
	keys = append(append(keys, lp.Keys...), bp.Keys...)
	args := make([]any, 0, 3+len(lp.Args)+len(bp.Args))
	args = append(args, len(lp.Keys), len(lp.Args), len(bp.Keys))
	args = append(append(args, lp.Args...), bp.Args...)

	sent := time.Now()
	res, err := script.Run(ctx, j.c, keys, args...).Int64Slice()
	if err != nil {
		// The script may have run with only its reply lost: give the hold
		// back. Rate-limit charges stay until their window passes (and a
		// concurrency lease until its TTL), as with the limiter alone.
		bp.Forget()
		err = classify(ctx, err)
		j.fail(err)
		return admit.Taken{}, err
	}
	return decode(res, &lp, &bp, sent)
}

// Settle implements admit.Settler in one round trip: it settles what Admit
// took, the rate limits' token correction and leases and the budget holds
// together, where settling them one by one took two. A failure is reported
// to both fallbacks, as each half's own settlement would have been; what it
// could not settle expires in Redis by itself (the lease, the hold), and the
// usage store still records the cost.
func (j *Joint) Settle(ctx context.Context, lim limit.Ticket, hold budget.Reservation, tokens int64, cost money.Nanos) error {
	lp, _ := j.Limits.SettlePlan(lim, tokens)
	bp := j.Budgets.SettlePlan(hold, cost)
	if len(lp.Keys) == 0 && len(bp.Keys) == 0 {
		return nil
	}
	keys := make([]string, 0, len(lp.Keys)+len(bp.Keys))
	keys = append(append(keys, lp.Keys...), bp.Keys...)
	args := make([]any, 0, 2+len(lp.Args)+len(bp.Args))
	args = append(args, len(lp.Keys), len(lp.Args))
	args = append(append(args, lp.Args...), bp.Args...)
	won, err := settleScript.Run(ctx, j.c, keys, args...).Int64Slice()
	if err != nil {
		err = classify(ctx, err)
		j.fail(err)
		return err
	}
	bp.Notify(won)
	return nil
}

// decode reads the script's reply (see joint.lua).
func decode(res []int64, lp *limit.AdmitPlan, bp *budget.ReservePlan, sent time.Time) (admit.Taken, error) {
	var tk admit.Taken
	if len(res) == 0 {
		return tk, errors.New("redisadmit: empty reply from the script")
	}
	verdict, rest := res[0], res[1:]
	var err error
	switch {
	case verdict == 1 && len(lp.Keys) > 0:
		tk.Limits, _, err = lp.Decode(rest)
		if err == nil && tk.Limits.Allowed {
			err = errors.New("redisadmit: the script refused on limits that allow")
		}
	case verdict == 2 && len(bp.Keys) > 0:
		_, tk.Budget, err = bp.Decode(rest, sent)
		if err == nil && tk.Budget == nil {
			err = errors.New("redisadmit: the script refused on budgets that hold")
		}
	case verdict == 0:
		if len(lp.Keys) > 0 {
			n := lp.ReplyLen()
			if len(rest) < n {
				return admit.Taken{}, fmt.Errorf("redisadmit: %d values from the script, want at least %d", len(rest), n)
			}
			tk.Limits, tk.Ticket, err = lp.Decode(rest[:n])
			rest = rest[n:]
		}
		if err == nil && len(bp.Keys) > 0 {
			tk.Hold, tk.Budget, err = bp.Decode(rest, sent)
		} else if err == nil && len(rest) != 0 {
			err = fmt.Errorf("redisadmit: %d values left over in the script's reply", len(rest))
		}
	default:
		err = fmt.Errorf("redisadmit: verdict %d from the script", verdict)
	}
	if err != nil {
		return admit.Taken{}, err
	}
	return tk, nil
}

// fail reports an unreachable Redis to both fallbacks, so each switches
// (fails closed or goes local), logs it once and probes for its return.
func (j *Joint) fail(err error) {
	if !errors.Is(err, limit.ErrUnavailable) {
		return
	}
	if j.LimitFallback != nil {
		j.LimitFallback.Fail(err)
	}
	if j.BudgetFallback != nil {
		j.BudgetFallback.Fail(err)
	}
}

// unavailableError is an unreachable Redis, for both halves: it matches
// limit.ErrUnavailable and budget.ErrUnavailable.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string {
	if e.err == nil {
		return "redisadmit: shared store down"
	}
	return "redisadmit: redis admit: shared store unreachable: " + e.err.Error()
}
func (e *unavailableError) Unwrap() error { return e.err }
func (e *unavailableError) Is(target error) bool {
	return target == limit.ErrUnavailable || target == budget.ErrUnavailable
}

// errDown answers without a round trip while a fallback counts Redis down.
var errDown = &unavailableError{}

// classify marks errors that mean Redis cannot serve us as unavailable; the
// caller's own cancellation (a client hanging up says nothing of Redis) and
// reply errors from a healthy server (a script bug) are not.
func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("redisadmit: redis admit: %w", err)
	}
	var re redis.Error
	if errors.As(err, &re) && !errors.Is(err, redis.ErrClosed) {
		for _, p := range []string{"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "BUSY", "NOREPLICAS"} {
			if redis.HasErrorPrefix(err, p) {
				return &unavailableError{err}
			}
		}
		return fmt.Errorf("redisadmit: redis admit: %w", err)
	}
	return &unavailableError{err}
}
