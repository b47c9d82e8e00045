package route

import (
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// Attempt is one try of one deployment. It lives inside its Decision.
type Attempt struct {
	Deployment *Deployment
	Number     int  // 1 for the request's first attempt
	Probe      bool // tests a deployment whose ejection is over
	// Covered says a commitment absorbs the attempt: it was dispatched
	// within a capacity commitment's minute or a spend commitment's pace.
	Covered bool

	model     *Model
	table     *Table
	start     int64
	firstByte int64
	tokens    int64 // counted against the TPM quota at dispatch
	claim     claim
	live      bool
}

// Next returns the next attempt to make, with its deployment's quota,
// concurrency slot and commitment claimed, or nil when there is none: see
// Stopped for why. The previous attempt must be Done first. A candidate
// that became unavailable since Route (cooled down or ejected by a
// concurrent request, quota or concurrency cap reached) is skipped. Every
// attempt after the first needs the model's retry budget.
func (dec *Decision) Next(now time.Time) *Attempt {
	if dec.cur.firstByte != 0 && dec.stop != Finished {
		dec.stop = Committed
	}
	switch {
	case dec.t == nil:
		return nil
	case dec.stop == Committed || dec.stop == Finished:
		return nil
	case dec.cur.live:
		// One attempt at a time: the caller lost track of the last one.
		dec.cur.Done(Result{Outcome: Canceled, End: now})
	}
	n := dec.t.now(now)
	cs := dec.Candidates()
	// An extra attempt needs the retry budget; it is given back if no
	// candidate can take the attempt after all.
	took := false
	if dec.attempts > 0 && dec.next < len(cs) {
		if !dec.Model.budget.take(dec.Model.settings(), n) {
			dec.stop = BudgetSpent
			return nil
		}
		took = true
	}
	for dec.next < len(cs) {
		c := &cs[dec.next]
		dec.next++
		if dec.acquire(c, n) {
			return &dec.cur
		}
	}
	if took {
		dec.Model.budget.give()
	}
	dec.stop = Exhausted
	return nil
}

// now returns t, or the clock's time when t is zero, in Unix nanoseconds.
func (t *Table) now(at time.Time) int64 {
	if at.IsZero() {
		return t.opts.Clock.Now().UnixNano()
	}
	return at.UnixNano()
}

// acquire claims what an attempt on c needs, or nothing.
func (dec *Decision) acquire(c *Candidate, now int64) bool {
	d := c.D
	if u := d.coolUntil.Load(); u != 0 && now < u {
		return false
	}
	probe := false
	switch st, _ := d.health.state(now); st {
	case ejected:
		if !c.Panic {
			return false
		}
	case probing:
		return false
	case probeable:
		if !d.health.claimProbe() {
			return false
		}
		probe = true
	}
	undo := func() {
		d.inflight.Add(-1)
		if probe {
			d.health.release()
		}
	}
	if n := d.inflight.Add(1); d.MaxConcurrent > 0 && n > int64(d.MaxConcurrent) {
		undo()
		return false
	}
	if !d.rpm.reserve(now, 1, d.Quota.RPM) {
		undo()
		return false
	}
	need := dec.in.PromptTokens + c.out
	if !d.tpm.reserve(now, need, d.Quota.TPM) {
		d.rpm.adjust(now, -1)
		undo()
		return false
	}
	var cl claim
	if d.Contract != nil {
		cl = d.Contract.reserve(now, dec.in.PromptTokens, c.out, c.Cost)
	}
	d.count.attempts.Add(1)
	if dec.attempts > 0 {
		// Next moves on only after an attempt failed: this one is a
		// failover.
		d.count.retries.Add(1)
	}
	if probe {
		d.count.probes.Add(1)
	}
	if cl.covered {
		d.count.covered.Add(1)
	}
	dec.attempts++
	dec.cur = Attempt{Deployment: d, Number: dec.attempts, Probe: probe, Covered: cl.covered,
		model: dec.Model, table: dec.t, start: now, tokens: need, claim: cl, live: true}
	return true
}

// Outcome is how an attempt ended.
type Outcome uint8

// Outcomes.
const (
	// Success: the deployment answered (a whole answer, or a stream that
	// ended properly).
	Success Outcome = iota + 1
	// Rejected: the provider refused the request itself (4xx other than
	// 429); the deployment is healthy and another would refuse it too.
	Rejected
	// Throttled: a 429; the deployment cools down for Result.RetryAfter.
	Throttled
	// Failed: a 5xx, a connection error, a stream broken before its end.
	Failed
	// TimedOut: the connect, first-token or idle timeout fired.
	TimedOut
	// Canceled: the client went away; nothing is learnt about the
	// deployment.
	Canceled
)

func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Rejected:
		return "rejected"
	case Throttled:
		return "throttled"
	case Failed:
		return "failed"
	case TimedOut:
		return "timed out"
	case Canceled:
		return "canceled"
	}
	return "unknown"
}

