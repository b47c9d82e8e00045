package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// Token types, in label order. They split wire.Usage so that they add up to
// its total: Prompt includes Cached and CacheWrite, Completion includes
// Reasoning.
const (
	tokInput = iota
	tokCachedInput
	tokCacheWrite
	tokOutput
	tokReasoning
	numTokenTypes
)

var tokenTypes = [numTokenTypes]string{"input", "cached_input", "cache_write", "output", "reasoning"}

// split returns u's tokens by type.
func split(u wire.Usage) [numTokenTypes]int64 {
	return [numTokenTypes]int64{
		tokInput:       u.Prompt - u.Cached - u.CacheWrite,
		tokCachedInput: u.Cached,
		tokCacheWrite:  u.CacheWrite,
		tokOutput:      u.Completion - u.Reasoning,
		tokReasoning:   u.Reasoning,
	}
}

// Sources as the store counts them: reported by the cloud, or not (the
// gateway's estimate).
var sourceNames = [2]string{"reported", "estimated"}

// deploymentSeries are a deployment's children, resolved once.
type deploymentSeries struct {
	attempts [len(outcomes)]prometheus.Counter
	tokens   [numTokenTypes][2]prometheus.Counter
	cost     prometheus.Counter
	ttft     prometheus.Observer
}

// outcomes index the outcome label by usage.Outcome; 0 is an event with
// none set.
var outcomes = [...]string{"unknown", "completed", "failed", "rejected", "interrupted", "client_aborted"}

// Settle counts a settled attempt: it is a settle.Hook, so every attempt
// passes here once, priced.
func (m *Metrics) Settle(e *usage.Event) {
	s := (*m.deps.Load())[e.Deployment]
	if s == nil {
		s = m.deployment(e)
	}
	if o := int(e.Outcome); o > 0 && o < len(outcomes) {
		s.attempts[o].Inc()
	} else {
		m.attempts.WithLabelValues(e.Deployment, e.Provider, outcomes[0]).Inc()
	}
	if e.TTFT > 0 {
		s.ttft.Observe(e.TTFT.Seconds())
	}
	if e.Usage == (wire.Usage{}) && e.Cost == 0 {
		return
	}
	src := 1
	if e.Source == usage.Reported {
		src = 0
	}
	tok := split(e.Usage)
	for t, n := range tok {
		if n > 0 {
			s.tokens[t][src].Add(float64(n))
		}
	}
	if e.Cost > 0 {
		s.cost.Add(float64(e.Cost))
	}
	m.tenants.settle(e.TenantID, &tok, int64(e.Cost))
}

// deployment resolves e's deployment's children on first sight.
func (m *Metrics) deployment(e *usage.Event) *deploymentSeries {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.deps.Load()
	if s := cur[e.Deployment]; s != nil {
		return s
	}
	s := &deploymentSeries{
		cost: m.cost.WithLabelValues(e.Deployment, e.Provider, e.Model),
		ttft: m.ttft.WithLabelValues(e.Deployment),
	}
	for o := 1; o < len(outcomes); o++ {
		s.attempts[o] = m.attempts.WithLabelValues(e.Deployment, e.Provider, outcomes[o])
	}
	for t := range s.tokens {
		for src := range s.tokens[t] {
			s.tokens[t][src] = m.tokens.WithLabelValues(e.Deployment, e.Provider, e.Model, tokenTypes[t], sourceNames[src])
		}
	}
	next := make(map[string]*deploymentSeries, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[e.Deployment] = s
	m.deps.Store(&next)
	return s
}
