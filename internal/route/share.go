package route

import (
	"context"
	"sync"
	"time"
)

// Sharing deployment quotas across replicas.
//
// A deployment's RPM and TPM are the cloud's limits on everything the
// cluster sends it, so in a cluster they must be counted cluster-wide, or
// N replicas send N times the quota and the cloud answers 429. Routing
// must not wait on the network for that, so the sharing is a lease,
// renewed off the request path:
//
//   - Each replica counts what it sends in its own windows, as on one node.
//   - Every so often (a background loop calls Table.ShareQuotas), it adds
//     what it counted since the last exchange to the cluster's counts, and
//     in the same atomic step is granted a lease: how much more it may send
//     until the next exchange, out of the room that neither the cluster's
//     counts over the sliding minute nor the other replicas' live leases
//     take up. The grants never add up to more than the quota, so the
//     cluster cannot overshoot it by more than one exchange's round trip of
//     traffic beyond a lease being shrunk, the same estimate error TPM has on
//     one node (tokens are charged at dispatch from an estimate and
//     corrected at the end), and oversized requests (larger than the whole
//     quota, let through an idle window alone; replicas that each see it
//     idle may each send one).
//   - The request path checks the lease with two atomic loads and a
//     compare-and-swap, exactly as it checks the window on one node.
//
// The price is the other side of the trade-off: a replica may refuse a
// request while the cluster still has room that another replica's lease
// holds or that its own next lease will grant, for at most one exchange
// interval. A lone replica holds all the room; among several, each is
// granted half of what is free at its exchange, so that an idle replica
// still serves a burst at once up to its lease, and a replica refused for
// want of lease asks for at least the refused size next time. Leases lapse after their
// hold, in Redis and here alike, so a replica that dies or loses Redis
// stops holding room and, on its side, falls back to its own windows (the
// one-node behaviour) until an exchange succeeds again.

// QuotaWindow is one deployment's RPM or TPM window in one exchange with
// the cluster. ShareQuotas fills in what the replica counted and wants; the
// QuotaSharer fills in the cluster's verdict.
type QuotaWindow struct {
	Deployment string
	Kind       string // "rpm" or "tpm"
	Limit      int64  // the quota: requests or tokens per minute
	// Minute is the exchange's Unix minute. Index 1 of Add and Total is
	// that minute's, index 0 the previous minute's.
	Minute int64
	// Weight is the share of the previous minute that still lies within
	// the sliding minute ending now: the cluster's use is Total[1] +
	// Weight × Total[0].
	Weight float64
	// Add is what this replica counted in each minute since its last
	// exchange; negative when corrections (actual tokens below the
	// estimate) gave some back.
	Add [2]int64
	// Want is the largest request this replica refused for want of lease
	// since its last exchange (0 if none): the lease should cover it if the
	// cluster has room.
	Want int64

	// Total is set by the QuotaSharer: the cluster's counts of the two
	// minutes after adding Add.
	Total [2]int64
	// Mine is set by the QuotaSharer: the part of Total the cluster holds
	// from this replica. Less than the replica counted means the cluster
	// lost counts (a Redis restarted empty): the rest is added again at
	// the next exchange. Total alone cannot tell, since the other
	// replicas' counts can make up for what was lost from this one.
	Mine [2]int64
	// Lease is set by the QuotaSharer: how much more this replica may count
	// until its next exchange.
	Lease int64

	w     *slidingMinute
	had   [2]int64 // this replica's counts of the two minutes at the snapshot
	spent int64    // the window's spent at the snapshot
}

// A QuotaSharer exchanges quota windows with the other replicas of a
// cluster. For each window, atomically: it adds Add to the cluster's count
// of each of the two minutes, and to this replica's part of it, and sets
// Total and Mine to the sums; it drops the leases
// of other replicas that have lapsed; and it grants this replica's Lease
// (replacing its previous one, which the counts just added have used) out
// of free = Limit − (Total[1] + Weight × Total[0]) − the other replicas'
// live leases: nothing when free ≤ 0; all of free when no other replica
// holds a live lease (even of nothing); else half of free, rounded up, or
// Want if larger, and never more than free. Halving leaves the others
// room, and a replica that holds more than it uses gives half of it back
// at each of its exchanges while others want it.
//
// Share returns an error when it cannot vouch for every window's verdict
// (Redis unreachable); the windows are then enforced by this replica alone
// until an exchange succeeds.
//
// at is the exchange's time and hold how long the leases last: a lease
// granted at at lapses at at + hold unless renewed.
type QuotaSharer interface {
	Share(ctx context.Context, at time.Time, hold time.Duration, ws []QuotaWindow) error
}

