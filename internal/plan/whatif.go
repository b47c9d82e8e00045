package plan

import (
	"cmp"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
)

// WhatIf re-rates past usage under two books, the plans in force (Before)
// and a candidate (After), without touching the books. Feed it a period's
// raw events in time order with Add, then read Result.
//
// Each client request is charged once, at the usage of the attempt that
// answered the client (its last attempt that completed, was interrupted or
// was cut by the client), at that attempt's time; a request no attempt
// answered is charged nothing. Cost is every attempt's, failed ones
// included, since clouds bill what they served. Months that lie wholly in
// the period are also settled (MonthEnd): minimum top-ups are added to
// revenue and included credit taken off it.
type WhatIf struct {
	Before, After *Book
	// Keep selects the tenants to re-rate; nil keeps all.
	Keep func(tenantID string) bool

	from, to time.Time
	pending  map[string]*request
	last     time.Time // time of the newest event added
	added    int
	tenants  map[string]*tenantSums
	arms     map[[2]string]*Totals
}

type request struct {
	tenant   string
	latest   time.Time // the newest attempt's time
	answer   usage.Event
	answered bool
	cost     money.Nanos
}

type tenantSums struct {
	Totals
	months map[time.Time]*[3]int64 // before revenue, after revenue, requests
}

// Totals are revenue and cost before and after.
type Totals struct {
	Requests      int64       `json:"requests"`
	Cost          money.Nanos `json:"cost"`
	RevenueBefore money.Nanos `json:"revenue_before"`
	RevenueAfter  money.Nanos `json:"revenue_after"`
}

// MarginBefore and MarginAfter are revenue less cost.
func (t *Totals) MarginBefore() money.Nanos { return t.RevenueBefore - t.Cost }

// MarginAfter is the candidate's revenue less cost.
func (t *Totals) MarginAfter() money.Nanos { return t.RevenueAfter - t.Cost }

// TenantChange is one tenant's revenue before and after.
type TenantChange struct {
	Tenant     string `json:"tenant"`
	PlanBefore string `json:"plan_before"` // at the period's end; "" pass-through
	PlanAfter  string `json:"plan_after"`
	Totals
}

// Delta is the change in revenue.
func (c *TenantChange) Delta() money.Nanos { return c.RevenueAfter - c.RevenueBefore }

// ArmTotals are the candidate's totals of one experiment arm.
type ArmTotals struct {
	Experiment string `json:"experiment"`
	Arm        string `json:"arm"`
	Tenants    int    `json:"tenants"`
	Totals
}

// Result is what WhatIf found.
type Result struct {
	From, To time.Time
	Totals
	// Tenants is every tenant re-rated, most affected (largest change in
	// revenue either way) first.
	Tenants []TenantChange
	// Arms are the candidate's experiment arms side by side.
	Arms []ArmTotals
	// Months lists the months settled with MonthEnd (their first day).
	Months []time.Time
}

// NewWhatIf starts a re-rating of the events of [from, to).
func NewWhatIf(before, after *Book, from, to time.Time, keep func(string) bool) *WhatIf {
	return &WhatIf{Before: before, After: after, Keep: keep, from: from, to: to,
		pending: map[string]*request{}, tenants: map[string]*tenantSums{}, arms: map[[2]string]*Totals{}}
}

// straggle is how long after a request's newest attempt a later attempt
// may still start: longer than any request's retries take.
const straggle = time.Hour

// Add adds one event; events come in time order (store.ScanEvents).
func (w *WhatIf) Add(e usage.Event) {
	if w.Keep != nil && !w.Keep(e.TenantID) {
		return
	}
	r := w.pending[e.RequestID]
	if r == nil {
		r = &request{tenant: e.TenantID}
		w.pending[e.RequestID] = r
	}
	r.latest = e.Time
	r.cost += e.Cost
	switch e.Outcome {
	case usage.Completed, usage.Interrupted, usage.ClientAborted:
		if !r.answered || e.Attempt > r.answer.Attempt {
			r.answer, r.answered = e, true
		}
	}
	if e.Time.After(w.last) {
		w.last = e.Time
	}
	if w.added++; w.added%4096 == 0 {
		w.flush(w.last.Add(-straggle))
	}
}

