package sim

import (
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/route"
)

// defaultMonthConfig is the gateway config of DefaultMonth: three clouds
// serving an open-weights model, a model only Azure serves, a small
// fallback model, an Azure spend commitment (MACC) and a Bedrock
// provisioned-throughput commitment.
const defaultMonthConfig = `
keys: [{name: sim, key: sim-key-0123456789}]
providers:
  - {name: azure, type: openai-compatible, base_url: "http://127.0.0.1:1/v1", region: eastus, timeouts: {first_byte: 20s}}
  - {name: aws, type: openai-compatible, base_url: "http://127.0.0.1:2/v1", region: us-east-1, timeouts: {first_byte: 20s}}
  - {name: gcp, type: openai-compatible, base_url: "http://127.0.0.1:3/v1", region: europe-west4, timeouts: {first_byte: 20s}}
models:
  # Only Azure serves it: its spend draws the MACC whatever the policy.
  - name: gpt-4o
    deployments:
      - {name: azure/gpt-4o, provider: azure, model: gpt-4o, price: {input: "2.50", output: "10"}}
  # Azure and Bedrock both serve it; Bedrock is cheaper, Azure draws the MACC.
  - name: llama-3.3-70b
    deployments:
      - {name: azure/llama, provider: azure, model: Llama-3.3-70B-Instruct, price: {input: "0.71", output: "0.71"}}
      - {name: aws/llama, provider: aws, model: meta.llama3-3-70b-instruct-v1:0, price: {input: "0.60", output: "0.60"}}
  # Bedrock provisioned throughput first, then on-demand; Europe on GCP.
  - name: gpt-oss-120b
    fallbacks: [gpt-oss-20b]
    deployments:
      - {name: aws/gpt-oss-pt, provider: aws, model: gpt-oss-120b-pt, commitment: bedrock-pt, price: {input: "0.15", output: "0.60"}}
      - {name: aws/gpt-oss, provider: aws, model: openai.gpt-oss-120b-1:0, price: {input: "0.15", output: "0.60"}, quota: {rpm: 600}}
      - {name: gcp/gpt-oss, provider: gcp, model: gpt-oss-120b, price: {input: "0.18", output: "0.72"}}
  - name: gpt-oss-20b
    deployments:
      - {name: gcp/gpt-oss-20b, provider: gcp, model: gpt-oss-20b, price: {input: "0.05", output: "0.20"}}
commitments:
  - {name: azure-macc, provider: azure, kind: spend, amount: "520", start: 2025-06-01, end: 2025-07-01}
  - {name: bedrock-pt, provider: aws, kind: capacity, deployments: [aws/gpt-oss-pt], model_units: 1,
     tokens_per_unit_minute: 15000, price_per_hour: "0.10", start: 2025-06-01, end: 2025-07-01}
`

// DefaultMonth is a month of traffic, June 2025, for the default
// comparison of `switchyard simulate`: about half a million requests with a
// daily cycle and quieter weekends, from three tenants, one of them
// restricted to Europe. Azure has a 440 USD spend commitment that organic
// traffic would use about 60% of; Bedrock a provisioned-throughput
// commitment of 20000 tokens a minute, busy in the daytime. On day 10 the
// European deployment fails 30% of requests for two hours; on days 20 and 21
// the Bedrock on-demand deployment's latency doubles.
//
// It compares priority, cheapest, fastest and commitment. Replaying it
// takes a few seconds per policy.
func DefaultMonth() Scenario {
	cfg, err := config.Parse("default-month.yaml", []byte(defaultMonthConfig), nil)
	if err != nil {
		// The config above is fixed and tested; Run reports a nil config.
		cfg = nil
	}
	day := 24 * time.Hour
	eu := &route.Constraints{Regions: []string{"europe-west4"}}
	return Scenario{
		Name:     "default month",
		Config:   cfg,
		Start:    time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		Duration: 30 * day,
		Seed:     1,
		Traffic: Traffic{
			Rate: 0.2, Diurnal: 0.6, Weekend: 0.6,
			Mix: []Stream{
				{Name: "app", Share: 0.10, Model: "gpt-4o", PromptTokens: 1500, OutputTokens: 300, MaxTokens: 1000},
				{Name: "agent", Share: 0.35, Model: "llama-3.3-70b", PromptTokens: 3000, OutputTokens: 600, MaxTokens: 2000},
				{Name: "chat", Share: 0.45, Model: "gpt-oss-120b", PromptTokens: 2000, OutputTokens: 500, MaxTokens: 2000},
				{Name: "eu", Share: 0.10, Model: "gpt-oss-120b", PromptTokens: 2000, OutputTokens: 500, MaxTokens: 2000, Constraints: eu},
			},
		},
		Behavior: map[string]Behavior{
			"azure/gpt-4o":    {TTFT: 600 * time.Millisecond, Jitter: 0.3, TPS: 70},
			"aws/gpt-oss-pt":  {TTFT: 350 * time.Millisecond, Jitter: 0.2, TPS: 100},
			"aws/gpt-oss":     {TTFT: 400 * time.Millisecond, Jitter: 0.3, TPS: 90, Phases: []Phase{{From: 19 * day, To: 21 * day, TTFTFactor: 2}}},
			"azure/llama":     {TTFT: 500 * time.Millisecond, Jitter: 0.3, TPS: 60},
			"aws/llama":       {TTFT: 450 * time.Millisecond, Jitter: 0.3, TPS: 60},
			"gcp/gpt-oss":     {TTFT: 500 * time.Millisecond, Jitter: 0.3, TPS: 80, Phases: []Phase{{From: 9*day + 14*time.Hour, To: 9*day + 16*time.Hour, ErrorRate: 0.3}}},
			"gcp/gpt-oss-20b": {TTFT: 200 * time.Millisecond, Jitter: 0.3, TPS: 150},
		},
		Policies: []string{config.RoutePriority, config.RouteCheapest, config.RouteFastest, config.RouteCommitment},
	}
}

// FromConfig is a scenario for a gateway's own config: every deployment
// behaves as DefaultBehavior (give Behavior entries to model the clouds),
// and traffic is one stream per model, in equal shares, at rate requests a
// second with a daily cycle, for the given number of days from the first
// commitment's start (or from today's midnight UTC). It compares all five
// policies. The config must be valid; Run reports it otherwise.
func FromConfig(c *config.Config, rate float64, days int) Scenario {
	start := time.Now().UTC().Truncate(24 * time.Hour)
	if c != nil && len(c.Commitments) > 0 && !c.Commitments[0].Start.IsZero() {
		start = c.Commitments[0].Start.UTC()
	}
	s := Scenario{
		Name: "config", Config: c, Start: start, Duration: time.Duration(max(days, 1)) * 24 * time.Hour, Seed: 1,
		Traffic: Traffic{Rate: rate, Diurnal: 0.6, Weekend: 0.6},
		Policies: []string{config.RoutePriority, config.RouteWeighted, config.RouteCheapest,
			config.RouteFastest, config.RouteCommitment},
	}
	if c != nil {
		for _, m := range c.Models {
			s.Traffic.Mix = append(s.Traffic.Mix, Stream{Name: m.Name, Share: 1, Model: m.Name, PromptTokens: 1000, OutputTokens: 300})
		}
	}
	return s
}
