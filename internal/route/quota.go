package route

import (
	"sync/atomic"
)

const minute = int64(60e9) // nanoseconds

// A bucket word packs a minute's index (low 24 bits of Unix minutes) and its
// count (40 bits) into one atomic value, so that starting a new minute and
// counting in it are one compare-and-swap: no lock, no lost updates.
const (
	countBits = 40
	countMask = 1<<countBits - 1
	epochMask = 1<<(64-countBits) - 1
)

func pack(epoch, count int64) uint64 {
	return uint64(epoch&epochMask)<<countBits | uint64(min(max(count, 0), countMask))
}

// countIn returns the count of word w if it belongs to minute epoch, else 0.
func countIn(w uint64, epoch int64) int64 {
	if int64(w>>countBits) != epoch&epochMask {
		return 0
	}
	return int64(w & countMask)
}

// slidingMinute is a deployment's RPM or TPM quota window. It counts events
// (requests or tokens) over the last minute, estimated from the current and
// the previous minute as Cloudflare's rate limiter does: the previous minute
// counts in proportion to how much of it still lies within the last 60
// seconds. Providers enforce RPM and TPM over sliding windows; fixed minutes
// would let a burst at a minute boundary through twice.
//
// On one node the window is the whole story. In a cluster, b counts only
// what this replica sent, and the cluster's share (share.go) gives the
// window a lease: how much more this replica may count until its next
// exchange with the other replicas. While the lease holds, the lease alone
// decides; when it lapses (Redis unreachable, no exchange for the lease's
// hold), the window is this replica's alone again, as on one node.
type slidingMinute struct {
	b [2]atomic.Uint64 // this replica's counts, indexed by minute parity

	// spent is the running sum of everything counted here (reservations
	// and their corrections); a lease lets it reach allow. allow - spent is
	// what this replica may still send, so the hot path checks the lease
	// with two loads and a compare-and-swap.
	spent atomic.Int64
	allow atomic.Int64
	// until is when the lease lapses, in Unix nanoseconds; 0: no lease.
	until atomic.Int64
	// short is the largest count refused for want of lease since the last
	// exchange: the next lease covers at least that much, if the cluster
	// has room for it.
	short atomic.Int64
	// peers are the other replicas' counts as of the last exchange,
	// indexed by minute parity, packed like b.
	peers [2]atomic.Uint64

	ex exchange // the exchange's own bookkeeping (share.go)
}

// leased reports whether a cluster lease governs the window at now.
func (s *slidingMinute) leased(now int64) bool { return s.until.Load() > now }

// used estimates the count over the minute before now: this replica's, and
// under a lease the other replicas' too, as of the last exchange.
func (s *slidingMinute) used(now int64) int64 {
	e := now / minute
	cur := countIn(s.b[e&1].Load(), e)
	prev := countIn(s.b[(e-1)&1].Load(), e-1)
	if s.leased(now) {
		cur += countIn(s.peers[e&1].Load(), e)
		prev += countIn(s.peers[(e-1)&1].Load(), e-1)
	}
	if prev == 0 {
		return cur
	}
	left := float64(minute-now%minute) / float64(minute)
	return cur + int64(float64(prev)*left)
}

// fits reports whether n more would stay within limit at now. A limit of 0
// is no limit; a request larger than the whole limit fits an idle window, so
// that it is not refused forever. Under a lease, n fits what the lease has
// left.
func (s *slidingMinute) fits(now, n, limit int64) bool {
	if limit <= 0 {
		return true
	}
	if s.leased(now) {
		return s.spent.Load()+n <= s.allow.Load() || s.oversize(now, n, limit)
	}
	u := s.used(now)
	return u == 0 || u+n <= limit
}

// oversize reports whether n is larger than the whole limit and the window
// is idle: such a request goes through alone rather than never. In a
// cluster, replicas that each see an idle window at once may each send one.
func (s *slidingMinute) oversize(now, n, limit int64) bool {
	return n > limit && s.used(now) == 0
}

