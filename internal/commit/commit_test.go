package commit

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const usd = money.PerDollar

func spendTerms(amount money.Nanos, days int) Terms {
	t := Terms{Name: "macc", Provider: "azure", Kind: Spend, Deployments: []string{"az/gpt"},
		Amount: amount, Start: t0, End: t0.AddDate(0, 0, days)}
	t.Version = t.version()
	return t
}

func capTerms(perMinute int64, price money.Nanos, hours int) Terms {
	t := Terms{Name: "ptu", Provider: "aws", Kind: Capacity, Deployments: []string{"aws/pt"},
		PerMinute: perMinute, Weights: [4]int64{1000, 100, 4000, 4000}, PricePerHour: price,
		Start: t0, End: t0.Add(time.Duration(hours) * time.Hour)}
	t.Version = t.version()
	return t
}

// daily puts cost a day at noon on the spend deployment for days [from, to).
func daily(cost money.Nanos, from, to int) []Usage {
	var rows []Usage
	for d := from; d < to; d++ {
		rows = append(rows, Usage{Hour: t0.AddDate(0, 0, d).Add(12 * time.Hour), Deployment: "az/gpt", Model: "gpt",
			Tenant: "acme", Provider: "azure", Tokens: Tokens{Prompt: 1000, Completion: 100}, Cost: cost})
	}
	return rows
}

func TestSpendReport(t *testing.T) {
	terms := spendTerms(1000*usd, 10)
	tests := []struct {
		name                   string
		rows                   []Usage
		now                    time.Time
		drawn, expected, ahead money.Nanos
		pace, util             float64
		ttdUse, ttdShort       money.Nanos
		purchased, unused      money.Nanos
		billed, onDemand       money.Nanos
	}{
		{name: "term start", now: t0, ttdShort: 1000 * usd, purchased: 1000 * usd, billed: 1000 * usd},
		{name: "middle, behind", rows: daily(50*usd, 0, 5), now: t0.AddDate(0, 0, 5),
			drawn: 250 * usd, expected: 500 * usd, ahead: -250 * usd, pace: 0.5, util: 0.25,
			ttdUse: 500 * usd, ttdShort: 500 * usd, purchased: 1000 * usd, billed: 1000 * usd},
		{name: "end, short", rows: daily(50*usd, 0, 10), now: t0.AddDate(0, 0, 11),
			drawn: 500 * usd, expected: 1000 * usd, ahead: -500 * usd, pace: 0.5, util: 0.5,
			ttdUse: 500 * usd, ttdShort: 500 * usd, purchased: 1000 * usd, unused: 500 * usd, billed: 1000 * usd},
		{name: "end, overage on demand", rows: daily(150*usd, 0, 10), now: t0.AddDate(0, 0, 10),
			drawn: 1000 * usd, expected: 1000 * usd, pace: 1, util: 1,
			ttdUse: 1500 * usd, purchased: 1000 * usd, billed: 1500 * usd, onDemand: 500 * usd},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Report(terms, tc.rows, tc.now, t0, t0)
			if s.Drawn != tc.drawn || s.Expected != tc.expected || s.Ahead != tc.ahead {
				t.Errorf("drawn %v expected %v ahead %v, want %v %v %v", s.Drawn, s.Expected, s.Ahead, tc.drawn, tc.expected, tc.ahead)
			}
			if s.Pace != tc.pace || s.Utilisation != tc.util {
				t.Errorf("pace %v util %v, want %v %v", s.Pace, s.Utilisation, tc.pace, tc.util)
			}
			p := s.Projections[0]
			if p.Basis != "term_to_date" || p.Use != tc.ttdUse || p.Shortfall != tc.ttdShort {
				t.Errorf("term-to-date projection %+v, want use %v shortfall %v", p, tc.ttdUse, tc.ttdShort)
			}
			c := s.Costs
			if c.Purchased != tc.purchased || c.Unused != tc.unused || c.Billed != tc.billed || c.OnDemand != tc.onDemand {
				t.Errorf("costs %+v, want purchased %v unused %v billed %v on demand %v", c, tc.purchased, tc.unused, tc.billed, tc.onDemand)
			}
			if c.List != c.Committed+c.OnDemand || c.Contracted != c.List {
				t.Errorf("list %v != committed %v + on demand %v, or contracted %v", c.List, c.Committed, c.OnDemand, c.Contracted)
			}
			if s.Version == "" || s.Version != terms.Version {
				t.Errorf("version %q", s.Version)
			}
		})
	}
}

