package clusterquota

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/route"
)

// Defaults: an exchange every 100 ms, leases held for a second.
//
// The interval is the accuracy/latency trade-off. Requests never wait for
// an exchange; what the interval sets is how long a replica may refuse a
// request that another replica's lease, or its own next lease, has room
// for (at most one interval), and how many Redis scripts a replica runs (ten
// a second per window with a quota). The hold is how long a replica that
// dies keeps its room from the others, and how long a replica whose
// exchanges stop keeps its lease before it falls back to its own windows.
const (
	DefaultInterval = 100 * time.Millisecond
	DefaultHold     = time.Second
)

// Syncer keeps one replica's deployment quotas shared: it runs an exchange
// of the current table's quota windows every Interval, in the background.
// When an exchange fails (Redis unreachable) the quotas fall back to this
// replica's own windows, today's one-node behaviour in which each replica
// may send the whole quota, and the Syncer says so once, loudly; it keeps
// trying, and when an exchange succeeds again the quotas are shared again,
// with what the replica sent meanwhile added to the cluster's counts.
//
// The live state is the table's State, which a reload carries over, and
// Table is asked for at each exchange: a reload changes neither the counts
// nor the leases.
type Syncer struct {
	Table    func() *route.Table // the table new requests use
	Sharer   route.QuotaSharer
	Interval time.Duration   // zero: DefaultInterval
	Hold     time.Duration   // zero: DefaultHold
	Log      *slog.Logger    // nil: slog.Default()
	OnChange func(down bool) // optional, e.g. for a gauge

	down    atomic.Bool
	outages atomic.Uint64
	buf     []route.QuotaWindow
}

// Down reports whether the last exchange failed.
func (s *Syncer) Down() bool { return s.down.Load() }

// Outages counts transitions from shared to local.
func (s *Syncer) Outages() uint64 { return s.outages.Load() }

// Run exchanges at once, then every Interval until ctx is done.
func (s *Syncer) Run(ctx context.Context) {
	tick := time.NewTicker(s.interval())
	defer tick.Stop()
	for {
		s.Step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Step runs one exchange. It is not safe to call concurrently with itself
// (Run calls it); tests call it directly.
func (s *Syncer) Step(ctx context.Context) error {
	t := s.Table()
	if t == nil {
		return nil
	}
	// An exchange that outlives the lease it renews is no use.
	xctx, cancel := context.WithTimeout(ctx, s.hold())
	defer cancel()
	ws, err := t.ShareQuotas(xctx, s.Sharer, s.hold(), s.buf)
	s.buf = ws[:0]
	if err != nil {
		if ctx.Err() != nil {
			return err // shutting down: not an outage
		}
		s.fail(err)
		return err
	}
	if len(ws) > 0 {
		s.up()
	}
	return nil
}

func (s *Syncer) interval() time.Duration {
	if s.Interval <= 0 {
		return DefaultInterval
	}
	return s.Interval
}

func (s *Syncer) hold() time.Duration {
	if s.Hold <= 0 {
		return DefaultHold
	}
	return s.Hold
}

func (s *Syncer) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Syncer) fail(err error) {
	if s.down.CompareAndSwap(false, true) {
		s.outages.Add(1)
		s.log().Error("deployment quotas: cluster unreachable; each replica now enforces RPM/TPM quotas alone, "+
			"so the clouds may see up to the replica count times each quota until it returns", "err", err)
		if s.OnChange != nil {
			s.OnChange(true)
		}
	}
}

func (s *Syncer) up() {
	if s.down.Load() && s.down.CompareAndSwap(true, false) {
		s.log().Warn("deployment quotas: cluster reachable again; RPM/TPM quotas are shared cluster-wide")
		if s.OnChange != nil {
			s.OnChange(false)
		}
	}
}
