package route

import "sync/atomic"

// retryBudget bounds a model's extra attempts, so that an outage does not
// multiply the load on the clouds that still answer, and failing fast is the
// answer once the budget is spent. An extra attempt is allowed when either
//
//   - fewer than a ratio of the requests in flight (and never fewer than a
//     minimum) are on a second or later attempt now, as Envoy's retry
//     budget counts; or
//   - the extra attempts of the last budgetWindow seconds stay within the
//     same ratio of that window's requests, or within a floor per second
//     (the minimum, and never below Finagle's default of 10), as Finagle's
//     retry budget counts.
//
// Either way extra attempts stay near ratio × requests. The second rule is
// what lets a burst through: when a deployment hangs, the requests in flight
// to it time out together, and a cap on concurrent retries alone would fail
// most of them although retries have been rare.
type retryBudget struct {
	active  atomic.Int64 // requests routed and not finished
	retries atomic.Int64 // extra attempts in flight
	denied  atomic.Int64 // extra attempts refused
	slots   [budgetWindow]budgetSlot
}

// budgetWindow is the length, in seconds, of the window the second rule
// counts over.
const budgetWindow = 10

// minRetriesPerSecond is the window rule's floor when the configured
// minimum is lower: Finagle's default minRetriesPerSec. Without it a cold
// start is the worst case: a deployment that hangs on its first requests
// times out a burst together while the window holds too few requests for
// 20% of them to cover it, and clients got 503s for retries no outage
// had yet spent.
const minRetriesPerSecond = 10

// budgetSlot counts one second of the window.
type budgetSlot struct {
	sec      atomic.Int64 // the Unix second counted, or stale
	requests atomic.Int64
	retries  atomic.Int64
}

// slot returns the slot of the second now falls in, reset when it last
// counted an older second. Two requests racing over the reset can lose a
// count; a budget tolerates that, and the hot path stays lock-free.
func (b *retryBudget) slot(now int64) *budgetSlot {
	sec := now / 1e9
	s := &b.slots[sec%budgetWindow]
	if old := s.sec.Load(); old != sec && s.sec.CompareAndSwap(old, sec) {
		s.requests.Store(0)
		s.retries.Store(0)
	}
	return s
}

// arrive counts a routed request.
func (b *retryBudget) arrive(now int64) {
	b.active.Add(1)
	b.slot(now).requests.Add(1)
}

// limit is how many extra attempts may be in flight now.
func (b *retryBudget) limit(s *settings) int64 {
	return max(s.retryMin, int64(s.retryRatio*float64(b.active.Load())))
}

// windowAllows reports whether one more extra attempt keeps the window's
// extra attempts within the ratio of its requests, or within the minimum
// per second: a quiet model may always fail over a few times a second.
func (b *retryBudget) windowAllows(s *settings, now int64) bool {
	sec := now / 1e9
	var requests, retries int64
	for i := range b.slots {
		sl := &b.slots[i]
		if d := sec - sl.sec.Load(); d >= 0 && d < budgetWindow {
			requests += sl.requests.Load()
			retries += sl.retries.Load()
		}
	}
	return float64(retries+1) <= max(s.retryRatio*float64(requests), float64(max(s.retryMin, minRetriesPerSecond)*budgetWindow))
}

// take claims one extra attempt at now; false when the budget is spent.
func (b *retryBudget) take(s *settings, now int64) bool {
	for {
		r := b.retries.Load()
		if r >= b.limit(s) && !b.windowAllows(s, now) {
			b.denied.Add(1)
			return false
		}
		if b.retries.CompareAndSwap(r, r+1) {
			b.slot(now).retries.Add(1)
			return true
		}
	}
}

// give returns an extra attempt when it has finished.
func (b *retryBudget) give() { b.retries.Add(-1) }
