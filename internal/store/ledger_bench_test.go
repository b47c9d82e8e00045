package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/store"
)

// benchPost times what the ledger adds to the journal writer: booking the
// transactions of a 1,000-event batch (the writer's batch size), each batch
// new, as in steady traffic. Reported per event.
func benchPost(b *testing.B, s store.Store) {
	ctx := context.Background()
	tr := newBenchTraffic(1000)
	d := &ledger.Deriver{}
	start := benchStart
	b.ResetTimer()
	n := 0
	for b.Loop() {
		b.StopTimer()
		evs := tr.events(1000, start, time.Minute)
		start = start.Add(time.Minute)
		txns := d.Derive(evs)
		b.StartTimer()
		if _, err := s.Post(ctx, txns); err != nil {
			b.Fatal(err)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
}

func BenchmarkPostSQLite(b *testing.B)   { benchPost(b, openSQLite(b)) }
func BenchmarkPostPostgres(b *testing.B) { benchPost(b, openPostgres(b)) }
