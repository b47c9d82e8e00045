package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/plan"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/target"
	"github.com/switchyard/switchyard/internal/usage"
)

// TestDemoHistory synthesises the demo's month of history into a gateway's
// books (a temporary SQLite store), as the demo does, and checks what a
// user would: a month of past events, revenue that is the plans' price of
// every request, the sign-ups where the synthesiser put them, no double
// counting on a second run, and targets with a forecast, one on course to
// miss.
func TestDemoHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesises a month of history")
	}
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Now().UTC()
	w := newWindow(now)
	biz := newBusiness(w.Start, w.days(), w.Seed)
	cfg, _, err := writeConfig(clouds(), "127.0.0.1:0", "sk-sy-demo-history-test-key", "sk-sy-demo-history-admin", dir, biz)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve() }()
	defer func() {
		if err := g.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	}()
	ts, err := openTenants(ctx, "http://"+g.AdminAddr(), cfg.Admin.Token, biz.customers)
	if err != nil {
		t.Fatal(err)
	}
	h, err := populate(ctx, g, cfg, biz, ts, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests, %d attempts from %d tenants: simulated in %s, in the store and the ledger after %s",
		h.run.Requests, h.run.Attempts, len(ts), h.simulated, h.elapsed)
	st := g.Store

	names := map[string]string{} // tenant id -> name
	for _, tn := range ts {
		names[tn.id] = tn.name
	}

	t.Run("a month of past events", func(t *testing.T) {
		days := map[string]int64{}
		var events int64
		err := st.(store.EventScanner).ScanEvents(ctx, time.Time{}, time.Time{}, func(e usage.Event) error {
			events++
			if !e.Time.Before(w.End) || e.Time.Before(w.Start) {
				t.Fatalf("event %s at %s: outside the history [%s, %s)", e.ID(), e.Time, w.Start, w.End)
			}
			if names[e.TenantID] == "" || e.KeyID == "" {
				t.Fatalf("event %s carries tenant %q key %q: not a demo tenant's", e.ID(), e.TenantID, e.KeyID)
			}
			days[e.Time.UTC().Format(time.DateOnly)]++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if events != h.run.Attempts {
			t.Errorf("store holds %d events, the simulator made %d attempts", events, h.run.Attempts)
		}
		for d := w.Start; d.Before(dayOf(w.End)); d = d.AddDate(0, 0, 1) {
			if days[d.Format(time.DateOnly)] == 0 {
				t.Errorf("no events on %s", d.Format(time.DateOnly))
			}
		}
		if len(days) < historyDays {
			t.Errorf("events on %d days, want at least %d", len(days), historyDays)
		}
	})

	t.Run("revenue is the plans' price of every request", func(t *testing.T) {
		book, err := plan.NewBook(cfg.PlanTerms(nil))
		if err != nil {
			t.Fatal(err)
		}
		var want, cost money.Nanos
		var charged int64
		err = st.(store.EventScanner).ScanEvents(ctx, time.Time{}, time.Time{}, func(e usage.Event) error {
			cost += e.Cost
			if e.Outcome != usage.Completed {
				return nil
			}
			ch := book.Rate(names[e.TenantID], e.Time, e.Model, e.Usage, e.Cost)
			if ch.PassThrough {
				t.Fatalf("request %s of %s: no plan in force", e.RequestID, names[e.TenantID])
			}
			want += ch.Revenue
			charged++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := target.BooksFor(st).Money(ctx, store.UsageQuery{})
		if err != nil || len(rows) != 1 {
			t.Fatalf("books: %v %v", rows, err)
		}
		if rows[0].Revenue != want || rows[0].Cost != cost {
			t.Errorf("ledger revenue %s cost %s, want %s and %s (plan-rated requests, priced attempts)", rows[0].Revenue, rows[0].Cost, want, cost)
		}
		if charged != h.run.Succeeded || want <= cost {
			t.Errorf("%d requests charged %s for %s of cost: want %d requests, at a margin", charged, want, cost, h.run.Succeeded)
		}
		t.Logf("history: revenue %s, cost %s, %d requests", want, cost, charged)
	})

	t.Run("new tenants per week are the synthesised sign-ups", func(t *testing.T) {
		rows, err := st.Usage(ctx, store.UsageQuery{GroupBy: []string{"tenant", "day"}})
		if err != nil {
			t.Fatal(err)
		}
		first := map[string]time.Time{}
		for _, r := range rows {
			d, err := time.Parse(time.DateOnly, r.Group["day"])
			if err != nil {
				t.Fatal(err)
			}
			if f, ok := first[r.Group["tenant"]]; !ok || d.Before(f) {
				first[r.Group["tenant"]] = d
			}
		}
		week := func(d time.Time) string { y, w := d.ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) }
		got, want := map[string]int{}, map[string]int{}
		for _, d := range first {
			got[week(d)]++
		}
		arrivals := 0
		for d, n := range biz.firstDays() {
			want[week(d)] += n
			if d.After(w.Start) {
				arrivals += n
			}
		}
		if len(first) != len(biz.customers) {
			t.Errorf("%d tenants made requests, the business has %d", len(first), len(biz.customers))
		}
		for wk, n := range want {
			if got[wk] != n {
				t.Errorf("week %s: %d new tenants in the store, %d signed up", wk, got[wk], n)
			}
		}
		if arrivals < 4 {
			t.Errorf("only %d sign-ups after the first day: new-tenant targets would mean little", arrivals)
		}
		t.Logf("new tenants per week: %v", got)
	})

	t.Run("targets: a forecast with an interval, one miss", func(t *testing.T) {
		goals, err := target.FromConfig(cfg.Targets)
		if err != nil {
			t.Fatal(err)
		}
		ss := target.New(target.Options{Usage: st, Books: target.BooksFor(st), Tenants: st}).Evaluate(ctx, goals)
		states := map[string]string{}
		for _, s := range ss {
			if s.Error != "" {
				t.Fatalf("%s: %s", s.Target, s.Error)
			}
			t.Logf("%s: actual %d goal %d expected %d [%d, %d] %s (%s)", s.Target, s.Actual, s.Goal, s.Expected, s.Low, s.High, s.State, s.Method)
			states[s.Target] = s.State
			if s.Metric == target.Revenue && !(s.Low < s.High && s.Low <= s.Expected && s.Expected <= s.High && s.Expected > s.Actual) {
				t.Errorf("%s: forecast %d in [%d, %d] from %d to date: want a forecast beyond the actual with an interval", s.Target, s.Expected, s.Low, s.High, s.Actual)
			}
		}
		if s := states["monthly-revenue"]; s != target.OnTrack && s != target.Met {
			t.Errorf("monthly-revenue is %s, want on_track or met", s)
		}
		if s := states["new-tenants"]; s != target.WillMiss && s != target.AtRisk {
			t.Errorf("new-tenants is %s, want on course to miss (at_risk or will_miss)", s)
		}
	})

	t.Run("synthesising again counts nothing twice", func(t *testing.T) {
		before, err := st.Balances(ctx)
		if err != nil {
			t.Fatal(err)
		}
		usageBefore, err := st.Usage(ctx, store.UsageQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := populate(ctx, g, cfg, biz, ts, w); err != nil {
			t.Fatal(err)
		}
		after, err := st.Balances(ctx)
		if err != nil {
			t.Fatal(err)
		}
		usageAfter, err := st.Usage(ctx, store.UsageQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(before) != len(after) {
			t.Errorf("%d accounts before, %d after", len(before), len(after))
		}
		for a, v := range before {
			if after[a] != v {
				t.Errorf("account %s: %s before, %s after synthesising again", a, v, after[a])
			}
		}
		if usageBefore[0].Attempts != usageAfter[0].Attempts || usageBefore[0].Cost != usageAfter[0].Cost {
			t.Errorf("usage: %d attempts %s before, %d %s after", usageBefore[0].Attempts, usageBefore[0].Cost, usageAfter[0].Attempts, usageAfter[0].Cost)
		}
	})
}
