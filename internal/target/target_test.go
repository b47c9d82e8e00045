package target

import (
	"context"
	"encoding/json"
	"github.com/switchyard/switchyard/internal/access"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/forecast"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// now is mid-December 2026, a Wednesday at noon.
var now = time.Date(2026, 12, 16, 12, 0, 0, 0, time.UTC)

const usd = int64(money.PerDollar)

// seed fills a SQLite store with half a year of usage: tenant t_a on
// gpt-4o every day ($100 a weekday, $50 a weekend day, 1000 tokens a
// request), and tenant t_b on claude from December 5th ($10 a day). One
// event a day per tenant at 01:00, so today's is already in.
func seed(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "switchyard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var evs []usage.Event
	add := func(tenant, model, provider string, d time.Time, cost int64) {
		evs = append(evs, usage.Event{RequestID: tenant + d.Format("20060102"), Attempt: 1, Time: d.Add(time.Hour),
			TenantID: tenant, KeyID: "k_" + tenant, KeyName: tenant, Model: model, Deployment: model + "-d", Provider: provider,
			Op: "chat", Outcome: usage.Completed, Status: 200, Usage: wire.Usage{Prompt: 600, Completion: 400},
			Source: usage.Reported, Cost: money.Nanos(cost)})
	}
	for d := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC); !d.After(now); d = d.AddDate(0, 0, 1) {
		c := 100 * usd
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			c = 50 * usd
		}
		add("t_a", "gpt-4o", "openai", d, c)
		if !d.Before(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)) {
			add("t_b", "claude", "anthropic", d, 10*usd)
		}
	}
	if err := st.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	return st
}

// directory is a fixed tenant directory.
type directory []store.Tenant

func (d directory) ListTenants(_ context.Context, after string, limit int) ([]store.Tenant, error) {
	var out []store.Tenant
	for _, t := range d {
		if t.ID > after && len(out) < limit {
			out = append(out, t)
		}
	}
	return out, nil
}

func evaluator(st store.Store) *Evaluator {
	return New(Options{Usage: st, Tenants: directory{{ID: "t_a", Name: "acme", Plan: "starter", Tags: []string{"smb"}},
		{ID: "t_b", Name: "bolt", Plan: "pro-2026", Tags: []string{"enterprise", "eu"}}}, Now: func() time.Time { return now }})
}

func TestEvaluate(t *testing.T) {
	st := seed(t)
	e := evaluator(st)
	// December 2026: 23 weekdays, 8 weekend days; t_b from the 5th (27 days).
	const decA = 23*100 + 8*50
	const decB = 27 * 10
	// Known to date (the 1st to the 16th, today's event in): t_a 12 weekdays
	// and 4 weekend days, t_b 12 days.
	const toDateA, toDateB = 12*100 + 4*50, 12 * 10
	cases := []struct {
		goal           Goal
		actual, expect int64 // expect 0: not checked
		tol            float64
		state          string
	}{
		{goal: Goal{Name: "rev", Metric: Revenue, Goal: 10_000 * usd},
			actual: (toDateA + toDateB) * usd, expect: (decA + decB) * usd, tol: 0.03, state: WillMiss},
		{goal: Goal{Name: "rev-gpt", Metric: Revenue, Goal: 2500 * usd, Dimension: "model", Glob: "gpt-*"},
			actual: toDateA * usd, expect: decA * usd, tol: 0.03, state: OnTrack},
		{goal: Goal{Name: "rev-pro", Metric: Revenue, Goal: 200 * usd, Dimension: "plan", Glob: "pro*"},
			actual: toDateB * usd, expect: decB * usd, tol: 0.05, state: OnTrack},
		{goal: Goal{Name: "rev-eu", Metric: Revenue, Goal: 100 * usd, Dimension: "tag", Glob: "eu"},
			actual: toDateB * usd, state: Met},
		{goal: Goal{Name: "rev-acme", Metric: Revenue, Goal: 100 * usd, Dimension: "tenant", Glob: "acme"},
			actual: toDateA * usd, state: Met},
		// Pass-through books: revenue is cost, so the margin is zero.
		{goal: Goal{Name: "margin", Metric: GrossMargin, Goal: 1 * usd}, actual: 0, state: WillMiss},
		{goal: Goal{Name: "tokens-b", Metric: Tokens, Goal: 1_000_000, Dimension: "tenant", Glob: "t_b"},
			actual: 12 * 1000, expect: 27 * 1000, tol: 0.05, state: WillMiss},
		{goal: Goal{Name: "new", Metric: NewTenants, Goal: 1}, actual: 1, state: Met},
		{goal: Goal{Name: "new-q", Metric: NewTenants, Goal: 5, Period: forecast.Quarter}, actual: 1, state: WillMiss},
		{goal: Goal{Name: "active", Metric: ActiveTenants, Goal: 3}, actual: 2, expect: 2, state: WillMiss},
		{goal: Goal{Name: "active-week", Metric: ActiveTenants, Goal: 2, Period: forecast.Week}, actual: 2, state: Met},
	}
	for _, tc := range cases {
		t.Run(tc.goal.Name, func(t *testing.T) {
			if tc.goal.Period == "" {
				tc.goal.Period = forecast.Month
			}
			s, err := e.Goal(context.Background(), tc.goal)
			if err != nil {
				t.Fatal(err)
			}
			if s.Actual != tc.actual || s.State != tc.state {
				t.Errorf("actual %s state %s, want %s %s (%+v)", s.Format(s.Actual), s.State, s.Format(tc.actual), tc.state, s)
			}
			if tc.expect != 0 && math.Abs(float64(s.Expected-tc.expect))/float64(tc.expect) > tc.tol {
				t.Errorf("expected %s, want %s ± %.0f%% (%s)", s.Format(s.Expected), s.Format(tc.expect), tc.tol*100, s.Method)
			}
			if s.Low > s.Expected || s.High < s.Expected || s.Expected < s.Actual && tc.goal.Metric != GrossMargin {
				t.Errorf("forecast low %d expected %d high %d actual %d out of order", s.Low, s.Expected, s.High, s.Actual)
			}
		})
	}
	// Pace: $1,400 of $10,000 with 15.5 of 31 days gone is 28% of the line.
	s, _ := e.Goal(context.Background(), cases[0].goal)
	if want := float64(toDateA+toDateB) / (10_000 * 15.5 / 31); math.Abs(s.Pace-want) > 1e-9 || s.Period != "2026-12" {
		t.Errorf("pace %v period %s, want %v 2026-12", s.Pace, s.Period, want)
	}
	// A plan segment without a directory is an error on that goal alone.
	bare := New(Options{Usage: st, Now: func() time.Time { return now }})
	ss := bare.Evaluate(context.Background(), []Goal{cases[2].goal, cases[0].goal})
	if ss[0].Error == "" || ss[1].Error != "" {
		t.Errorf("errors %q %q, want the plan goal's alone", ss[0].Error, ss[1].Error)
	}
}

