package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/settle"
)

// providers are the clouds of the test scenarios.
const providers = `keys: [{name: sim, key: sim-key-0123456789}]
providers:
  - {name: az, type: openai-compatible, base_url: "http://127.0.0.1:1/v1", region: eastus, timeouts: {first_byte: 10s}}
  - {name: aws, type: openai-compatible, base_url: "http://127.0.0.1:2/v1", region: us-east-1, timeouts: {first_byte: 10s}}
  - {name: gcp, type: openai-compatible, base_url: "http://127.0.0.1:3/v1", region: europe-west4, timeouts: {first_byte: 10s}}
`

// start is a Monday.
var start = time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)

func parse(t testing.TB, lines ...string) *config.Config {
	t.Helper()
	c, err := config.Parse("scenario.yaml", []byte(providers+strings.Join(lines, "\n")+"\n"), nil)
	if err != nil {
		t.Fatalf("scenario config:\n%v", err)
	}
	return c
}

func run(t testing.TB, s Scenario) Report {
	t.Helper()
	rep, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// threeClouds is one model on three clouds at different prices.
const threeClouds = `models:
  - name: m
    deployments:
      - {name: cheap, provider: aws, model: m, price: {input: "0.10", output: "0.40"}, quota: {rpm: 60}}
      - {name: mid, provider: az, model: m, price: {input: "0.15", output: "0.60"}}
      - {name: dear, provider: gcp, model: m, price: {input: "0.30", output: "1.20"}}`

func mix(model string) []Stream {
	return []Stream{{Name: "all", Share: 1, Model: model, PromptTokens: 1000, OutputTokens: 200}}
}

// TestCheapest checks that cheapest sends at least 99% of the traffic to
// the cheapest deployment while it has quota, and spills to the next
// cheapest (not the dearest) when the quota runs out.
func TestCheapest(t *testing.T) {
	// Half a request a second for two hours, then two a second for one:
	// 30, then 120 requests a minute against cheap's 60 RPM.
	type minute struct{ total, cheap, mid, dear int }
	byMinute := map[int64]*minute{}
	s := Scenario{
		Name: "cheapest", Config: parse(t, threeClouds), Start: start, Duration: 2 * time.Hour, Seed: 7,
		Traffic:  Traffic{Rate: 0.5, Mix: mix("m")},
		Behavior: map[string]Behavior{"cheap": {TTFT: 300 * time.Millisecond, TPS: 100, RPM: 60}},
		Policies: []string{config.RouteCheapest},
		Trace: func(e Event) {
			m := byMinute[e.Start.Unix()/60]
			if m == nil {
				m = &minute{}
				byMinute[e.Start.Unix()/60] = m
			}
			m.total++
			switch e.Deployment {
			case "cheap":
				m.cheap++
			case "mid":
				m.mid++
			default:
				m.dear++
			}
		},
	}
	quiet := run(t, s).Results[0]
	var total, cheap int
	for _, m := range byMinute {
		total += m.total
		cheap += m.cheap
	}
	t.Logf("quota to spare: cheap served %d of %d attempts", cheap, total)
	if share := float64(cheap) / float64(total); share < 0.99 || quiet.Violations != 0 {
		t.Errorf("quota to spare: cheap served %.2f%% of attempts, want at least 99%%", 100*share)
	}

	// The busy hour, replayed on its own.
	byMinute = map[int64]*minute{}
	s.Traffic.Rate = 2
	s.Start = start.Add(2 * time.Hour)
	s.Duration = time.Hour
	busy := run(t, s).Results[0]
	var full, spilled, toMid int
	for k, m := range byMinute {
		if k == s.Start.Unix()/60 || k >= s.Start.Add(s.Duration).Unix()/60-1 {
			continue // the window fills and drains
		}
		full += m.cheap
		spilled += m.mid + m.dear
		toMid += m.mid
	}
	minutes := 58
	t.Logf("over quota: cheap %.1f a minute; spilled %d, %d of them to mid", float64(full)/float64(minutes), spilled, toMid)
	if perMinute := float64(full) / float64(minutes); perMinute < 0.9*60 || perMinute > 60 {
		t.Errorf("over quota: cheap served %.1f requests a minute, want close to its 60 RPM", perMinute)
	}
	if share := float64(toMid) / float64(spilled); share < 0.99 {
		t.Errorf("spill went %.2f%% to mid, want at least 99%% (the next cheapest)", 100*share)
	}
	if busy.SuccessRate() != 1 || busy.Violations != 0 {
		t.Errorf("busy hour: success %.4f, violations %d", busy.SuccessRate(), busy.Violations)
	}
	if d := busy.Deployments[0]; d.Throttled > busy.Requests/1000 {
		t.Errorf("cheap answered %d 429s: routing should stay within its quota", d.Throttled)
	}
}

// TestFastestShifts checks that fastest moves traffic away from a
// deployment within a minute of simulated time after its latency doubles.
func TestFastestShifts(t *testing.T) {
	slowdown := 30 * time.Minute
	type window struct{ a, b, c int }
	counts := map[int]*window{} // by minute since the slowdown
	s := Scenario{
		Name: "fastest", Config: parse(t, threeClouds), Start: start, Duration: 45 * time.Minute, Seed: 3,
		Traffic: Traffic{Rate: 2, Mix: mix("m")},
		Behavior: map[string]Behavior{
			"cheap": {TTFT: 300 * time.Millisecond, Jitter: 0.2, TPS: 100, Phases: []Phase{{From: slowdown, To: time.Hour, TTFTFactor: 2}}},
			"mid":   {TTFT: 450 * time.Millisecond, Jitter: 0.2, TPS: 100},
			"dear":  {TTFT: 900 * time.Millisecond, Jitter: 0.2, TPS: 100},
		},
		Policies: []string{config.RouteFastest},
		Trace: func(e Event) {
			k := int(e.Start.Sub(start.Add(slowdown)) / time.Minute)
			if e.Start.Before(start.Add(slowdown)) {
				k = -1
			}
			w := counts[k]
			if w == nil {
				w = &window{}
				counts[k] = w
			}
			switch e.Deployment {
			case "cheap":
				w.a++
			case "mid":
				w.b++
			default:
				w.c++
			}
		},
	}
	// Remove the quota, which would confound speed with price.
	s.Config.Models[0].Deployments[0].Quota = config.Quota{}
	r := run(t, s).Results[0]
	before, after := counts[-1], counts[1]
	t.Logf("before %+v; minute 0 after %+v; minute 1 after %+v", *before, *counts[0], *after)
	if share := float64(before.a) / float64(before.a+before.b+before.c); share < 0.9 {
		t.Errorf("before the slowdown the fastest deployment took %.1f%%, want 90%% or more", 100*share)
	}
	if share := float64(after.b) / float64(after.a+after.b+after.c); share < 0.9 {
		t.Errorf("in the second minute after the slowdown the new fastest took %.1f%% (%+v), want 90%% or more", 100*share, *after)
	}
	if r.SuccessRate() != 1 {
		t.Errorf("success %.4f", r.SuccessRate())
	}
}

// TestRegionConstraints checks that tenant constraints are never traded
// for price or health under any policy: the European tenant's only allowed
// deployment is the dearest and fails 30% of its requests, and a tenant
// whose region serves nothing gets errors, not another cloud.
func TestRegionConstraints(t *testing.T) {
	eu := &route.Constraints{Regions: []string{"europe-west4"}}
	asia := &route.Constraints{Regions: []string{"asia-northeast1"}}
	s := Scenario{
		Name: "regions", Config: parse(t, threeClouds), Start: start, Duration: 2 * time.Hour, Seed: 5,
		Traffic: Traffic{Rate: 2, Mix: []Stream{
			{Name: "us", Share: 0.8, Model: "m", PromptTokens: 1000, OutputTokens: 200},
			{Name: "eu", Share: 0.15, Model: "m", PromptTokens: 1000, OutputTokens: 200, Constraints: eu},
			{Name: "asia", Share: 0.05, Model: "m", PromptTokens: 1000, OutputTokens: 200, Constraints: asia},
		}},
		Behavior: map[string]Behavior{"dear": {TTFT: 2 * time.Second, TPS: 30, ErrorRate: 0.3}},
		Policies: []string{config.RoutePriority, config.RouteWeighted, config.RouteCheapest, config.RouteFastest, config.RouteCommitment},
	}
	s.Config.Models[0].Deployments[0].Quota = config.Quota{}
	for _, r := range run(t, s).Results {
		if r.Violations != 0 {
			t.Errorf("%s: %d attempts reached a deployment the tenant does not allow", r.Policy, r.Violations)
		}
		streams := map[string]StreamUse{}
		for _, st := range r.Streams {
			streams[st.Name] = st
		}
		if e := streams["eu"]; e.Failed == 0 || e.Succeeded == 0 {
			t.Errorf("%s: eu tenant %+v: want answers from its degraded deployment, and its errors", r.Policy, e)
		}
		if a := streams["asia"]; a.Succeeded != 0 || a.Failed != a.Requests || r.Forbidden != a.Requests {
			t.Errorf("%s: asia tenant %+v (forbidden %d): want every request refused", r.Policy, a, r.Forbidden)
		}
		if u := streams["us"]; u.Failed != 0 {
			t.Errorf("%s: us tenant failed %d requests", r.Policy, u.Failed)
		}
	}
}

// TestDeterministic checks that a scenario replays identically.
func TestDeterministic(t *testing.T) {
	s := Scenario{Name: "again", Config: parse(t, threeClouds), Start: start, Duration: time.Hour, Seed: 9,
		Traffic:  Traffic{Rate: 3, Diurnal: 0.5, Mix: mix("m")},
		Behavior: map[string]Behavior{"cheap": {TTFT: 300 * time.Millisecond, Jitter: 0.5, TPS: 100, ErrorRate: 0.1, RPM: 60}},
		Policies: []string{config.RouteCheapest, config.RouteFastest}}
	a, b := run(t, s), run(t, s)
	for i := range a.Results {
		a.Results[i].Elapsed, b.Results[i].Elapsed = 0, 0
	}
	if a.Markdown() != b.Markdown() {
		t.Errorf("two replays differ:\n%s\n%s", a.Markdown(), b.Markdown())
	}
	s.Seed = 10
	c := run(t, s)
	if c.Results[0].Requests == a.Results[0].Requests && c.Results[0].PayAsYouGo == a.Results[0].PayAsYouGo {
		t.Error("another seed replayed the same traffic")
	}
}

func TestScenarioErrors(t *testing.T) {
	good := func() Scenario {
		return Scenario{Config: parse(t, threeClouds), Start: start, Duration: time.Hour, Traffic: Traffic{Rate: 1, Mix: mix("m")}}
	}
	for _, tt := range []struct {
		name   string
		change func(*Scenario)
		want   string
	}{
		{"no config", func(s *Scenario) { s.Config = nil }, "no config"},
		{"no duration", func(s *Scenario) { s.Duration = 0 }, "duration"},
		{"no rate", func(s *Scenario) { s.Traffic.Rate = 0 }, "rate"},
		{"no streams", func(s *Scenario) { s.Traffic.Mix = nil }, "no streams"},
		{"unknown model", func(s *Scenario) { s.Traffic.Mix[0].Model = "x" }, `no model "x"`},
		{"unknown policy", func(s *Scenario) { s.Policies = []string{"random"} }, `unknown policy "random"`},
		{"bad config", func(s *Scenario) { s.Config.Models[0].Routing = "random" }, "models[0].routing"},
		{"stream ends before it starts", func(s *Scenario) { s.Traffic.Mix[0].From, s.Traffic.Mix[0].Until = 2*time.Hour, time.Hour }, "stream all: want 0 <= from < until"},
		{"shrinks to nothing", func(s *Scenario) { s.Traffic.Growth = -1 }, "growth -1: must be more than -1"},
		{"negative shock", func(s *Scenario) { s.Traffic.Shocks = []Shock{{From: 0, To: time.Hour, Factor: -0.5}} }, "shock 1: want a factor of 0 or more"},
		{"settled twice", func(s *Scenario) {
			s.Settler = settle.New(s.Config.PriceBook(), nil, nil)
			s.Policies = []string{config.RoutePriority, config.RouteCheapest}
		}, "a scenario with a Settler runs one policy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := good()
			tt.change(&s)
			if _, err := Run(s); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
	// Run leaves the scenario's config as it was.
	s := good()
	s.Policies = []string{config.RouteFastest}
	run(t, s)
	if s.Config.Models[0].Routing != "priority" {
		t.Errorf("Run changed the scenario's config: routing %q", s.Config.Models[0].Routing)
	}
}
