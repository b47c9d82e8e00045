package route

import (
	"sync"
	"sync/atomic"
)

// health is passive outlier detection for one deployment, after Envoy's:
// too many failures in a row, or too large a failed share of a window,
// eject the deployment for a time that doubles with each ejection in a
// streak (up to a maximum). When the time is over, a single probe attempt
// is let through: its success readmits the deployment, its failure ejects
// it again for longer.
//
// Routing reads only the atomics. Results update the counters under mu: one
// short critical section per finished attempt.
type health struct {
	// ejectedUntil is the end of the current ejection in Unix nanoseconds;
	// 0 when the deployment is in rotation. Once it has passed, the
	// deployment waits for its probe.
	ejectedUntil atomic.Int64
	// probing is set while the probe attempt is in flight, so that only one
	// request tests a deployment that just served its ejection.
	probing atomic.Bool
	// readmitted is when the last successful probe readmitted the
	// deployment, for slow start; 0 if never.
	readmitted atomic.Int64

	mu          sync.Mutex
	consecutive int   // failures in a row
	winStart    int64 // start of the current window
	winTotal    int   // attempts finished in the window
	winFailed   int   // of which failed
	streak      int   // ejections since the deployment was last healthy for long
	lastEnd     int64 // end of the last ejection
}

// healthState is what routing needs to know about a deployment's health at
// one moment.
type healthState uint8

const (
	healthy   healthState = iota
	ejected               // serving an ejection
	probeable             // ejection over; the next attempt is the probe
	probing               // the probe is in flight
)

func (h *health) state(now int64) (healthState, int64) {
	until := h.ejectedUntil.Load()
	switch {
	case until == 0:
		return healthy, 0
	case now < until:
		return ejected, until
	case h.probing.Load():
		return probing, 0
	}
	return probeable, 0
}

// claimProbe makes the caller's attempt the probe; false if another request
// got there first.
func (h *health) claimProbe() bool { return h.probing.CompareAndSwap(false, true) }

// observe records a finished attempt at now. failed says the deployment
// failed it (5xx, timeout, broken connection); ok says it answered, even if
// only to reject the request. Attempts that say nothing about the
// deployment (429, client gone) are not observed. It reports whether the
// deployment was ejected by this result.
func (h *health) observe(s *settings, now int64, failed, probe bool) (ejectedNow bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if probe {
		defer h.probing.Store(false)
		if !failed {
			h.readmitted.Store(now)
			h.ejectedUntil.Store(0)
			h.consecutive, h.winStart, h.winTotal, h.winFailed = 0, now, 0, 0
			return false
		}
		h.eject(s, now)
		return true
	}
	if h.ejectedUntil.Load() != 0 {
		// An attempt sent before the ejection: only the probe decides.
		return false
	}
	if now-h.winStart >= s.window {
		h.winStart, h.winTotal, h.winFailed = now, 0, 0
	}
	h.winTotal++
	if failed {
		h.consecutive++
		h.winFailed++
		// A failure during slow start restarts the ramp: one probe is
		// weak evidence, and failures that take long to show (timeouts)
		// would otherwise arrive in a burst once the traffic is back.
		if r := h.readmitted.Load(); r != 0 && now-r < s.slowStart {
			h.readmitted.Store(now)
		}
	} else {
		h.consecutive = 0
	}
	// The ratio is checked after successes too: the window may reach
	// min_requests on one.
	if s.consecutive > 0 && h.consecutive >= s.consecutive ||
		s.errorRatio > 0 && h.winTotal >= s.minRequests && float64(h.winFailed) >= s.errorRatio*float64(h.winTotal) {
		h.eject(s, now)
		return true
	}
	return false
}

// eject starts an ejection at now; h.mu is held. The streak restarts when
// the deployment stayed in rotation longer than the longest ejection.
func (h *health) eject(s *settings, now int64) {
	if now-h.lastEnd > s.maxEjection {
		h.streak = 0
	}
	h.streak++
	d := s.baseEjection
	for i := 1; i < h.streak && d < s.maxEjection; i++ {
		d *= 2
	}
	d = min(d, s.maxEjection)
	h.lastEnd = now + d
	h.ejectedUntil.Store(now + d)
	h.consecutive, h.winStart, h.winTotal, h.winFailed = 0, now, 0, 0
}

// release gives up a claimed probe without a verdict (the client left, or
// the provider throttled): the next attempt probes instead.
func (h *health) release() { h.probing.Store(false) }

// slowStart returns, while a readmitted deployment ramps up, the share of
// requests that may rank it normally: 10% at readmission, growing linearly
// to 100% after the slow start window. Other requests try it last.
func (h *health) slowStart(s *settings, now int64) (share float64, ramping bool) {
	r := h.readmitted.Load()
	if s.slowStart <= 0 || r == 0 || now-r >= s.slowStart || now < r {
		return 1, false
	}
	return 0.1 + 0.9*float64(now-r)/float64(s.slowStart), true
}
