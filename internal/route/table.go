package route

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/provider"
)

// Model is a public model name and the deployments that serve it.
type Model struct {
	Name        string
	Deployments []*Deployment // sorted by priority
	Policy      Policy
	// Fallbacks are the models tried, in order, after this one's
	// deployments; Chain is them with their own fallbacks, depth first,
	// each model once.
	Fallbacks []*Model
	Chain     []*Model

	// The retry budget and typical output live in the table's State, by
	// name, so that they survive a reload.
	*modelState
	set *settings
}

// NewModel returns a model outside any table, with fresh live state and
// default settings, for tests and tools.
func NewModel(name string, policy Policy, deployments ...*Deployment) *Model {
	return &Model{Name: name, Policy: policy, Deployments: deployments, modelState: new(modelState)}
}

func (m *Model) settings() *settings {
	if m.set != nil {
		return m.set
	}
	return &defaultSettings
}

// ModelStats is a snapshot of a model's routing state.
type ModelStats struct {
	Active        int64   // requests routed and not finished
	Retries       int64   // extra attempts in flight
	RetriesDenied int64   // extra attempts the retry budget refused
	RetryLimit    int64   // extra attempts the retry budget allows in flight now
	TypicalOutput float64 // moving average of output tokens
}

// Stats returns the model's routing state.
func (m *Model) Stats() ModelStats {
	out, _ := m.output.get()
	return ModelStats{Active: m.budget.active.Load(), Retries: m.budget.retries.Load(),
		RetriesDenied: m.budget.denied.Load(), RetryLimit: m.budget.limit(m.settings()), TypicalOutput: out}
}

// Plan appends to out the deployments available at now, in the order the
// model's policy wants them tried for a request of unknown size. When none is
// available because all are cooling down or ejected, it returns an empty
// plan and the earliest time one comes back.
//
// Plan is the simple interface: it neither reserves quota nor feeds health.
// Table.Route and Decision do both.
func (m *Model) Plan(now time.Time, out []*Deployment) ([]*Deployment, time.Time) {
	var buf [16]Candidate
	cs := buf[:0]
	var soonest int64
	in := Input{Now: now.UnixNano(), OutputTokens: m.expectedOutput(0)}
	for _, d := range m.Deployments {
		if ok, until := d.Available(now); !ok {
			if n := until.UnixNano(); soonest == 0 || n < soonest {
				soonest = n
			}
			continue
		}
		if st, _ := d.health.state(in.Now); st == probing {
			continue
		}
		cs = append(cs, Candidate{D: d, Cost: expectedCost(d, in), Tie: tie(rand.Uint64(), d.Weight)})
	}
	if len(cs) == 0 {
		if soonest == 0 {
			return out, time.Time{}
		}
		return out, time.Unix(0, soonest)
	}
	pol := m.Policy
	if pol == nil {
		pol = Priority{}
	}
	for i := range cs {
		cs[i].Score = pol.Score(in, cs[i])
	}
	rank(cs)
	for _, c := range cs {
		out = append(out, c.D)
	}
	return out, time.Time{}
}

// expectedOutput estimates a request's output tokens: the model's typical
// output, or the configured expectation before there is traffic, capped at
// the request's max_tokens when it set one.
func (m *Model) expectedOutput(maxTokens int64) int64 {
	out := m.settings().expectedOutput
	if v, ok := m.output.get(); ok {
		out = max(int64(v+0.5), 1)
	}
	if maxTokens > 0 {
		out = min(out, maxTokens)
	}
	return out
}

// Table is the routing table: every configured model, deployment and
// commitment, and the settings routing runs with.
type Table struct {
	models      map[string]*Model
	list        []*Model
	deployments []*Deployment
	contracts   []*Contract
	policies    map[string]Policy
	opts        Options
	set         settings
	state       *State
}

// NewTable builds the table from a validated config and the providers built
// from it, keyed by name, with the wall clock.
func NewTable(c *config.Config, providers map[string]provider.Provider) (*Table, error) {
	return New(c, providers, Options{})
}

