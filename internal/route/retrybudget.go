package route

import "sync/atomic"

// retryBudget bounds a model's extra attempts in flight, as Envoy's retry
// budget does: at most a ratio of the requests in flight may be on a second
// or later attempt, and never fewer than a minimum. Attempts are what an
// outage multiplies; a cap on concurrent retries keeps the load the healthy
// clouds see close to the clients' own, and makes failing fast the answer
// once the budget is spent.
type retryBudget struct {
	active  atomic.Int64 // requests routed and not finished
	retries atomic.Int64 // extra attempts in flight
	denied  atomic.Int64 // extra attempts refused
}

// limit is how many extra attempts may be in flight now.
func (b *retryBudget) limit(s *settings) int64 {
	return max(s.retryMin, int64(s.retryRatio*float64(b.active.Load())))
}

// take claims one extra attempt; false when the budget is spent.
func (b *retryBudget) take(s *settings) bool {
	for {
		r := b.retries.Load()
		if r >= b.limit(s) {
			b.denied.Add(1)
			return false
		}
		if b.retries.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// give returns an extra attempt when it has finished.
func (b *retryBudget) give() { b.retries.Add(-1) }
