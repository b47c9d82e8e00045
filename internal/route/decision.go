package route

import (
	"time"
)

// Request is what routing needs to know about one client request.
type Request struct {
	Model string
	// Now is when the request is routed; zero means the table's clock.
	Now time.Time
	// PromptTokens is the prompt size estimated from the body.
	PromptTokens int64
	// MaxTokens is the request's output cap (max_tokens and its kin); 0
	// when it set none.
	MaxTokens int64
	// Policy is the x-switchyard-route header: a policy that replaces the
	// models' own for this request, if Constraints allow it. "" keeps them.
	Policy string
	// Constraints are the tenant's; nil allows every deployment and no
	// policy override.
	Constraints *Constraints
	// Debug asks for Decision.Reason (x-switchyard-debug: 1, or debug
	// logging).
	Debug bool
}

// Stop says why Decision.Next returned no attempt.
type Stop uint8

// Reasons to stop.
const (
	NotStopped  Stop = iota
	Exhausted        // every candidate was tried or is unavailable
	BudgetSpent      // the retry budget allows no extra attempt now
	Committed        // the first byte reached the client: no failover
	Finished         // Finish was called
)

func (s Stop) String() string {
	switch s {
	case Exhausted:
		return "every deployment was tried or is unavailable"
	case BudgetSpent:
		return "the retry budget is spent"
	case Committed:
		return "the answer had started"
	case Finished:
		return "finished"
	}
	return "not stopped"
}

// maxCandidates is how many candidates a Decision holds without
// allocating.
const maxCandidates = 16

// Decision is the outcome of routing one request, and the state of its
// attempts. Declare one per request (on the stack: it does not escape) and
// pass it to Table.Route; then call Next for each attempt, Done when each
// attempt ends, and Finish once when the request ends. A Decision is used by
// one goroutine.
type Decision struct {
	// Model is the model asked for.
	Model *Model
	// Policy ranked the candidates of the model (and of its fallbacks, when
	// the request chose it; otherwise each fallback model used its own).
	Policy Policy
	// RetryAt is, when no deployment was available (all cooling after 429s,
	// ejected, at their quota or concurrency cap), the earliest time one
	// may be: the client's Retry-After.
	RetryAt time.Time
	// Busy says whether Route left a deployment out only for being rate
	// limited or at capacity (cooling after a 429, at its quota or
	// max_concurrent) rather than ejected. When no deployment was available
	// it makes the answer a 429: the client's retry will be served. It is what Route saw, so an answer
	// built later does not depend on state that moved since (a quota lease
	// renewed meanwhile).
	Busy bool
	// Reason explains the decision in one line that fits an HTTP header:
	// the policy, each candidate's score and cost, and what was excluded
	// and why. Set only when Request.Debug asked for it.
	Reason string

	t        *Table
	in       Input
	next     int // index of the next candidate to try
	attempts int
	active   bool // counted in the model's retry budget
	stop     Stop
	cur      Attempt
	// The candidates are buf[:n], or extra when there are more than fit.
	// No field points into the Decision itself: a self-reference would make
	// every Decision escape to the heap.
	buf      [maxCandidates]Candidate
	n        int
	extra    []Candidate
	excluded []exclusion // only when debugging
}

// Candidates are the deployments to try, in order: the model's, then each
// fallback model's.
func (dec *Decision) Candidates() []Candidate {
	if dec.extra != nil {
		return dec.extra
	}
	return dec.buf[:dec.n:dec.n]
}

// add appends a candidate.
func (dec *Decision) add(c Candidate) {
	switch {
	case dec.extra != nil:
		dec.extra = append(dec.extra, c)
	case dec.n < maxCandidates:
		dec.buf[dec.n] = c
		dec.n++
	default:
		dec.extra = append(append(make([]Candidate, 0, 2*maxCandidates), dec.buf[:]...), c)
	}
}

// exclusion is a deployment left out of the candidates, and why.
type exclusion struct {
	d     *Deployment
	why   string
	until int64
}

