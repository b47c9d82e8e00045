package admin

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// memorySpend answers BudgetSpend from a budget.Memory, the way the gateway
// answers it from its admitter's books.
type memorySpend struct {
	m      *budget.Memory
	scopes []string // every scope asked about
}

func (s *memorySpend) Spend(ctx context.Context, scope string, b access.Budget, now time.Time) (money.Nanos, time.Time, bool) {
	s.scopes = append(s.scopes, scope)
	p, err := budget.ParsePeriod(b.Period, b.TZ)
	if err != nil {
		return 0, time.Time{}, false
	}
	st, err := s.m.Status(ctx, budget.Budget{Scope: scope, Limit: b.USD, Period: p, Hard: b.Hard}, now)
	if err != nil {
		return 0, time.Time{}, false
	}
	return st.Spent, st.ResetsAt, true
}

// spend books cost on scope's budget as admission would: a hold, settled.
func (s *memorySpend) spend(t *testing.T, scope string, b access.Budget, cost money.Nanos, at time.Time) {
	t.Helper()
	p, err := budget.ParsePeriod(b.Period, b.TZ)
	if err != nil {
		t.Fatal(err)
	}
	res, ref, err := s.m.Reserve(context.Background(), []budget.Budget{{Scope: scope, Limit: b.USD, Period: p}}, cost, time.Minute, at)
	if err != nil || ref != nil {
		t.Fatalf("reserve: %v %v", err, ref)
	}
	if err := s.m.Settle(context.Background(), res, cost); err != nil {
		t.Fatal(err)
	}
}

func TestBudgetUsedOnTenantsAndKeys(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	books := &memorySpend{m: budget.NewMemory(nil)}
	r := &rig{t: t}
	r.srv = httptest.NewServer(New(Options{Token: testToken, Store: st, Tenants: st, Budgets: books, Now: func() time.Time { return now },
		Keyring: access.NewKeyringPepper([]byte("pepper-for-admin-tests"))}))
	t.Cleanup(r.srv.Close)

	acme := r.must(201, "POST", "/admin/v1/tenants", `{"name":"acme","budget":{"usd":"10.00","period":"month","hard":true}}`)["id"].(string)
	free := r.must(201, "POST", "/admin/v1/tenants", `{"name":"free"}`)["id"].(string)
	kid := r.must(201, "POST", "/admin/v1/tenants/"+acme+"/keys", `{"name":"ci","budget":{"usd":"2.00","period":"day"}}`)["id"].(string)

	tb := access.Budget{USD: 10 * money.PerDollar, Period: "month", Hard: true}
	kb := access.Budget{USD: 2 * money.PerDollar, Period: "day"}
	books.spend(t, "tenant:"+acme, tb, 2_500_000_000, now.Add(-time.Hour)) // $2.50 of $10
	books.spend(t, "key:"+kid, kb, 3_000_000_000, now.Add(-time.Hour))     // $3.00 of $2: a soft budget overspent

	for _, tc := range []struct {
		path, spend, remaining, start, resets string
		percent                               float64
	}{
		{"/admin/v1/tenants/" + acme, "2.50", "7.50", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", 25},
		{"/admin/v1/keys/" + kid, "3.00", "0.00", "2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z", 150},
	} {
		got := r.must(200, "GET", tc.path, "")
		u, _ := got["budget_used"].(map[string]any)
		if u == nil {
			t.Fatalf("%s: no budget_used in %v", tc.path, got)
		}
		if u["spend_usd"] != tc.spend || u["remaining_usd"] != tc.remaining || u["used_percent"] != tc.percent ||
			u["period_start"] != tc.start || u["resets_at"] != tc.resets {
			t.Errorf("%s: budget_used %v, want spend %s remaining %s (%v%%) from %s to %s", tc.path, u, tc.spend, tc.remaining, tc.percent, tc.start, tc.resets)
		}
	}
	if n := r.must(200, "GET", "/admin/v1/tenants/"+acme, "")["budget_used"].(map[string]any)["spend_nanos"]; n != 2.5e9 {
		t.Errorf("spend_nanos %v, want 2500000000", n)
	}

	// The list shows the same; a tenant without a budget has none.
	list := r.must(200, "GET", "/admin/v1/tenants", "")["data"].([]any)
	for _, it := range list {
		tn := it.(map[string]any)
		_, has := tn["budget_used"]
		switch tn["id"] {
		case acme:
			if !has || tn["budget_used"].(map[string]any)["spend_usd"] != "2.50" {
				t.Errorf("acme in the list: %v", tn["budget_used"])
			}
		case free:
			if has {
				t.Errorf("free has no budget but shows %v", tn["budget_used"])
			}
		}
	}
	keys := r.must(200, "GET", "/admin/v1/tenants/"+acme+"/keys", "")["data"].([]any)
	if u, _ := keys[0].(map[string]any)["budget_used"].(map[string]any); u == nil || u["spend_usd"] != "3.00" {
		t.Errorf("key in the list: %v", keys[0])
	}
	for _, s := range books.scopes {
		if s != "tenant:"+acme && s != "key:"+kid {
			t.Errorf("asked the books about %q", s)
		}
	}

	// Without budget books the answers leave budget_used out.
	plain := newRig(t)
	id := plain.must(201, "POST", "/admin/v1/tenants", `{"name":"acme","budget":{"usd":"1.00"}}`)["id"].(string)
	if got := plain.must(200, "GET", "/admin/v1/tenants/"+id, ""); got["budget_used"] != nil || got["budget"] == nil {
		t.Errorf("no books: %v", got)
	}
}
