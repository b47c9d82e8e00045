package limit

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// Fallback is the cluster Limiter with a plan for when the shared one
// (Redis) is unreachable: fail closed, returning ErrUnavailable so the
// caller answers 503 (the default), or, with FailOpen, admit under the local
// limiter's limits instead. Either way it logs each transition once, loudly,
// and counts for metrics. While down it asks the primary again at most once
// per Retry, so requests do not each wait on a dead server, and it recovers
// by itself when the primary answers again.
type Fallback struct {
	Primary  Limiter // Redis
	Local    Limiter // Memory, used only while Primary is down and FailOpen
	FailOpen bool
	Log      *slog.Logger    // nil: slog.Default()
	Retry    time.Duration   // how often to probe a down primary; zero means one second
	OnChange func(down bool) // optional, e.g. to set a switchyard_ratelimit_backend_down gauge

	down     atomic.Bool
	next     atomic.Int64 // unix ns when the next probe may run
	outages  atomic.Uint64
	degraded atomic.Uint64
}

const fromLocal = 1 // Ticket.origin of a Local admission

// Unavailable reports whether the primary is currently considered down.
func (f *Fallback) Unavailable() bool { return f.down.Load() }

// Outages counts transitions from up to down.
func (f *Fallback) Outages() uint64 { return f.outages.Load() }

// Degraded counts admissions decided without the primary: admitted under
// local limits (FailOpen) or refused as unavailable.
func (f *Fallback) Degraded() uint64 { return f.degraded.Load() }

// Admit implements Limiter.
func (f *Fallback) Admit(ctx context.Context, a *Ask) (Decision, Ticket, error) {
	if !f.down.Load() || f.probe() {
		d, tk, err := f.Primary.Admit(ctx, a)
		if err == nil {
			f.up()
			return d, tk, nil
		}
		if !errors.Is(err, ErrUnavailable) {
			return d, tk, err
		}
		f.fail(err)
	}
	f.degraded.Add(1)
	if !f.FailOpen {
		return Decision{}, Ticket{}, ErrUnavailable
	}
	d, tk, err := f.Local.Admit(ctx, a)
	if tk.Valid() {
		tk.origin = fromLocal
	}
	return d, tk, err
}

// Settle implements Limiter: a ticket settles where it was admitted.
func (f *Fallback) Settle(ctx context.Context, t Ticket, actual int64) error {
	if t.origin == fromLocal {
		return f.Local.Settle(ctx, t, actual)
	}
	err := f.Primary.Settle(ctx, t, actual)
	if errors.Is(err, ErrUnavailable) {
		// The lease expires in Redis by itself; the refund is lost, which
		// errs on the side of the limit.
		f.fail(err)
	}
	return err
}

// Fail tells the fallback that the primary's Redis failed another caller
// (err wraps ErrUnavailable), such as an admission that took limits and
// budgets in one script: the fallback then counts it as down, logs the
// switch once and probes for its return as if its own call had failed.
func (f *Fallback) Fail(err error) {
	if errors.Is(err, ErrUnavailable) {
		f.fail(err)
	}
}

// probe reports whether this caller may try the down primary now; one
// caller per Retry period wins.
func (f *Fallback) probe() bool {
	now := time.Now().UnixNano()
	next := f.next.Load()
	return now >= next && f.next.CompareAndSwap(next, now+int64(f.retry()))
}

func (f *Fallback) retry() time.Duration {
	if f.Retry <= 0 {
		return time.Second
	}
	return f.Retry
}

func (f *Fallback) log() *slog.Logger {
	if f.Log == nil {
		return slog.Default()
	}
	return f.Log
}

func (f *Fallback) fail(err error) {
	f.next.Store(time.Now().Add(f.retry()).UnixNano())
	if f.down.CompareAndSwap(false, true) {
		f.outages.Add(1)
		mode := "failing closed: requests get 503 until it returns"
		if f.FailOpen {
			mode = "failing open: admitting under this replica's local limits until it returns"
		}
		f.log().Error("rate limiter: shared limiter unreachable, "+mode, "err", err)
		if f.OnChange != nil {
			f.OnChange(true)
		}
	}
}

func (f *Fallback) up() {
	if f.down.Load() && f.down.CompareAndSwap(true, false) {
		f.log().Warn("rate limiter: shared limiter reachable again; cluster-wide limits restored")
		if f.OnChange != nil {
			f.OnChange(false)
		}
	}
}
