package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
)

// spendModels: an Azure-only model whose spend draws the Azure commitment
// whatever the policy (organic), and a model that Bedrock serves cheaper
// than Azure (steerable).
const spendModels = `models:
  - name: gpt-4o
    deployments:
      - {name: az/gpt-4o, provider: az, model: gpt-4o, price: {input: "2.50", output: "10"}}
  - name: llama
    deployments:
      - {name: az/llama, provider: az, model: llama, price: {input: "0.71", output: "0.71"}}
      - {name: aws/llama, provider: aws, model: llama, price: {input: "0.60", output: "0.60"}}
commitments:
  - {name: macc, provider: az, kind: spend, amount: "%s", start: 2025-06-01, end: 2025-07-01}`

// TestSpendCommitment checks the acceptance bullet: with a spend commitment
// X over a 30-day term that organic traffic under cheapest would use 60%
// of, commitment ends the term with 98% to 102% of X used and a lower total
// cost (commitment plus pay-as-you-go) than cheapest.
func TestSpendCommitment(t *testing.T) {
	scenario := func(amount money.Nanos) Scenario {
		return Scenario{
			Name:   "spend commitment",
			Config: parse(t, fmt.Sprintf(spendModels, amount.String())),
			Start:  time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Duration: 30 * 24 * time.Hour, Seed: 11,
			Traffic: Traffic{Rate: 0.05, Diurnal: 0.6, Weekend: 0.6, Mix: []Stream{
				{Name: "app", Share: 0.2, Model: "gpt-4o", PromptTokens: 1500, OutputTokens: 300},
				{Name: "agent", Share: 0.8, Model: "llama", PromptTokens: 3000, OutputTokens: 600},
			}},
			Behavior: map[string]Behavior{
				"az/llama":  {TTFT: 500 * time.Millisecond, Jitter: 0.3, TPS: 60},
				"aws/llama": {TTFT: 450 * time.Millisecond, Jitter: 0.3, TPS: 60},
			},
			Policies: []string{config.RouteCheapest},
		}
	}
	// Calibrate X: what cheapest draws is 60% of it.
	calib := run(t, scenario(money.PerDollar)).Results[0]
	organic := calib.Commitments[0].Drawn
	x := organic * 10 / 6
	t.Logf("organic spend under cheapest %s USD: X = %s USD", organic, x)

	s := scenario(x)
	s.Policies = []string{config.RouteCheapest, config.RouteCommitment}
	rep := run(t, s)
	t.Logf("\n%s", rep.Markdown())
	cheap, commit := rep.Result("cheapest"), rep.Result("commitment")
	if u := cheap.Commitments[0].Use; u < 0.599 || u > 0.601 {
		t.Fatalf("cheapest uses %.2f%% of X, want 60%%", 100*u)
	}
	if u := commit.Commitments[0].Use; u < 0.98 || u > 1.02 {
		t.Errorf("commitment uses %.2f%% of X, want 98%% to 102%%", 100*u)
	}
	if commit.Total >= cheap.Total {
		t.Errorf("commitment costs %s USD, cheapest %s USD: want commitment cheaper", commit.Total, cheap.Total)
	}
	if commit.SuccessRate() != 1 || cheap.SuccessRate() != 1 {
		t.Errorf("success: %.4f, %.4f", commit.SuccessRate(), cheap.SuccessRate())
	}
}

// TestCapacityCommitment checks the acceptance bullet: with a capacity
// commitment, its per-minute capacity is used to at least 95% in busy
// minutes before any traffic spills to pay-as-you-go.
func TestCapacityCommitment(t *testing.T) {
	s := Scenario{
		Name: "capacity commitment",
		Config: parse(t, `models:
  - name: m
    deployments:
      - {name: ptu, provider: az, model: m, commitment: ptu, price: {input: "0.20", output: "0.80"}}
      - {name: payg, provider: aws, model: m, price: {input: "0.15", output: "0.60"}}
      - {name: dear, provider: gcp, model: m, price: {input: "0.30", output: "1.20"}}
commitments:
  - {name: ptu, provider: az, kind: capacity, model_units: 20, tokens_per_unit_minute: 5000,
     token_weights: {input: 1, output: 3}, price_per_hour: "2", start: 2025-06-01, end: 2025-07-01}`),
		Start: start, Duration: 24 * time.Hour, Seed: 13,
		// About 60 requests a minute of 1200 input and 250 output tokens:
		// 1950 capacity tokens each, 117000 a minute against 100000, from
		// 47000 at night to 187000 in the afternoon.
		Traffic:  Traffic{Rate: 1, Diurnal: 0.6, Mix: []Stream{{Name: "all", Share: 1, Model: "m", PromptTokens: 1200, OutputTokens: 250}}},
		Policies: []string{config.RouteCheapest, config.RouteCommitment},
	}
	rep := run(t, s)
	t.Logf("\n%s", rep.Markdown())
	c := rep.Result("commitment").Commitments[0]
	if c.BusyMinutes < 300 {
		t.Fatalf("only %d busy minutes: the scenario does not test the capacity", c.BusyMinutes)
	}
	if c.BusyUse < 0.95 {
		t.Errorf("capacity used %.2f%% in busy minutes, want at least 95%%", 100*c.BusyUse)
	}
	// Routing reserves estimated tokens (the output is unknown until the
	// answer ends), so a minute whose requests in flight happen to be
	// short can look fuller than it is: the first percentile must reach
	// 95%, the worst minute 90%.
	if c.UseAtSpillP1 < 0.95 || c.MinUseAtSpill < 0.90 {
		t.Errorf("requests that fit spilled with the capacity %.2f%% used (1st percentile of %d minutes; lowest %.2f%%), want at least 95%%",
			100*c.UseAtSpillP1, c.SpillMinutes, 100*c.MinUseAtSpill)
	}
	if cheap := rep.Result("cheapest"); cheap.Total <= rep.Result("commitment").Total {
		t.Errorf("commitment total %s USD not below cheapest's %s USD", rep.Result("commitment").Total, cheap.Total)
	}
}
