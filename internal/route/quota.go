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

// slidingMinute counts events (requests or tokens) over the last minute,
// estimated from the current and the previous minute as Cloudflare's rate
// limiter does: the previous minute counts in proportion to how much of it
// still lies within the last 60 seconds. Providers enforce RPM and TPM over
// sliding windows; fixed minutes would let a burst at a minute boundary
// through twice.
type slidingMinute struct {
	b [2]atomic.Uint64 // indexed by minute parity
}

// used estimates the count over the minute before now.
func (s *slidingMinute) used(now int64) int64 {
	e := now / minute
	cur := countIn(s.b[e&1].Load(), e)
	prev := countIn(s.b[(e-1)&1].Load(), e-1)
	if prev == 0 {
		return cur
	}
	left := float64(minute-now%minute) / float64(minute)
	return cur + int64(float64(prev)*left)
}

// fits reports whether n more would stay within limit at now. A limit of 0
// is no limit; a request larger than the whole limit fits an idle window, so
// that it is not refused forever.
func (s *slidingMinute) fits(now, n, limit int64) bool {
	if limit <= 0 {
		return true
	}
	u := s.used(now)
	return u == 0 || u+n <= limit
}

// reserve counts n at now if it fits within limit, and reports whether it
// did. The check and the count are one compare-and-swap, so concurrent
// requests cannot together overshoot by more than the estimate's rounding.
func (s *slidingMinute) reserve(now, n, limit int64) bool {
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
		if slot.CompareAndSwap(w, pack(e, int64(w&countMask)+delta)) {
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
