package budget

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Fallback serves budgets from a shared backend (Redis) and decides what
// happens while it is unreachable: fail closed (every Reserve returns
// ErrUnavailable, for a 503) or, with FailOpen, serve from Local so requests
// keep flowing under this replica's own books. Either way it logs each
// transition once, loudly, and reports it to OnChange for a metric. After a
// failure it stops calling the shared backend for Probe, so a dead Redis costs
// no dial timeouts per request, then tries again with the next request; the
// first success switches back without a restart.
type Fallback struct {
	Shared   Backend
	Local    *Memory
	FailOpen bool
	Log      *slog.Logger    // default slog.Default()
	OnChange func(down bool) // e.g. set switchyard_budget_backend_down
	Probe    time.Duration   // default 1 s

	mu      sync.Mutex
	down    bool
	retryAt time.Time
}

// skip says the shared backend is down and not due for another try.
func (f *Fallback) skip() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down && time.Now().Before(f.retryAt)
}

func (f *Fallback) log() *slog.Logger {
	if f.Log == nil {
		return slog.Default()
	}
	return f.Log
}

// observe records whether the shared backend answered and logs transitions.
func (f *Fallback) observe(err error) {
	isDown := errors.Is(err, ErrUnavailable)
	f.mu.Lock()
	changed := f.down != isDown
	f.down = isDown
	if isDown {
		probe := f.Probe
		if probe <= 0 {
			probe = time.Second
		}
		f.retryAt = time.Now().Add(probe)
	}
	f.mu.Unlock()
	if !changed {
		return
	}
	if isDown {
		mode := "failing closed: requests under a budget are refused with 503"
		if f.FailOpen {
			mode = "failing open: budgets are enforced per replica from local books"
		}
		f.log().Error("budget: shared backend unreachable, "+mode, "err", err)
	} else {
		f.log().Warn("budget: shared backend reachable again, budgets are shared across replicas")
	}
	if f.OnChange != nil {
		f.OnChange(isDown)
	}
}

// Fail tells the fallback that the shared backend's Redis failed another
// caller (err wraps ErrUnavailable), such as an admission that took limits
// and budgets in one script: the fallback then counts it as down, logs the
// switch once and tries it again after Probe, as if its own call had failed.
func (f *Fallback) Fail(err error) {
	if errors.Is(err, ErrUnavailable) {
		f.observe(err)
	}
}

// Down reports whether the shared backend is currently considered unreachable.
func (f *Fallback) Down() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

// Reserve implements Backend.
func (f *Fallback) Reserve(ctx context.Context, budgets []Budget, amount money.Nanos, ttl time.Duration, now time.Time) (Reservation, *Refusal, error) {
	if !f.skip() {
		r, ref, err := f.Shared.Reserve(ctx, budgets, amount, ttl, now)
		f.observe(err)
		if !errors.Is(err, ErrUnavailable) {
			return r, ref, err
		}
	}
	if !f.FailOpen {
		return Reservation{}, nil, ErrUnavailable
	}
	r, ref, err := f.Local.Reserve(ctx, budgets, amount, ttl, now)
	r.local = true
	return r, ref, err
}

// Settle implements Backend: a reservation is settled where it was made. A
// settlement Redis cannot take is lost from Redis's books (the hold expires);
// the usage store still records the cost.
func (f *Fallback) Settle(ctx context.Context, r Reservation, actual money.Nanos) error {
	if r.local {
		return f.Local.Settle(ctx, r, actual)
	}
	err := f.Shared.Settle(ctx, r, actual)
	f.observe(err)
	return err
}

// Release implements Backend.
func (f *Fallback) Release(ctx context.Context, r Reservation) error {
	if r.local {
		return f.Local.Release(ctx, r)
	}
	err := f.Shared.Release(ctx, r)
	f.observe(err)
	return err
}

// Status implements Backend, reading local books while the shared backend is
// down and FailOpen is set.
func (f *Fallback) Status(ctx context.Context, b Budget, now time.Time) (Status, error) {
	if !f.skip() {
		st, err := f.Shared.Status(ctx, b, now)
		f.observe(err)
		if !errors.Is(err, ErrUnavailable) || !f.FailOpen {
			return st, err
		}
	} else if !f.FailOpen {
		return Status{}, ErrUnavailable
	}
	return f.Local.Status(ctx, b, now)
}

// Seed implements Backend: the local books are always seeded, so a later
// fail-open starts from the store's spend rather than from zero.
func (f *Fallback) Seed(ctx context.Context, b Budget, bucket Bucket, spent money.Nanos) error {
	if err := f.Local.Seed(ctx, b, bucket, spent); err != nil {
		return err
	}
	return f.Shared.Seed(ctx, b, bucket, spent)
}
