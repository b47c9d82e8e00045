package route

import (
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// counters are a deployment's running totals, for metrics.
type counters struct {
	attempts, successes, failures, timeouts, throttled, rejected, canceled atomic.Int64
	ejections, probes, retries                                             atomic.Int64
	covered                                                                atomic.Int64
	promptTokens, completionTokens                                         atomic.Int64
	cost                                                                   atomic.Int64
}

// Stats is a snapshot of a deployment's counters and live state.
type Stats struct {
	Attempts     int64 // attempts sent
	Successes    int64 // answered
	Failures     int64 // 5xx, connection errors, broken streams
	Timeouts     int64 // connect, first-token or idle timeouts
	Throttled    int64 // 429s
	Rejected     int64 // the provider refused the request itself (4xx)
	Canceled     int64 // the client left before an answer
	Ejections    int64 // times outlier detection ejected it
	Probes       int64 // probe attempts sent after ejections
	Retries      int64 // attempts that took over a request after another attempt failed (failovers)
	Covered      int64 // attempts free at the margin thanks to a commitment
	InFlight     int64
	PromptTokens int64
	OutputTokens int64
	// Cost is the usage at the deployment's prices, commitments or not.
	Cost money.Nanos

	EjectedUntil time.Time // zero when in rotation
	CoolingUntil time.Time // zero when not cooling after a 429
	TTFT         time.Duration
	TokensPerSec float64
	FailureRatio float64
	// RPM and TPM are the requests and tokens counted over the last minute
	// against the deployment's quota.
	RPM, TPM int64
}

// Stats returns d's counters and state at now.
func (d *Deployment) Stats(now time.Time) Stats {
	c := &d.count
	s := Stats{
		Attempts: c.attempts.Load(), Successes: c.successes.Load(), Failures: c.failures.Load(),
		Timeouts: c.timeouts.Load(), Throttled: c.throttled.Load(), Rejected: c.rejected.Load(),
		Canceled: c.canceled.Load(), Ejections: c.ejections.Load(), Probes: c.probes.Load(), Retries: c.retries.Load(),
		Covered: c.covered.Load(), InFlight: d.inflight.Load(),
		PromptTokens: c.promptTokens.Load(), OutputTokens: c.completionTokens.Load(),
		Cost:         money.Nanos(c.cost.Load()),
		FailureRatio: d.lat.risk(),
		RPM:          d.rpm.used(now.UnixNano()), TPM: d.tpm.used(now.UnixNano()),
	}
	if u := d.health.ejectedUntil.Load(); u != 0 {
		s.EjectedUntil = time.Unix(0, u)
	}
	if u := d.coolUntil.Load(); u > now.UnixNano() {
		s.CoolingUntil = time.Unix(0, u)
	}
	if v, ok := d.lat.ttft.get(); ok {
		s.TTFT = time.Duration(v * 1e9)
	}
	s.TokensPerSec, _ = d.lat.tps.get()
	return s
}
