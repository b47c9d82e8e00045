// Package admit lets a request start or refuses it: the rate limits and budget holds of every scope it falls under, taken together and settled when it ends.
package admit

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/limit"
	"github.com/switchyard/switchyard/internal/money"
)

// DefaultHoldTTL bounds how long a budget hold lives when its request never
// settles (the process died): long enough for the longest stream.
const DefaultHoldTTL = 15 * time.Minute

// Admitter admits requests. A nil Limits or Budgets skips that half. It is
// safe for concurrent use.
type Admitter struct {
	Limits  limit.Limiter
	Budgets budget.Backend
	// Joint, when set, takes both halves in one step (cluster mode: one Redis
	// round trip for every scope). Limits and Budgets still settle what it
	// took, and decide alone while it cannot (see Joint).
	Joint   Joint
	HoldTTL time.Duration
	Log     *slog.Logger
	// Webhook is where every budget's threshold alerts go; empty for none.
	Webhook string

	// periods are the budget periods parsed so far, replaced whole on a
	// miss: a lookup is one atomic load and no allocation.
	periods   atomic.Pointer[map[periodKey]budget.Period]
	periodsMu sync.Mutex
}

type periodKey struct{ period, tz string }

// Ask is what admission needs to know of a request.
type Ask struct {
	Who *access.Principal
	// Tokens is charged to the token limits at admission: the prompt
	// estimate plus the output the request may ask for.
	Tokens int64
	// WorstCost is held on every budget: the same tokens at the dearest
	// deployment the request may be routed to.
	WorstCost money.Nanos
	Now       time.Time
}

// Ticket is an admitted request's claim, settled once by Finish. It also
// holds what admission passes down (scopes, budgets), so an admission
// allocates once.
type Ticket struct {
	lim     limit.Ticket
	hold    budget.Reservation
	budgets [2]budget.Budget
	scopes  [2]limit.Scope
	ask     limit.Ask
	ctx     detached // Finish's context, without the request's cancellation
	joint   bool     // admitted by Joint: settled by it when it is a Settler
	// Limits carries the rate-limit headers every answer shows.
	Limits limit.Decision
}

// Refusal is why a request may not start, with the status the client gets.
type Refusal struct {
	Status     int // 429 rate limited, 402 over budget, 503 admission unavailable
	Code       string
	Message    string
	RetryAfter time.Duration
	Limits     limit.Decision // headers to send, for rate limits
	Budget     *budget.Refusal
}

// Admit takes the request's rate limits and budget holds on its key and,
// for a stored key, its tenant: all of them or none. When both a hard
// budget and a rate limit refuse, the answer is the budget's 402 (waiting
// for the window would not help). A key and tenant with neither get a nil
// Ticket, which Finish accepts.
func (a *Admitter) Admit(ctx context.Context, ask *Ask) (*Ticket, *Refusal) {
	p := ask.Who
	if p.Limits.IsZero() && p.TenantLimits.IsZero() && p.Budget.IsZero() && p.TenantBudget.IsZero() {
		return nil, nil // nothing to take: no allocation, no lock, no round trip
	}
	t := tickets.Get().(*Ticket)
	var keyScope, tenantScope string
	if !p.Limits.IsZero() || !p.Budget.IsZero() {
		keyScope = keyNames.name(p.KeyID)
	}
	if p.TenantID != "" && (!p.TenantLimits.IsZero() || !p.TenantBudget.IsZero()) {
		tenantScope = tenantNames.name(p.TenantID)
	}
	n := 0
	if a.Limits != nil {
		if lim := p.Limits; !lim.IsZero() {
			t.scopes[n] = limit.Scope{Name: keyScope, Limits: limit.Limits(lim)}
			n++
		}
		if lim := p.TenantLimits; tenantScope != "" && !lim.IsZero() {
			t.scopes[n] = limit.Scope{Name: tenantScope, Limits: limit.Limits(lim)}
			n++
		}
	}
	nb := 0
	if a.Budgets != nil {
		if b, ok := a.Budget(keyScope, p.Budget); ok {
			t.budgets[nb] = b
			nb++
		}
		if b, ok := a.Budget(tenantScope, p.TenantBudget); ok && tenantScope != "" {
			t.budgets[nb] = b
			nb++
		}
	}
	ttl := a.HoldTTL
	if ttl <= 0 {
		ttl = DefaultHoldTTL
	}
	t.ask = limit.Ask{Scopes: t.scopes[:n], Tokens: ask.Tokens, Now: ask.Now}
	lask := &t.ask
	if a.Joint != nil && n+nb > 0 {
		if ref, done := a.joint(ctx, t, lask, nb, ask, ttl); done {
			if ref != nil {
				return nil, ref
			}
			return t, nil
		}
		// The shared store cannot decide now: the halves' fallbacks do.
	}
	// Budgets first: a hold is fully undone by Release, while a rate-limit
	// charge is not (its request stays counted in the window), so a request
	// one refuses leaves nothing behind in the other.
	if nb > 0 {
		hold, ref, err := a.Budgets.Reserve(ctx, t.budgets[:nb], ask.WorstCost, ttl, ask.Now)
		if err != nil {
			return nil, a.unavailable("budgets", err)
		}
		if ref != nil {
			return nil, budgetRefusal(ref)
		}
		t.hold = hold
	}
	if n > 0 {
		d, lt, err := a.Limits.Admit(ctx, lask)
		if err != nil || !d.Allowed {
			a.release(ctx, t)
			if err != nil {
				return nil, a.unavailable("rate limits", err)
			}
			return nil, rateRefusal(d)
		}
		t.Limits, t.lim = d, lt
	}
	return t, nil
}

