package route

import (
	"sync"
	"sync/atomic"
)

// State is what traffic taught the gateway, kept apart from what the config
// says: each deployment's health, ejection, cooldown, quota windows,
// latency and counters; each model's retry budget and typical output; each
// commitment's drawdown. It is keyed by name and outlives a Table, so that
// a table rebuilt from a changed config (a reload) starts from the state of
// the deployments, models and commitments it shares by name with the old
// one: a changed price or weight does not readmit an ejected deployment or
// forget a quota minute.
//
// Two tables built on one State share the live state of their common names,
// so requests still running on the old table and new ones on the new table
// count against the same quotas and budgets. State is safe for concurrent
// use.
type State struct {
	mu          sync.Mutex
	deployments map[string]*deploymentState
	models      map[string]*modelState
	contracts   map[string]*contractState
}

// NewState returns an empty State.
func NewState() *State {
	return &State{
		deployments: map[string]*deploymentState{},
		models:      map[string]*modelState{},
		contracts:   map[string]*contractState{},
	}
}

// deploymentState is a deployment's live state.
type deploymentState struct {
	// coolUntil is when a 429's Retry-After ends, in Unix nanoseconds; 0 when
	// not cooling. Written by any request, read by every request: an atomic
	// rather than a lock keeps ranking lock-free.
	coolUntil atomic.Int64

	health   health
	rpm, tpm slidingMinute
	inflight atomic.Int64
	lat      latency
	count    counters
}

// modelState is a model's live state.
type modelState struct {
	budget retryBudget
	output ewma // typical output tokens of a successful answer
}

// contractState is a commitment's drawdown. terms are the terms it was
// anchored with: a reload that changes them re-anchors the pace on what
// was drawn so far.
type contractState struct {
	terms contractTerms

	// Spend: spent is the cost of every finished attempt since the anchor,
	// at the covered deployments' prices; pending the estimated cost of the
	// attempts in flight. The pace runs from anchorAt, when left was still
	// to spend, to the end of the term.
	spent    atomic.Int64
	pending  atomic.Int64
	anchorMu sync.Mutex
	anchorAt atomic.Int64
	left     atomic.Int64

	// Capacity: tokens of the current minute, and totals for reports.
	minute     fixedMinute
	usedTokens atomic.Int64 // capacity tokens drawn within capacity, whole term
	spilled    atomic.Int64 // attempts sent while the minute was full
}

type contractTerms struct {
	amount, start, end int64
}

func (s *State) deployment(name string) *deploymentState {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployments[name]
	if d == nil {
		d = new(deploymentState)
		s.deployments[name] = d
	}
	return d
}

func (s *State) model(name string) *modelState {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.models[name]
	if m == nil {
		m = new(modelState)
		s.models[name] = m
	}
	return m
}

// contract returns the drawdown of the named contract, anchored at now for
// terms when it is new or its terms changed. On a change, what the old
// terms had drawn (the spend assumed before the anchor plus the spend
// since) counts against the new amount.
func (s *State) contract(name string, terms contractTerms, now int64) *contractState {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.contracts[name]
	if k == nil {
		k = new(contractState)
		s.contracts[name] = k
		k.anchor(terms, now, -1)
		return k
	}
	if k.terms != terms {
		k.anchorMu.Lock()
		drawn := k.terms.amount - k.left.Load() + k.spent.Load()
		k.anchorMu.Unlock()
		k.anchor(terms, now, drawn)
	}
	return k
}

// anchor starts the pace at now under terms. drawn is what the term had
// spent before now; with no figure (-1, a fresh contract) the term so far
// is taken to have been on pace.
func (k *contractState) anchor(t contractTerms, now, drawn int64) {
	k.anchorMu.Lock()
	defer k.anchorMu.Unlock()
	k.terms = t
	at := min(max(now, t.start), t.end)
	if drawn < 0 {
		drawn = prorate(t.amount, at-t.start, t.end-t.start)
	}
	k.anchorAt.Store(at)
	k.left.Store(t.amount - drawn)
	k.spent.Store(0)
}

// Prune forgets the state of every deployment, model and commitment that t
// does not have. Call it once t has replaced the previous table; a table
// still serving requests keeps the state it holds.
func (s *State) Prune(t *Table) {
	keepD := make(map[string]bool, len(t.deployments))
	for _, d := range t.deployments {
		keepD[d.Name] = true
	}
	keepK := make(map[string]bool, len(t.contracts))
	for _, k := range t.contracts {
		keepK[k.Name] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.deployments {
		if !keepD[name] {
			delete(s.deployments, name)
		}
	}
	for name := range s.models {
		if t.models[name] == nil {
			delete(s.models, name)
		}
	}
	for name := range s.contracts {
		if !keepK[name] {
			delete(s.contracts, name)
		}
	}
}

// State returns the live state the table was built on.
func (t *Table) State() *State { return t.state }
