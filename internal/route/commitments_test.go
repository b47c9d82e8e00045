package route

import (
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

const capacityModel = `models:
  - name: chat
    routing: commitment
    deployments:
      - {name: ptu, provider: az, model: m, commitment: ptu, price: {input: "0.50", output: "2.00"}}
      - {name: payg, provider: aws, model: m, price: {input: "0.10", output: "0.40"}}
commitments:
  - {name: ptu, provider: az, kind: capacity, tpm: 10000, start: 2025-06-01, end: 2025-07-01}
routing: {penalties: {latency: 0, failure: 0}}`

func TestCapacityCommitment(t *testing.T) {
	tab, clk := newTable(t, capacityModel)
	req := Request{Model: "chat", PromptTokens: 1000, MaxTokens: 256}
	var got []string
	for range 10 {
		got = append(got, serve(t, tab, req, ok)...)
	}
	// The first request reserves 1000 + 256 expected output tokens; once
	// the model's typical output is learnt (100), each reserves 1100 and
	// settles at 1100: nine fit in 10000, although the deployment is five
	// times dearer.
	if want := []string{"ptu", "ptu", "ptu", "ptu", "ptu", "ptu", "ptu", "ptu", "ptu", "payg"}; !equal(got, want) {
		t.Fatalf("served by %v, want %v", got, want)
	}
	k := tab.Contracts()[0]
	if s := k.Stats(clk.now); s.MinuteUsed != 9900 || s.UsedTokens != 9900 || s.Spilled != 0 {
		t.Errorf("contract stats = %+v", s)
	}
	if s := deployment(t, tab, "ptu").Stats(clk.now); s.Covered != 9 {
		t.Errorf("covered attempts = %d, want 9", s.Covered)
	}
	clk.advance(time.Minute)
	if got := serve(t, tab, req, ok); !equal(got, []string{"ptu"}) {
		t.Errorf("next minute served by %v", got)
	}
	// Outside the term the deployment is priced like any other.
	clk.now = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	if got := serve(t, tab, req, ok); !equal(got, []string{"payg"}) {
		t.Errorf("after the term served by %v", got)
	}
}

func TestCapacityWeights(t *testing.T) {
	c := &config.Commitment{Name: "k", Kind: config.CommitCapacity, TPM: 100,
		TokenWeights: config.TokenWeights{Input: 1, CachedInput: 0.1, Output: 4, Reasoning: 4}}
	k := newContract(c, &defaultSettings, NewState(), 0)
	if n := k.need(1000, 256); n != 1000+4*256 {
		t.Errorf("need = %d, want %d", n, 1000+4*256)
	}
	if n := k.weighed(wire.Usage{Prompt: 1000, Cached: 500, Completion: 100, Reasoning: 40}); n != 500+50+4*100 {
		t.Errorf("weighed = %d, want %d", n, 500+50+400)
	}
}

const spendModel = `models:
  - name: chat
    routing: commitment
    deployments:
      - {name: macc, provider: az, model: m, price: {input: "1", output: "1"}}
      - {name: payg, provider: aws, model: m, price: {input: "0.5", output: "0.5"}}
commitments:
  - {name: macc, provider: az, kind: spend, amount: "2.4", start: 2025-06-02, end: 2025-06-03}
routing: {spend_pacing: 1h, penalties: {latency: 0, failure: 0}}`

func TestSpendCommitmentPacing(t *testing.T) {
	tab, clk := newTable(t, spendModel)
	k := tab.Contracts()[0]
	// 2.4 USD over a day in one-hour steps. The table was built at 10:00,
	// not knowing what was spent before: the term so far is taken to have
	// been on pace, and the 1.4 USD left are paced over the 14 hours left,
	// 0.1 USD an hour. A request of 1000 tokens costs 0.001 USD at macc.
	req := Request{Model: "chat", PromptTokens: 900, MaxTokens: 100}
	answer := func(d *Deployment) Result {
		u := wire.Usage{Prompt: 900, Completion: 100}
		return Result{Outcome: Success, Usage: u, Cost: settled(d, u)}
	}
	count := func(n int) map[string]int {
		got := map[string]int{}
		for range n {
			for _, d := range serve(t, tab, req, answer) {
				got[d]++
			}
			clk.advance(time.Second)
		}
		return got
	}
	if got := count(150); got["macc"] != 100 || got["payg"] != 50 {
		t.Fatalf("first hour: %v, want 100 requests (0.1 USD, the first hour's pace) steered to macc", got)
	}
	if s := k.Stats(clk.now); s.Spent != 100*money.PerDollar/1000 || s.Pace != money.PerDollar/10 || s.Pending != 0 || s.Left != 1_400_000_000 {
		t.Fatalf("stats = %+v", s)
	}
	// After a quiet hour the pace is 0.3 USD by 13:00: the shortfall is
	// caught up at once.
	clk.now = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	if got := count(250); got["macc"] != 200 {
		t.Fatalf("after a quiet hour: %v, want 200 steered", got)
	}
	// In flight, an attempt's estimate counts toward the pace.
	clk.now = time.Date(2025, 6, 2, 13, 0, 0, 0, time.UTC)
	var dec Decision
	if err := tab.Route(&req, &dec); err != nil {
		t.Fatal(err)
	}
	a := dec.Next(time.Time{})
	if s := k.Stats(clk.now); a.Deployment.Name != "macc" || !a.Covered || s.Pending != money.PerDollar/1000 {
		t.Fatalf("in flight: %s covered %v, stats %+v", a.Deployment.Name, a.Covered, s)
	}
	a.Done(answer(a.Deployment))
	dec.Finish(time.Time{})
	if s := k.Stats(clk.now); s.Pending != 0 || s.Spent != 301*money.PerDollar/1000 {
		t.Fatalf("settled: %+v", s)
	}
	// The books say 2 USD were spent by 14:00: 0.4 USD left over 10 hours.
	clk.now = time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)
	k.SetSpent(2*money.PerDollar, clk.now)
	if got := count(100); got["macc"] != 40 {
		t.Errorf("after SetSpent: %v, want 40 steered (0.04 USD)", got)
	}
	k.SetSpent(2_400_000_000, clk.now)
	if got := count(5); got["macc"] != 0 {
		t.Errorf("with the amount spent: %v", got)
	}
	// Steering stops at the end of the term.
	k.SetSpent(0, clk.now)
	clk.now = time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)
	if got := count(5); got["macc"] != 0 {
		t.Errorf("after the term: %v", got)
	}
}

