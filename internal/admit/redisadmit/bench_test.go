package redisadmit

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/limit"
	"github.com/switchyard/switchyard/internal/money"
)

// BenchmarkAdmit is cluster admission of a key with rate limits and a
// budget, under a tenant with both (four scopes), on the Redis under test:
// the joint script against the two scripts it replaced ("split"). It reports
// the admission's p50 and p99 and Redis round trips per admission (counted
// by the client hook); each admission is settled before the next. "ping"
// is the floor: one PING round trip on the same client.
func BenchmarkAdmit(b *testing.B) {
	b.Run("ping", func(b *testing.B) {
		c, _ := client(b, sharedAddr(b))
		ctx := context.Background()
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			if err := c.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	})
	for _, mode := range []string{"joint", "split"} {
		b.Run(mode, func(b *testing.B) {
			addr := sharedAddr(b)
			c, n := client(b, addr)
			prefix := testPrefix(b, addr)
			a := split(b, c, prefix, limit.Options{})
			if mode == "joint" {
				a = newRig(b, c, prefix, false, limit.Options{}, nil).Admitter
			}
			unlimited := access.Limits{RPM: 1 << 40, TPM: 1 << 50, Concurrent: 1 << 20}
			who := &access.Principal{KeyID: "k_bench", TenantID: "t_bench", Limits: unlimited, TenantLimits: unlimited,
				Budget:       access.Budget{USD: 1 << 60, Period: "day", Hard: true},
				TenantBudget: access.Budget{USD: 1 << 60, Period: "month", TZ: "Europe/Berlin", Hard: true}}
			ctx := context.Background()
			ask := &admit.Ask{Who: who, Tokens: 500, WorstCost: 2 * cent}
			admitOne := func() (*admit.Ticket, time.Duration) {
				ask.Now = time.Now()
				t0 := time.Now()
				tk, ref := a.Admit(ctx, ask)
				d := time.Since(t0)
				if ref != nil {
					b.Fatalf("refused: %+v", ref)
				}
				return tk, d
			}
			tk, _ := admitOne() // loads the scripts
			a.Finish(ctx, tk, 100, cent)

			lat := make([]time.Duration, 0, b.N)
			trips := 0
			for b.Loop() {
				before := n.count()
				tk, d := admitOne()
				trips += n.count() - before
				lat = append(lat, d)
				a.Finish(ctx, tk, 100, money.Nanos(cent))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(trips)/float64(len(lat)), "trips/admit")
		})
	}
}
