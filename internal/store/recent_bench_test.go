package store_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// benchRecent fills a store with SWITCHYARD_BENCH_RECENT raw events (default
// 5,000,000) from 1,000 tenants over 30 days, then times the dashboard's
// requests page: a page of 100, newest first, unfiltered, filtered by one
// tenant, by one tenant 40 pages deep, by one tenant's failures, and by
// failures alone. Run with -benchtime=20x.
func benchRecent(b *testing.B, s store.Store) {
	n := 5_000_000
	if v, err := strconv.Atoi(os.Getenv("SWITCHYARD_BENCH_RECENT")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	setup := time.Now()
	step := 30 * 24 * time.Hour / time.Duration(n)
	if err := store.FillRawEvents(ctx, s, n, 1000, benchStart, step); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d raw events written in %s", s.Backend(), n, time.Since(setup).Round(time.Second))
	rl := s.(store.RecentLister)
	// The cursor up to 40 pages into tenant t7 (a tenant has n/1000 events).
	deep := store.RecentQuery{Limit: 100, Tenant: "t7"}
	for range min(40, n/1000/100-1) {
		page, err := rl.RecentEvents(ctx, deep)
		if err != nil || len(page) == 0 {
			b.Fatalf("paging t7: %d events, %v", len(page), err)
		}
		last := page[len(page)-1]
		deep.Before = &store.EventCursor{Time: last.Time, RequestID: last.RequestID, Attempt: last.Attempt}
	}
	for _, tc := range []struct {
		name string
		q    store.RecentQuery
	}{
		{"latest", store.RecentQuery{Limit: 100}},
		{"tenant", store.RecentQuery{Limit: 100, Tenant: "t7"}},
		{"tenant-40-pages-deep", deep},
		{"tenant-failed", store.RecentQuery{Limit: 100, Tenant: "t7", Outcome: usage.Failed}},
		{"key", store.RecentQuery{Limit: 100, KeyID: "k1234"}},
		{"failed", store.RecentQuery{Limit: 100, Outcome: usage.Failed}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var page []usage.Event
			for b.Loop() {
				var err error
				if page, err = rl.RecentEvents(ctx, tc.q); err != nil {
					b.Fatal(err)
				}
			}
			if len(page) == 0 {
				b.Fatal("empty page")
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}

func BenchmarkRecentEventsSQLite(b *testing.B)   { benchRecent(b, openSQLite(b)) }
func BenchmarkRecentEventsPostgres(b *testing.B) { benchRecent(b, openPostgres(b)) }
