package route

import "time"

// Fastest tries the deployment expected to answer soonest first: its
// moving average of time to first token plus the expected output at its
// moving average of tokens per second, both learnt from live traffic.
//
// A deployment that gets no traffic teaches nothing, so an estimate older
// than Explore gets one request to refresh it: a slow deployment that
// recovered, or a fast one that slowed down, is noticed within that time.
type Fastest struct {
	// Explore is how stale an estimate may grow before a request is sent to
	// refresh it; 0 means DefaultExplore.
	Explore time.Duration
}

// DefaultExplore is Fastest's default refresh interval: a few requests a
// minute per idle deployment.
const DefaultExplore = 15 * time.Second

// Name implements Policy.
func (Fastest) Name() string { return "fastest" }

// Score implements Policy: the expected latency in microseconds, or -1 for
// a stale estimate whose refresh this request claimed.
func (f Fastest) Score(in Input, c Candidate) int64 {
	l := &c.D.lat
	every := int64(f.Explore)
	if every <= 0 {
		every = int64(DefaultExplore)
	}
	if last := l.last.Load(); last != 0 && in.Now-last > every {
		if x := l.explored.Load(); in.Now-x > every && l.explored.CompareAndSwap(x, in.Now) {
			return -1
		}
	}
	return int64(l.expected(in.OutputTokens) * 1e6)
}
