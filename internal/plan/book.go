package plan

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// Assignment puts a tenant on a plan from From until To, or, without To,
// until the tenant's next assignment starts. A tenant in a pricing
// experiment names it and its arm: the books report arms side by side.
type Assignment struct {
	Tenant     string    // tenant id
	Plan       string    // plan name
	From       time.Time // zero: since ever
	To         time.Time // zero: until the next assignment; else exclusive end
	Experiment string
	Arm        string
}

// end is when a is no longer in force given the start of the tenant's next
// assignment (zero: none).
func (a *Assignment) end(next time.Time) time.Time {
	if !a.To.IsZero() && (next.IsZero() || a.To.Before(next)) {
		return a.To
	}
	return next
}

// Charge is what one client request is charged, and under what.
type Charge struct {
	Revenue     money.Nanos
	PlanID      string // the plan's name; "" when PassThrough
	PlanVersion string // "plv_…"; "" when PassThrough
	Experiment  string
	Arm         string
	// PassThrough: the tenant was on no plan, and was charged what the
	// request cost, so budgets set before plans existed keep their meaning.
	PassThrough bool
}

// Errors of NewBook.
var (
	ErrUnknownPlan = errors.New("plan: unknown plan")
	ErrOverlap     = errors.New("plan: overlapping assignments")
	ErrNoVersion   = errors.New("plan: no version in force")
	ErrBadPlan     = errors.New("plan: invalid plan")
)

// Book is the plans and the assignments in force. It is immutable once
// built and read without locks; a reload or an admin write builds a new one
// (see Live).
type Book struct {
	plans    map[string]*Plan
	versions map[string]*Version     // by id
	tenants  map[string][]Assignment // by tenant id, by From
}

// NewBook checks plans and assignments and indexes them. It refuses a plan
// without versions or whose versions are out of order, an assignment naming
// an unknown plan or starting before the plan's first version, and two
// assignments of one tenant that overlap.
func NewBook(plans []Plan, assignments []Assignment) (*Book, error) {
	b := &Book{plans: make(map[string]*Plan, len(plans)), versions: map[string]*Version{}, tenants: map[string][]Assignment{}}
	for i := range plans {
		p := plans[i]
		if p.Name == "" {
			return nil, fmt.Errorf("%w: a plan has no name", ErrBadPlan)
		}
		if _, dup := b.plans[p.Name]; dup {
			return nil, fmt.Errorf("%w: plan %q given twice", ErrBadPlan, p.Name)
		}
		if len(p.Versions) == 0 {
			return nil, fmt.Errorf("%w: plan %q has no version", ErrBadPlan, p.Name)
		}
		p.Versions = slices.Clone(p.Versions)
		for j := range p.Versions {
			v := &p.Versions[j]
			if v.exact == nil {
				*v = NewVersion(p.Name, v.From, v.Terms)
			}
			if j > 0 && !v.From.After(p.Versions[j-1].From) {
				return nil, fmt.Errorf("%w: plan %q: version %d does not start after the one before", ErrBadPlan, p.Name, j+1)
			}
		}
		b.plans[p.Name] = &p
		for j := range p.Versions {
			b.versions[p.Versions[j].ID] = &p.Versions[j]
		}
	}
	for _, a := range assignments {
		p, ok := b.plans[a.Plan]
		if !ok {
			return nil, fmt.Errorf("%w %q (assigned to tenant %s)", ErrUnknownPlan, a.Plan, a.Tenant)
		}
		if _, ok := p.At(a.From); !ok {
			return nil, fmt.Errorf("%w: plan %q at %s, when tenant %s's assignment starts", ErrNoVersion, a.Plan, fmtTime(a.From), a.Tenant)
		}
		if !a.To.IsZero() && !a.To.After(a.From) {
			return nil, fmt.Errorf("%w: tenant %s's assignment to %q ends before it starts", ErrOverlap, a.Tenant, a.Plan)
		}
		b.tenants[a.Tenant] = append(b.tenants[a.Tenant], a)
	}
	for t, as := range b.tenants {
		slices.SortStableFunc(as, func(x, y Assignment) int { return x.From.Compare(y.From) })
		for i := 1; i < len(as); i++ {
			prev := &as[i-1]
			if !as[i].From.After(prev.From) || !prev.To.IsZero() && prev.To.After(as[i].From) {
				return nil, fmt.Errorf("%w: tenant %s is on %q from %s and on %q from %s", ErrOverlap, t,
					prev.Plan, fmtTime(prev.From), as[i].Plan, fmtTime(as[i].From))
			}
		}
	}
	return b, nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "the start"
	}
	return t.UTC().Format(time.RFC3339)
}