func TestSpendRecentPace(t *testing.T) {
	// Quiet for two weeks, then $10 an hour for the last week: the recent
	// pace sees the commitment used up, the term's pace a shortfall.
	terms := spendTerms(2800*usd, 28)
	var rows []Usage
	for h := 14 * 24; h < 21*24; h++ {
		rows = append(rows, Usage{Hour: t0.Add(time.Duration(h) * time.Hour), Deployment: "az/gpt", Cost: 10 * usd})
	}
	s := Report(terms, rows, t0.AddDate(0, 0, 21), t0, t0)
	ttd, recent := s.Projections[0], s.Projections[1]
	if ttd.Use != 2240*usd || ttd.Shortfall != 560*usd {
		t.Errorf("term to date %+v, want use 2240 shortfall 560", ttd)
	}
	if recent.Basis != "last_7_days" || recent.Use != 3360*usd || recent.Shortfall != 0 {
		t.Errorf("recent %+v, want use 3360 shortfall 0", recent)
	}
}

func TestCapacityHourly(t *testing.T) {
	terms := capTerms(1000, 60*usd, 3) // 60,000 capacity tokens an hour at $60
	rows := []Usage{
		{Hour: t0, Deployment: "aws/pt", Tenant: "a", Tokens: Tokens{Prompt: 30000}, Cost: 3 * usd},
		{Hour: t0.Add(time.Hour), Deployment: "aws/pt", Tenant: "a", Tokens: Tokens{Prompt: 45000}, Cost: 45 * usd / 10},
		{Hour: t0.Add(time.Hour), Deployment: "aws/pt", Tenant: "b", Tokens: Tokens{Prompt: 45000}, Cost: 45 * usd / 10},
		{Hour: t0.Add(time.Hour), Deployment: "other", Tenant: "b", Tokens: Tokens{Prompt: 10}, Cost: 1},
	}
	s := Report(terms, rows, t0.Add(5*time.Hour), t0, t0.Add(3*time.Hour))
	want := []struct {
		avail, used, overflow int64
		unused                money.Nanos
	}{{60000, 30000, 0, 30 * usd}, {60000, 60000, 30000, 0}, {60000, 0, 0, 60 * usd}}
	if len(s.Hours) != len(want) {
		t.Fatalf("%d hours, want %d", len(s.Hours), len(want))
	}
	for i, w := range want {
		h := s.Hours[i]
		if h.Available != w.avail || h.Used != w.used || h.Overflow() != w.overflow || h.UnusedCost != w.unused || h.Cost != 60*usd {
			t.Errorf("hour %d: %+v, want %+v", i, h, w)
		}
	}
	if s.Utilisation != 0.5 || s.Drawn != 90*usd || s.Costs.Unused != 90*usd || s.Committed != 180*usd {
		t.Errorf("util %v drawn %v unused %v committed %v", s.Utilisation, s.Drawn, s.Costs.Unused, s.Committed)
	}
	// Hour 1 is over capacity: a third of its list cost is on demand.
	if s.Costs.OnDemand != 3*usd || s.Costs.Committed != 9*usd || s.Costs.Billed != 183*usd {
		t.Errorf("costs %+v", s.Costs)
	}
	if s.Ahead != -90*usd || s.Pace != 0.5 {
		t.Errorf("ahead %v pace %v", s.Ahead, s.Pace)
	}
}

func TestCapacityMiddleProjection(t *testing.T) {
	// Ten hours of a twenty-hour term, each a quarter used: the projected
	// use is a quarter of the term's cost, the rest a shortfall.
	terms := capTerms(100, 4*usd, 20)
	var rows []Usage
	for h := range 10 {
		rows = append(rows, Usage{Hour: t0.Add(time.Duration(h) * time.Hour), Deployment: "aws/pt", Tokens: Tokens{Prompt: 1500}})
	}
	s := Report(terms, rows, t0.Add(10*time.Hour), t0, t0)
	if s.Elapsed != 0.5 || s.Utilisation != 0.25 {
		t.Errorf("elapsed %v util %v", s.Elapsed, s.Utilisation)
	}
	for _, p := range s.Projections {
		if p.Use != 20*usd || p.Shortfall != 60*usd {
			t.Errorf("%s: %+v, want use 20 shortfall 60", p.Basis, p)
		}
	}
}

func TestWeighAndVersion(t *testing.T) {
	c := capTerms(1, 1, 1)
	// 100 uncached input ×1, 50 cached ×0.1, 10 output ×4, 5 reasoning ×4.
	if got := c.Weigh(Tokens{Prompt: 150, Cached: 50, Completion: 15, Reasoning: 5}); got != 100+5+40+20 {
		t.Errorf("weigh = %d", got)
	}
	d := c
	d.PricePerHour++
	if d.version() == c.Version {
		t.Error("a price change kept the version")
	}
}

func TestSplitExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		n := 1 + r.IntN(6)
		w := make([]int64, n)
		for i := range w {
			w[i] = r.Int64N(1000)
		}
		total := r.Int64N(1 << 40)
		var sum int64
		for _, p := range split(total, w) {
			sum += p
		}
		if sum != total {
			t.Fatalf("split(%d, %v) sums to %d", total, w, sum)
		}
	}
}

// TestFOCUSIdentity: for random commitments and usage, exported over random
// consecutive windows, each commitment's effective cost of usage plus its
// unused charges equals its purchases, to the nano-dollar; and every row's
// committed and on-demand parts add back to it.
func TestFOCUSIdentity(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		hours := 2 + r.IntN(60)
		var terms []Terms
		sp := spendTerms(money.Nanos(1+r.Int64N(500))*usd/10, 1)
		sp.End = t0.Add(time.Duration(hours)*time.Hour + time.Duration(r.IntN(3600))*time.Second)
		cp := capTerms(1+r.Int64N(500), money.Nanos(1+r.Int64N(100*int64(usd))), hours)
		cp.Start = t0.Add(time.Duration(r.IntN(3600)) * time.Second) // a partial first hour
		terms = append(terms, sp, cp)
		var rows []Usage
		for range r.IntN(200) {
			dep := []string{"az/gpt", "aws/pt", "other"}[r.IntN(3)]
			rows = append(rows, Usage{Hour: t0.Add(time.Duration(r.IntN(hours+3)-1) * time.Hour), Deployment: dep,
				Tenant: string(rune('a' + r.IntN(3))), Model: "m",
				Tokens: Tokens{Prompt: r.Int64N(100000), Cached: r.Int64N(1000), Completion: r.Int64N(30000), Reasoning: r.Int64N(100)},
				Cost:   money.Nanos(r.Int64N(5 * int64(usd)))})
		}
		now := t0.Add(time.Duration(hours+5) * time.Hour)
		// Consecutive windows covering the term and an hour either side.
		cuts := []time.Time{t0.Add(-time.Hour)}
		for h := 0; h < hours+4; h += 1 + r.IntN(hours) {
			cuts = append(cuts, t0.Add(time.Duration(h)*time.Hour))
		}
		cuts = append(cuts, t0.Add(time.Duration(hours+4)*time.Hour))
		eff, unused, bought := map[string]money.Nanos{}, map[string]money.Nanos{}, map[string]money.Nanos{}
		for i := 1; i < len(cuts); i++ {
			from, to := cuts[i-1], cuts[i]
			before := map[string]money.Nanos{}
			for _, u := range rows {
				if sp.Covers(u.Deployment) && sp.inTerm(u.Hour) && u.Hour.Before(from) {
					before[sp.Name] += u.Cost
				}
			}
			a := Allocate(terms, rows, from, to, now, before)
			for _, p := range a.Parts {
				if p.Committed.Add(p.OnDemand) != p.Tokens || p.CommittedCost+p.OnDemandCost != p.Cost || p.OnDemandCost < 0 {
					t.Fatalf("trial %d: part %+v does not add up", trial, p)
				}
				eff[p.Commitment] += p.Effective
			}
			for _, c := range a.Charges {
				if c.Kind == Purchase {
					bought[c.Commitment] += c.Cost
				} else {
					unused[c.Commitment] += c.Cost
				}
			}
		}
		for _, tm := range terms {
			if eff[tm.Name]+unused[tm.Name] != bought[tm.Name] || bought[tm.Name] == 0 && tm.Kind == Spend {
				t.Fatalf("trial %d: %s effective %v + unused %v != purchased %v", trial, tm.Name, eff[tm.Name], unused[tm.Name], bought[tm.Name])
			}
		}
	}
}

type recorder map[string]string

func (r recorder) RecordCommitmentVersion(_ context.Context, v store.CommitmentVersion) error {
	r[v.ID] = v.Terms
	return nil
}

func TestRecordAndHistory(t *testing.T) {
	a, b := spendTerms(10*usd, 3), spendTerms(20*usd, 3)
	b.Version = b.version()
	rec := recorder{}
	if err := Record(context.Background(), rec, []Terms{a, b}); err != nil {
		t.Fatal(err)
	}
	if len(rec) != 2 || !strings.Contains(rec[b.Version], `"amount_nanos":20000000000`) {
		t.Errorf("recorded %v", rec)
	}
	ss := []Status{{Name: "macc"}, {Name: "other"}}
	AttachHistory(ss, []store.CommitmentVersion{{ID: a.Version, Name: "macc"}, {ID: b.Version, Name: "macc"}})
	if len(ss[0].History) != 2 || ss[0].History[1].Version != b.Version || len(ss[1].History) != 0 {
		t.Errorf("history %+v", ss)
	}
}
