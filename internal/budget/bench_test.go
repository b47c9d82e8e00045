package budget

import (
	"context"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// BenchmarkMemoryReserveSettle is one-node admission and settlement of a
// request under a key budget and its tenant's budget.
func BenchmarkMemoryReserveSettle(b *testing.B) {
	m := NewMemory(nil)
	budgets := []Budget{
		{Scope: "key:k_1", Limit: 1 << 60, Period: mustPeriod(b, "day", ""), Hard: true},
		{Scope: "tenant:t_1", Limit: 1 << 60, Period: mustPeriod(b, "month", "Europe/Berlin"), Hard: true},
	}
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		r, ref, err := m.Reserve(ctx, budgets, 2*cent, time.Minute, now)
		if err != nil || ref != nil {
			b.Fatal(ref, err)
		}
		_ = m.Settle(ctx, r, cent)
	}
	// Wall time per op is inflated on a shared machine; process CPU is what
	// admission costs.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is this process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRedisReserve reports the p50 and p99 round trip of one Reserve
// (two scopes) on the Redis under test, plus Settle's.
func BenchmarkRedisReserve(b *testing.B) {
	dial, prefix := testRedis(b)
	r := NewRedis(dial(), prefix, nil)
	budgets := []Budget{
		{Scope: "key:k_1", Limit: 1 << 50, Period: mustPeriod(b, "day", ""), Hard: true},
		{Scope: "tenant:t_1", Limit: 1 << 50, Period: mustPeriod(b, "month", ""), Hard: true},
	}
	ctx := context.Background()
	res, settle := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	for b.Loop() {
		t := time.Now()
		rv, ref, err := r.Reserve(ctx, budgets, 2*cent, time.Minute, t)
		res = append(res, time.Since(t))
		if err != nil || ref != nil {
			b.Fatal(ref, err)
		}
		t = time.Now()
		if err := r.Settle(ctx, rv, money.Nanos(1)); err != nil {
			b.Fatal(err)
		}
		settle = append(settle, time.Since(t))
	}
	pct := func(d []time.Duration, p float64) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[int(float64(len(d)-1)*p)].Microseconds())
	}
	b.ReportMetric(pct(res, 0.5), "reserve-p50-µs")
	b.ReportMetric(pct(res, 0.99), "reserve-p99-µs")
	b.ReportMetric(pct(settle, 0.5), "settle-p50-µs")
}