// flush settles the pending requests whose newest attempt is before cut.
func (w *WhatIf) flush(cut time.Time) {
	for id, r := range w.pending {
		if cut.IsZero() || r.latest.Before(cut) {
			w.settle(r)
			delete(w.pending, id)
		}
	}
}

func (w *WhatIf) tenant(id string) *tenantSums {
	t := w.tenants[id]
	if t == nil {
		t = &tenantSums{months: map[time.Time]*[3]int64{}}
		w.tenants[id] = t
	}
	return t
}

func (w *WhatIf) settle(r *request) {
	t := w.tenant(r.tenant)
	t.Cost += r.cost
	// The request's arm under the candidate, answered or not: an arm's
	// cost is all its requests'.
	var at *Totals
	if a, ok := w.After.Assignment(r.tenant, r.latest); ok && a.Arm != "" {
		k := [2]string{a.Experiment, a.Arm}
		if at = w.arms[k]; at == nil {
			at = &Totals{}
			w.arms[k] = at
		}
		at.Cost += r.cost
	}
	if !r.answered {
		return
	}
	e := &r.answer
	b := w.Before.Rate(e.TenantID, e.Time, e.Model, e.Usage, e.Cost)
	a := w.After.Rate(e.TenantID, e.Time, e.Model, e.Usage, e.Cost)
	t.Requests++
	t.RevenueBefore += b.Revenue
	t.RevenueAfter += a.Revenue
	m := t.months[MonthStart(e.Time)]
	if m == nil {
		m = new([3]int64)
		t.months[MonthStart(e.Time)] = m
	}
	m[0] += int64(b.Revenue)
	m[1] += int64(a.Revenue)
	m[2]++
	if at != nil {
		at.Requests++
		at.RevenueBefore += b.Revenue
		at.RevenueAfter += a.Revenue
	}
}

// Result settles what is pending and the whole months, and totals.
func (w *WhatIf) Result() Result {
	w.flush(time.Time{})
	res := Result{From: w.from, To: w.to}
	// Tenants on a plan in either book owe its minimum even without usage.
	for _, b := range []*Book{w.Before, w.After} {
		for _, a := range b.Assignments() {
			if w.Keep == nil || w.Keep(a.Tenant) {
				w.tenant(a.Tenant)
			}
		}
	}
	for m := MonthStart(w.from); !w.from.IsZero() && !m.AddDate(0, 1, 0).After(w.to); m = m.AddDate(0, 1, 0) {
		if m.Before(w.from) {
			continue
		}
		res.Months = append(res.Months, m)
	}
	armTenants := map[[2]string]int{}
	for id, t := range w.tenants {
		for _, m := range res.Months {
			s := t.months[m]
			if s == nil {
				s = new([3]int64)
			}
			top, used := w.Before.MonthEnd(id, m, money.Nanos(s[0]), s[2])
			t.RevenueBefore += top - used
			top, used = w.After.MonthEnd(id, m, money.Nanos(s[1]), s[2])
			t.RevenueAfter += top - used
		}
		c := TenantChange{Tenant: id, Totals: t.Totals}
		end := w.to.Add(-time.Nanosecond)
		if a, ok := w.Before.Assignment(id, end); ok {
			c.PlanBefore = a.Plan
		}
		if a, ok := w.After.Assignment(id, end); ok {
			c.PlanAfter = a.Plan
			if a.Arm != "" {
				armTenants[[2]string{a.Experiment, a.Arm}]++
			}
		}
		res.Tenants = append(res.Tenants, c)
		res.Requests += t.Requests
		res.Cost += t.Cost
		res.RevenueBefore += t.RevenueBefore
		res.RevenueAfter += t.RevenueAfter
	}
	slices.SortFunc(res.Tenants, func(x, y TenantChange) int {
		return cmp.Or(cmp.Compare(abs(y.Delta()), abs(x.Delta())), cmp.Compare(x.Tenant, y.Tenant))
	})
	for k, t := range w.arms {
		res.Arms = append(res.Arms, ArmTotals{Experiment: k[0], Arm: k[1], Tenants: armTenants[k], Totals: *t})
	}
	slices.SortFunc(res.Arms, func(x, y ArmTotals) int {
		return cmp.Or(cmp.Compare(x.Experiment, y.Experiment), cmp.Compare(x.Arm, y.Arm))
	})
	return res
}

func abs(n money.Nanos) money.Nanos {
	if n < 0 {
		return -n
	}
	return n
}
