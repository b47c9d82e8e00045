package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
)

// A paced writer pauses within the statements of one batch, row by row,
// and the batch is still written whole, in one transaction.
func TestSQLitePacedWriter(t *testing.T) {
	s := openSQLite(t)
	evs := storetest.NewGen(3, 2).Events(40)
	txns := (&ledger.Deriver{}).Derive(evs)

	// A slice of 1 ns is used up by every row: the writer pauses before
	// each one after the first.
	ctx := store.Pace(context.Background(), time.Nanosecond, time.Microsecond)
	n, err := s.ApplyPost(ctx, evs, txns)
	if err != nil || n != len(txns) {
		t.Fatalf("ApplyPost = %d, %v; want %d", n, err, len(txns))
	}
	// The slice is checked before every row, not only between statements:
	// 40 events are one statement, and their rows alone make 40 checks.
	if p := store.PausesOf(ctx); p < len(evs) {
		t.Errorf("paced writer paused %d times over a batch of %d events; want one before every row (at least %d)", p, len(evs), len(evs))
	}
	// The hook goes with the paced transaction: a write after it, not
	// paced, does not tick the old pacer.
	before := store.PausesOf(ctx)
	if _, err := s.ApplyPost(context.Background(), storetest.NewGen(5, 2).Events(40), nil); err != nil {
		t.Fatal(err)
	}
	if p := store.PausesOf(ctx); p != before {
		t.Errorf("an unpaced write ticked the previous write's pacer: %d pauses, then %d", before, p)
	}
	rows, err := s.Usage(context.Background(), store.UsageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var attempts int64
	for _, r := range rows {
		attempts += r.Attempts
	}
	if attempts != int64(2*len(evs)) {
		t.Errorf("after a paced batch and an unpaced one the store holds %d attempts; want %d", attempts, 2*len(evs))
	}

	// A pace whose slice is never used up never pauses.
	ctx = store.Pace(context.Background(), time.Hour, time.Microsecond)
	if _, err := s.ApplyPost(ctx, storetest.NewGen(4, 2).Events(40), nil); err != nil {
		t.Fatal(err)
	}
	if p := store.PausesOf(ctx); p != 0 {
		t.Errorf("writer paused %d times within its slice; want 0", p)
	}
}
