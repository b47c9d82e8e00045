package admit

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/limit"
	"github.com/switchyard/switchyard/internal/money"
)

func newAdmitter() *Admitter {
	return &Admitter{Limits: limit.NewMemory(limit.Options{}), Budgets: budget.NewMemory(nil)}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	tests := []struct {
		name   string
		who    access.Principal
		ask    Ask
		n      int // admissions before the one checked
		status int
		code   string
	}{
		{name: "key rpm", who: access.Principal{KeyID: "k1", Limits: access.Limits{RPM: 2}}, ask: Ask{Tokens: 10}, n: 2,
			status: http.StatusTooManyRequests, code: "rate_limit_exceeded"},
		{name: "tenant rpm binds a key without limits", who: access.Principal{KeyID: "k2", TenantID: "t2", TenantLimits: access.Limits{RPM: 1}},
			ask: Ask{Tokens: 10}, n: 1, status: http.StatusTooManyRequests, code: "rate_limit_exceeded"},
		{name: "request larger than the tpm", who: access.Principal{KeyID: "k3", Limits: access.Limits{TPM: 100}}, ask: Ask{Tokens: 1000},
			status: http.StatusBadRequest, code: "request_exceeds_limit"},
		{name: "hard budget", who: access.Principal{KeyID: "k4", Budget: access.Budget{USD: money.PerDollar, Period: "month", Hard: true}},
			ask: Ask{WorstCost: money.PerDollar / 2}, n: 2, status: http.StatusPaymentRequired, code: "budget_exceeded"},
		{name: "tenant budget", who: access.Principal{KeyID: "k5", TenantID: "t5", TenantBudget: access.Budget{USD: money.PerDollar, Period: "day", Hard: true}},
			ask: Ask{WorstCost: money.PerDollar}, n: 1, status: http.StatusPaymentRequired, code: "budget_exceeded"},
		{name: "soft budget never refuses", who: access.Principal{KeyID: "k6", Budget: access.Budget{USD: 1, Period: "month"}},
			ask: Ask{WorstCost: money.PerDollar}, n: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdmitter()
			tt.ask.Who, tt.ask.Now = &tt.who, now
			for i := 0; i < tt.n; i++ {
				if _, ref := a.Admit(ctx, &tt.ask); ref != nil {
					t.Fatalf("admission %d refused: %+v", i+1, ref)
				}
			}
			_, ref := a.Admit(ctx, &tt.ask)
			switch {
			case tt.status == 0 && ref != nil:
				t.Fatalf("refused: %+v", ref)
			case tt.status != 0 && (ref == nil || ref.Status != tt.status || ref.Code != tt.code):
				t.Fatalf("got %+v, want %d %s", ref, tt.status, tt.code)
			}
			if ref != nil && ref.Status == http.StatusTooManyRequests && ref.RetryAfter <= 0 {
				t.Errorf("429 without a Retry-After")
			}
			if ref != nil && ref.Status == http.StatusPaymentRequired && (ref.Budget == nil || ref.Budget.Period == "") {
				t.Errorf("budget refusal does not name the budget and period: %+v", ref)
			}
		})
	}
}

// TestBudgetRace: a $1.00 hard budget, 1,000 concurrent requests each held
// at a worst case 5% above their actual $0.01. Spend never passes $1.00, 95
// to 100 get through, and nothing stays held.
func TestBudgetRace(t *testing.T) {
	ctx := context.Background()
	b := budget.NewMemory(nil)
	a := &Admitter{Budgets: b}
	who := &access.Principal{KeyID: "k", TenantID: "t", TenantBudget: access.Budget{USD: money.PerDollar, Period: "month", Hard: true}}
	actual := money.PerDollar / 100
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tk, ref := a.Admit(ctx, &Ask{Who: who, WorstCost: actual + actual/20, Now: time.Now()})
			if ref != nil {
				refused.Add(1)
				return
			}
			ok.Add(1)
			a.Finish(ctx, tk, 0, actual)
		}()
	}
	close(start)
	wg.Wait()
	bud, _ := a.Budget("tenant:t", who.TenantBudget)
	st, err := b.Status(ctx, bud, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Spent > money.PerDollar || st.Spent != money.Nanos(ok.Load())*actual || st.Held != 0 {
		t.Errorf("spent %s held %s after %d admitted: want at most $1.00 and nothing held", st.Spent, st.Held, ok.Load())
	}
	if n := ok.Load(); n < 95 || n > 100 || n+refused.Load() != 1000 {
		t.Errorf("%d admitted, %d refused; want 95..100 admitted", n, refused.Load())
	}
}

