package store_test

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/usage"
)

// BenchmarkWriterSQLite times the gateway's whole journal writer on the
// default store: each batch applied (events and rollups), then booked in the
// ledger, as the writer does after every batch. One key, one model: bench/run's
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
				if err := s.Apply(ctx, evs); err != nil {
					return err
				}
				_, err := s.Post(ctx, d.Derive(evs))
				return err
			})
		})
	}
}