// Finish settles an admitted request: its token limits to the tokens it
// used, its budget holds to what it cost (the settlement point's sum over its
// attempts). Call it exactly once per Ticket, and do not touch the Ticket
// afterwards: it is recycled for a later admission.
func (a *Admitter) Finish(ctx context.Context, t *Ticket, tokens int64, cost money.Nanos) {
	if t == nil {
		return
	}
	// The request's context is cancelled when its client hangs up, which is
	// exactly when the hold and lease must still be given back: with it, a
	// Redis settlement failed and both leaked until they expired.
	t.ctx.parent = ctx
	ctx = &t.ctx
	if s, ok := a.Joint.(Settler); ok && t.joint {
		if err := s.Settle(ctx, t.lim, t.hold, tokens, cost); err != nil {
			a.log().Error("settle failed; the hold and lease expire, the spend is in the store", "err", err, "cost_usd", cost.String())
		}
		t.release()
		return
	}
	if a.Limits != nil && t.lim.Valid() {
		if err := a.Limits.Settle(ctx, t.lim, tokens); err != nil {
			a.log().Warn("rate limit settle failed; the hold expires on its own", "err", err)
		}
	}
	if a.Budgets != nil && len(t.hold.Budgets) > 0 {
		if err := a.Budgets.Settle(ctx, t.hold, cost); err != nil {
			a.log().Error("budget settle failed; the hold expires, the spend is in the store", "err", err, "cost_usd", cost.String())
		}
	}
	t.release()
}

// release recycles a settled Ticket.
func (t *Ticket) release() {
	*t = Ticket{}
	tickets.Put(t)
}

// tickets recycles settled Tickets: a ticket is most of what admission
// allocates, and Finish is its last use.
var tickets = sync.Pool{New: func() any { return new(Ticket) }}

// release gives back the budget holds of an admission the rate limits
// refused, even when its client has hung up.
func (a *Admitter) release(ctx context.Context, t *Ticket) {
	if len(t.hold.Budgets) == 0 {
		return
	}
	if err := a.Budgets.Release(context.WithoutCancel(ctx), t.hold); err != nil {
		a.log().Warn("budget release failed; the hold expires on its own", "err", err)
	}
}

// Budget turns a key's or tenant's budget setting into a budget. A setting
// with a period that does not parse (the admin API validates it) is skipped
// with a warning rather than refusing every request.
func (a *Admitter) Budget(scope string, s access.Budget) (budget.Budget, bool) {
	if s.IsZero() {
		return budget.Budget{}, false
	}
	p, err := a.period(s.Period, s.TZ)
	if err != nil {
		a.log().Warn("budget skipped: bad period", "scope", scope, "err", err)
		return budget.Budget{}, false
	}
	return budget.Budget{Scope: scope, Limit: s.USD, Period: p, Hard: s.Hard, Webhook: a.Webhook}, true
}

func (a *Admitter) period(period, tz string) (budget.Period, error) {
	k := periodKey{period, tz}
	if m := a.periods.Load(); m != nil {
		if p, ok := (*m)[k]; ok {
			return p, nil
		}
	}
	p, err := budget.ParsePeriod(period, tz)
	if err != nil {
		return p, err
	}
	a.periodsMu.Lock()
	defer a.periodsMu.Unlock()
	next := map[periodKey]budget.Period{k: p}
	if m := a.periods.Load(); m != nil {
		for k, v := range *m {
			next[k] = v
		}
	}
	a.periods.Store(&next)
	return p, nil
}

func (a *Admitter) unavailable(what string, err error) *Refusal {
	if !errors.Is(err, limit.ErrUnavailable) && !errors.Is(err, budget.ErrUnavailable) {
		a.log().Error("admission failed", "what", what, "err", err)
	}
	return &Refusal{Status: http.StatusServiceUnavailable, Code: "admission_unavailable", RetryAfter: time.Second,
		Message: "The gateway cannot check " + what + " right now (its shared store is unreachable); retry shortly."}
}

func budgetRefusal(ref *budget.Refusal) *Refusal {
	return &Refusal{Status: http.StatusPaymentRequired, Code: "budget_exceeded", Message: ref.Error() + ".", Budget: ref}
}

func rateRefusal(d limit.Decision) *Refusal {
	which := map[string]string{limit.Requests: "requests per minute", limit.Tokens: "tokens per minute", limit.Concurrent: "concurrent requests"}[d.Which]
	msg := "Rate limit reached for " + d.Scope + " on " + which + "."
	if d.TooLarge {
		// Waiting cannot help, so not a 429 that SDKs would retry.
		return &Refusal{Status: http.StatusBadRequest, Code: "request_exceeds_limit", Limits: d,
			Message: "This request alone exceeds the " + which + " limit of " + d.Scope + "; lower max_tokens or the prompt."}
	}
	if d.RetryAfter > 0 {
		msg += " Retry after " + limit.FormatReset(d.RetryAfter) + "."
	}
	return &Refusal{Status: http.StatusTooManyRequests, Code: "rate_limit_exceeded", Message: msg, RetryAfter: d.RetryAfter, Limits: d}
}

func (a *Admitter) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