func TestCommitmentPolicyPenalties(t *testing.T) {
	// A free deployment that is 10 s slower loses to a pay-as-you-go one
	// when a second is worth more than the request's price.
	tab, clk := newTable(t, capacityModel)
	pol := Commitment{LatencyPenalty: 100_000} // 0.0001 USD per second
	ptu, payg := deployment(t, tab, "ptu"), deployment(t, tab, "payg")
	ptu.lat.observe(clk.now.UnixNano(), 10, 10, 0)
	payg.lat.observe(clk.now.UnixNano(), 0.1, 0.1, 0)
	in := Input{Now: clk.now.UnixNano(), PromptTokens: 1000, OutputTokens: 100}
	sp := pol.Score(in, Candidate{D: ptu, Cost: expectedCost(ptu, in)})
	sg := pol.Score(in, Candidate{D: payg, Cost: expectedCost(payg, in)})
	// ptu: free; 10 s to the first token and 100 tokens at the optimistic
	// prior of 1000 tokens/s: 10.1 s. payg: 0.14 mUSD and 0.2 s.
	if sp != 1_010_000 {
		t.Errorf("free but slow score = %d, want 1010000", sp)
	}
	if sg != 140_000+20_000 {
		t.Errorf("paid but fast score = %d, want 160000", sg)
	}
	if sg >= sp {
		t.Error("the latency penalty did not outweigh the saving")
	}
	// Failure risk: 10% failures at 0.001 USD each is 100000 nano-dollars.
	pol = Commitment{FailurePenalty: 1_000_000}
	for range 200 {
		payg.lat.fail.update(0.1, 1)
	}
	if s := pol.Score(in, Candidate{D: payg, Cost: expectedCost(payg, in)}); s != 140_000+100_000 {
		t.Errorf("risk-penalized score = %d, want %d", s, 240_000)
	}
}
