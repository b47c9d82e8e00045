package route

import (
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
)

// benchModel has five deployments with everything routing looks at: prices,
// quotas, a concurrency cap, a capacity and a spend commitment, and learnt
// latencies.
const benchModel = `models:
  - name: chat
    deployments:
      - {name: az-ptu, provider: az, model: m, commitment: ptu, price: {input: "0.50", output: "2.00"}, quota: {tpm: 100000000}}
      - {name: az, provider: az, model: m, commitment: macc, price: {input: "0.20", output: "0.80"}, quota: {rpm: 100000000}}
      - {name: aws, provider: aws, model: m, price: {input: "0.15", output: "0.60"}, max_concurrent: 1000}
      - {name: gcp, provider: gcp, model: m, price: {input: "0.30", output: "1.20"}, weight: 3}
      - {name: oa, provider: oa, model: m, price: {input: "0.15", output: "0.60"}, weight: 2}
commitments:
  - {name: ptu, provider: az, kind: capacity, tpm: 1000000000, start: 2025-01-01, end: 2026-01-01, deployments: [az-ptu]}
  - {name: macc, provider: az, kind: spend, amount: "1000000", start: 2025-01-01, end: 2026-01-01}`

func benchTable(tb testing.TB) *Table {
	tab, clk := newTable(tb, benchModel)
	for i, d := range tab.Deployments() {
		d.lat.observe(clk.now.UnixNano(), 0.2+0.1*float64(i), 2, 300)
		d.lat.fail.update(0.01*float64(i), 1)
	}
	return tab
}

// BenchmarkRoute measures one routing decision over five candidates for
// each policy: Route, the first attempt's dispatch and result, and Finish.
// The Decision is declared inside the loop, as a request handler would, to
// show that it stays on the stack.
func BenchmarkRoute(b *testing.B) {
	for _, policy := range policyNames {
		b.Run(policy, func(b *testing.B) {
			tab := benchTable(b)
			tab.Model("chat").Policy, _ = tab.Policy(policy)
			benchRoute(b, tab)
		})
	}
}

// cpuTime is the CPU time the process has used. On a shared machine the
// wall-clock ns/op of a benchmark includes time other processes took; the
// CPU time the loop used does not (the loop does not allocate, so the
// garbage collector adds nothing).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start as cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkRank measures Route alone, without dispatching an attempt.
func BenchmarkRank(b *testing.B) {
	tab := benchTable(b)
	tab.Model("chat").Policy, _ = tab.Policy("commitment")
	req := Request{Model: "chat", Now: t0, PromptTokens: 1000}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		var dec Decision
		if err := tab.Route(&req, &dec); err != nil {
			b.Fatal(err)
		}
		dec.Finish(t0)
	}
	reportCPU(b, cpu)
}

// TestRouteDoesNotAllocate holds the hot path to zero allocations for every
// policy, so that a regression fails the tests, not only the benchmark.
func TestRouteDoesNotAllocate(t *testing.T) {
	for _, policy := range policyNames {
		tab := benchTable(t)
		tab.Model("chat").Policy, _ = tab.Policy(policy)
		res := Result{Outcome: Success, End: t0.Add(time.Second), Usage: wire.Usage{Prompt: 1000, Completion: 250}}
		allocs := testing.AllocsPerRun(200, func() {
			var dec Decision
			req := Request{Model: "chat", Now: t0, PromptTokens: 1000}
			if err := tab.Route(&req, &dec); err != nil {
				t.Fatal(err)
			}
			if len(dec.Candidates()) != 5 {
				t.Fatalf("%s: %d candidates", policy, len(dec.Candidates()))
			}
			if a := dec.Next(t0); a != nil {
				a.Done(res)
			}
			dec.Finish(t0)
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per request, want 0", policy, allocs)
		}
	}
}

// benchRoute routes, answers and finishes one request per iteration on tab,
// reporting allocations and CPU per decision.
func benchRoute(b *testing.B, tab *Table) {
	now := t0
	res := Result{Outcome: Success, End: now.Add(time.Second), Usage: wire.Usage{Prompt: 1000, Completion: 250}}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		var dec Decision
		req := Request{Model: "chat", Now: now, PromptTokens: 1000, MaxTokens: 500}
		if err := tab.Route(&req, &dec); err != nil {
			b.Fatal(err)
		}
		if a := dec.Next(now); a != nil {
			a.Done(res)
		}
		dec.Finish(now)
	}
	reportCPU(b, cpu)
}
