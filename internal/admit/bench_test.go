package admit

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/money"
)

// BenchmarkOneNode is one-node admission and settlement, in memory, of a
// key with rate limits and a budget under a tenant with both: the four
// scopes a request can fall under. It reports this process's CPU per
// request, which is what the goal (at most 2 µs) is about.
func BenchmarkOneNode(b *testing.B) {
	a := newAdmitter()
	unlimited := access.Limits{RPM: 1 << 40, TPM: 1 << 50, Concurrent: 1 << 20}
	who := &access.Principal{KeyID: "k_bench", TenantID: "t_bench", Limits: unlimited, TenantLimits: unlimited,
		Budget:       access.Budget{USD: 1 << 60, Period: "day", Hard: true},
		TenantBudget: access.Budget{USD: 1 << 60, Period: "month", TZ: "Europe/Berlin", Hard: true}}
	ctx := context.Background()
	ask := &Ask{Who: who, Tokens: 500, WorstCost: money.PerDollar / 50, Now: time.Now()}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		tk, ref := a.Admit(ctx, ask)
		if ref != nil {
			b.Fatalf("refused: %+v", ref)
		}
		a.Finish(ctx, tk, 100, money.PerDollar/100)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is this process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
