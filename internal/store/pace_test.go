package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
)

// A paced writer pauses between the statements of one batch, and the batch
// is still written whole, in one transaction.
func TestSQLitePacedWriter(t *testing.T) {
	s := openSQLite(t)
	evs := storetest.NewGen(3, 2).Events(40)
	txns := (&ledger.Deriver{}).Derive(evs)

	// A slice of 1 ns is used up by every statement: the writer pauses
	// before each one after the first.
	ctx := store.Pace(context.Background(), time.Nanosecond, time.Microsecond)
	n, err := s.ApplyPost(ctx, evs, txns)
	if err != nil || n != len(txns) {
		t.Fatalf("ApplyPost = %d, %v; want %d", n, err, len(txns))
	}
	// 40 events are 5 statements of 8 rows (pacedRows), and their ledger rows more.
	if p := store.PausesOf(ctx); p < 5 {
		t.Errorf("paced writer paused %d times over a batch of 40 events; want one between statements (at least 5)", p)
	}
	rows, err := s.Usage(context.Background(), store.UsageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var attempts int64
	for _, r := range rows {
		attempts += r.Attempts
	}
	if attempts != int64(len(evs)) {
		t.Errorf("after a paced batch the store holds %d attempts; want %d", attempts, len(evs))
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