// reserve counts n at now if it fits within limit, and reports whether it
// did. On one node the check and the count are one compare-and-swap, so
// concurrent requests cannot together overshoot by more than the estimate's
// rounding. Under a lease, taking n out of the lease is the compare-and-swap
// (the count follows it), and a refusal is remembered so that the next
// lease is large enough.
func (s *slidingMinute) reserve(now, n, limit int64) bool {
	if limit > 0 && s.leased(now) {
		for {
			sp := s.spent.Load()
			if sp+n > s.allow.Load() && !s.oversize(now, n, limit) {
				s.wanted(n)
				return false
			}
			if s.spent.CompareAndSwap(sp, sp+n) {
				break
			}
		}
		s.count(now, n, 0)
		return true
	}
	if !s.count(now, n, limit) {
		return false
	}
	s.spent.Add(n)
	return true
}

// count adds n to now's minute if the estimate stays within limit (0: no
// limit), in one compare-and-swap.
func (s *slidingMinute) count(now, n, limit int64) bool {
	e := now / minute
	slot := &s.b[e&1]
	for {
		w := slot.Load()
		cur := countIn(w, e)
		if limit > 0 {
			prev := countIn(s.b[(e-1)&1].Load(), e-1)
			u := cur + int64(float64(prev)*float64(minute-now%minute)/float64(minute))
			if u > 0 && u+n > limit {
				return false
			}
		}
		if slot.CompareAndSwap(w, pack(e, cur+n)) {
			return true
		}
	}
}

// comeback is when a request of n refused at now may fit: when the minute
// rolls over (next), or, under a lease while the cluster as last seen has
// room for it, when the lease is renewed: the refusal was this replica's
// lease running short, not the quota, and the next exchange (due before the
// lease lapses, at until) grants at least n. A client told to wait for the
// next minute would wait up to a minute for room that comes in 100 ms.
func (s *slidingMinute) comeback(now, n, limit, next int64) int64 {
	if limit > 0 && s.leased(now) && s.used(now)+n <= limit {
		if u := s.until.Load(); u > now && u < next {
			return u
		}
	}
	return next
}

// wanted records a refusal of n for want of lease.
func (s *slidingMinute) wanted(n int64) {
	for {
		w := s.short.Load()
		if w >= n || s.short.CompareAndSwap(w, n) {
			return
		}
	}
}

// adjust adds delta (negative to give back) to the minute that at holds,
// once the actual size of a reserved request is known. A minute that has
// passed out of the window is left alone.
func (s *slidingMinute) adjust(at, delta int64) {
	if delta == 0 {
		return
	}
	e := at / minute
	slot := &s.b[e&1]
	for {
		w := slot.Load()
		if int64(w>>countBits) != e&epochMask {
			return
		}
		old := int64(w & countMask)
		nw := pack(e, old+delta)
		if slot.CompareAndSwap(w, nw) {
			// The lease pays for what the minute counts, no more: a
			// correction to a minute gone by reaches neither.
			s.spent.Add(int64(nw&countMask) - old)
			return
		}
	}
}

// fixedMinute counts within calendar minutes: a capacity commitment's
// tokens per minute are this minute's, and unused ones are lost when it
// ends.
type fixedMinute struct {
	b atomic.Uint64
}

func (f *fixedMinute) used(now int64) int64 { return countIn(f.b.Load(), now/minute) }

// reserve counts n in now's minute if the minute's count stays within
// limit.
func (f *fixedMinute) reserve(now, n, limit int64) bool {
	e := now / minute
	for {
		w := f.b.Load()
		cur := countIn(w, e)
		if cur+n > limit {
			return false
		}
		if f.b.CompareAndSwap(w, pack(e, cur+n)) {
			return true
		}
	}
}

// adjust corrects the count of at's minute by delta, if it is still the
// current one.
func (f *fixedMinute) adjust(at, delta int64) {
	if delta == 0 {
		return
	}
	e := at / minute
	for {
		w := f.b.Load()
		if int64(w>>countBits) != e&epochMask {
			return
		}
		if f.b.CompareAndSwap(w, pack(e, int64(w&countMask)+delta)) {
			return
		}
	}
}