func TestAlertOncePerPeriod(t *testing.T) {
	st := seed(t)
	secret := []byte("s3cret-s3cret")
	var mu sync.Mutex
	var bodies []AlertBody
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		// Budget alerts' verifier accepts target alerts: one scheme.
		if err := budget.Verify(secret, r.Header.Get(budget.HeaderTimestamp), r.Header.Get(budget.HeaderSignature), b, time.Now(), time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		var a AlertBody
		json.Unmarshal(b, &a)
		mu.Lock()
		bodies = append(bodies, a)
		mu.Unlock()
	}))
	defer srv.Close()

	goals := []Goal{
		{Name: "rev", Metric: Revenue, Goal: 10_000 * usd, Period: forecast.Month, Webhook: srv.URL},
		{Name: "rev-ok", Metric: Revenue, Goal: 100 * usd, Period: forecast.Month, Webhook: srv.URL},
	}
	path := filepath.Join(t.TempDir(), "target-alerts")
	counted := 0
	check := func(at time.Time) []Status {
		once, err := OpenFileOnce(path) // reopened each time: a restart
		if err != nil {
			t.Fatal(err)
		}
		a := NewAlerter(AlertOptions{Count: func(Status) { counted++ }, Sender: &Webhook{Secret: secret}, Once: once})
		e := New(Options{Usage: st, Now: func() time.Time { return at }})
		return a.Check(context.Background(), goals, e.Evaluate(context.Background(), goals))
	}
	if got := check(now); len(got) != 1 || got[0].Target != "rev" {
		t.Fatalf("first check raised %+v, want rev", got)
	}
	if got := check(now.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("second check raised %+v, want nothing (once per period, across restarts)", got)
	}
	if counted != 1 || len(bodies) != 1 {
		t.Fatalf("counted %d, webhooks %d, want 1 and 1", counted, len(bodies))
	}
	b := bodies[0]
	if b.ID != "target/rev/2026-12" || b.Type != "target.miss" || b.Goal != "10000.00" || b.Unit != "usd" {
		t.Errorf("body = %+v", b)
	}
}

func TestWriteStatuses(t *testing.T) {
	e := evaluator(seed(t))
	ss := e.Evaluate(context.Background(), []Goal{{Name: "rev", Metric: Revenue, Goal: 10_000 * usd, Period: forecast.Month}})
	for _, f := range []string{"table", "csv", "json"} {
		var b strings.Builder
		if err := WriteStatuses(&b, f, ss); err != nil {
			t.Fatal(err)
		}
		// JSON keeps money in integer nano-dollars, as the usage report does.
		goal := map[string]string{"json": `"goal": 10000000000000`}[f]
		if goal == "" {
			goal = "10000.00"
		}
		if !strings.Contains(b.String(), goal) || !strings.Contains(b.String(), "will_miss") {
			t.Errorf("%s output lacks the goal or the state:\n%s", f, b.String())
		}
	}
}

// TestBootstrapIsNoTenant: config keys' traffic (the bootstrap tenant) is
// the operator's own: never a new tenant, never an active one.
func TestBootstrapIsNoTenant(t *testing.T) {
	st := seed(t)
	d := time.Date(2026, 12, 10, 1, 0, 0, 0, time.UTC)
	if err := st.Apply(context.Background(), []usage.Event{{RequestID: "boot", Attempt: 1, Time: d,
		TenantID: access.BootstrapTenant, KeyID: "cfg", KeyName: "demo", Model: "gpt-4o", Deployment: "gpt-4o-d", Provider: "openai",
		Op: "chat", Outcome: usage.Completed, Status: 200, Usage: wire.Usage{Prompt: 10, Completion: 10}, Source: usage.Reported, Cost: 1}}); err != nil {
		t.Fatal(err)
	}
	e := evaluator(st)
	for _, g := range []Goal{
		{Name: "new", Metric: NewTenants, Goal: 1, Period: forecast.Month},
		{Name: "active", Metric: ActiveTenants, Goal: 3, Period: forecast.Month},
	} {
		s, err := e.Goal(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"new": 1, "active": 2}[g.Name]
		if s.Actual != want {
			t.Errorf("%s tenants: %d, want %d (t_b new, t_a and t_b active; the bootstrap tenant is none)", g.Name, s.Actual, want)
		}
	}
}