// Route ranks the deployments that may serve req into dec. It fails only
// when the request cannot be routed at all: unknown model or policy, an
// override the tenant may not make, or constraints that exclude every
// deployment. When deployments exist but none is available now, dec has no
// candidates and dec.RetryAt says when to come back.
func (t *Table) Route(req *Request, dec *Decision) error {
	m := t.models[req.Model]
	if m == nil {
		return ErrUnknownModel
	}
	override := req.Policy != ""
	pol := m.Policy
	if override {
		p, ok := t.policies[req.Policy]
		if !ok {
			return ErrUnknownPolicy
		}
		if !req.Constraints.allowsPolicy(req.Policy) {
			return ErrPolicyNotAllowed
		}
		pol = p
	}
	now := req.Now
	if now.IsZero() {
		now = t.opts.Clock.Now()
	}
	dec.reset(t, m, pol, req.Debug)
	in := Input{Now: now.UnixNano(), PromptTokens: max(req.PromptTokens, 0)}
	dec.in = in

	allowed, ejected := 0, 0
	var soonest int64
	for i := -1; i < len(m.Chain); i++ {
		mm, p := m, pol
		if i >= 0 {
			mm = m.Chain[i]
			if !override {
				p = mm.Policy
			}
		}
		in.OutputTokens = mm.expectedOutput(req.MaxTokens)
		start := len(dec.Candidates())
		for _, d := range mm.Deployments {
			if !req.Constraints.Allows(d) {
				dec.exclude(d, "not allowed for this key", 0)
				continue
			}
			allowed++
			ok, probe, why, until := admissible(d, in)
			if !ok {
				switch why {
				case whyEjected:
					ejected++
				case whyProbing:
				default:
					dec.Busy = true
				}
				if until != 0 && (soonest == 0 || until < soonest) {
					soonest = until
				}
				dec.exclude(d, why, until)
				continue
			}
			r := t.opts.Rand()
			c := Candidate{D: d, Cost: expectedCost(d, in), Tie: tie(r, d.Weight),
				Fallback: i + 1, Probe: probe, out: in.OutputTokens}
			if share, ramping := d.health.slowStart(d.settings(), in.Now); ramping {
				// The draw's low bits are independent of the tie's high ones.
				c.Demoted = float64(r&0x3ff)/0x400 >= share
			}
			dec.add(c)
		}
		score(p, in, dec.Candidates()[start:])
	}
	if allowed == 0 {
		return ErrNoAllowedDeployment
	}
	if len(dec.Candidates()) == 0 && ejected > 0 {
		dec.panicMode(req, in)
	}
	if len(dec.Candidates()) == 0 && soonest != 0 {
		dec.RetryAt = time.Unix(0, soonest)
	}
	m.budget.arrive(in.Now)
	dec.active = true
	if req.Debug {
		dec.Reason = dec.reason()
	}
	return nil
}

func score(p Policy, in Input, cs []Candidate) {
	for i := range cs {
		in.OutputTokens = cs[i].out
		cs[i].Score = p.Score(in, cs[i])
	}
	rank(cs)
}

// panicMode adds the ejected deployments when they are all that is left,
// as Envoy's panic threshold does: outlier detection must not turn a
// partial outage into a total one. Constraints, cooldowns and quotas still
// hold.
func (dec *Decision) panicMode(req *Request, in Input) {
	m := dec.Model
	for i := -1; i < len(m.Chain); i++ {
		mm, p := m, dec.Policy
		if i >= 0 {
			mm = m.Chain[i]
			if req.Policy == "" {
				p = mm.Policy
			}
		}
		in.OutputTokens = mm.expectedOutput(req.MaxTokens)
		start := len(dec.Candidates())
		for _, d := range mm.Deployments {
			if !req.Constraints.Allows(d) {
				continue
			}
			if st, _ := d.health.state(in.Now); st != ejected {
				continue
			}
			if _, _, why, _ := admissible(d, in); why != whyEjected {
				continue
			}
			dec.add(Candidate{
				D: d, Cost: expectedCost(d, in), Tie: tie(dec.t.opts.Rand(), d.Weight),
				Fallback: i + 1, Panic: true, out: in.OutputTokens,
			})
		}
		score(p, in, dec.Candidates()[start:])
	}
}

// Reasons a deployment is not a candidate.
const (
	whyCooling  = "cooling down after 429"
	whyEjected  = "ejected after failures"
	whyProbing  = "probe in flight"
	whyBusy     = "at max_concurrent"
	whyRPM      = "at its RPM quota"
	whyTPM      = "at its TPM quota"
	whyNoReason = ""
)

// admissible checks whether d may take a request now. probe says the attempt
// would be the probe that readmits it; until, when not admissible, is when
// that may change (0 if unknown). Ejection is checked last, so that a
// deployment reported ejected is otherwise usable (panic mode relies on it).
func admissible(d *Deployment, in Input) (ok, probe bool, why string, until int64) {
	now := in.Now
	if u := d.coolUntil.Load(); u != 0 && now < u {
		return false, false, whyCooling, u
	}
	if d.MaxConcurrent > 0 && d.inflight.Load() >= int64(d.MaxConcurrent) {
		return false, false, whyBusy, 0
	}
	next := (now/minute + 1) * minute
	if !d.rpm.fits(now, 1, d.Quota.RPM) {
		return false, false, whyRPM, d.rpm.comeback(now, 1, d.Quota.RPM, next)
	}
	if n := in.PromptTokens + in.OutputTokens; !d.tpm.fits(now, n, d.Quota.TPM) {
		return false, false, whyTPM, d.tpm.comeback(now, n, d.Quota.TPM, next)
	}
	switch st, u := d.health.state(now); st {
	case ejected:
		return false, false, whyEjected, u
	case probing:
		return false, false, whyProbing, 0
	case probeable:
		return true, true, whyNoReason, 0
	}
	return true, false, whyNoReason, 0
}

func (dec *Decision) reset(t *Table, m *Model, pol Policy, debug bool) {
	dec.Model, dec.Policy, dec.RetryAt, dec.Busy, dec.Reason = m, pol, time.Time{}, false, ""
	dec.n, dec.extra = 0, nil
	dec.t, dec.next, dec.attempts, dec.active, dec.stop = t, 0, 0, false, NotStopped
	dec.cur = Attempt{}
	dec.excluded = nil
	if debug {
		dec.excluded = make([]exclusion, 0, maxCandidates)
	}
}

func (dec *Decision) exclude(d *Deployment, why string, until int64) {
	if dec.excluded != nil {
		dec.excluded = append(dec.excluded, exclusion{d, why, until})
	}
}