// Plan returns the plan named name.
func (b *Book) Plan(name string) (*Plan, bool) {
	if b == nil {
		return nil, false
	}
	p, ok := b.plans[name]
	return p, ok
}

// Plans returns every plan, by name.
func (b *Book) Plans() []*Plan {
	if b == nil {
		return nil
	}
	out := slices.Collect(maps.Values(b.plans))
	slices.SortFunc(out, func(x, y *Plan) int { return cmp.Compare(x.Name, y.Name) })
	return out
}

// Version returns the plan version with id: what a charge pinned, so that
// a request can be re-rated under exactly the terms it was charged with.
func (b *Book) Version(id string) (*Version, bool) {
	if b == nil {
		return nil, false
	}
	v, ok := b.versions[id]
	return v, ok
}

// Assignments returns every assignment, by tenant and start.
func (b *Book) Assignments() []Assignment {
	if b == nil {
		return nil
	}
	var out []Assignment
	for _, t := range slices.Sorted(maps.Keys(b.tenants)) {
		out = append(out, b.tenants[t]...)
	}
	return out
}

// Assignment returns the assignment of tenantID in force at t.
func (b *Book) Assignment(tenantID string, t time.Time) (*Assignment, bool) {
	if b == nil {
		return nil, false
	}
	as := b.tenants[tenantID]
	for i := len(as) - 1; i >= 0; i-- {
		a := &as[i]
		if a.From.After(t) {
			continue
		}
		var next time.Time
		if i+1 < len(as) {
			next = as[i+1].From
		}
		if end := a.end(next); !end.IsZero() && !t.Before(end) {
			return nil, false
		}
		return a, true
	}
	return nil, false
}

// Rate charges one client request of tenantID made at at. Rate is per
// request, not per attempt: u and cost are the usage and cost of the
// attempt that answered the client (the caller picks it, and charges a
// request once whatever its retries); model is the public model name that
// attempt served. A tenant on no plan at at is charged cost (pass-through).
// A nil Book charges everyone pass-through. Rate does not allocate.
func (b *Book) Rate(tenantID string, at time.Time, model string, u wire.Usage, cost money.Nanos) Charge {
	a, ok := b.Assignment(tenantID, at)
	if !ok {
		return Charge{Revenue: cost, PassThrough: true}
	}
	v, ok := b.version(a, at)
	if !ok {
		return Charge{Revenue: cost, PassThrough: true}
	}
	return Charge{Revenue: v.Revenue(model, u, cost), PlanID: a.Plan, PlanVersion: v.ID, Experiment: a.Experiment, Arm: a.Arm}
}

func (b *Book) version(a *Assignment, at time.Time) (*Version, bool) {
	p, ok := b.plans[a.Plan]
	if !ok {
		return nil, false // NewBook refuses it; kept for a Book built by hand
	}
	return p.At(at)
}

// MonthStart returns the start of t's calendar month in UTC: months are UTC.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// MonthEnd settles tenantID's calendar month (UTC) containing month, under
// the plan version in force at the month's last nanosecond (a tenant on no
// plan then owes nothing more). usageRevenue is the sum of Rate's Revenue
// over the month's requests, per-request fees included: Rate adds the fee to
// each request, so MonthEnd never charges it again, and requests (the number
// of those requests) does not change the result; it is taken so callers
// pass what they summed, and a month with none still owes its minimum (a
// minimum is a subscription, not a usage charge).
//
// The included credit is used first, against usage revenue fees included:
// creditUsed = min(IncludedCredit, usageRevenue). The minimum applies to
// what is left: minimumTopUp = max(0, MonthlyMinimum − (usageRevenue −
// creditUsed)). The month's invoice is therefore
//
//	usageRevenue − creditUsed + minimumTopUp = max(MonthlyMinimum, usageRevenue − IncludedCredit)
//
// for a non-negative usageRevenue. Neither the minimum nor the credit is
// prorated for a plan that started mid-month.
func (b *Book) MonthEnd(tenantID string, month time.Time, usageRevenue money.Nanos, requests int64) (minimumTopUp, creditUsed money.Nanos) {
	last := MonthStart(month).AddDate(0, 1, 0).Add(-time.Nanosecond)
	a, ok := b.Assignment(tenantID, last)
	if !ok {
		return 0, 0
	}
	v, ok := b.version(a, last)
	if !ok {
		return 0, 0
	}
	t := &v.Terms
	creditUsed = min(max(t.IncludedCredit, 0), max(usageRevenue, 0))
	if net := usageRevenue - creditUsed; net < t.MonthlyMinimum {
		minimumTopUp = t.MonthlyMinimum - net
	}
	return minimumTopUp, creditUsed
}
