package demo

import (
	"fmt"
	"sort"
	"time"

	"github.com/switchyard/switchyard/internal/forecast"
	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/plan"
	"github.com/switchyard/switchyard/internal/route/sim"
	"github.com/switchyard/switchyard/internal/settle"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// The year's shape, beside the business's own growth and weekly cycle: a
// ten-day slump at a third of normal demand from day 160 (a June), and
// the largest tenant, globex, leaving on day 250. The opening tenants are
// yearScale times their size in the demo's month, and every tenant sends
// yearUnitsPerDay per unit of size: the year's traffic is about 400,000
// requests, simulated one by one in a few seconds.
const (
	yearDays        = 365
	slumpFrom       = 160
	slumpDays       = 10
	slumpFactor     = 0.35
	globexLeaves    = 250
	yearScale       = 10
	yearUnitsPerDay = 4
)

// YearStart is the first day of SyntheticYear's default year.
var YearStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// YearStats is what the synthetic year's simulation did.
type YearStats struct {
	Requests, Attempts int64
	Tenants            int
	Revenue, Cost      money.Nanos
	Elapsed            time.Duration
}

// SyntheticYear is the demo's business over a year from start, for
// forecast backtests: the tenants signing up through the year, growth,
// weekly and daily cycles, a slump and a large tenant leaving. Every
// request is routed by the simulator over the demo's clouds and settled
// at the price book, and its tenant is charged at its plan by the
// ledger's own derivation; the result is the revenue of each day, in
// nano-dollars, as the ledger would book it. The same seed gives the same
// year.
func SyntheticYear(start time.Time, seed uint64) ([]forecast.Point, YearStats, error) {
	began := time.Now()
	biz := yearBusiness(start, seed)
	cfg, err := parseConfig("synthetic-year.yaml", configText(clouds(), "127.0.0.1:0", "sk-sy-synthetic-year-key",
		"sk-sy-synthetic-year-admin", "synthetic-year-data", biz))
	if err != nil {
		return nil, YearStats{}, err
	}
	book, err := plan.NewBook(cfg.PlanTerms(nil))
	if err != nil {
		return nil, YearStats{}, fmt.Errorf("demo: synthetic year: %w", err)
	}
	rev := &revenueByDay{d: &ledger.Deriver{Rater: bookRater{book}}, days: map[time.Time]money.Nanos{}}
	// Tenants go by name (no store gives them ids): the plan book's
	// assignments name them.
	run, err := synthesise(cfg, biz, nil, settle.New(cfg.PriceBook(), nil, nil, rev), biz.start.AddDate(0, 0, biz.days), "year_")
	if err != nil {
		return nil, YearStats{}, err
	}
	ps := make([]forecast.Point, 0, len(rev.days))
	st := YearStats{Requests: run.Requests, Attempts: run.Attempts, Tenants: len(biz.customers), Cost: rev.cost}
	for d, v := range rev.days {
		ps = append(ps, forecast.Point{Day: d, Value: int64(v)})
		st.Revenue += v
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Day.Before(ps[j].Day) })
	st.Elapsed = time.Since(began)
	return ps, st, nil
}

// yearBusiness is the demo's business stretched to a year, with its
// shocks.
func yearBusiness(start time.Time, seed uint64) business {
	biz := newBusiness(start, yearDays, seed)
	biz.unitsPerDay = yearUnitsPerDay
	for i := range demoTenants {
		c := &biz.customers[i]
		c.size *= yearScale
		if c.name == "globex" {
			c.until = globexLeaves * 24 * time.Hour
		}
	}
	day := 24 * time.Hour
	biz.shocks = []sim.Shock{{From: slumpFrom * day, To: (slumpFrom + slumpDays) * day, Factor: slumpFactor}}
	return biz
}

// revenueByDay is a settlement hook that books each settled event as the
// gateway's ledger does (ledger.Deriver, charging the tenant's plan) and
// keeps the revenue of each day.
type revenueByDay struct {
	d    *ledger.Deriver
	days map[time.Time]money.Nanos
	cost money.Nanos
}

func (r *revenueByDay) Settle(e *usage.Event) {
	for _, t := range r.d.Derive([]usage.Event{*e}) {
		eff := t.Effect()
		r.days[dayOf(t.Time)] += eff.Revenue
		r.cost += eff.Cost
	}
}

// bookRater charges tenants by a plan book: the ledger's Rater, as the
// gateway's (which also finds a tenant's name from its id).
type bookRater struct{ b *plan.Book }

func (r bookRater) Rate(tenant string, at time.Time, model string, u wire.Usage, cost money.Nanos) ledger.Charge {
	ch := r.b.Rate(tenant, at, model, u, cost)
	return ledger.Charge{Revenue: ch.Revenue, PlanID: ch.PlanID, PlanVersion: ch.PlanVersion,
		Experiment: ch.Experiment, Arm: ch.Arm, PassThrough: ch.PassThrough}
}