// DefaultRetryAfter cools a deployment that sent a 429 without saying for
// how long.
const DefaultRetryAfter = time.Second

// Result is what an attempt produced.
type Result struct {
	Outcome Outcome
	// End is when the attempt ended; zero means the table's clock.
	End time.Time
	// TTFT is the time to the first token; zero when FirstByte was called
	// or the answer was not streamed.
	TTFT time.Duration
	// Usage is the tokens the provider billed for the attempt (zero when it
	// billed none). It corrects the TPM quota and commitments, which were
	// charged estimates at dispatch.
	Usage wire.Usage
	// Cost is what the settlement point priced Usage at: routing never
	// prices anything itself.
	Cost money.Nanos
	// RetryAfter is a 429's Retry-After; zero means DefaultRetryAfter.
	RetryAfter time.Duration
}

// FirstByte records that the attempt's first byte reached the client at
// now. From then on the request is committed to this deployment: Next
// returns nil, whatever happens to the stream.
func (a *Attempt) FirstByte(now time.Time) {
	if !a.live || a.firstByte != 0 {
		return
	}
	a.firstByte = a.table.now(now)
}

// Done records how the attempt ended: it releases the deployment's
// concurrency slot and retry budget, corrects quota and commitments with
// the actual usage, and feeds health, latency and counters. Calling it
// twice has no effect.
func (a *Attempt) Done(r Result) {
	if !a.live {
		return
	}
	a.live = false
	d := a.Deployment
	s := d.settings()
	end := a.table.now(r.End)

	d.inflight.Add(-1)
	if a.Number > 1 {
		a.model.budget.give()
	}
	u := r.Usage
	d.tpm.adjust(a.start, u.Prompt+u.Completion-a.tokens)
	if u != (wire.Usage{}) {
		d.count.promptTokens.Add(u.Prompt)
		d.count.completionTokens.Add(u.Completion)
		d.count.cost.Add(int64(r.Cost))
	}
	if d.Contract != nil {
		d.Contract.settle(a.claim, u, r.Cost)
	}

	var ejectedNow bool
	switch r.Outcome {
	case Success:
		d.count.successes.Add(1)
		ejectedNow = d.health.observe(s, end, false, a.Probe)
		d.lat.fail.update(0, failureAlpha)
		ttft := r.TTFT
		if a.firstByte != 0 {
			ttft = time.Duration(a.firstByte - a.start)
		}
		d.lat.observe(end, ttft.Seconds(), time.Duration(end-a.start).Seconds(), u.Completion)
		// Usage reported (a prompt): learn the model's typical output,
		// zero included, as embeddings answer.
		if m := d.model; m != nil && u.Prompt > 0 {
			m.output.update(float64(u.Completion), outputAlpha)
		}
	case Rejected:
		d.count.rejected.Add(1)
		ejectedNow = d.health.observe(s, end, false, a.Probe)
	case Throttled:
		d.count.throttled.Add(1)
		wait := r.RetryAfter
		if wait <= 0 {
			wait = DefaultRetryAfter
		}
		d.CoolDown(time.Unix(0, end).Add(wait))
		if a.Probe {
			d.health.release()
		}
	case Failed, TimedOut:
		if r.Outcome == Failed {
			d.count.failures.Add(1)
		} else {
			d.count.timeouts.Add(1)
		}
		ejectedNow = d.health.observe(s, end, true, a.Probe)
		d.lat.fail.update(1, failureAlpha)
	default:
		d.count.canceled.Add(1)
		if a.Probe {
			d.health.release()
		}
	}
	if ejectedNow {
		d.count.ejections.Add(1)
	}
}

// Stopped says why Next last returned nil.
func (dec *Decision) Stopped() Stop {
	if dec.cur.firstByte != 0 && dec.stop != Finished {
		return Committed
	}
	return dec.stop
}

// Attempts is how many attempts Next has handed out.
func (dec *Decision) Attempts() int { return dec.attempts }

// Finish ends the request: it releases its place in the model's retry
// budget and ends an attempt left running as Canceled. Call it exactly once
// per successful Route, however the request ended; further calls do nothing.
func (dec *Decision) Finish(now time.Time) {
	if dec.t == nil || dec.stop == Finished {
		return
	}
	if dec.cur.live {
		dec.cur.Done(Result{Outcome: Canceled, End: now})
	}
	if dec.active {
		dec.Model.budget.active.Add(-1)
		dec.active = false
	}
	dec.stop = Finished
}