// exchange is a window's bookkeeping between exchanges with the cluster.
// Only the exchange holding mu touches pushed.
type exchange struct {
	mu sync.Mutex
	// pushed are the counts the cluster has from this replica, by minute
	// parity, packed like slidingMinute.b.
	pushed [2]uint64
}

// ShareQuotas runs one exchange of every quota window (RPM or TPM set) of
// t's deployments through s, and leases each window until now + hold, or
// until its next exchange. A window whose exchange is already running (on
// another table of the same State) is skipped this time. buf is reused for
// the windows, which are returned (with the cluster's verdicts). On an
// error, every window of the exchange falls back to this replica's own
// counts, the one-node behaviour, and keeps what it counted meanwhile for
// the next exchange.
//
// The background loop that calls it is its only caller on a table; it
// allocates nothing in route once buf is large enough, and the request path
// never waits for it.
func (t *Table) ShareQuotas(ctx context.Context, s QuotaSharer, hold time.Duration, buf []QuotaWindow) ([]QuotaWindow, error) {
	at := t.opts.Clock.Now()
	now := at.UnixNano()
	ws := buf[:0]
	for _, d := range t.deployments {
		if d.Quota.RPM > 0 && d.rpm.ex.mu.TryLock() {
			ws = append(ws, d.rpm.snapshot(d.Name, "rpm", d.Quota.RPM, now))
		}
		if d.Quota.TPM > 0 && d.tpm.ex.mu.TryLock() {
			ws = append(ws, d.tpm.snapshot(d.Name, "tpm", d.Quota.TPM, now))
		}
	}
	defer func() {
		for i := range ws {
			ws[i].w.ex.mu.Unlock()
		}
	}()
	if len(ws) == 0 {
		return ws, nil
	}
	if err := s.Share(ctx, at, hold, ws); err != nil {
		for i := range ws {
			ws[i].w.lapse()
		}
		return ws, err
	}
	until := now + int64(hold)
	for i := range ws {
		ws[i].w.apply(&ws[i], until)
	}
	return ws, nil
}

// LocalQuotas counts the quota windows of t's deployments that no cluster
// lease governs at now: all of them on one node; in a cluster, those whose
// last exchange failed or is older than its hold.
func (t *Table) LocalQuotas(now time.Time) int {
	n, at := 0, now.UnixNano()
	for _, d := range t.deployments {
		if d.Quota.RPM > 0 && !d.rpm.leased(at) {
			n++
		}
		if d.Quota.TPM > 0 && !d.tpm.leased(at) {
			n++
		}
	}
	return n
}

// snapshot takes what the window counted since its last exchange. The
// caller holds s.ex.mu. spent is read before the counts: a request counted
// between the two reads is then both in Add and charged to the next lease,
// which errs on the side of the quota.
func (s *slidingMinute) snapshot(name, kind string, limit, now int64) QuotaWindow {
	e := now / minute
	qw := QuotaWindow{Deployment: name, Kind: kind, Limit: limit, Minute: e,
		Weight: float64(minute-now%minute) / float64(minute), w: s}
	qw.spent = s.spent.Load()
	for i, m := range [2]int64{e - 1, e} {
		has := countIn(s.b[m&1].Load(), m)
		qw.had[i] = has
		qw.Add[i] = has - countIn(s.ex.pushed[m&1], m)
	}
	qw.Want = s.short.Swap(0)
	return qw
}

// apply takes the cluster's verdict on the window's exchange.
func (s *slidingMinute) apply(qw *QuotaWindow, until int64) {
	for i, m := range [2]int64{qw.Minute - 1, qw.Minute} {
		// The cluster holding less from this replica than it counted means
		// Redis lost data (a restart): what it lacks is added again next time.
		s.ex.pushed[m&1] = pack(m, min(qw.had[i], qw.Mine[i]))
		s.peers[m&1].Store(pack(m, qw.Total[i]-qw.had[i]))
	}
	// The allowance before the lease, so that a request seeing the lease
	// sees its allowance.
	s.allow.Store(qw.spent + max(qw.Lease, 0))
	s.until.Store(until)
}

// lapse ends the window's lease: it is this replica's alone again.
func (s *slidingMinute) lapse() {
	s.until.Store(0)
	s.peers[0].Store(0)
	s.peers[1].Store(0)
}