// TestBudgetRefusalReleasesRateLimit: a request the budget refuses takes
// neither a concurrency slot nor a request of the RPM.
func TestBudgetRefusalReleasesRateLimit(t *testing.T) {
	ctx := context.Background()
	a := newAdmitter()
	who := &access.Principal{KeyID: "k", Limits: access.Limits{Concurrent: 1, RPM: 1},
		Budget: access.Budget{USD: money.PerDollar, Period: "day", Hard: true}}
	for i := range 3 {
		if _, ref := a.Admit(ctx, &Ask{Who: who, WorstCost: 2 * money.PerDollar, Now: time.Now()}); ref == nil || ref.Status != http.StatusPaymentRequired {
			t.Fatalf("attempt %d: %+v, want 402", i, ref)
		}
	}
	tk, ref := a.Admit(ctx, &Ask{Who: who, WorstCost: money.PerDollar / 10, Now: time.Now()})
	if ref != nil {
		t.Fatalf("the concurrency slot leaked: %+v", ref)
	}
	a.Finish(ctx, tk, 0, 0)
}

// TestRateRefusalReleasesHolds: a request a rate limit refuses holds
// nothing on its budgets, and a refusal by both is the budget's 402.
func TestRateRefusalReleasesHolds(t *testing.T) {
	ctx := context.Background()
	a := newAdmitter()
	who := &access.Principal{KeyID: "k", TenantID: "t", TenantLimits: access.Limits{RPM: 1},
		Budget: access.Budget{USD: money.PerDollar, Period: "day", Hard: true}, TenantBudget: access.Budget{USD: money.PerDollar, Period: "month", Hard: true}}
	ask := func(cost money.Nanos) *Ask { return &Ask{Who: who, WorstCost: cost, Now: time.Now()} }
	if _, ref := a.Admit(ctx, ask(money.PerDollar/10)); ref != nil {
		t.Fatalf("first: %+v", ref)
	}
	for range 3 {
		if _, ref := a.Admit(ctx, ask(money.PerDollar/10)); ref == nil || ref.Status != http.StatusTooManyRequests {
			t.Fatalf("over the tenant's RPM: %+v, want 429", ref)
		}
	}
	for _, scope := range []struct {
		name string
		set  access.Budget
	}{{"key:k", who.Budget}, {"tenant:t", who.TenantBudget}} {
		b, _ := a.Budget(scope.name, scope.set)
		if st, _ := a.Budgets.Status(ctx, b, time.Now()); st.Held != money.PerDollar/10 {
			t.Errorf("%s holds %s after three 429s, want only the admitted $0.10", scope.name, st.Held)
		}
	}
	if _, ref := a.Admit(ctx, ask(money.PerDollar)); ref == nil || ref.Status != http.StatusPaymentRequired {
		t.Fatalf("over both the RPM and a budget: %+v, want the budget's 402", ref)
	}
}

// TestRecycledTicketsStartEmpty: a ticket recycled by Finish carries
// nothing of its last request into the next admission.
func TestRecycledTicketsStartEmpty(t *testing.T) {
	ctx := context.Background()
	a := newAdmitter()
	both := &access.Principal{KeyID: "k1", TenantID: "t1", Limits: access.Limits{RPM: 100, Concurrent: 5},
		TenantBudget: access.Budget{USD: money.PerDollar, Period: "day", Hard: true}}
	limitsOnly := &access.Principal{KeyID: "k2", Limits: access.Limits{TPM: 1000}}
	for range 50 {
		tk, ref := a.Admit(ctx, &Ask{Who: both, Tokens: 10, WorstCost: money.PerDollar / 100, Now: time.Now()})
		if ref != nil {
			t.Fatal(ref)
		}
		a.Finish(ctx, tk, 10, money.PerDollar/100)
		tk, ref = a.Admit(ctx, &Ask{Who: limitsOnly, Tokens: 10, Now: time.Now()})
		if ref != nil {
			t.Fatal(ref)
		}
		if len(tk.hold.Budgets) != 0 || tk.Limits.Headers.LimitRequests != 0 || tk.Limits.Headers.LimitTokens != 1000 {
			t.Fatalf("a limits-only ticket carries another request's claims: hold %+v, headers %+v", tk.hold, tk.Limits.Headers)
		}
		a.Finish(ctx, tk, 10, 0)
	}
	b, _ := a.Budget("tenant:t1", both.TenantBudget)
	if st, _ := a.Budgets.Status(ctx, b, time.Now()); st.Spent != 50*money.PerDollar/100 || st.Held != 0 {
		t.Errorf("tenant spent %s held %s, want $0.50 and nothing held", st.Spent, st.Held)
	}
}
