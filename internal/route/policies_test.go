package route

import (
	"math"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
)

func TestCheapestSharesEqualPrices(t *testing.T) {
	tab, _ := newTable(t, `models:
  - name: chat
    routing: cheapest
    deployments:
      - {name: a, provider: az, model: m, weight: 3, price: {input: "0.1", output: "0.4"}}
      - {name: b, provider: aws, model: m, weight: 1, price: {input: "0.1", output: "0.4"}}
      - {name: c, provider: gcp, model: m, weight: 100, price: {input: "0.1", output: "0.401"}}`)
	firsts := map[string]int{}
	const n = 20000
	for range n {
		got, dec := route(t, tab, Request{Model: "chat", PromptTokens: 100})
		firsts[got[0]]++
		if got[2] != "c" {
			t.Fatalf("order %v: c costs more and must come last whatever its weight", got)
		}
		dec.Finish(time.Time{})
	}
	if share := float64(firsts["a"]) / n; math.Abs(share-0.75) > 0.02 {
		t.Errorf("a first in %.3f of requests, want 0.75 (weights 3:1 at equal prices)", share)
	}
}

// TestFastestFollowsLatency serves one request a second and checks that
// fastest follows the deployments' measured speed, and that a stale
// estimate is refreshed by an occasional request.
func TestFastestFollowsLatency(t *testing.T) {
	tab, clk := newTable(t, `models:
  - name: chat
    routing: fastest
    deployments:
      - {name: a, provider: az, model: m, price: unpriced}
      - {name: b, provider: aws, model: m, price: unpriced}
      - {name: c, provider: gcp, model: m, price: unpriced}`)
	ttft := map[string]time.Duration{"a": 300 * time.Millisecond, "b": 500 * time.Millisecond, "c": 900 * time.Millisecond}
	const tps = 100.0
	answer := func(d *Deployment) Result {
		out := int64(200)
		return Result{Outcome: Success, End: clk.now.Add(ttft[d.Name] + time.Duration(float64(out)/tps*1e9)),
			TTFT: ttft[d.Name], Usage: wire.Usage{Prompt: 100, Completion: out}}
	}
	run := func(seconds int) map[string]int {
		got := map[string]int{}
		for range seconds {
			for _, d := range serve(t, tab, Request{Model: "chat", PromptTokens: 100}, answer) {
				got[d]++
			}
			clk.advance(time.Second)
		}
		return got
	}
	run(60) // learn
	got := run(300)
	if got["a"] < 260 {
		t.Fatalf("served %v, want nearly all on a", got)
	}
	// Stale estimates are refreshed about every 15 s.
	if got["b"] < 10 || got["b"] > 25 || got["c"] < 10 || got["c"] > 25 {
		t.Errorf("exploration: b %d, c %d requests in 300 s, want about 20 each", got["b"], got["c"])
	}
	ttft["a"] = 600 * time.Millisecond // a's latency doubles
	got = run(60)
	late := run(60)
	if late["b"] < 50 {
		t.Errorf("within a minute of a slowing down: %v, then %v; want b to take over", got, late)
	}
}

func TestPriorityOrder(t *testing.T) {
	// a and b share priority 1 with weights 3:1; c is the backup at priority 2.
	m := NewModel("", Priority{}, deployments([2]int{1, 3}, [2]int{1, 1}, [2]int{2, 1})...)
	firsts := map[string]int{}
	const n = 20000
	for range n {
		plan, _ := m.Plan(time.Now(), nil)
		if len(plan) != 3 || plan[2].Name != "c" {
			t.Fatalf("plan = %v, want the backup last", names(plan))
		}
		firsts[plan[0].Name]++
	}
	if share := float64(firsts["a"]) / n; math.Abs(share-0.75) > 0.02 {
		t.Errorf("a first in %.3f of plans, want 0.75 (weights 3:1)", share)
	}
}

func TestWeightedIgnoresPriority(t *testing.T) {
	m := NewModel("", Weighted{}, deployments([2]int{1, 1}, [2]int{5, 1})...)
	firsts := map[string]int{}
	const n = 10000
	for range n {
		plan, _ := m.Plan(time.Now(), nil)
		firsts[plan[0].Name]++
	}
	if share := float64(firsts["b"]) / n; math.Abs(share-0.5) > 0.03 {
		t.Errorf("b first in %.3f of plans, want 0.5", share)
	}
}
