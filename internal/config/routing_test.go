package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Lines for routing tests: two providers, one with a region, and a model
// with one deployment on each.
const (
	lineRProviders = `providers: [{name: az, type: azure, base_url: "https://x", api_key: k, region: eastus}, {name: oa, type: openai, api_key: k}]`
	lineRModels    = `models: [{name: m, deployments: [{provider: az, model: a, price: unpriced}, {provider: oa, model: b, price: unpriced}]}]`
	lineRModelsPTU = `models: [{name: m, deployments: [{provider: az, model: a, price: unpriced}, {provider: az, model: p, commitment: ptu, price: unpriced}, {provider: oa, model: b, price: unpriced}]}]`
)

// TestValidateRouting has one case per routing, commitment and key
// constraint rule, through Parse, with the exact key and line of each error.
func TestValidateRouting(t *testing.T) {
	const kp = lineKeys + "\n" + lineRProviders // lines 1-2
	spend := func(extra string) string {
		return `commitments: [{name: c, provider: az, kind: spend, amount: "100", start: 2025-01-01, end: 2026-01-01` + extra + `}]`
	}
	capacity := func(extra string) string {
		return `commitments: [{name: ptu, provider: az, kind: capacity, start: 2025-01-01, end: 2025-02-01` + extra + `}]`
	}
	tests := []struct {
		name string
		yaml string
		want []want
	}{
		// policies and fallbacks
		{"every policy", doc(kp, "models:",
			"  - {name: a, routing: cheapest, deployments: [{provider: az, model: a, price: unpriced}]}",
			"  - {name: b, routing: fastest, deployments: [{provider: az, model: b, price: unpriced}]}",
			"  - {name: c, routing: commitment, deployments: [{provider: az, model: c, price: unpriced}]}",
			"  - {name: d, routing: weighted, deployments: [{provider: az, model: d, price: unpriced}]}"), nil},
		{"fallback chain", doc(kp, "models:",
			"  - {name: a, fallbacks: [b, c], deployments: [{provider: az, model: a, price: unpriced}]}",
			"  - {name: b, fallbacks: [c], deployments: [{provider: az, model: b, price: unpriced}]}",
			"  - {name: c, deployments: [{provider: az, model: c, price: unpriced}]}"), nil},
		{"fallback unknown", doc(kp, "models: [{name: a, fallbacks: [zz], deployments: [{provider: az, model: a, price: unpriced}]}]"),
			[]want{{"models[0].fallbacks[0]", 3, `no model named "zz"`}}},
		{"fallback to itself", doc(kp, "models: [{name: a, fallbacks: [a], deployments: [{provider: az, model: a, price: unpriced}]}]"),
			[]want{{"models[0].fallbacks[0]", 3, "cannot fall back to itself"}}},
		{"fallback twice", doc(kp, "models:",
			"  - {name: a, fallbacks: [b, b], deployments: [{provider: az, model: a, price: unpriced}]}",
			"  - {name: b, deployments: [{provider: az, model: b, price: unpriced}]}"),
			[]want{{"models[0].fallbacks[1]", 4, `"b" is listed twice`}}},
		{"fallback cycle of two", doc(kp, "models:",
			"  - {name: a, fallbacks: [b], deployments: [{provider: az, model: a, price: unpriced}]}",
			"  - {name: b, fallbacks: [a], deployments: [{provider: az, model: b, price: unpriced}]}"),
			[]want{{"models[1].fallbacks[0]", 5, "fallbacks form a cycle: a -> b -> a"}}},
		{"fallback cycle off the start", doc(kp, "models:",
			"  - {name: a, fallbacks: [b], deployments: [{provider: az, model: a, price: unpriced}]}",
			"  - {name: b, fallbacks: [c], deployments: [{provider: az, model: b, price: unpriced}]}",
			"  - {name: c, fallbacks: [b], deployments: [{provider: az, model: c, price: unpriced}]}"),
			[]want{{"models[2].fallbacks[0]", 6, "fallbacks form a cycle: b -> c -> b"}}},

		// deployments
		{"region and cap", doc(kp, "models: [{name: m, deployments: [{provider: oa, model: a, region: eu-west-1, max_concurrent: 8, price: unpriced}]}]"), nil},
		{"region pattern", doc(kp, "models: [{name: m, deployments: [{provider: oa, model: a, region: 'eu west', price: unpriced}]}]"),
			[]want{{"models[0].deployments[0].region", 3, `"eu west" may contain only`}}},
		{"provider region pattern", doc(lineKeys, `providers: [{name: az, type: openai, api_key: k, region: "east us"}]`, "models: [{name: m, deployments: [{provider: az, model: a, price: unpriced}]}]"),
			[]want{{"providers[0].region", 2, `"east us" may contain only`}}},
		{"max_concurrent negative", doc(kp, "models: [{name: m, deployments: [{provider: oa, model: a, max_concurrent: -1, price: unpriced}]}]"),
			[]want{{"models[0].deployments[0].max_concurrent", 3, "must be between 0 (no cap) and 1000000"}}},
		{"idle timeout", doc(lineKeys, `providers: [{name: az, type: openai, api_key: k, timeouts: {idle: -2s}}]`, "models: [{name: m, deployments: [{provider: az, model: a, price: unpriced}]}]"),
			[]want{{"providers[0].timeouts.idle", 2, "must not be negative"}}},

		// key constraints
		{"key constraints", doc(`keys: [{name: eu, key: eu-key-0123456789, allowed_providers: [az], allowed_regions: [eastus], allow_route_override: [fastest]}]`,
			lineRProviders, lineRModels), nil},
		{"key override all", doc(`keys: [{name: eu, key: eu-key-0123456789, allow_route_override: true}]`, lineRProviders, lineRModels), nil},
		{"key unknown provider", doc(`keys: [{name: eu, key: eu-key-0123456789, allowed_providers: [az, gcp]}]`, lineRProviders, lineRModels),
			[]want{{"keys[0].allowed_providers[1]", 1, `no provider named "gcp"`}}},
		{"key unknown region", doc(`keys: [{name: eu, key: eu-key-0123456789, allowed_regions: [eu-west-1]}]`, lineRProviders, lineRModels),
			[]want{{"keys[0].allowed_regions[0]", 1, `no deployment is in region "eu-west-1"`}}},
		{"key empty region", doc(`keys: [{name: eu, key: eu-key-0123456789, allowed_regions: [""]}]`, lineRProviders, lineRModels),
			[]want{{"keys[0].allowed_regions[0]", 1, "must not be empty"}}},
		{"key unknown override", doc(`keys: [{name: eu, key: eu-key-0123456789, allow_route_override: [fastest, slowest]}]`, lineRProviders, lineRModels),
			[]want{{"keys[0].allow_route_override", 1, `unknown routing policy "slowest"`}}},
		{"key override text", doc(`keys: [{name: eu, key: eu-key-0123456789, allow_route_override: yes}]`, lineRProviders, lineRModels),
			[]want{{"keys[0].allow_route_override", 1, "want true, false or a list of routing policies"}}},
		{"key override mapping", doc(`keys: [{name: eu, key: eu-key-0123456789, allow_route_override: {a: b}}]`, lineRProviders, lineRModels),
			[]want{{"keys[0].allow_route_override", 1, "want true, false or a list"}}},

		// commitments
		{"spend catch-all", doc(kp, lineRModels, spend("")), nil},
		{"capacity by deployment", doc(kp, lineRModelsPTU, capacity(", tpm: 1000, price_per_hour: '2.5'")), nil},
		{"capacity by list", doc(kp, lineRModels, capacity(", model_units: 2, tokens_per_unit_minute: 500, deployments: [az/a]")), nil},
		{"name required", doc(kp, lineRModels, `commitments: [{provider: az, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01}]`),
			[]want{{"commitments[0].name", 4, "is required"}}},
		{"name unique", doc(kp, lineRModelsPTU, "commitments:",
			"  - {name: ptu, provider: az, kind: capacity, tpm: 5, start: 2025-01-01, end: 2026-01-01}",
			"  - {name: ptu, provider: az, kind: spend, amount: '5', start: 2025-01-01, end: 2026-01-01, deployments: [az/a]}"),
			[]want{{"commitments[1].name", 6, `duplicate name "ptu" (also commitments[0].name)`}}},
		{"provider required", doc(kp, lineRModels, `commitments: [{name: c, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01}]`),
			[]want{{"commitments[0].provider", 4, "is required"}}},
		{"provider unknown", doc(kp, lineRModels, `commitments: [{name: c, provider: gcp, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01}]`),
			[]want{{"commitments[0].provider", 4, `no provider named "gcp"`}}},
		{"kind required", doc(kp, lineRModels, `commitments: [{name: c, provider: az, amount: "1", start: 2025-01-01, end: 2026-01-01}]`),
			[]want{{"commitments[0].kind", 4, "is required; want spend or capacity"}}},
		{"kind unknown", doc(kp, lineRModels, `commitments: [{name: c, provider: az, kind: credit, start: 2025-01-01, end: 2026-01-01}]`),
			[]want{{"commitments[0].kind", 4, `unknown commitment kind "credit"`}}},
		{"spend amount required", doc(kp, lineRModels, `commitments: [{name: c, provider: az, kind: spend, start: 2025-01-01, end: 2026-01-01}]`),
			[]want{{"commitments[0].amount", 4, "is required for a spend commitment"}}},
		{"spend amount negative", doc(kp, lineRModels, `commitments: [{name: c, provider: az, kind: spend, amount: "-1", start: 2025-01-01, end: 2026-01-01}]`),
			[]want{{"commitments[0].amount", 4, "must not be negative"}}},
		{"spend amount too precise", doc(kp, lineRModels, `commitments: [{name: c, provider: az, kind: spend, amount: "0.0000000001", start: 2025-01-01, end: 2026-01-01}]`),
			[]want{{"commitments[0].amount", 4, "more precise than one nano-dollar"}}},
		{"spend with capacity fields", doc(kp, lineRModels, spend(", tpm: 10, price_per_hour: '1', token_weights: {output: 2}")), []want{
			{"commitments[0].tpm", 4, "applies only to capacity commitments"},
			{"commitments[0].price_per_hour", 4, "applies only to capacity commitments"},
			{"commitments[0].token_weights", 4, "applies only to capacity commitments"},
		}},
		{"capacity with amount", doc(kp, lineRModelsPTU, capacity(`, tpm: 10, amount: "5"`)),
			[]want{{"commitments[0].amount", 4, "applies only to spend commitments"}}},
		{"capacity needs size", doc(kp, lineRModelsPTU, capacity("")),
			[]want{{"commitments[0].tpm", 4, "needs tpm, or model_units with tokens_per_unit_minute"}}},
		{"capacity both sizes", doc(kp, lineRModelsPTU, capacity(", tpm: 10, model_units: 1")),
			[]want{{"commitments[0].model_units", 4, "not both"}}},
		{"capacity units alone", doc(kp, lineRModelsPTU, capacity(", model_units: 3")),
			[]want{{"commitments[0].tokens_per_unit_minute", 4, "must be more than 0 (with model_units)"}}},
		{"capacity tokens alone", doc(kp, lineRModelsPTU, capacity(", tokens_per_unit_minute: 3")),
			[]want{{"commitments[0].model_units", 4, "must be more than 0 (with tokens_per_unit_minute)"}}},
		{"capacity negative tpm", doc(kp, lineRModelsPTU, capacity(", tpm: -3")),
			[]want{{"commitments[0].tpm", 4, "must be more than 0"}}},
		{"capacity overflow", doc(kp, lineRModelsPTU, capacity(", model_units: 1000000000, tokens_per_unit_minute: 1000000")),
			[]want{{"commitments[0].model_units", 4, "must be at most 1000000000000"}}},
		{"capacity weights", doc(kp, lineRModelsPTU, capacity(", tpm: 5, token_weights: {input: -1, cached_input: 1001, output: 2}")), []want{
			{"commitments[0].token_weights.input", 4, "must be between 0 and 1000"},
			{"commitments[0].token_weights.cached_input", 4, "must be between 0 and 1000"},
		}},
		{"term required", doc(kp, lineRModels, `commitments: [{name: c, provider: az, kind: spend, amount: "1"}]`),
			[]want{{"commitments[0].start", 4, "is required"}}},
		{"end required", doc(kp, lineRModels, `commitments: [{name: c, provider: az, kind: spend, amount: "1", start: 2025-01-01}]`),
			[]want{{"commitments[0].end", 4, "is required"}}},
		{"end before start", doc(kp, lineRModels, `commitments: [{name: c, provider: az, kind: spend, amount: "1", start: 2025-01-01, end: 2025-01-01}]`),
			[]want{{"commitments[0].end", 4, "must be after start (2025-01-01T00:00:00Z)"}}},
		{"bad date", doc(kp, lineRModels, `commitments: [{name: c, provider: az, kind: spend, amount: "1", start: 2025-02-30, end: 2026-01-01}]`),
			[]want{{"commitments[0].start", 4, "want a date such as 2025-01-01"}}},
		{"list unknown deployment", doc(kp, lineRModels, spend(", deployments: [az/zz]")), []want{
			{"commitments[0].deployments", 4, "covers no deployment"},
			{"commitments[0].deployments[0]", 4, `no deployment named "az/zz"`},
		}},
		{"list other provider", doc(kp, lineRModels, spend(", deployments: [az/a, oa/b]")),
			[]want{{"commitments[0].deployments[1]", 4, `deployment "oa/b" is of provider "oa", not "az"`}}},
		{"list twice", doc(kp, lineRModels, spend(", deployments: [az/a, az/a]")),
			[]want{{"commitments[0].deployments[1]", 4, `"az/a" is listed twice`}}},
		{"listed by two", doc(kp, lineRModels, "commitments:",
			`  - {name: c1, provider: az, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01, deployments: [az/a]}`,
			`  - {name: c2, provider: az, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01, deployments: [az/a]}`), []want{
			{"commitments[1].deployments", 6, "covers no deployment"},
			{"commitments[1].deployments[0]", 6, `already listed by commitments[0]`},
		}},
		{"named and listed elsewhere", doc(kp, lineRModelsPTU, "commitments:",
			`  - {name: ptu, provider: az, kind: capacity, tpm: 5, start: 2025-01-01, end: 2026-01-01}`,
			`  - {name: c2, provider: az, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01, deployments: [az/p]}`),
			[]want{{"models[0].deployments[1].commitment", 3, `names commitment "ptu" but commitments[1] lists the deployment`}}},
		{"deployment names unknown", doc(kp, lineRModelsPTU),
			[]want{{"models[0].deployments[1].commitment", 3, `no commitment named "ptu"`}}},
		{"deployment names other provider's", doc(kp,
			`models: [{name: m, deployments: [{provider: oa, model: b, commitment: c, price: unpriced}]}]`, spend("")), []want{
			{"models[0].deployments[0].commitment", 3, `commitment "c" is with provider "az", not the deployment's provider "oa"`},
			{"commitments[0].deployments", 4, "covers no deployment"},
		}},
		{"two catch-alls", doc(kp, lineRModels, "commitments:",
			`  - {name: c1, provider: az, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01}`,
			`  - {name: c2, provider: az, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01}`),
			[]want{{"commitments[1].deployments", 6, "commitments[0] also covers every deployment of provider \"az\""}}},
		{"catch-all beside a named one", doc(kp, lineRModelsPTU, "commitments:",
			`  - {name: ptu, provider: az, kind: capacity, tpm: 5, start: 2025-01-01, end: 2026-01-01}`,
			`  - {name: macc, provider: az, kind: spend, amount: "1", start: 2025-01-01, end: 2026-01-01}`), nil},

		// routing settings
		{"routing valid", doc(kp, lineRModels, "routing:",
			"  penalties: {latency: '0.0001', failure: '0.5'}",
			"  health: {consecutive_failures: 3, error_ratio: 1, min_requests: 1, window: 1s, base_ejection: 1s, max_ejection: 1s}",
			"  retry_budget: {ratio: 1, min_concurrent: 100000}",
			"  spend_pacing: 24h",
			"  expected_output_tokens: 10000000"), nil},
		{"penalty not money", doc(kp, lineRModels, "routing: {penalties: {latency: 1e-5}}"),
			[]want{{"routing.penalties.latency", 4, "want an amount of US dollars"}}},
		{"penalty list", doc(kp, lineRModels, "routing: {penalties: {failure: [1]}}"),
			[]want{{"routing.penalties.failure", 4, "want an amount of US dollars such as \"1500\", got a list"}}},
		{"health ranges", doc(kp, lineRModels, "routing:", "  health:",
			"    consecutive_failures: 1001",
			"    error_ratio: -0.1",
			"    min_requests: 1000001",
			"    window: 500ms",
			"    base_ejection: 100ms",
			"    slow_start: 2h"), []want{
			{"routing.health.consecutive_failures", 6, "must be between 0 (off) and 1000"},
			{"routing.health.error_ratio", 7, "must be between 0 (off) and 1"},
			{"routing.health.min_requests", 8, "must be between 1 and 1000000"},
			{"routing.health.window", 9, "must be at least 1s"},
			{"routing.health.base_ejection", 10, "must be at least 1s"},
			{"routing.health.slow_start", 11, "must be between 0 (off) and 1h"},
		}},
		{"ejection order", doc(kp, lineRModels, "routing: {health: {base_ejection: 10m, max_ejection: 1m}}"),
			[]want{{"routing.health.max_ejection", 4, "must not be shorter than base_ejection (10m0s)"}}},
		{"budget ranges", doc(kp, lineRModels, "routing: {retry_budget: {ratio: 1.01, min_concurrent: 100001}}"), []want{
			{"routing.retry_budget.ratio", 4, "must be between 0 and 1"},
			{"routing.retry_budget.min_concurrent", 4, "must be between 0 and 100000"},
		}},
		{"pacing range", doc(kp, lineRModels, "routing: {spend_pacing: 500ms}"),
			[]want{{"routing.spend_pacing", 4, "must be at least 1s"}}},
		{"output tokens range", doc(kp, lineRModels, "routing: {expected_output_tokens: 10000001}"),
			[]want{{"routing.expected_output_tokens", 4, "must be between 1 and 10000000"}}},
		{"unknown routing key", doc(kp, lineRModels, "routing: {retries: 3}"),
			[]want{{"routing", 4, `unknown key "retries"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml), env())
			checkErrors(t, err, tt.want)
		})
	}
}

// TestCommitmentCoverage checks how SetDefaults resolves which commitment
// each deployment draws on.
func TestCommitmentCoverage(t *testing.T) {
	c, err := Parse("test.yaml", []byte(doc(lineKeys, lineRProviders,
		"models:",
		"  - name: m",
		"    deployments:",
		"      - {provider: az, model: payg, price: unpriced}",
		"      - {provider: az, model: ptu, commitment: ptu, price: unpriced}",
		"      - {provider: az, model: listed, price: unpriced}",
		"      - {provider: oa, model: b, price: unpriced}",
		"commitments:",
		"  - {name: ptu, provider: az, kind: capacity, tpm: 100, start: 2025-01-01, end: 2025-02-01}",
		"  - {name: scale, provider: az, kind: capacity, tpm: 100, start: 2025-01-01, end: 2025-02-01, deployments: [az/listed]}",
		`  - {name: macc, provider: az, kind: spend, amount: "1000", start: 2025-01-01, end: 2026-01-01}`,
	)), env())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range c.Models[0].Deployments {
		got[d.Name] = d.Commitment
	}
	want := map[string]string{"az/payg": "macc", "az/ptu": "ptu", "az/listed": "scale", "oa/b": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commitments = %v, want %v", got, want)
	}
	for _, cm := range c.Commitments {
		for _, d := range c.Models[0].Deployments {
			if cm.Covers(&d) != (want[d.Name] == cm.Name) {
				t.Errorf("%s.Covers(%s) = %v", cm.Name, d.Name, cm.Covers(&d))
			}
		}
	}
	// Defaults are idempotent: resolving again changes nothing.
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("after a second SetDefaults: %v", err)
	}
	for _, d := range c.Models[0].Deployments {
		if d.Commitment != want[d.Name] {
			t.Errorf("after a second SetDefaults %s draws on %q", d.Name, d.Commitment)
		}
	}
}

func TestRoutingDefaults(t *testing.T) {
	c := validConfig()
	r := c.Routing
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"latency penalty", r.Penalties.Latency, money.Nanos(10_000)},
		{"failure penalty", r.Penalties.Failure, money.Nanos(1_000_000)},
		{"consecutive", r.Health.ConsecutiveFailures, 5},
		{"ratio", r.Health.ErrorRatio, 0.25},
		{"min requests", r.Health.MinRequests, 20},
		{"window", r.Health.Window.D(), 30 * time.Second},
		{"base ejection", r.Health.BaseEjection.D(), 30 * time.Second},
		{"max ejection", r.Health.MaxEjection.D(), 5 * time.Minute},
		{"slow start", r.Health.SlowStart.D(), 30 * time.Second},
		{"retry ratio", r.RetryBudget.Ratio, 0.2},
		{"retry min", r.RetryBudget.MinConcurrent, 3},
		{"pacing", r.SpendPacing.D(), 5 * time.Minute},
		{"output", r.ExpectedOutputTokens, int64(256)},
		{"idle", c.Providers[0].Timeouts.Idle.D(), 5 * time.Minute},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}

	// Explicit zeros survive; a long base ejection raises the default max.
	c2, err := Parse("test.yaml", []byte(doc(lineKeys, lineProviders, lineModels,
		"routing: {penalties: {latency: 0, failure: '0'}, health: {consecutive_failures: 0, error_ratio: 0, base_ejection: 10m, slow_start: 0s},",
		"          retry_budget: {ratio: 0, min_concurrent: 0}}")), env())
	if err != nil {
		t.Fatal(err)
	}
	r = c2.Routing
	if r.Penalties.Latency != 0 || r.Penalties.Failure != 0 || r.Health.ConsecutiveFailures != 0 || r.Health.ErrorRatio != 0 || r.Health.SlowStart != 0 ||
		r.RetryBudget.Ratio != 0 || r.RetryBudget.MinConcurrent != 0 {
		t.Errorf("explicit zeros lost: %+v", r)
	}
	if r.Health.MaxEjection.D() != 10*time.Minute {
		t.Errorf("max ejection = %v, want base ejection 10m", r.Health.MaxEjection)
	}
}

func TestParseUSD(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want money.Nanos
		err  string
	}{
		{"1500", 1500 * money.PerDollar, ""},
		{"0.00001", 10_000, ""},
		{"120000.50", 120_000_500_000_000, ""},
		{"1_000_000", 1_000_000 * money.PerDollar, ""},
		{".5", 500_000_000, ""},
		{"5.", 5 * money.PerDollar, ""},
		{"+2", 2 * money.PerDollar, ""},
		{"0.000000001", 1, ""},
		{"0.1000000000", 100_000_000, ""},
		{"0", 0, ""},
		{"0.0000000001", 0, "more precise than one nano-dollar"},
		{"-1", 0, "must not be negative"},
		{"1e3", 0, "want an amount of US dollars"},
		{"$5", 0, "want an amount"},
		{".", 0, "want an amount"},
		{"", 0, "want an amount"},
		{"1.2.3", 0, "want an amount"},
		{"9223372036", 0, "too large"},
		{"9223372035", 9_223_372_035 * money.PerDollar, ""},
	} {
		got, err := ParseUSD(tt.in)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseUSD(%q): %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseUSD(%q) error = %v, want %q", tt.in, err, tt.err)
		case got != tt.want:
			t.Errorf("ParseUSD(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestRouteOverrideAllows(t *testing.T) {
	c, err := Parse("test.yaml", []byte(doc(
		"keys:",
		"  - {name: all, key: all-key-0123456789, allow_route_override: true}",
		"  - {name: none, key: none-key-0123456789, allow_route_override: false}",
		"  - {name: some, key: some-key-0123456789, allow_route_override: [cheapest]}",
		"  - {name: unset, key: unset-key-0123456789}",
		lineProviders, lineModels)), env())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct{ cheapest, fastest bool }{{true, true}, {false, false}, {true, false}, {false, false}} {
		o := c.Keys[i].AllowRouteOverride
		if o.Allows(RouteCheapest) != want.cheapest || o.Allows(RouteFastest) != want.fastest {
			t.Errorf("key %s: allows cheapest %v fastest %v, want %v", c.Keys[i].Name, o.Allows(RouteCheapest), o.Allows(RouteFastest), want)
		}
	}
}
