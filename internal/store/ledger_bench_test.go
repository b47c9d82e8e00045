package store_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// benchPost times what the ledger adds to the journal writer: booking the
// transactions of batches of `batch` events from `keys` keys, each batch
// new, as in steady traffic. Reported per event: wall time, and this
// process's CPU (user + system) spent inside Post, which is what the
// gateway pays on its own cores (Postgres's server-side work is not in it).
func benchPost(b *testing.B, s store.Store, batch, keys int) {
	d := &ledger.Deriver{}
	benchBatches(b, fixedBatch(batch), keys, func(ctx context.Context, evs []usage.Event) error {
		_, err := s.Post(ctx, d.Derive(evs))
		return err
	})
}

// benchBatches runs write on batches of batch() new events from `keys`
// keys, a minute of traffic each, and reports wall time and this process's
// CPU per event spent in write (generating the events is not counted).
func benchBatches(b *testing.B, batch func() int, keys int, write func(context.Context, []usage.Event) error) {
	ctx := context.Background()
	tr := newBenchTraffic(keys)
	tr.gatewayIDs = true
	start := benchStart
	b.ResetTimer()
	n := 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		evs := tr.events(batch(), start, time.Minute)
		start = start.Add(time.Minute)
		b.StartTimer()
		c0 := cpuTime()
		if err := write(ctx, evs); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		n += len(evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/event")
}

// fixedBatch makes every batch n events.
func fixedBatch(n int) func() int { return func() int { return n } }

// variableBatch makes batches of lo..hi events in a fixed pseudo-random
// sequence: what the writer sees, since a 200 ms window of traffic never
// holds the same count twice in a row. A store that prepares only some
// statement sizes pays for the others here, not with a fixed batch.
func variableBatch(lo, hi int) func() int {
	r := rand.New(rand.NewPCG(7, 7))
	return func() int { return lo + r.IntN(hi-lo+1) }
}

// The writer's full batch (1,000 events) from 1,000 keys: the worst case
// for the rollups.
func BenchmarkPostSQLite(b *testing.B)   { benchPost(b, openSQLite(b), 1000, 1000) }
func BenchmarkPostPostgres(b *testing.B) { benchPost(b, openPostgres(b), 1000, 1000) }

// What bench/run makes of it: 500 req/s from one key, so the writer's
// 200 ms batches hold about 100 events (97 here: an odd remainder).
func BenchmarkPostSQLiteSmall(b *testing.B)   { benchPost(b, openSQLite(b), 97, 1) }
func BenchmarkPostPostgresSmall(b *testing.B) { benchPost(b, openPostgres(b), 97, 1) }
