package store_test

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/usage"
)

// BenchmarkWriterSQLite times the gateway's whole journal writer on the
// default store: each batch applied (events and rollups) and booked in the
// ledger in one call (ApplyPost), as the writer does. One key, one model: bench/run's
// traffic. The sub-benchmarks vary the batch, which is the writer's interval
// times the request rate (200 ms at 500 req/s holds 100 events), to show what
// a longer interval saves per event. batch=80-120 is what the writer really
// gets at 500 req/s: a count that differs from one batch to the next.
func BenchmarkWriterSQLite(b *testing.B) {
	sizes := []struct {
		name  string
		batch func() int
	}{
		{"batch=100", fixedBatch(100)},
		{"batch=80-120", variableBatch(80, 120)},
		{"batch=250", fixedBatch(250)},
		{"batch=500", fixedBatch(500)},
		{"batch=1000", fixedBatch(1000)},
	}
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			s := openSQLite(b)
			d := &ledger.Deriver{}
			benchBatches(b, sz.batch, 1, func(ctx context.Context, evs []usage.Event) error {
				_, err := s.ApplyPost(ctx, evs, d.Derive(evs))
				return err
			})
		})
	}
}
