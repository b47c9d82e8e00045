package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
)

// cloud is a simulated deployment: it answers attempts as its Behavior
// says, and enforces the provider's own rate limits.
type cloud struct {
	b     Behavior
	start int64 // the scenario's start, for phases

	// The provider's counters, in calendar minutes.
	minute        int64
	requests, tok int64
}

// throttleDelay is how fast a 429 comes back.
const throttleDelay = 50 * time.Millisecond

// answer simulates one attempt of prompt and output tokens sent at now to
// a deployment whose first-byte timeout is timeout. It returns when the
// attempt ends and its result.
func (c *cloud) answer(rng *rand.Rand, now int64, prompt, output int64, timeout time.Duration) (int64, route.Result) {
	b := c.b
	factor := 1.0
	for _, p := range b.Phases {
		if off := time.Duration(now - c.start); off >= p.From && off < p.To {
			if p.TTFTFactor > 0 {
				factor *= p.TTFTFactor
			}
			b.ErrorRate += p.ErrorRate
			b.TimeoutRate += p.TimeoutRate
		}
	}
	if m := now / int64(time.Minute); m != c.minute {
		c.minute, c.requests, c.tok = m, 0, 0
	}
	if b.RPM > 0 && c.requests+1 > b.RPM || b.TPM > 0 && c.tok > 0 && c.tok+prompt+output > b.TPM {
		wait := time.Duration((c.minute+1)*int64(time.Minute) - now)
		return now + int64(throttleDelay), route.Result{Outcome: route.Throttled, RetryAfter: wait}
	}
	c.requests++
	c.tok += prompt + output

	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	u := rng.Float64()
	switch {
	case u < b.TimeoutRate:
		return now + int64(timeout), route.Result{Outcome: route.TimedOut}
	case u < b.TimeoutRate+b.ErrorRate:
		delay := b.ErrorDelay
		if delay <= 0 {
			delay = 200 * time.Millisecond
		}
		return now + int64(delay), route.Result{Outcome: route.Failed}
	}
	ttft := float64(b.TTFT) * factor
	if b.Jitter > 0 {
		ttft *= math.Exp(b.Jitter*rng.NormFloat64() - b.Jitter*b.Jitter/2)
	}
	if time.Duration(ttft) > timeout {
		return now + int64(timeout), route.Result{Outcome: route.TimedOut}
	}
	tps := b.TPS
	if tps <= 0 {
		tps = DefaultBehavior.TPS
	}
	gen := float64(output) / tps * 1e9
	return now + int64(ttft+gen), route.Result{Outcome: route.Success, TTFT: time.Duration(ttft),
		Usage: wire.Usage{Prompt: prompt, Completion: output}}
}

// lognormal draws a positive size around mean.
func lognormal(rng *rand.Rand, mean int64, sigma float64) int64 {
	if mean <= 0 {
		return 0
	}
	return max(int64(math.Round(float64(mean)*math.Exp(sigma*rng.NormFloat64()-sigma*sigma/2))), 1)
}
