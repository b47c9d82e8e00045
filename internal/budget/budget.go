// Package budget reserves, settles and alerts on dollar budgets per tenant and key, on one node or across replicas through Redis.
package budget

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Budget is a spend limit on one scope over one period.
type Budget struct {
	// Scope names what the budget is on, such as "tenant:t_1" or "key:k_1".
	// Spend and holds are kept per scope and period, so two budgets with the
	// same scope and period share their books.
	Scope  string
	Limit  money.Nanos
	Period Period
	// Hard budgets refuse a request that could take spend past Limit; soft
	// budgets never refuse and only alert.
	Hard bool
	// Webhook is where this budget's threshold alerts are POSTed; empty for
	// none.
	Webhook string
}

// book is what spend is stored under: the scope and the period's shape, so a
// budget whose period changes starts fresh books instead of misreading old
// ones. It is comparable, so Memory looks it up without building a string.
type book struct {
	scope string
	kind  Kind
	days  int
	loc   string
}

func (b *Budget) book() book {
	return book{scope: b.Scope, kind: b.Period.Kind, days: b.Period.Days, loc: b.Period.loc().String()}
}

// redisKey is book as one string: scope, period and zone.
func (k book) redisKey() string {
	return k.scope + "|" + strconv.Itoa(int(k.kind)) + "." + strconv.Itoa(k.days) + "|" + k.loc
}

// Reservation is the hold one request has on each of its budgets. The zero
// Reservation holds nothing; Settle and Release accept it and do nothing.
type Reservation struct {
	// ID names the hold in every scope it was placed on.
	ID uint64
	// Amount is the worst-case cost that was held.
	Amount money.Nanos
	// Budgets are the scopes held, as passed to Reserve (not copied: the
	// caller must not change the slice until the reservation is settled or
	// released).
	Budgets []Budget
	// At is when the hold was placed; it chooses the bucket the actual cost
	// is booked in, so a request that straddles midnight is booked in the
	// period that admitted it.
	At time.Time

	local bool // placed on the Fallback's local Memory while Redis was down
	// ledgers are Memory's books of Budgets (up to two, the usual key and
	// tenant), kept so Settle and Release need not look them up again.
	ledgers [2]*ledger
}

// Refusal says which hard budget refused a request, so the API can name the
// budget, its period and when it resets.
type Refusal struct {
	Scope  string
	Limit  money.Nanos
	Spent  money.Nanos // settled spend in the current window
	Held   money.Nanos // worst-case cost of requests still in flight
	Period string
	// ResetsAt is when spend next stops counting (zero for a lifetime budget).
	ResetsAt time.Time
}

// Error reads as the message an API answer would carry.
func (r *Refusal) Error() string {
	s := fmt.Sprintf("budget %s exceeded: spent $%s of $%s per %s", r.Scope, r.Spent, r.Limit, r.Period)
	if r.Held > 0 {
		s += fmt.Sprintf(" ($%s more held by requests in flight)", r.Held)
	}
	if !r.ResetsAt.IsZero() {
		s += "; resets at " + r.ResetsAt.UTC().Format(time.RFC3339)
	}
	return s
}

// Status is a budget's state in its current window, for GET /v1/key.
type Status struct {
	Spent    money.Nanos
	Held     money.Nanos
	Start    time.Time // zero for lifetime
	ResetsAt time.Time // zero for lifetime
}

// ErrUnavailable reports that the shared backend (Redis) could not be reached,
// so the caller must choose: fail closed (503) or fall back to local books.
var ErrUnavailable = errors.New("budget: backend unavailable")

// Backend is one place budgets are kept: Memory on one node, Redis across
// replicas. Fallback wraps a Redis and a Memory in the same interface.
type Backend interface {
	// Reserve holds amount on every budget at once, or on none: a hard budget
	// refuses when spent + held + amount > limit, and the first such budget
	// is returned as a Refusal. Holds expire after ttl, so a request that dies
	// without settling never leaks one. An empty budgets slice reserves
	// nothing and succeeds.
	Reserve(ctx context.Context, budgets []Budget, amount money.Nanos, ttl time.Duration, now time.Time) (Reservation, *Refusal, error)
	// Settle replaces the hold by the actual cost, which is booked even when
	// it exceeds the hold or the hold has expired: the books are the truth.
	// Call it once per reservation.
	Settle(ctx context.Context, r Reservation, actual money.Nanos) error
	// Release drops the hold of a request that failed without cost.
	Release(ctx context.Context, r Reservation) error
	// Status is a budget's spend and holds in the window at now.
	Status(ctx context.Context, b Budget, now time.Time) (Status, error)
	// Seed restores spend for one bucket of a budget at start-up (from the
	// store's usage records). Memory overwrites the bucket; Redis sets it only
	// when the key is absent, because Redis already holds the cluster's books.
	Seed(ctx context.Context, b Budget, bucket Bucket, spent money.Nanos) error
}

// MaxScopes is the most budgets one reservation may hold: a request falls
// under a few scopes (its key, its tenant), and Memory locks them without
// allocating.
const MaxScopes = 8

func validate(budgets []Budget, amount money.Nanos, ttl time.Duration) error {
	if len(budgets) > MaxScopes {
		return fmt.Errorf("budget: reserve: %d budgets, at most %d", len(budgets), MaxScopes)
	}
	if amount < 0 {
		return fmt.Errorf("budget: reserve: negative amount %d", amount)
	}
	if ttl <= 0 {
		return fmt.Errorf("budget: reserve: ttl %v must be positive", ttl)
	}
	for i := range budgets {
		if budgets[i].Scope == "" {
			return errors.New("budget: reserve: empty scope")
		}
		if err := budgets[i].Period.Validate(); err != nil {
			return err
		}
	}
	return nil
}

func refusal(b *Budget, spent, held money.Nanos, now time.Time) *Refusal {
	return &Refusal{Scope: b.Scope, Limit: b.Limit, Spent: spent, Held: held, Period: b.Period.String(), ResetsAt: b.Period.ResetsAt(now)}
}
