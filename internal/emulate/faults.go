package emulate

import (
	"sync"
	"time"
)

// fault is what admission decided to do with a request instead of answering it.
type fault uint8

const (
	faultNone     fault = iota
	faultQuota          // over the RPM quota: 429
	faultThrottle       // injected throttle: 429
	faultServer         // injected server error: 500
)

// verdict is admission's decision about one request.
type verdict struct {
	fault      fault
	retryAfter time.Duration // for 429s; negative means "retry at once"
	disconnect bool          // cut the stream mid-way
	limit      rateLimit     // quota state for x-ratelimit-* headers; zero when RPM is 0
}

// faults draws the injected faults. It is a seeded PRNG under a mutex, and it
// draws the same three numbers for every admitted request whatever the knobs
// and the quota decide, so that request i meets the same dice for a given seed
// no matter how time or rates changed before it.
type faults struct {
	mu sync.Mutex
	r  rng
}

func (f *faults) reseed(seed uint64) {
	f.mu.Lock()
	f.r = rng{seed}
	f.mu.Unlock()
}

// draw returns the next request's dice for throttling, server errors and
// disconnects, each uniform in [0, 1).
func (f *faults) draw() (throttle, fail, cut float64) {
	f.mu.Lock()
	throttle, fail, cut = f.r.float(), f.r.float(), f.r.float()
	f.mu.Unlock()
	return throttle, fail, cut
}

// drawOne returns one number uniform in [0, 1).
func (f *faults) drawOne() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.r.float()
}

// admit decides whether a request is answered: first the RPM quota, then an
// injected throttle, then an injected server error; streams that get through
// may be marked for a mid-way disconnect.
func (e *Emulator) admit(k *Knobs, stream bool, now time.Time) verdict {
	throttle, fail, cut := e.faults.draw()
	var v verdict
	if k.RPM > 0 {
		var ok bool
		ok, v.limit = e.quota.take(k.RPM, now)
		if !ok {
			v.fault, v.retryAfter = faultQuota, v.limit.reset
			return v
		}
	}
	switch {
	case throttle < k.ThrottleRate:
		v.fault, v.retryAfter = faultThrottle, k.RetryAfter
	case fail < k.ErrorRate:
		v.fault = faultServer
	default:
		v.disconnect = stream && cut < k.DisconnectRate
	}
	return v
}
