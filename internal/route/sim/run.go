package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/settle"
	"github.com/switchyard/switchyard/internal/usage"
)

// Run replays the scenario's traffic once per policy through a route.Table
// built from its config, on a virtual clock, and reports what each policy
// cost and achieved. It fails only on an invalid scenario.
func Run(s Scenario) (Report, error) {
	if err := s.check(); err != nil {
		return Report{}, err
	}
	rep := Report{Scenario: s.Name, Start: s.Start, Duration: s.Duration, Seed: s.Seed}
	policies := s.Policies
	if len(policies) == 0 {
		policies = []string{""}
	}
	for _, p := range policies {
		r, err := runOnce(&s, p)
		if err != nil {
			return Report{}, err
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

func (s *Scenario) check() error {
	switch {
	case s.Config == nil:
		return errors.New("sim: scenario has no config")
	case s.Duration <= 0:
		return errors.New("sim: scenario duration must be positive")
	case !(s.Traffic.Rate > 0) || math.IsInf(s.Traffic.Rate, 0):
		return errors.New("sim: traffic rate must be positive")
	case !(s.Traffic.Diurnal >= 0 && s.Traffic.Diurnal <= 1):
		return errors.New("sim: diurnal amplitude must be between 0 and 1")
	case len(s.Traffic.Mix) == 0:
		return errors.New("sim: traffic has no streams")
	}
	total := 0.0
	for _, m := range s.Traffic.Mix {
		switch {
		case !(m.Share >= 0):
			return fmt.Errorf("sim: stream %s: share must not be negative", m.Name)
		case m.From < 0 || m.Until < 0 || m.Until != 0 && m.Until <= m.From:
			return fmt.Errorf("sim: stream %s: want 0 <= from < until (until 0: to the end), got from %s until %s", m.Name, m.From, m.Until)
		}
		total += m.Share
	}
	if !(total > 0) {
		return errors.New("sim: stream shares add up to zero")
	}
	if g := s.Traffic.Growth; !(g > -1) || math.IsInf(g, 0) {
		return fmt.Errorf("sim: traffic growth %v: must be more than -1 (-100%%)", g)
	}
	for i, k := range s.Traffic.Shocks {
		if !(k.Factor >= 0) || math.IsInf(k.Factor, 0) || k.From < 0 || k.To != 0 && k.To <= k.From {
			return fmt.Errorf("sim: shock %d: want a factor of 0 or more and 0 <= from < to (to 0: to the end), got %v from %s to %s",
				i+1, k.Factor, k.From, k.To)
		}
	}
	for _, p := range s.Policies {
		if !config.RoutingPolicies[p] {
			return fmt.Errorf("sim: unknown policy %q", p)
		}
	}
	if s.Settler != nil && len(s.Policies) > 1 {
		return fmt.Errorf("sim: a scenario with a Settler runs one policy (it has %d): each run would settle the traffic again", len(s.Policies))
	}
	return nil
}

// configFor returns a copy of c with every model routed by policy (unless
// empty), with defaults applied and validated. The scenario's config is
// left as it was.
func configFor(c *config.Config, policy string) (*config.Config, error) {
	cp := *c
	cp.Providers = slices.Clone(c.Providers)
	cp.Commitments = slices.Clone(c.Commitments)
	cp.Models = slices.Clone(c.Models)
	for i := range cp.Models {
		cp.Models[i].Deployments = slices.Clone(cp.Models[i].Deployments)
		if policy != "" {
			cp.Models[i].Routing = policy
		}
	}
	// Keys do not route, and Validate wants one with its secret, which a
	// gateway clears from its config once it has digested it.
	cp.Keys = []config.Key{{Name: "sim", Key: "sim-key-0123456789"}}
	cp.SetDefaults()
	if err := cp.Validate(); err != nil {
		return nil, fmt.Errorf("sim: scenario config: %w", err)
	}
	return &cp, nil
}

// virtualClock is the simulation's time; the event loop moves it.
type virtualClock struct{ now int64 }

func (c *virtualClock) Now() time.Time { return time.Unix(0, c.now).UTC() }

// request is one simulated client request in flight.
type request struct {
	id      int64
	stream  *Stream
	arrival int64
	prompt  int64
	output  int64
	dec     route.Decision
	att     *route.Attempt
	start   int64 // when the current attempt was sent
	result  route.Result
}

// event is an arrival (req nil) or the end of an attempt.
type event struct {
	at  int64
	seq int64
	req *request
}

// queue is a binary heap of events by time, then by sequence, so that the
// replay is deterministic.
type queue []event

func (q queue) less(i, j int) bool {
	return q[i].at < q[j].at || q[i].at == q[j].at && q[i].seq < q[j].seq
}

func (q *queue) push(e event) {
	*q = append(*q, e)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *queue) pop() event {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

// runner is one policy's replay.
type runner struct {
	s        *Scenario
	cfg      *config.Config
	tab      *route.Table
	clock    *virtualClock
	traffic  *rand.Rand // arrivals and sizes: the same for every policy
	answers  *rand.Rand // the clouds' randomness
	clouds   map[string]*cloud
	settle   *settle.Settler // prices each attempt: the scenario's, or one with the config's price book
	priceErr error           // the first attempt that could not be settled
	books    *ledger
	start    int64   // the scenario's start, in Unix nanoseconds
	peak     float64 // an upper bound of rate(t), for thinning
	growth   float64 // ln(1+Growth) per nanosecond
	q        queue
	seq      int64
	free     []*request
	cum      []float64 // cumulative stream shares
	// eligible lists, per stream, the commitments whose deployments its
	// constraints allow.
	eligible map[*Stream]map[string]bool

	run     PolicyResult
	streams map[string]*StreamUse
	ttft    []time.Duration
	latency []time.Duration
}

func runOnce(s *Scenario, policy string) (PolicyResult, error) {
	began := time.Now()
	cfg, err := configFor(s.Config, policy)
	if err != nil {
		return PolicyResult{}, err
	}
	for _, m := range s.Traffic.Mix {
		if !slices.ContainsFunc(cfg.Models, func(x config.Model) bool { return x.Name == m.Model }) {
			return PolicyResult{}, fmt.Errorf("sim: stream %s: no model %q", m.Name, m.Model)
		}
	}
	start, end := s.Start.UnixNano(), s.Start.Add(s.Duration).UnixNano()
	clk := &virtualClock{now: start}
	routeRand := rand.New(rand.NewPCG(s.Seed, 3))
	tab, err := route.New(cfg, nil, route.Options{Clock: clk, Rand: routeRand.Uint64})
	if err != nil {
		return PolicyResult{}, fmt.Errorf("sim: %w", err)
	}
	r := &runner{
		s: s, cfg: cfg, tab: tab, clock: clk,
		traffic: rand.New(rand.NewPCG(s.Seed, 1)),
		answers: rand.New(rand.NewPCG(s.Seed, 2)),
		clouds:  map[string]*cloud{},
		books:   newLedger(cfg, start, end),
		streams: map[string]*StreamUse{},
	}
	r.run.Policy = policy
	if policy == "" {
		r.run.Policy = "as configured"
	}
	for _, d := range tab.Deployments() {
		b, ok := s.Behavior[d.Name]
		if !ok {
			b = DefaultBehavior
		}
		r.clouds[d.Name] = &cloud{b: b, start: start}
	}
	r.eligible = map[*Stream]map[string]bool{}
	for i := range s.Traffic.Mix {
		st := &s.Traffic.Mix[i]
		e := map[string]bool{}
		for _, d := range tab.Deployments() {
			if d.Contract != nil && st.Constraints.Allows(d) {
				e[d.Contract.Name] = true
			}
		}
		r.eligible[st] = e
	}
	// The clouds' bills go to the run's own ledger once the attempt is
	// settled; the settler's hooks (a gateway's books) see the same event.
	r.settle = s.Settler
	if r.settle == nil {
		r.settle = settle.New(cfg.PriceBook(), nil, nil)
	}
	r.start = start
	r.growth = math.Log1p(s.Traffic.Growth) / float64(30*24*time.Hour)
	r.peak = r.maxRate(start, end)
	total := 0.0
	for i := range s.Traffic.Mix {
		total += s.Traffic.Mix[i].Share
		r.cum = append(r.cum, total)
		name := s.Traffic.Mix[i].Name
		if _, ok := r.streams[name]; !ok {
			r.streams[name] = &StreamUse{Name: name}
		}
	}

	r.scheduleArrival(start)
	for len(r.q) > 0 {
		e := r.q.pop()
		if e.at >= end && e.req == nil {
			continue // no arrivals after the end; attempts in flight finish
		}
		clk.now = e.at
		if e.req == nil {
			r.arrive(e.at)
			r.scheduleArrival(e.at)
		} else {
			r.finish(e.req, e.at)
		}
	}
	if r.priceErr != nil {
		return PolicyResult{}, fmt.Errorf("sim: %w", r.priceErr)
	}
	r.report(start, end)
	r.run.Elapsed = time.Since(began)
	return r.run, nil
}

// rate is the traffic's request rate at t, per second, with every stream
// active (arrive thins out the streams that are not).
func (r *runner) rate(t int64) float64 {
	tr := r.s.Traffic
	at := time.Unix(0, t).UTC()
	hour := float64(at.Hour()) + float64(at.Minute())/60 + float64(at.Second())/3600
	x := tr.Rate * (1 + tr.Diurnal*math.Cos(2*math.Pi*(hour-15)/24))
	if wd := at.Weekday(); (wd == time.Saturday || wd == time.Sunday) && tr.Weekend > 0 {
		x *= tr.Weekend
	}
	if r.growth != 0 {
		x *= math.Exp(r.growth * float64(t-r.start))
	}
	off := time.Duration(t - r.start)
	for _, k := range tr.Shocks {
		if off >= k.From && (k.To == 0 || off < k.To) {
			x *= k.Factor
		}
	}
	return x
}

// maxRate bounds rate over [start, end): the daily peak on the busier
// kind of day, at the end of growth (or the start of a decline), in every
// shock that raises traffic at once.
func (r *runner) maxRate(start, end int64) float64 {
	tr := r.s.Traffic
	peak := tr.Rate * (1 + tr.Diurnal) * max(1, tr.Weekend)
	if r.growth > 0 {
		peak *= math.Exp(r.growth * float64(end-start))
	}
	for _, k := range tr.Shocks {
		peak *= max(1, k.Factor)
	}
	return peak
}

// scheduleArrival draws the next arrival after t by thinning a Poisson
// process at the peak rate.
func (r *runner) scheduleArrival(t int64) {
	peak := r.peak
	end := r.s.Start.Add(r.s.Duration).UnixNano()
	for t < end {
		t += int64(r.traffic.ExpFloat64() / peak * 1e9)
		if r.traffic.Float64()*peak <= r.rate(t) {
			r.seq++
			r.q.push(event{at: t, seq: r.seq})
			return
		}
	}
}

func (r *runner) arrive(t int64) {
	pick := r.traffic.Float64() * r.cum[len(r.cum)-1]
	i, _ := slices.BinarySearch(r.cum, pick)
	st := &r.s.Traffic.Mix[min(i, len(r.cum)-1)]
	if off := time.Duration(t - r.start); off < st.From || st.Until != 0 && off >= st.Until {
		return // the stream is not sending yet, or any more: thinned away
	}
	prompt := lognormal(r.traffic, st.PromptTokens, 0.5)
	output := lognormal(r.traffic, st.OutputTokens, 0.6)
	if st.MaxTokens > 0 {
		output = min(output, st.MaxTokens)
	}
	req := r.newRequest()
	r.run.Requests++
	req.id, req.stream, req.arrival, req.prompt, req.output = r.run.Requests, st, t, prompt, output
	su := r.streams[st.Name]
	su.Requests++
	r.books.arrive(t, st.Model, prompt, output, r.eligible[st])

	err := r.tab.Route(&route.Request{Model: st.Model, Now: time.Unix(0, t), PromptTokens: prompt,
		MaxTokens: st.MaxTokens, Constraints: st.Constraints}, &req.dec)
	if err != nil {
		// The tenant's constraints allow no deployment: the client gets
		// the error.
		r.run.Forbidden++
		r.fail(req)
		return
	}
	r.dispatch(req, t)
}

// dispatch sends the request's next attempt, or fails the request when
// routing has none left.
func (r *runner) dispatch(req *request, t int64) {
	a := req.dec.Next(time.Unix(0, t))
	if a == nil {
		req.dec.Finish(time.Unix(0, t))
		r.fail(req)
		return
	}
	d := a.Deployment
	r.run.Attempts++
	if c := req.stream.Constraints; c != nil && !c.Allows(d) {
		r.run.Violations++
		r.streams[req.stream.Name].Violations++
	}
	end, res := r.clouds[d.Name].answer(r.answers, t, req.prompt, req.output, d.Timeouts.FirstByte.D())
	// One usage event per attempt, through the gateway's settlement point:
	// priced once with the price book, then billed in the run's ledger;
	// routing's commitment drawdown sees the same cost.
	st := req.stream
	ev := usage.Event{RequestID: r.s.RequestIDs + strconv.FormatInt(req.id, 10), Attempt: a.Number, Time: time.Unix(0, t).UTC(),
		TenantID: st.Tenant, KeyID: st.Key, KeyName: st.Name, Model: st.Model, Deployment: d.Name, Provider: d.ProviderName,
		Op: "chat", Stream: true, Duration: time.Duration(end - t)}
	switch res.Outcome {
	case route.Success:
		ev.Outcome, ev.Status, ev.Usage, ev.Source, ev.TTFT = usage.Completed, 200, res.Usage, usage.Reported, res.TTFT
	case route.Throttled:
		ev.Outcome, ev.Status, ev.Error = usage.Failed, 429, "429 from the provider (simulated rate limit)"
	case route.TimedOut:
		ev.Outcome, ev.Error = usage.Failed, "no first byte within the deployment's timeout (simulated)"
	default:
		ev.Outcome, ev.Status, ev.Error = usage.Failed, 500, "500 from the provider (simulated)"
	}
	if err := r.settle.Settle(&ev); err != nil && r.priceErr == nil {
		r.priceErr = err
	}
	if res.Outcome == route.Success {
		res.Cost = ev.Cost
		r.books.bill(t, st.Model, d.Name, ev.Cost, res.Usage, r.eligible[st])
	}
	res.End = time.Unix(0, end)
	req.att, req.start, req.result = a, t, res
	r.seq++
	r.q.push(event{at: end, seq: r.seq, req: req})
}

// finish ends the request's current attempt at t and fails over if it
// failed.
func (r *runner) finish(req *request, t int64) {
	a, res := req.att, req.result
	ev := Event{Time: time.Unix(0, t).UTC(), Start: time.Unix(0, req.start).UTC(), Request: req.id,
		Stream: req.stream.Name, Model: req.stream.Model, Deployment: a.Deployment.Name,
		Attempt: a.Number, Outcome: res.Outcome, Covered: a.Covered, Probe: a.Probe}
	a.Done(res)
	if r.s.Trace != nil {
		r.s.Trace(ev)
	}
	if res.Outcome != route.Success {
		r.dispatch(req, t)
		return
	}
	req.dec.Finish(time.Unix(0, t))
	r.run.Succeeded++
	r.streams[req.stream.Name].Succeeded++
	r.ttft = append(r.ttft, time.Duration(req.start-req.arrival)+res.TTFT)
	r.latency = append(r.latency, time.Duration(t-req.arrival))
	r.release(req)
}

func (r *runner) fail(req *request) {
	r.run.Failed++
	r.streams[req.stream.Name].Failed++
	r.release(req)
}

func (r *runner) newRequest() *request {
	if n := len(r.free); n > 0 {
		req := r.free[n-1]
		r.free = r.free[:n-1]
		return req
	}
	return new(request)
}

func (r *runner) release(req *request) {
	*req = request{}
	r.free = append(r.free, req)
}

// report fills r.run from the ledger and the table.
func (r *runner) report(start, end int64) {
	run := &r.run
	run.TTFT = percentiles(r.ttft)
	run.Latency = percentiles(r.latency)
	run.PayAsYouGo = r.books.payg
	run.Total = r.books.payg
	run.Commitments = r.books.uses()
	for _, c := range run.Commitments {
		run.Total += c.Cost
	}
	now := time.Unix(0, end)
	for _, d := range r.tab.Deployments() {
		st := d.Stats(now)
		run.Deployments = append(run.Deployments, DeploymentUse{
			Name: d.Name, Model: d.Model, Attempts: st.Attempts, Successes: st.Successes, Failures: st.Failures,
			Timeouts: st.Timeouts, Throttled: st.Throttled, Ejections: st.Ejections, Covered: st.Covered,
			PayAsYouGo: r.books.byDeploy[d.Name],
		})
	}
	for _, m := range r.s.Traffic.Mix {
		if su := r.streams[m.Name]; su != nil && !slices.ContainsFunc(run.Streams, func(x StreamUse) bool { return x.Name == m.Name }) {
			run.Streams = append(run.Streams, *su)
		}
	}
	for _, m := range r.tab.Models() {
		run.RetriesDenied += m.Stats().RetriesDenied
	}
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(int(q*float64(len(ds))), len(ds)-1)] }
	return Percentiles{P50: at(0.50), P99: at(0.99)}
}