// New builds the table from a validated config. providers holds the provider
// clients by name; a nil map builds a table without them (deployments'
// Provider is nil), for simulations and what-if reports. The live state is
// opts.State's when set (a reload passes the running table's), so that
// deployments, models and commitments keep theirs by name; else it is new.
func New(c *config.Config, providers map[string]provider.Provider, opts Options) (*Table, error) {
	t := &Table{models: make(map[string]*Model, len(c.Models)), opts: opts.withDefaults(), set: newSettings(c.Routing)}
	t.state = t.opts.State
	if t.state == nil {
		t.state = NewState()
	}
	t.policies = map[string]Policy{
		config.RoutePriority:   Priority{},
		config.RouteWeighted:   Weighted{},
		config.RouteCheapest:   Cheapest{},
		config.RouteFastest:    Fastest{},
		config.RouteCommitment: Commitment{LatencyPenalty: t.set.latencyPenalty, FailurePenalty: t.set.failurePenalty},
	}
	contracts := make(map[string]*Contract, len(c.Commitments))
	built := t.opts.Clock.Now().UnixNano()
	for i := range c.Commitments {
		k := newContract(&c.Commitments[i], &t.set, t.state, built)
		contracts[k.Name] = k
		t.contracts = append(t.contracts, k)
	}
	for _, mc := range c.Models {
		m := &Model{Name: mc.Name, set: &t.set, modelState: t.state.model(mc.Name)}
		routing := mc.Routing
		if routing == "" {
			routing = config.RoutePriority
		}
		var ok bool
		if m.Policy, ok = t.policies[routing]; !ok {
			return nil, fmt.Errorf("model %s: unknown routing policy %q", mc.Name, mc.Routing)
		}
		for _, dc := range mc.Deployments {
			var p provider.Provider
			if providers != nil {
				if p, ok = providers[dc.Provider]; !ok {
					return nil, fmt.Errorf("model %s: deployment %s: unknown provider %q", mc.Name, dc.Name, dc.Provider)
				}
			}
			pc := findProvider(c, dc.Provider)
			d := &Deployment{
				Name: dc.Name, Model: mc.Name, Native: dc.Model, Provider: p, ProviderName: dc.Provider, Region: dc.Region,
				Price: dc.PriceSchedule(), Quota: dc.Quota, Priority: dc.Priority, Weight: max(dc.Weight, 1),
				MaxConcurrent: dc.MaxConcurrent, Timeouts: pc.Timeouts, set: &t.set, model: m,
				deploymentState: t.state.deployment(dc.Name),
			}
			if dc.Commitment != "" {
				if d.Contract = contracts[dc.Commitment]; d.Contract == nil {
					return nil, fmt.Errorf("model %s: deployment %s: unknown commitment %q", mc.Name, dc.Name, dc.Commitment)
				}
			}
			m.Deployments = append(m.Deployments, d)
			t.deployments = append(t.deployments, d)
		}
		slices.SortStableFunc(m.Deployments, func(a, b *Deployment) int { return a.Priority - b.Priority })
		t.models[m.Name] = m
		t.list = append(t.list, m)
	}
	for _, mc := range c.Models {
		m := t.models[mc.Name]
		for _, f := range mc.Fallbacks {
			fm, ok := t.models[f]
			if !ok {
				return nil, fmt.Errorf("model %s: unknown fallback model %q", mc.Name, f)
			}
			m.Fallbacks = append(m.Fallbacks, fm)
		}
	}
	for _, m := range t.list {
		m.Chain = chain(m)
	}
	return t, nil
}

// chain lists m's fallbacks depth first, each model once, m excluded: a
// cycle (which Validate rejects) cannot loop.
func chain(m *Model) []*Model {
	var out []*Model
	seen := map[*Model]bool{m: true}
	var walk func(*Model)
	walk = func(x *Model) {
		for _, f := range x.Fallbacks {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
				walk(f)
			}
		}
	}
	walk(m)
	return out
}

func findProvider(c *config.Config, name string) config.Provider {
	for _, p := range c.Providers {
		if p.Name == name {
			return p
		}
	}
	return config.Provider{}
}

// Model returns the named model, or nil.
func (t *Table) Model(name string) *Model { return t.models[name] }

// Models returns every model in config order.
func (t *Table) Models() []*Model { return t.list }

// Deployments returns every deployment in config order.
func (t *Table) Deployments() []*Deployment { return t.deployments }

// Contracts returns every commitment in config order.
func (t *Table) Contracts() []*Contract { return t.contracts }

// Policy returns the named policy of the table (with its configured
// penalties), as x-switchyard-route names it.
func (t *Table) Policy(name string) (Policy, bool) {
	p, ok := t.policies[name]
	return p, ok
}

// PolicyNames lists the policies a request may name.
func PolicyNames() []string { return slices.Clone(policyNames) }
