package ledger_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store/storetest"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestCheck(t *testing.T) {
	p := func(a string, n money.Nanos) ledger.Posting { return ledger.Posting{Account: a, Amount: n} }
	tests := []struct {
		name string
		tx   ledger.Txn
		want error
	}{
		{"balanced", ledger.Txn{ID: "x", Kind: "adjustment", Time: t0, Postings: []ledger.Posting{p("a", 3), p("b", -1), p("c", -2)}}, nil},
		{"unbalanced", ledger.Txn{ID: "x", Kind: "adjustment", Time: t0, Postings: []ledger.Posting{p("a", 3), p("b", -2)}}, ledger.ErrUnbalanced},
		{"one posting", ledger.Txn{ID: "x", Kind: "adjustment", Time: t0, Postings: []ledger.Posting{p("a", 3)}}, ledger.ErrUnbalanced},
		// Sums that wrap around int64 must not pass for zero.
		{"overflow", ledger.Txn{ID: "x", Kind: "adjustment", Time: t0, Postings: []ledger.Posting{
			p("a", math.MaxInt64), p("b", math.MaxInt64), p("c", 2)}}, ledger.ErrUnbalanced},
		{"zero posting", ledger.Txn{ID: "x", Kind: "adjustment", Time: t0, Postings: []ledger.Posting{p("a", 0), p("b", 0)}}, ledger.ErrMalformed},
		{"no account", ledger.Txn{ID: "x", Kind: "adjustment", Time: t0, Postings: []ledger.Posting{p("", 1), p("b", -1)}}, ledger.ErrMalformed},
		{"no id", ledger.Txn{Kind: "adjustment", Time: t0, Postings: []ledger.Posting{p("a", 1), p("b", -1)}}, ledger.ErrMalformed},
		{"no time", ledger.Txn{ID: "x", Kind: "adjustment", Postings: []ledger.Posting{p("a", 1), p("b", -1)}}, ledger.ErrMalformed},
	}
	for _, tc := range tests {
		err := tc.tx.Check()
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: Check() = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestMarginPercent(t *testing.T) {
	tests := []struct {
		margin, revenue money.Nanos
		want            string
	}{
		{0, 0, ""},
		{5, 0, ""},
		{0, 100, "0.00"},
		{25, 100, "25.00"},
		{1, 3, "33.33"},
		{2, 3, "66.67"},
		{-1, 3, "-33.33"},
		{1, 8, "12.50"},
		{1, 16000, "0.01"},   // 0.00625% rounds half away from zero
		{-1, 16000, "-0.01"}, // symmetric
		{1, 800000, "0.00"},
		{-1, 800000, "0.00"}, // no "-0.00"
		{-300, 100, "-300.00"},
		{math.MaxInt64, math.MaxInt64, "100.00"}, // no overflow
		{math.MaxInt64 / 3, math.MaxInt64, "33.33"},
	}
	for _, tc := range tests {
		if got := ledger.MarginPercent(tc.margin, tc.revenue); got != tc.want {
			t.Errorf("MarginPercent(%d, %d) = %q, want %q", tc.margin, tc.revenue, got, tc.want)
		}
	}
}

func TestCharged(t *testing.T) {
	want := map[usage.Outcome]bool{usage.Completed: true, usage.ClientAborted: true,
		usage.Interrupted: false, usage.Failed: false, usage.Rejected: false}
	for o, w := range want {
		if got := ledger.Charged(&usage.Event{Outcome: o}); got != w {
			t.Errorf("Charged(%s) = %v, want %v", o, got, w)
		}
	}
}

// markup charges 150% of cost under a plan, with tenant t1 in an arm.
type markup struct{}

func (markup) Rate(tenant string, _ time.Time, _ string, _ wire.Usage, cost money.Nanos) ledger.Charge {
	c := ledger.Charge{Revenue: cost * 3 / 2, PlanID: "pro", PlanVersion: "pro@1"}
	if tenant == "t1" {
		c.Experiment, c.Arm = "price-test", "b"
	}
	return c
}

// TestDeriveProperties runs random requests (retries, failovers, cut
// streams, client aborts, unpriced deployments) through Derive.
func TestDeriveProperties(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		evs := storetest.Requests(r, 300, t0, 48*time.Hour)
		for _, rater := range []ledger.Rater{nil, markup{}} {
			d := &ledger.Deriver{Rater: rater, Commitments: map[string]ledger.Commitment{
				"azure-east": {Name: "edp", Start: t0, End: t0.Add(24 * time.Hour)}}}
			txns := d.Derive(evs)

			ids := map[string]bool{}
			balances := map[string]money.Nanos{}
			for _, x := range txns {
				if err := x.Check(); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if ids[x.ID] {
					t.Fatalf("seed %d: id %s derived twice", seed, x.ID)
				}
				ids[x.ID] = true
				for _, p := range x.Postings {
					balances[p.Account] += p.Amount
				}
			}
			// Cost per provider is the events' cost; revenue is charged once
			// per request, at the rater's price of the charged attempt.
			costBy := map[string]money.Nanos{}
			var revenue, committed money.Nanos
			charged := map[string]int{}
			for i := range evs {
				e := &evs[i]
				costBy[e.Provider] += e.Cost
				if ledger.Charged(e) {
					charged[e.RequestID]++
					ch := d.Rater
					if ch == nil {
						ch = ledger.PassThrough{}
					}
					revenue += ch.Rate(e.TenantID, e.Time, e.Model, e.Usage, e.Cost).Revenue
				}
				if e.Deployment == "azure-east" && e.Time.Before(t0.Add(24*time.Hour)) {
					committed += e.Cost
				}
			}
			for req, n := range charged {
				if n != 1 {
					t.Fatalf("seed %d: request %s has %d charged attempts", seed, req, n)
				}
			}
			for p, c := range costBy {
				if balances[ledger.Cost(p)] != c {
					t.Fatalf("seed %d: %s = %d, events cost %d", seed, ledger.Cost(p), balances[ledger.Cost(p)], c)
				}
			}
			if balances[ledger.AccountRevenue] != -revenue {
				t.Fatalf("seed %d: revenue %d, want %d", seed, -balances[ledger.AccountRevenue], revenue)
			}
			if balances[ledger.Drawdown("edp")] != -committed {
				t.Fatalf("seed %d: drawdown %d, want %d", seed, -balances[ledger.Drawdown("edp")], committed)
			}

			// Deriving again, or in other batches, gives the same transactions.
			var split []ledger.Txn
			for i := 0; i < len(evs); i += 37 {
				split = append(split, d.Derive(evs[i:min(i+37, len(evs))])...)
			}
			if !reflect.DeepEqual(split, txns) || !reflect.DeepEqual(d.Derive(evs), txns) {
				t.Fatalf("seed %d: derivation is not a function of the events", seed)
			}
		}
	}
}

