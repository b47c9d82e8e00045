package books

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
)

// Meter keeps running totals per deployment in memory: what the demo prints and
// what the metrics endpoint will export. It is lock-free on the request path
// for deployments registered up front.
type Meter struct {
	known map[string]*tally // fixed after NewMeter: read without a lock
	mu    sync.Mutex
	extra map[string]*tally // deployments seen later
}

type tally struct {
	requests, completed, failed, interrupted atomic.Int64
	prompt, completion, cached, cost         atomic.Int64
}

// NewMeter returns a meter that knows the given deployments.
func NewMeter(deployments []string) *Meter {
	m := &Meter{known: make(map[string]*tally, len(deployments)), extra: map[string]*tally{}}
	for _, d := range deployments {
		m.known[d] = &tally{}
	}
	return m
}

// Settle counts a settled usage event (a settle.Hook).
func (m *Meter) Settle(e *usage.Event) {
	t := m.known[e.Deployment]
	if t == nil {
		m.mu.Lock()
		t = m.extra[e.Deployment]
		if t == nil {
			t = &tally{}
			m.extra[e.Deployment] = t
		}
		m.mu.Unlock()
	}
	t.requests.Add(1)
	switch e.Outcome {
	case usage.Completed:
		t.completed.Add(1)
	case usage.Failed, usage.Rejected:
		t.failed.Add(1)
	case usage.Interrupted, usage.ClientAborted:
		t.interrupted.Add(1)
	}
	if e.Usage.Prompt != 0 || e.Usage.Completion != 0 {
		t.prompt.Add(e.Usage.Prompt)
		t.completion.Add(e.Usage.Completion)
		t.cached.Add(e.Usage.Cached)
	}
	if e.Cost != 0 {
		t.cost.Add(int64(e.Cost))
	}
}

// Totals is a snapshot of one deployment's tallies.
type Totals struct {
	Deployment       string      `json:"deployment"`
	Attempts         int64       `json:"attempts"`
	Completed        int64       `json:"completed"`
	Failed           int64       `json:"failed"`      // attempts that failed before the client saw a byte
	Interrupted      int64       `json:"interrupted"` // answers cut mid-way
	PromptTokens     int64       `json:"prompt_tokens"`
	CompletionTokens int64       `json:"completion_tokens"`
	CachedTokens     int64       `json:"cached_tokens"` // prompt tokens read from a cache (part of PromptTokens)
	Cost             money.Nanos `json:"cost_nanos"`
}

// Snapshot returns the totals of every deployment, sorted by name.
func (m *Meter) Snapshot() []Totals {
	var out []Totals
	add := func(name string, t *tally) {
		out = append(out, Totals{
			Deployment: name, Attempts: t.requests.Load(), Completed: t.completed.Load(),
			Failed: t.failed.Load(), Interrupted: t.interrupted.Load(),
			PromptTokens: t.prompt.Load(), CompletionTokens: t.completion.Load(), CachedTokens: t.cached.Load(),
			Cost: money.Nanos(t.cost.Load()),
		})
	}
	for name, t := range m.known {
		add(name, t)
	}
	m.mu.Lock()
	for name, t := range m.extra {
		add(name, t)
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Deployment < out[j].Deployment })
	return out
}
