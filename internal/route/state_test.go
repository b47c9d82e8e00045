package route

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
)

// rebuild builds a second table from header plus lines on the same clock
// and on tab's live state, as a reload does.
func rebuild(t *testing.T, tab *Table, clk *clock, lines ...string) *Table {
	t.Helper()
	c, err := config.Parse("test.yaml", []byte(header+strings.Join(lines, "\n")+"\n"), nil)
	if err != nil {
		t.Fatalf("config:\n%v", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	next, err := New(c, nil, Options{Clock: clk, Rand: rng.Uint64, State: tab.State()})
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// reloadable is a model whose main deployment's weight tests change.
const reloadable = `models:
  - name: chat
    routing: priority
    deployments:
      - {name: main, provider: az, model: m, priority: 1, weight: WEIGHT, price: unpriced}
      - {name: backup, provider: aws, model: m, priority: 2, price: unpriced}`

// TestStateOutlivesTable rebuilds a table with a changed weight and a new
// deployment, as a reload would: the ejected deployment stays ejected,
// counters carry over, and the new deployment starts fresh.
func TestStateOutlivesTable(t *testing.T) {
	tab, clk := newTable(t, strings.Replace(reloadable, "WEIGHT", "1", 1), consecutiveOnly)
	failMain := func(d *Deployment) Result {
		if d.Name == "main" {
			return fail(d)
		}
		return ok(d)
	}
	for range 3 {
		serve(t, tab, Request{Model: "chat"}, failMain)
	}
	if s := deployment(t, tab, "backup").Stats(clk.now); s.Retries != 3 || deployment(t, tab, "main").Stats(clk.now).Retries != 0 {
		t.Fatalf("backup took over %d requests after main failed, want 3", s.Retries)
	}
	until := deployment(t, tab, "main").Stats(clk.now).EjectedUntil
	if until.IsZero() {
		t.Fatal("main was not ejected")
	}

	changed := strings.Replace(reloadable, "WEIGHT", "5", 1) +
		"\n      - {name: extra, provider: gcp, model: m, priority: 3, price: unpriced}"
	next := rebuild(t, tab, clk, changed, consecutiveOnly)
	main := deployment(t, next, "main")
	if main.Weight != 5 {
		t.Fatalf("weight = %d, want the new 5", main.Weight)
	}
	s := main.Stats(clk.now)
	if !s.EjectedUntil.Equal(until) || s.Failures != 3 || s.Ejections != 1 {
		t.Fatalf("main after rebuild: %+v, want ejected until %v after 3 failures", s, until)
	}
	if tried := serve(t, next, Request{Model: "chat"}, ok); !equal(tried, []string{"backup"}) {
		t.Fatalf("new table tried %v while main is ejected", tried)
	}
	if s := deployment(t, next, "extra").Stats(clk.now); s.Attempts != 0 || !s.EjectedUntil.IsZero() {
		t.Errorf("a new deployment inherited state: %+v", s)
	}
	// The old table, still serving its in-flight requests, sees the same
	// state as the new one.
	if deployment(t, tab, "backup").Stats(clk.now).Successes != deployment(t, next, "backup").Stats(clk.now).Successes {
		t.Error("old and new table disagree on backup's counters")
	}

	// Once the old table is gone, Prune forgets what the new one lacks.
	smaller := rebuild(t, next, clk, `models:
  - name: chat
    deployments:
      - {name: main, provider: az, model: m, price: unpriced}`, consecutiveOnly)
	smaller.State().Prune(smaller)
	if _, ok := smaller.State().deployments["backup"]; ok {
		t.Error("Prune kept a removed deployment's state")
	}
	if !deployment(t, smaller, "main").Stats(clk.now).EjectedUntil.Equal(until) {
		t.Error("Prune dropped a kept deployment's state")
	}
}

// TestContractStateAcrossTerms: same terms keep the drawdown; changed
// terms re-anchor the pace on what was drawn so far.
func TestContractStateAcrossTerms(t *testing.T) {
	tab, clk := newTable(t, spendModel)
	k := tab.Contracts()[0]
	left := k.Stats(clk.now).Left // 1.4 USD: the day's 2.4, less 10 hours on pace
	k.spent.Store(int64(money.PerDollar / 10))

	same := rebuild(t, tab, clk, spendModel).Contracts()[0]
	if s := same.Stats(clk.now); s.Spent != money.PerDollar/10 || s.Left != left {
		t.Fatalf("same terms: %+v, want spent 0.1 and left %v", s, left)
	}

	clk.advance(time.Hour)
	bigger := rebuild(t, tab, clk, strings.Replace(spendModel, `amount: "2.4"`, `amount: "4.8"`, 1)).Contracts()[0]
	// Drawn so far: 1.0 assumed before the first anchor plus 0.1 since.
	if s := bigger.Stats(clk.now); s.Spent != 0 || s.Left != money.PerDollar*37/10 {
		t.Fatalf("changed amount: %+v, want left 4.8 - 1.1 = 3.7", s)
	}
}
