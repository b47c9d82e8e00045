package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// Requests makes the attempts of n client requests as the gateway records
// them: failovers to another deployment (failed attempts, some of which the
// cloud billed), streams cut by the upstream or the client, refusals, and
// unpriced deployments. Exported for the ledger's property tests.
func Requests(r *rand.Rand, n int, start time.Time, span time.Duration) []usage.Event {
	finals := []usage.Outcome{usage.Completed, usage.Completed, usage.Completed, usage.Completed,
		usage.ClientAborted, usage.Interrupted, usage.Failed, usage.Rejected}
	var out []usage.Event
	for i := range n {
		m := models[r.IntN(len(models))]
		tenant := fmt.Sprintf("t%d", r.IntN(4))
		if tenant == "t3" {
			tenant = "" // a config key without a tenant
		}
		k := r.IntN(5)
		at := start.Add(time.Duration(r.Int64N(int64(span))))
		attempts := 1 + r.IntN(3)
		for a := 1; a <= attempts; a++ {
			dp := deployments[m][r.IntN(len(deployments[m]))]
			e := usage.Event{RequestID: fmt.Sprintf("lr-%d-%d", i, r.IntN(1e6)), Attempt: a, Time: at,
				TenantID: tenant, KeyID: fmt.Sprintf("key-%d", k), KeyName: "k", Model: m, Deployment: dp[0], Provider: dp[1],
				Op: "chat", Stream: r.IntN(2) == 0, Status: 200}
			if a > 1 {
				e.RequestID = out[len(out)-1].RequestID
			}
			at = at.Add(time.Duration(r.IntN(3e9)))
			e.Outcome = usage.Failed
			if a == attempts {
				e.Outcome = finals[r.IntN(len(finals))]
			}
			billed := e.Outcome != usage.Failed && e.Outcome != usage.Rejected || r.IntN(3) == 0
			if !billed {
				e.Status = 503
				out = append(out, e)
				continue
			}
			e.Usage = wire.Usage{Prompt: 1 + int64(r.IntN(4000)), Completion: int64(r.IntN(1500))}
			e.Source = usage.Reported
			if e.Outcome != usage.Completed {
				e.Source = usage.Estimated
			}
			if r.IntN(10) == 0 {
				e.Unpriced = true
			} else {
				e.Cost = money.Nanos(e.Usage.Prompt*2500 + e.Usage.Completion*10000)
			}
			out = append(out, e)
		}
	}
	return out
}

// ledgerCommitments: azure-east draws on a spend commitment for the first
// day of the generated period only.
var ledgerCommitments = map[string]ledger.Commitment{
	"azure-east": {Name: "edp", Start: t0, End: t0.Add(24 * time.Hour)},
}

// wantBooks is what the books must say of events, computed straight from
// them: revenue at pass-through is the charged attempt's cost.
type wantBooks struct {
	revenue, cost, committed money.Nanos
	requests, attempts       int64
	costBy                   map[string]money.Nanos // provider
	revenueBy                map[string]money.Nanos // receivable account
}

func naiveBooks(evs []usage.Event) wantBooks {
	w := wantBooks{costBy: map[string]money.Nanos{}, revenueBy: map[string]money.Nanos{}}
	for i := range evs {
		e := &evs[i]
		if ledger.Charged(e) && e.Cost != 0 {
			w.revenue += e.Cost
			w.requests++
			w.revenueBy[ledger.Receivable(e.TenantID)] += e.Cost
		}
		if e.Cost != 0 {
			w.cost += e.Cost
			w.attempts++
			w.costBy[e.Provider] += e.Cost
			if c, ok := ledgerCommitments[e.Deployment]; ok && !e.Time.Before(c.Start) && e.Time.Before(c.End) {
				w.committed += e.Cost
			}
		}
	}
	return w
}

func post(t *testing.T, s store.Store, txns []ledger.Txn) int {
	t.Helper()
	n, err := s.Post(context.Background(), txns)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	return n
}

func booksOf(t *testing.T, s store.Store, q store.BooksQuery) []store.BooksRow {
	t.Helper()
	rows, err := s.Books(context.Background(), q)
	if err != nil {
		t.Fatalf("Books(%+v): %v", q, err)
	}
	return rows
}

// bookSums is a BooksRow without its group, comparable with ==.
type bookSums struct {
	Revenue, Cost, Committed money.Nanos
	Requests, Attempts       int64
}

func total(rows []store.BooksRow) bookSums {
	var t bookSums
	for _, r := range rows {
		t.Revenue += r.Revenue
		t.Cost += r.Cost
		t.Committed += r.Committed
		t.Requests += r.Requests
		t.Attempts += r.Attempts
	}
	return t
}

