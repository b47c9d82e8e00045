package limit

// window is a sliding window of usage cut into slots. At slot s it counts
// slots s-n+1 … s, where n = len(slots) = the slots per span plus one: the
// extra slot makes the window conservative, so usage is forgotten only once it
// is a full span old and a limit holds over every rolling span, not just most
// of them. The same structure, with refunds, holds concurrency leases: a lease
// nobody releases simply slides out.
//
// The Redis script (redis.lua) implements the same rules over a hash; keep
// them in step.
type window struct {
	slots []int64 // ring: slot j lives at j % len(slots)
	head  int64   // newest slot advanced to
	last  int64   // newest slot charged, for the reset time
	sum   int64   // total of the slots in the window
}

func newWindow(span int) window { return window{slots: make([]int64, span+1)} }

func (w *window) n() int64 { return int64(len(w.slots)) }

// advance moves the window to slot s, forgetting slots that slid out. A clock
// that steps back leaves the window where it is.
func (w *window) advance(s int64) {
	if s <= w.head {
		return
	}
	if s-w.head >= w.n() || w.sum == 0 {
		clear(w.slots)
		w.sum = 0
	} else {
		for j := w.head + 1; j <= s; j++ {
			i := j % w.n()
			w.sum -= w.slots[i]
			w.slots[i] = 0
		}
	}
	w.head = s
}

// add charges v at the head slot.
func (w *window) add(v int64) {
	w.slots[w.head%w.n()] += v
	w.sum += v
	w.last = w.head
}

// refund takes back up to v from slot j if it is still in the window.
func (w *window) refund(j, v int64) {
	if j <= w.head-w.n() || j > w.head {
		return
	}
	i := j % w.n()
	v = min(v, w.slots[i])
	if v > 0 {
		w.slots[i] -= v
		w.sum -= v
	}
}

// wait is how many slots until need more fits under limit, counted from the
// head slot; -1 when need alone exceeds the limit.
func (w *window) wait(need, limit int64) int64 {
	if need > limit {
		return -1
	}
	over := w.sum + need - limit
	for j := w.head - w.n() + 1; j <= w.head && over > 0; j++ {
		over -= w.slots[j%w.n()]
		if over <= 0 {
			// slot j leaves when the head reaches j+n.
			return j + w.n() - w.head
		}
	}
	return 0
}

// emptyIn is how many slots until the window is empty again.
func (w *window) emptyIn() int64 {
	if w.sum <= 0 {
		return 0
	}
	return w.last + w.n() - w.head
}
