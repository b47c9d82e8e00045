package plan

import (
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

func TestWhatIf(t *testing.T) {
	before := testBook(t) // a on pro: $100 minimum, $20 credit, 1¢ a request
	after, err := NewBook([]Plan{{Name: "flat", Versions: []Version{NewVersion("flat", time.Time{}, Terms{Markup: 5000})}}},
		[]Assignment{{Tenant: "a", Plan: "flat"}, {Tenant: "z", Plan: "flat", Experiment: "x", Arm: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	u := wire.Usage{Prompt: 1_000_000}
	ev := func(req string, attempt int, tenant string, at time.Time, o usage.Outcome, cost money.Nanos) usage.Event {
		return usage.Event{RequestID: req, Attempt: attempt, TenantID: tenant, Time: at, Model: "gemini", Outcome: o, Usage: u, Cost: cost}
	}
	t1 := jan.Add(time.Hour)
	w := NewWhatIf(before, after, jan, feb, nil)
	for _, e := range []usage.Event{
		ev("r1", 1, "a", t1, usage.Failed, usd),                       // billed, not answered
		ev("r1", 2, "a", t1.Add(time.Second), usage.Completed, 2*usd), // the answer
		ev("r2", 1, "nobody", t1.Add(time.Minute), usage.Completed, 3*usd),
		ev("r3", 1, "z", t1.Add(2*time.Minute), usage.Failed, 0), // no answer: no revenue
		// b and c are on plans but made no request: listed, unchanged.
	} {
		w.Add(e)
	}
	res := w.Result()
	// a before: $2 × 1.25 + 1¢ = $2.51 usage, $20 credit covers it, $100 minimum topped up.
	// a after: $2 × 1.5 = $3. nobody: pass-through $3 both. z: nothing.
	wantBefore := 100*usd + 3*usd
	wantAfter := 3*usd + 3*usd
	if res.RevenueBefore != wantBefore || res.RevenueAfter != wantAfter || res.Cost != 6*usd || res.Requests != 2 {
		t.Errorf("totals = %+v; want revenue %s → %s, cost 6, 2 requests", res.Totals, wantBefore, wantAfter)
	}
	if len(res.Tenants) != 5 || res.Tenants[0].Tenant != "a" || res.Tenants[0].Delta() != wantAfter-wantBefore ||
		res.Tenants[0].PlanBefore != "pro" || res.Tenants[0].PlanAfter != "flat" {
		t.Errorf("tenants = %+v", res.Tenants)
	}
	if len(res.Months) != 1 || !res.Months[0].Equal(jan) {
		t.Errorf("months = %v", res.Months)
	}
	if len(res.Arms) != 1 || res.Arms[0].Requests != 0 || res.Arms[0].Tenants != 1 {
		t.Errorf("arms = %+v (z made one request, unanswered)", res.Arms)
	}

	// A partial month is not settled; a tenant filter keeps only its own.
	w = NewWhatIf(before, after, jan.Add(time.Hour), feb, func(id string) bool { return id == "z" })
	w.Add(ev("r4", 1, "z", t1, usage.Completed, usd))
	w.Add(ev("r5", 1, "a", t1, usage.Completed, usd))
	res = w.Result()
	if len(res.Months) != 0 || res.RevenueBefore != usd || res.RevenueAfter != usd*3/2 || len(res.Tenants) != 1 {
		t.Errorf("partial month, one tenant: %+v", res)
	}
	if len(res.Arms) != 1 || res.Arms[0].Arm != "b" || res.Arms[0].Tenants != 1 || res.Arms[0].RevenueAfter != usd*3/2 {
		t.Errorf("arms = %+v", res.Arms)
	}
}
