package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
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
			ctx := context.Background()
			tr := newBenchTraffic(1)
			d := &ledger.Deriver{}
			start := benchStart
			n := 0
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				evs := tr.events(batch, start, time.Minute)
				start = start.Add(time.Minute)
				b.StartTimer()
				c0 := cpuTime()
				if err := s.Apply(ctx, evs); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Post(ctx, d.Derive(evs)); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - c0
				n += len(evs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/event")
		})
	}
}