func TestDeriveOneRequest(t *testing.T) {
	// A failover: attempt 1 billed and failed on openai, attempt 2 completed
	// on azure-east under the commitment.
	evs := []usage.Event{
		{RequestID: "r1", Attempt: 1, Time: t0, TenantID: "t1", KeyID: "k", Model: "gpt-x", Deployment: "openai-main", Provider: "openai",
			Outcome: usage.Failed, Usage: wire.Usage{Prompt: 10}, Source: usage.Estimated, Cost: 100},
		{RequestID: "r1", Attempt: 2, Time: t0.Add(time.Second), TenantID: "t1", KeyID: "k", Model: "gpt-x", Deployment: "azure-east", Provider: "azure",
			Outcome: usage.Completed, Usage: wire.Usage{Prompt: 10, Completion: 5}, Source: usage.Reported, Cost: 400},
	}
	d := &ledger.Deriver{Rater: markup{}, Commitments: map[string]ledger.Commitment{"azure-east": {Name: "edp", Start: t0, End: t0.Add(time.Hour)}}}
	got := d.Derive(evs)
	want := []ledger.Txn{
		{ID: "cost:r1/1", Kind: ledger.KindCost, Time: t0, Source: "r1/1",
			Dims:     ledger.Dims{Tenant: "t1", Key: "k", Model: "gpt-x", Deployment: "openai-main", Provider: "openai", Plan: "pro", PlanVersion: "pro@1", Experiment: "price-test", Arm: "b"},
			Postings: []ledger.Posting{{Account: "cost:openai", Amount: 100}, {Account: "payable:openai", Amount: -100}}},
		{ID: "rev:r1", Kind: ledger.KindRevenue, Time: t0.Add(time.Second), Source: "r1",
			Dims:     ledger.Dims{Tenant: "t1", Key: "k", Model: "gpt-x", Deployment: "azure-east", Provider: "azure", Plan: "pro", PlanVersion: "pro@1", Experiment: "price-test", Arm: "b"},
			Postings: []ledger.Posting{{Account: "receivable:t1", Amount: 600}, {Account: "revenue", Amount: -600}}},
		{ID: "cost:r1/2", Kind: ledger.KindCost, Time: t0.Add(time.Second), Source: "r1/2",
			Dims:     ledger.Dims{Tenant: "t1", Key: "k", Model: "gpt-x", Deployment: "azure-east", Provider: "azure", Plan: "pro", PlanVersion: "pro@1", Experiment: "price-test", Arm: "b", Commitment: "edp"},
			Postings: []ledger.Posting{{Account: "cost:azure", Amount: 400}, {Account: "drawdown:edp", Amount: -400}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Derive =\n%+v\nwant\n%+v", got, want)
	}
	// Outside the commitment's term (End is exclusive) the cloud is owed.
	evs[1].Time = t0.Add(time.Hour)
	if got := d.Derive(evs)[2].Postings[1].Account; got != "payable:azure" {
		t.Fatalf("after the term: credited %s, want payable:azure", got)
	}
}

func TestReversal(t *testing.T) {
	x := ledger.Txn{ID: "rev:r1", Kind: ledger.KindRevenue, Time: t0, Source: "r1", Dims: ledger.Dims{Tenant: "t1"},
		Postings: []ledger.Posting{{Account: "receivable:t1", Amount: 600}, {Account: "revenue", Amount: -600}}}
	r := x.Reversal(2, "wrong plan")
	if r.ID != "rev:r1:reversal:2" || r.Reverses != x.ID || r.Kind != ledger.KindReversal || !r.Time.Equal(x.Time) || r.Dims != x.Dims {
		t.Fatalf("reversal %+v", r)
	}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	e, re := x.Effect(), r.Effect()
	if e.Revenue != 600 || e.Requests != 1 || re.Revenue != -600 || re.Requests != -1 {
		t.Fatalf("effects %+v and %+v", e, re)
	}
}

// TestDerivePartialAnswers: the policy for answers cut short. A stream the
// client abandoned is charged for the tokens billed; one the upstream broke
// off is not (its cost is ours); a failed attempt with a cost is cost only.
func TestDerivePartialAnswers(t *testing.T) {
	tests := []struct {
		outcome usage.Outcome
		revenue bool
	}{
		{usage.Completed, true},
		{usage.ClientAborted, true},
		{usage.Interrupted, false},
		{usage.Failed, false},
		{usage.Rejected, false},
	}
	d := &ledger.Deriver{}
	for _, tc := range tests {
		e := usage.Event{RequestID: "r", Attempt: 1, Time: t0, TenantID: "t1", Provider: "p", Outcome: tc.outcome,
			Usage: wire.Usage{Prompt: 100, Completion: 7}, Source: usage.Estimated, Cost: 1234}
		txns := d.Derive([]usage.Event{e})
		var kinds []string
		for _, x := range txns {
			kinds = append(kinds, x.Kind)
		}
		want := []string{ledger.KindCost}
		if tc.revenue {
			want = []string{ledger.KindRevenue, ledger.KindCost}
		}
		if !reflect.DeepEqual(kinds, want) {
			t.Errorf("%s: derived %v, want %v", tc.outcome, kinds, want)
		}
		if tc.revenue && txns[0].Effect().Revenue != 1234 {
			t.Errorf("%s: charged %d, want the billed cost 1234 (pass-through)", tc.outcome, txns[0].Effect().Revenue)
		}
	}
	// An unpriced attempt posts nothing: there is no money to move.
	if got := d.Derive([]usage.Event{{RequestID: "u", Attempt: 1, Time: t0, Outcome: usage.Completed, Usage: wire.Usage{Prompt: 5}, Unpriced: true}}); len(got) != 0 {
		t.Errorf("unpriced attempt derived %+v", got)
	}
}

// BenchmarkDerive is the ledger's share of the journal writer's work: the
// transactions of a batch of 100 attempts, each charged and billed.
func BenchmarkDerive(b *testing.B) {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	events := make([]usage.Event, 100)
	for i := range events {
		events[i] = usage.Event{RequestID: fmt.Sprintf("req_%016x", i), Attempt: 1, Time: at, TenantID: "acme", KeyID: "k1",
			Model: "m", Deployment: "d", Provider: "p", Outcome: usage.Completed, Cost: 1500}
	}
	d := &ledger.Deriver{}
	b.ReportAllocs()
	for b.Loop() {
		if txns := d.Derive(events); len(txns) != 200 {
			b.Fatalf("%d transactions, want 200", len(txns))
		}
	}
}