// testLedger checks the books on one store, step by step: derivation and
// posting (twice, in other batches), balance, agreement with the usage
// rollups, refusal of an unbalanced transaction, and reversals.
func testLedger(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(42, 10))
	evs := Requests(r, 600, t0, 3*24*time.Hour)
	apply(t, s, evs)
	d := &ledger.Deriver{Commitments: ledgerCommitments}
	txns := d.Derive(evs)
	want := naiveBooks(evs)

	if n := post(t, s, txns); n != len(txns) {
		t.Fatalf("first Post booked %d of %d transactions", n, len(txns))
	}
	// Re-deriving, in other batches and with duplicates, books nothing.
	again := d.Derive(evs)
	r.Shuffle(len(again), func(i, j int) { again[i], again[j] = again[j], again[i] })
	for i := 0; i < len(again); i += 97 {
		chunk := again[i:min(i+97, len(again))]
		if n := post(t, s, append(chunk, chunk[0])); n != 0 {
			t.Fatalf("re-posting booked %d transactions again", n)
		}
	}

	t.Run("TotalsMatchEvents", func(t *testing.T) {
		got := total(booksOf(t, s, store.BooksQuery{}))
		if got.Revenue != want.revenue || got.Cost != want.cost || got.Committed != want.committed ||
			got.Requests != want.requests || got.Attempts != want.attempts {
			t.Fatalf("books %+v, want revenue %d cost %d committed %d requests %d attempts %d",
				got, want.revenue, want.cost, want.committed, want.requests, want.attempts)
		}
		if want.committed == 0 || want.committed == want.cost {
			t.Fatalf("generator gave committed %d of cost %d: the commitment's term should cover part", want.committed, want.cost)
		}
	})
	t.Run("EveryTransactionBalances", func(t *testing.T) {
		all, err := s.Transactions(ctx, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(txns) {
			t.Fatalf("%d transactions stored, %d derived", len(all), len(txns))
		}
		for _, x := range all {
			var sum money.Nanos
			for _, p := range x.Postings {
				sum += p.Amount
			}
			if sum != 0 || len(x.Postings) < 2 {
				t.Fatalf("transaction %s: %d postings summing to %d", x.ID, len(x.Postings), sum)
			}
		}
		bal, err := s.Balances(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var sum money.Nanos
		for _, v := range bal {
			sum += v
		}
		if sum != 0 {
			t.Fatalf("balances sum to %d, want 0: %v", sum, bal)
		}
		for p, c := range want.costBy {
			if bal[ledger.Cost(p)] != c {
				t.Errorf("%s = %d, want the events' cost %d", ledger.Cost(p), bal[ledger.Cost(p)], c)
			}
		}
		for acct, v := range want.revenueBy {
			if bal[acct] != v {
				t.Errorf("%s = %d, want %d", acct, bal[acct], v)
			}
		}
		if bal[ledger.AccountRevenue] != -want.revenue {
			t.Errorf("revenue balance %d, want %d", bal[ledger.AccountRevenue], -want.revenue)
		}
		if bal[ledger.Drawdown("edp")] != -want.committed {
			t.Errorf("drawdown:edp = %d, want %d", bal[ledger.Drawdown("edp")], -want.committed)
		}
	})
	t.Run("CostEqualsUsage", func(t *testing.T) {
		u := usageOf(t, s, store.UsageQuery{GroupBy: []string{"deployment", "day"}})
		b := booksOf(t, s, store.BooksQuery{GroupBy: []string{"deployment", "day"}})
		got := map[[2]string]money.Nanos{}
		for _, row := range b {
			got[[2]string{row.Group["deployment"], row.Group["day"]}] = row.Cost
		}
		for _, row := range u {
			k := [2]string{row.Group["deployment"], row.Group["day"]}
			if got[k] != row.Cost {
				t.Errorf("%v: books cost %d, usage cost %d", k, got[k], row.Cost)
			}
		}
	})
	t.Run("EveryGroupBy", func(t *testing.T) {
		whole := total(booksOf(t, s, store.BooksQuery{}))
		for _, g := range store.BookDimensions {
			rows := booksOf(t, s, store.BooksQuery{GroupBy: []string{g}})
			if got := total(rows); got != whole {
				t.Errorf("group by %s: totals %+v, want %+v", g, got, whole)
			}
			for _, row := range rows {
				if _, ok := row.Group[g]; !ok {
					t.Fatalf("group by %s: row without it: %+v", g, row)
				}
			}
		}
		byProv := booksOf(t, s, store.BooksQuery{GroupBy: []string{"provider"}})
		for _, row := range byProv {
			if row.Cost != want.costBy[row.Group["provider"]] {
				t.Errorf("provider %s: cost %d, want %d", row.Group["provider"], row.Cost, want.costBy[row.Group["provider"]])
			}
		}
	})
	t.Run("PeriodsSumToWhole", func(t *testing.T) {
		// Random cuts at hour boundaries: the parts add up to the whole.
		whole := total(booksOf(t, s, store.BooksQuery{}))
		for range 10 {
			cut := t0.Add(time.Duration(1+r.IntN(71)) * time.Hour)
			a := total(booksOf(t, s, store.BooksQuery{To: cut}))
			b := total(booksOf(t, s, store.BooksQuery{From: cut}))
			a.Revenue += b.Revenue
			a.Cost += b.Cost
			a.Committed += b.Committed
			a.Requests += b.Requests
			a.Attempts += b.Attempts
			if a != whole {
				t.Fatalf("cut at %s: parts %+v, whole %+v", cut, a, whole)
			}
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		x := txns[r.IntN(len(txns))]
		got, err := s.Transaction(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		x.Time = x.Time.UTC()
		if !reflect.DeepEqual(got, x) {
			t.Fatalf("Transaction(%s) =\n%+v\nposted\n%+v", x.ID, got, x)
		}
		if _, err := s.Transaction(ctx, "rev:nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Transaction(missing) = %v, want ErrNotFound", err)
		}
	})
	t.Run("RefusesUnbalanced", func(t *testing.T) {
		good := ledger.Txn{ID: "adj:good", Kind: ledger.KindAdjust, Time: t0,
			Postings: []ledger.Posting{{Account: ledger.Receivable("t1"), Amount: 5}, {Account: ledger.AccountRevenue, Amount: -5}}}
		bad := ledger.Txn{ID: "adj:bad", Kind: ledger.KindAdjust, Time: t0,
			Postings: []ledger.Posting{{Account: ledger.Receivable("t1"), Amount: 5}, {Account: ledger.AccountRevenue, Amount: -4}}}
		single := ledger.Txn{ID: "adj:single", Kind: ledger.KindAdjust, Time: t0,
			Postings: []ledger.Posting{{Account: ledger.Receivable("t1"), Amount: 5}}}
		for _, batch := range [][]ledger.Txn{{good, bad}, {single, good}} {
			if _, err := s.Post(ctx, batch); !errors.Is(err, ledger.ErrUnbalanced) {
				t.Fatalf("Post(unbalanced) = %v, want ErrUnbalanced", err)
			}
		}
		if _, err := s.Transaction(ctx, good.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a batch with an unbalanced transaction was partly booked: %v", err)
		}
	})
	t.Run("ConcurrentPost", func(t *testing.T) {
		// Replicas booking the same transactions at once book each once.
		start := t0.Add(10 * 24 * time.Hour)
		evs := Requests(rand.New(rand.NewPCG(7, 7)), 300, start, 24*time.Hour)
		for i := range evs {
			evs[i].RequestID = "cc-" + evs[i].RequestID
		}
		want := naiveBooks(evs)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				txns := d.Derive(evs)
				rr := rand.New(rand.NewPCG(uint64(w), 1))
				rr.Shuffle(len(txns), func(i, j int) { txns[i], txns[j] = txns[j], txns[i] })
				for i := 0; i < len(txns); i += 150 {
					if _, err := s.Post(ctx, txns[i:min(i+150, len(txns))]); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got := total(booksOf(t, s, store.BooksQuery{From: start}))
		if got.Revenue != want.revenue || got.Cost != want.cost || got.Requests != want.requests || got.Attempts != want.attempts {
			t.Fatalf("after concurrent posts %+v, want revenue %d cost %d requests %d attempts %d", got, want.revenue, want.cost, want.requests, want.attempts)
		}
	})
	t.Run("Reverse", func(t *testing.T) {
		var orig ledger.Txn
		for _, x := range txns {
			if x.Kind == ledger.KindRevenue {
				orig = x
				break
			}
		}
		rev := orig.Effect().Revenue
		before := total(booksOf(t, s, store.BooksQuery{}))
		r1, err := s.Reverse(ctx, orig.ID, "wrong plan")
		if err != nil {
			t.Fatal(err)
		}
		if r1.ID != orig.ID+":reversal:1" || r1.Reverses != orig.ID || r1.Reason != "wrong plan" {
			t.Fatalf("reversal %+v", r1)
		}
		after := total(booksOf(t, s, store.BooksQuery{}))
		if after.Revenue != before.Revenue-rev || after.Requests != before.Requests-1 || after.Cost != before.Cost {
			t.Fatalf("after reversal %+v, before %+v, reversed revenue %d", after, before, rev)
		}
		if _, err := s.Reverse(ctx, orig.ID, "again"); !errors.Is(err, store.ErrAlreadyReversed) {
			t.Fatalf("second reversal = %v, want ErrAlreadyReversed", err)
		}
		if _, err := s.Reverse(ctx, "rev:nope", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("reversing a missing transaction = %v, want ErrNotFound", err)
		}
		// Reinstating (reversing the reversal) lets it be reversed again.
		if _, err := s.Reverse(ctx, r1.ID, "reinstate"); err != nil {
			t.Fatal(err)
		}
		if got := total(booksOf(t, s, store.BooksQuery{})); got != before {
			t.Fatalf("reinstated: %+v, want %+v", got, before)
		}
		r2, err := s.Reverse(ctx, orig.ID, "wrong plan, really")
		if err != nil {
			t.Fatal(err)
		}
		if r2.ID != orig.ID+":reversal:2" {
			t.Fatalf("second reversal id %q", r2.ID)
		}
		// Re-deriving after a correction still books nothing new.
		if n := post(t, s, d.Derive(evs)); n != 0 {
			t.Fatalf("re-derivation after reversal booked %d", n)
		}
		if got := total(booksOf(t, s, store.BooksQuery{})); got != after {
			t.Fatalf("after re-derivation %+v, want %+v", got, after)
		}
	})
}
