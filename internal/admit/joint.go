package admit

import (
	"context"
	"errors"
	"time"

	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/limit"
	"github.com/switchyard/switchyard/internal/money"
)

// Joint takes an admission's rate limits and budget holds in one atomic
// step: in cluster mode one Redis script, so one round trip across every
// scope (internal/admit/redisadmit). What it takes is settled by the
// Admitter's Limits and Budgets, so their Settle must accept its tickets and
// reservations.
type Joint interface {
	// Admit checks the hard budgets and the limits of la, and holds amount
	// on every budget for ttl and takes the limits: all of them, or none.
	// A budget refusal wins over a rate-limit one, as on the split path. An error wrapping limit.ErrUnavailable or budget.ErrUnavailable
	// means the shared store cannot decide now (it is unreachable, or known
	// to be down): the Admitter then asks Limits and Budgets one by one, and
	// their fallbacks fail closed or decide locally.
	Admit(ctx context.Context, la *limit.Ask, budgets []budget.Budget, amount money.Nanos, ttl time.Duration, now time.Time) (Taken, error)
}

// Settler is a Joint that also settles what it took in one step (in
// cluster mode one Redis round trip for the rate limits and the budget holds
// together). Finish uses it for tickets the Joint admitted; without it, or
// for tickets the halves' fallbacks admitted, Limits and Budgets settle one
// by one.
type Settler interface {
	// Settle corrects the token limits of lim to tokens and gives back its
	// leases, and settles hold at cost, as Limits.Settle and Budgets.Settle
	// would.
	Settle(ctx context.Context, lim limit.Ticket, hold budget.Reservation, tokens int64, cost money.Nanos) error
}

// Taken is what a joint admission decided.
type Taken struct {
	// Budget, when not nil, is the hard budget that refused; nothing was
	// taken and Limits is a zero Decision.
	Budget *budget.Refusal
	// Limits is the rate-limit decision (zero with no limit scopes); when
	// it is refused nothing was taken.
	Limits limit.Decision
	Ticket limit.Ticket
	Hold   budget.Reservation
}

// joint admits through a.Joint into t. done is false when the shared store
// cannot decide, so the caller asks the two halves one by one.
func (a *Admitter) joint(ctx context.Context, t *Ticket, la *limit.Ask, nb int, ask *Ask, ttl time.Duration) (ref *Refusal, done bool) {
	tk, err := a.Joint.Admit(ctx, la, t.budgets[:nb], ask.WorstCost, ttl, ask.Now)
	switch {
	case errors.Is(err, limit.ErrUnavailable) || errors.Is(err, budget.ErrUnavailable):
		return nil, false
	case err != nil:
		return a.unavailable("rate limits and budgets", err), true
	case tk.Budget != nil:
		return budgetRefusal(tk.Budget), true
	case len(la.Scopes) > 0 && !tk.Limits.Allowed:
		return rateRefusal(tk.Limits), true
	}
	t.Limits, t.lim, t.hold, t.joint = tk.Limits, tk.Ticket, tk.Hold, true
	return nil, true
}
