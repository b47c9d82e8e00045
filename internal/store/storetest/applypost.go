package storetest

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// testApplyPost checks ApplyPost, the journal writer's call: a batch's
// events and the transactions derived from them, booked once whatever was
// stored before (a batch retried whole, replayed in other cuts after a
// crash, or half written by a writer that applied and then died before
// posting), and nothing of a batch that fails its check.
func testApplyPost(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 12))
	evs := Requests(r, 500, t0, 2*24*time.Hour)
	d := &ledger.Deriver{Commitments: ledgerCommitments}
	applyPost := func(batch []usage.Event) int {
		t.Helper()
		n, err := s.ApplyPost(ctx, batch, d.Derive(batch))
		if err != nil {
			t.Fatalf("ApplyPost: %v", err)
		}
		return n
	}

	// Batches of varying size, as the writer cuts them.
	third := len(evs) / 3
	booked := 0
	for i := 0; i < third; {
		n := 40 + r.IntN(90)
		booked += applyPost(evs[i:min(i+n, third)])
		i += n
	}
	if want := len(d.Derive(evs[:third])); booked != want {
		t.Fatalf("ApplyPost booked %d transactions, want %d", booked, want)
	}
	// Replayed in other cuts, whole and overlapping: nothing new.
	for i := 0; i < third; i += 77 {
		if n := applyPost(evs[max(i-20, 0):min(i+77, third)]); n != 0 {
			t.Fatalf("replaying booked %d transactions again", n)
		}
	}
	// The second third was applied by a writer that stopped before booking
	// it; the last third's transactions are booked, its events not.
	apply(t, s, evs[third:2*third])
	post(t, s, d.Derive(evs[2*third:]))
	if n, want := applyPost(evs[third:]), len(d.Derive(evs[third:2*third])); n != want {
		t.Fatalf("ApplyPost over applied events and booked transactions booked %d, want %d", n, want)
	}
	applyPost(evs)

	checkUsage(t, s, evs, store.UsageQuery{GroupBy: []string{"key", "hour"}})
	want := naiveBooks(evs)
	got := total(booksOf(t, s, store.BooksQuery{}))
	if got != (bookSums{want.revenue, want.cost, want.committed, want.requests, want.attempts}) {
		t.Fatalf("books %+v, want revenue %d cost %d committed %d requests %d attempts %d",
			got, want.revenue, want.cost, want.committed, want.requests, want.attempts)
	}
	bal, err := s.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sum money.Nanos
	for _, v := range bal {
		sum += v
	}
	if sum != 0 || bal[ledger.AccountRevenue] != -want.revenue {
		t.Fatalf("balances %v: sum %d, revenue %d; want 0 and %d", bal, sum, bal[ledger.AccountRevenue], -want.revenue)
	}

	// A batch holding an unbalanced transaction writes nothing, events
	// included.
	more := Requests(r, 20, t0.Add(3*24*time.Hour), time.Hour)
	for i := range more {
		more[i].RequestID = "ap-" + more[i].RequestID
	}
	txns := d.Derive(more)
	txns[len(txns)-1].Postings[1].Amount--
	if _, err := s.ApplyPost(ctx, more, txns); err == nil {
		t.Fatal("ApplyPost took a batch holding an unbalanced transaction")
	}
	for _, e := range more[:3] {
		if got, err := s.Events(ctx, e.RequestID); err != nil || len(got) != 0 {
			t.Fatalf("a refused batch's event %s was stored: %+v, %v", e.ID(), got, err)
		}
	}
	if n := applyPost(more); n != len(txns) {
		t.Fatalf("the batch, mended, booked %d of %d", n, len(txns))
	}
}
