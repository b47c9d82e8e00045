package route

import (
	"math"
	"sync/atomic"
)

// ewma is an exponentially weighted moving average of float64 samples, kept
// in one atomic word. The zero value has no samples yet.
type ewma struct{ bits atomic.Uint64 }

// update folds x in with weight alpha; the first sample is taken as is.
func (e *ewma) update(x, alpha float64) {
	for {
		old := e.bits.Load()
		v := x
		if old != 0 {
			v = math.Float64frombits(old) + alpha*(x-math.Float64frombits(old))
		}
		nw := math.Float64bits(v)
		if nw == 0 {
			nw = 1 // a true 0.0 would read as "no samples"
		}
		if e.bits.CompareAndSwap(old, nw) {
			return
		}
	}
}

// get returns the average, and false before the first sample.
func (e *ewma) get() (float64, bool) {
	b := e.bits.Load()
	if b == 0 {
		return 0, false
	}
	return math.Float64frombits(b), true
}

// Weights of a new sample. Latency follows traffic quickly, so that
// fastest shifts within seconds of a slowdown; the failure ratio is
// smoother, since it weighs every attempt's single success or failure.
const (
	latencyAlpha = 0.1
	failureAlpha = 0.05
	outputAlpha  = 0.05
)

// latency is what live traffic taught about a deployment's speed and
// reliability.
type latency struct {
	ttft ewma // seconds to the first token
	tps  ewma // output tokens per second once streaming
	fail ewma // share of recent attempts that failed
	// last is when the latest latency sample arrived, and explored when a
	// request was last sent to refresh a stale estimate, in Unix
	// nanoseconds.
	last     atomic.Int64
	explored atomic.Int64
}

// Priors for a deployment without samples: optimistic, so that fastest
// tries it and learns.
const (
	priorTTFT = 0.0
	priorTPS  = 1000.0
)

// expected returns the expected seconds to answer with out tokens.
func (l *latency) expected(out int64) float64 {
	ttft, ok := l.ttft.get()
	if !ok {
		ttft = priorTTFT
	}
	tps, ok := l.tps.get()
	if !ok || tps <= 0 {
		tps = priorTPS
	}
	return ttft + float64(out)/tps
}

// risk returns the recent failure ratio, 0 before any attempt.
func (l *latency) risk() float64 {
	r, _ := l.fail.get()
	return r
}

// observe records a finished attempt. ttft and total are in seconds (ttft
// 0 when unknown, as for a non-streaming answer); out is the output tokens.
func (l *latency) observe(now int64, ttft, total float64, out int64) {
	if ttft > 0 {
		l.ttft.update(ttft, latencyAlpha)
		if out > 0 && total > ttft {
			l.tps.update(float64(out)/(total-ttft), latencyAlpha)
		}
	} else if total > 0 {
		// A whole answer at once: attribute what the current throughput
		// estimate does not explain to the first token.
		tps, ok := l.tps.get()
		if !ok || tps <= 0 {
			tps = priorTPS
		}
		l.ttft.update(max(total-float64(out)/tps, 1e-3), latencyAlpha)
	}
	l.last.Store(now)
}
