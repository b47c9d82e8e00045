package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/usage"
)

// BenchmarkWriterSQLite times the gateway's whole journal writer on the
// default store: each batch applied (events and rollups), then booked in the
// ledger, as the writer does after every batch. One key, one model: bench/run's
// traffic. The sub-benchmarks vary the batch, which is the writer's interval
// times the request rate (200 ms at 500 req/s holds 100 events), to show what
// a longer interval saves per event.
func BenchmarkWriterSQLite(b *testing.B) {
	for _, batch := range []int{100, 250, 500, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := openSQLite(b)
			d := &ledger.Deriver{}
			benchBatches(b, batch, 1, func(ctx context.Context, evs []usage.Event) error {
				if err := s.Apply(ctx, evs); err != nil {
					return err
				}
				_, err := s.Post(ctx, d.Derive(evs))
				return err
			})
		})
	}
}
