package admin

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// BenchmarkTraffic times GET /admin/v1/traffic's read and sums over a
// SQLite store holding 200,000 attempts in the last hour (more than the
// default limit reads): go test ./internal/admin -run '^$' -bench Traffic -benchtime 10x
func BenchmarkTraffic(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	const n = 200_000
	batch := make([]usage.Event, 0, 5000)
	for i := range n {
		e := usage.Event{RequestID: fmt.Sprintf("req_%07d", i), Attempt: 1 + i%7/6, Time: now.Add(-time.Hour + time.Duration(i)*time.Hour/n),
			TenantID: fmt.Sprintf("t%d", i%50), KeyID: "k", Model: "gpt-x", Deployment: fmt.Sprintf("d%d", i%8), Provider: fmt.Sprintf("p%d", i%4),
			Op: "chat", Outcome: usage.Completed, Status: 200, TTFT: time.Duration(50+i%400) * time.Millisecond, Duration: time.Second, Cost: 1000}
		batch = append(batch, e)
		if len(batch) == cap(batch) {
			if err := st.Apply(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	rl := st.(store.RecentLister)
	for _, limit := range []int{defaultTrafficLimit, maxTrafficLimit} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			for range b.N {
				out, err := summarizeTraffic(ctx, rl, now.Add(-time.Hour), now, limit, map[string]string{"gpt-x": "cheapest"})
				if err != nil || out.AttemptsRead != limit || out.Complete {
					b.Fatalf("%v: read %d complete %v", err, out.AttemptsRead, out.Complete)
				}
			}
		})
	}
}

// BenchmarkRecentCharges times what the requests list adds to a page of
// 100 events: one ledger read per charged attempt (SQLite, 20,000 events
// and their books): go test ./internal/admin -run '^$' -bench RecentCharges -benchtime 50x
func BenchmarkRecentCharges(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	var evs []usage.Event
	for i := range 20_000 {
		evs = append(evs, usage.Event{RequestID: fmt.Sprintf("req_%07d", i), Attempt: 1, Time: now.Add(-time.Duration(i) * time.Second),
			TenantID: "t1", KeyID: "k", Model: "gpt-x", Deployment: "d1", Provider: "p1", Op: "chat", Outcome: usage.Completed, Status: 200, Cost: 1000})
	}
	if err := st.Apply(ctx, evs); err != nil {
		b.Fatal(err)
	}
	d := ledger.Deriver{}
	if _, err := st.Post(ctx, d.Derive(evs)); err != nil {
		b.Fatal(err)
	}
	page, err := st.(store.RecentLister).RecentEvents(ctx, store.RecentQuery{Limit: 100})
	if err != nil {
		b.Fatal(err)
	}
	h := New(Options{Store: st})
	b.ResetTimer()
	for range b.N {
		out := h.withCharges(ctx, page)
		if out[99].ChargedUSD == nil {
			b.Fatal("no charge read")
		}
	}
}
