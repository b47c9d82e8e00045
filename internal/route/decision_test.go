package route

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

const threeClouds = `models:
  - name: chat
    routing: cheapest
    fallbacks: [small]
    deployments:
      - {name: az, provider: az, model: m, price: {input: "0.20", output: "0.80"}}
      - {name: aws, provider: aws, model: m, price: {input: "0.15", output: "0.60"}}
      - {name: gcp, provider: gcp, model: m, price: {input: "0.30", output: "1.20"}}
  - name: small
    deployments:
      - {name: small-oa, provider: oa, model: s, price: {input: "0.01", output: "0.02"}}`

func TestRouteErrors(t *testing.T) {
	tab, _ := newTable(t, threeClouds)
	euOnly := &Constraints{Regions: []string{"westeurope"}}
	any := &Constraints{Override: config.RouteOverride{All: true}}
	for _, tt := range []struct {
		name string
		req  Request
		want error
	}{
		{"unknown model", Request{Model: "nope"}, ErrUnknownModel},
		{"unknown policy", Request{Model: "chat", Policy: "random", Constraints: any}, ErrUnknownPolicy},
		{"override without constraints", Request{Model: "chat", Policy: "fastest"}, ErrPolicyNotAllowed},
		{"override not listed", Request{Model: "chat", Policy: "fastest",
			Constraints: &Constraints{Override: config.RouteOverride{Policies: []string{"cheapest"}}}}, ErrPolicyNotAllowed},
		{"no allowed deployment", Request{Model: "chat", Constraints: euOnly}, ErrNoAllowedDeployment},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var dec Decision
			if err := tab.Route(&tt.req, &dec); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if dec.Next(time.Time{}) != nil {
				t.Error("Next after a failed Route returned an attempt")
			}
		})
	}
	if got := tab.Model("chat").Stats().Active; got != 0 {
		t.Errorf("failed routes left %d requests active", got)
	}
}

func TestRouteOrderAndFallbacks(t *testing.T) {
	tab, _ := newTable(t, threeClouds)
	got, dec := route(t, tab, Request{Model: "chat", PromptTokens: 1000})
	if want := []string{"aws", "az", "gcp", "small-oa"}; !equal(got, want) {
		t.Fatalf("candidates = %v, want %v (cheapest first, then the fallback model)", got, want)
	}
	if dec.Candidates()[3].Fallback != 1 || dec.Candidates()[0].Fallback != 0 {
		t.Errorf("fallback marks = %d, %d", dec.Candidates()[0].Fallback, dec.Candidates()[3].Fallback)
	}
	// 1000 prompt tokens at 0.15/M plus 256 expected output tokens at 0.60/M.
	if c := dec.Candidates()[0].Cost; c != 150*1000+600*256 {
		t.Errorf("cost = %d nano-dollars, want %d", c, 150*1000+600*256)
	}
	dec.Finish(time.Time{})

	// An allowed override applies to the fallback models too.
	tab.Model("small").Deployments[0].Priority = 0
	got, _ = route(t, tab, Request{Model: "chat", Policy: "priority", Constraints: &Constraints{Override: config.RouteOverride{All: true}}})
	if len(got) != 4 || got[3] != "small-oa" {
		t.Errorf("priority override = %v", got)
	}
}

// TestConstraintsWin checks that tenant constraints are never traded for
// price or health: the only allowed deployment is tried even when it is the
// most expensive, and when it fails the client gets the error.
func TestConstraintsWin(t *testing.T) {
	tab, _ := newTable(t, threeClouds)
	eu := &Constraints{Regions: []string{"europe-west4"}}
	got, dec := route(t, tab, Request{Model: "chat", Constraints: eu})
	if !equal(got, []string{"gcp"}) {
		t.Fatalf("EU candidates = %v, want [gcp] only (fallback small-oa has no region)", got)
	}
	dec.Finish(time.Time{})
	tried := serve(t, tab, Request{Model: "chat", Constraints: eu}, fail)
	if !equal(tried, []string{"gcp"}) {
		t.Fatalf("tried %v, want gcp alone", tried)
	}
	// Ejected, the only allowed deployment is still the only one tried
	// (panic mode), never another cloud.
	for range 10 {
		serve(t, tab, Request{Model: "chat", Constraints: eu}, fail)
	}
	if deployment(t, tab, "gcp").health.ejectedUntil.Load() == 0 {
		t.Fatal("gcp not ejected after failing")
	}
	got, dec = route(t, tab, Request{Model: "chat", Constraints: eu})
	if !equal(got, []string{"gcp"}) || !dec.Candidates()[0].Panic {
		t.Errorf("candidates with gcp ejected = %v (panic %v), want gcp in panic mode", got, len(dec.Candidates()) > 0 && dec.Candidates()[0].Panic)
	}
	dec.Finish(time.Time{})

	byProvider := &Constraints{Providers: []string{"aws", "oa"}}
	got, _ = route(t, tab, Request{Model: "chat", Constraints: byProvider})
	if !equal(got, []string{"aws", "small-oa"}) {
		t.Errorf("provider-constrained candidates = %v", got)
	}
}

func TestNextFailoverAndFirstByte(t *testing.T) {
	tab, clk := newTable(t, threeClouds)
	var dec Decision
	if err := tab.Route(&Request{Model: "chat"}, &dec); err != nil {
		t.Fatal(err)
	}
	a := dec.Next(time.Time{})
	if a == nil || a.Deployment.Name != "aws" || a.Number != 1 {
		t.Fatalf("first attempt = %+v", a)
	}
	dec.Next(time.Time{}) // without Done: Next ends the abandoned attempt
	if got := deployment(t, tab, "aws").Stats(clk.now).Canceled; got != 1 {
		t.Errorf("abandoned attempt counted %d canceled", got)
	}
	a = &dec.cur
	if a.Deployment.Name != "az" || a.Number != 2 {
		t.Fatalf("second attempt = %s #%d", a.Deployment.Name, a.Number)
	}
	clk.advance(300 * time.Millisecond)
	a.FirstByte(time.Time{})
	clk.advance(time.Second)
	if dec.Next(time.Time{}) != nil || dec.Stopped() != Committed {
		t.Fatalf("Next after the first byte: stop %v", dec.Stopped())
	}
	a.Done(Result{Outcome: Failed}) // the stream broke: still no failover
	if dec.Next(time.Time{}) != nil {
		t.Fatal("failover after the first byte")
	}
	dec.Finish(time.Time{})
	dec.Finish(time.Time{})
	az := deployment(t, tab, "az").Stats(clk.now)
	if az.Failures != 1 || az.InFlight != 0 {
		t.Errorf("az stats = %+v", az)
	}
	if m := tab.Model("chat").Stats(); m.Active != 0 || m.Retries != 0 {
		t.Errorf("model after Finish = %+v", m)
	}
}

func TestThrottleCoolsDown(t *testing.T) {
	tab, clk := newTable(t, threeClouds)
	tried := serve(t, tab, Request{Model: "chat"}, func(d *Deployment) Result {
		if d.Name == "aws" {
			return Result{Outcome: Throttled, RetryAfter: 5 * time.Second}
		}
		return ok(d)
	})
	if !equal(tried, []string{"aws", "az"}) {
		t.Fatalf("tried %v", tried)
	}
	got, _ := route(t, tab, Request{Model: "chat"})
	if got[0] != "az" {
		t.Errorf("while aws cools, candidates = %v", got)
	}
	clk.advance(5 * time.Second)
	got, _ = route(t, tab, Request{Model: "chat"})
	if got[0] != "aws" {
		t.Errorf("after the cooldown, candidates = %v", got)
	}

	// Everything cooling: no candidate, and RetryAt says when to come back.
	for _, d := range tab.Deployments() {
		d.CoolDown(clk.now.Add(time.Duration(len(d.Name)) * time.Second))
	}
	got, dec := route(t, tab, Request{Model: "chat", Debug: true})
	if len(got) != 0 || !dec.RetryAt.Equal(clk.now.Add(2*time.Second)) {
		t.Errorf("all cooling: candidates %v, retry at %v", got, dec.RetryAt)
	}
	// What Route saw decides the client's answer (429), not a later look.
	if !dec.Busy {
		t.Error("all cooling: Busy = false, want true")
	}
	if dec.Next(time.Time{}) != nil || dec.Stopped() != Exhausted {
		t.Errorf("Next with nothing available: stop %v", dec.Stopped())
	}
	if !strings.Contains(dec.Reason, "no deployment available for 2s") || !strings.Contains(dec.Reason, "aws (cooling down after 429, 3s left)") {
		t.Errorf("reason = %s", dec.Reason)
	}
}

func TestReason(t *testing.T) {
	tab, _ := newTable(t, threeClouds)
	_, dec := route(t, tab, Request{Model: "chat", PromptTokens: 1000, Debug: true,
		Constraints: &Constraints{Providers: []string{"aws", "az", "oa"}}})
	r := dec.Reason
	for _, want := range []string{
		"policy=cheapest model=chat prompt=1000",
		"#1 aws score=303600 cost=0.0003036 output=256 latency=256ms risk=0.000",
		"#2 az score=404800",
		"#3 small-oa fallback=small score=",
		"excluded: gcp (not allowed for this key)",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("reason lacks %q:\n%s", want, r)
		}
	}
	for i := 0; i < len(r); i++ {
		if r[i] < 0x20 || r[i] >= 0x7f {
			t.Fatalf("reason has byte %#x at %d: not a valid header value", r[i], i)
		}
	}
	_, dec = route(t, tab, Request{Model: "chat"})
	if dec.Reason != "" {
		t.Errorf("reason without Debug = %q", dec.Reason)
	}
}

func TestRetryBudget(t *testing.T) {
	tab, _ := newTable(t, threeClouds, "routing: {retry_budget: {ratio: 0.5, min_concurrent: 1}, health: {consecutive_failures: 0, error_ratio: 0}}")
	m := tab.Model("chat")
	// Four hundred requests in flight, each on its first attempt, which failed.
	decs := make([]Decision, 400)
	for i := range decs {
		if err := tab.Route(&Request{Model: "chat"}, &decs[i]); err != nil {
			t.Fatal(err)
		}
		decs[i].Next(time.Time{}).Done(Result{Outcome: Failed})
	}
	// Half of them may retry at once (the window's own allowance, 50% of
	// its four hundred requests, is no larger).
	retried := 0
	for i := range decs {
		if a := decs[i].Next(time.Time{}); a != nil {
			retried++
		} else if decs[i].Stopped() != BudgetSpent {
			t.Fatalf("request %d stopped: %v", i, decs[i].Stopped())
		}
	}
	if retried != 200 || m.Stats().RetriesDenied != 200 {
		t.Fatalf("retried %d, denied %d; want 200 and 200", retried, m.Stats().RetriesDenied)
	}
	for i := range decs {
		decs[i].Finish(time.Time{})
	}
	if s := m.Stats(); s.Active != 0 || s.Retries != 0 {
		t.Fatalf("after Finish: %+v", s)
	}
	// Alone, a request fails over one attempt at a time within
	// min_concurrent, through every candidate, although the window's
	// allowance is spent.
	tried := serve(t, tab, Request{Model: "chat"}, fail)
	if len(tried) != 4 {
		t.Errorf("a lone failing request tried %v, want all 4 candidates (min_concurrent 1)", tried)
	}
}

func TestUsageFeedsModel(t *testing.T) {
	tab, clk := newTable(t, threeClouds)
	for range 200 {
		serve(t, tab, Request{Model: "chat", PromptTokens: 500}, func(d *Deployment) Result {
			clk.advance(2 * time.Second)
			u := wire.Usage{Prompt: 500, Completion: 600}
			return Result{Outcome: Success, TTFT: 500 * time.Millisecond, Usage: u, Cost: settled(d, u)}
		})
	}
	m := tab.Model("chat")
	if out := m.expectedOutput(0); out < 590 || out > 600 {
		t.Errorf("typical output = %d, want about 600", out)
	}
	if out := m.expectedOutput(100); out != 100 {
		t.Errorf("output capped by max_tokens = %d, want 100", out)
	}
	s := deployment(t, tab, "aws").Stats(clk.now)
	if s.Successes != 200 || s.PromptTokens != 100_000 || s.OutputTokens != 120_000 || s.Cost != 200*(500*150+600*600) {
		t.Errorf("stats = %+v", s)
	}
	if s.TTFT != 500*time.Millisecond || s.TokensPerSec < 399 || s.TokensPerSec > 401 {
		t.Errorf("latency: ttft %v, %v tokens/s; want 500ms and 400", s.TTFT, s.TokensPerSec)
	}
}

func TestLegacyPlan(t *testing.T) {
	tab, clk := newTable(t, threeClouds)
	plan, _ := tab.Model("chat").Plan(clk.now, nil)
	if got := names(plan); !equal(got, []string{"aws", "az", "gcp"}) {
		t.Errorf("Plan = %v", got)
	}
}

// TestExampleConfig routes with the shipped example: the EU key reaches
// only its region, and the commitment policy puts the provisioned
// throughput and the spend commitment first.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../examples/switchyard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, k := range []string{"SWITCHYARD_ADMIN_TOKEN", "SWITCHYARD_KEY", "SWITCHYARD_EU_KEY", "OPENAI_API_KEY", "AZURE_EAST_API_KEY",
		"AZURE_EU_API_KEY", "AZURE_WEST_ENTRA_TOKEN", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"} {
		env[k] = "secret-value-0123456789-" + k
	}
	c, err := config.Parse("switchyard.yaml", data, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
	tab, err := New(c, nil, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	eu := KeyConstraints(c.Keys[1])
	got, dec := route(t, tab, Request{Model: "gpt-oss-120b", PromptTokens: 500, Constraints: eu})
	if !equal(got, []string{"vllm-local/openai/gpt-oss-120b", "azure-eu/gpt-oss-20b"}) {
		t.Errorf("EU key candidates = %v", got)
	}
	dec.Finish(time.Time{})
	got, _ = route(t, tab, Request{Model: "gpt-oss-120b", PromptTokens: 500})
	// Free: our GPUs (price 0), the provisioned throughput and the MACC
	// (below its pace); then pay-as-you-go.
	if len(got) != 7 || got[3] != "azure-west/gpt-oss" && got[3] != "aws-east/openai.gpt-oss-120b-1:0" {
		t.Errorf("commitment order = %v", got)
	}
	for _, free := range got[:3] {
		if free == "azure-west/gpt-oss" || free == "aws-east/openai.gpt-oss-120b-1:0" {
			t.Errorf("pay-as-you-go %s ranked among the free deployments: %v", free, got)
		}
	}
	if err := tab.Route(&Request{Model: "gpt-oss-120b", Policy: "fastest", Constraints: eu}, new(Decision)); !errors.Is(err, ErrPolicyNotAllowed) {
		t.Errorf("override by the EU key: %v", err)
	}
	if err := tab.Route(&Request{Model: "gpt-oss-120b", Policy: "fastest", Constraints: KeyConstraints(c.Keys[0])}, new(Decision)); err != nil {
		t.Errorf("override by the dev key: %v", err)
	}
}

// TestRetryBudgetWindow: extra attempts are also allowed while the last ten
// seconds' retries stay within the ratio of that window's requests, so a
// burst of simultaneous failures after healthy traffic is retried in full;
// a sustained outage still finds the budget spent. (Outlier ejection is off,
// so that every deployment stays a candidate.)
func TestRetryBudgetWindow(t *testing.T) {
	tab, _ := newTable(t, threeClouds, "routing: {retry_budget: {ratio: 0.2, min_concurrent: 1}, health: {consecutive_failures: 0, error_ratio: 0}}")
	for range 1000 {
		serve(t, tab, Request{Model: "chat"}, func(*Deployment) Result { return Result{Outcome: Success} })
	}
	// Ten requests in flight fail at once: concurrency alone would allow
	// max(1, 0.2×10) = 2 retries; the window (1010 requests) allows 202.
	decs := make([]Decision, 10)
	for i := range decs {
		if err := tab.Route(&Request{Model: "chat"}, &decs[i]); err != nil {
			t.Fatal(err)
		}
		decs[i].Next(time.Time{}).Done(Result{Outcome: Failed})
	}
	for i := range decs {
		if decs[i].Next(time.Time{}) == nil {
			t.Fatalf("request %d of the burst was refused a retry: %v", i, decs[i].Stopped())
		}
	}
	for i := range decs {
		decs[i].Finish(time.Time{})
	}
	// An outage: three hundred requests in flight all fail. Extra attempts
	// stop at 20% of the window's requests (1310 so far: 262, of which the
	// burst took 10), however many are in flight.
	decs = make([]Decision, 300)
	for i := range decs {
		if err := tab.Route(&Request{Model: "chat"}, &decs[i]); err != nil {
			t.Fatal(err)
		}
		decs[i].Next(time.Time{}).Done(Result{Outcome: Failed})
	}
	retried := 0
	for i := range decs {
		if decs[i].Next(time.Time{}) != nil {
			retried++
		} else if decs[i].Stopped() != BudgetSpent {
			t.Fatalf("request %d stopped: %v", i, decs[i].Stopped())
		}
	}
	if retried != 252 {
		t.Errorf("%d of 300 failing requests retried, want 252 (20%% of the window's 1310 requests, less the burst's 10)", retried)
	}
	for i := range decs {
		decs[i].Finish(time.Time{})
	}
}

// TestRetryBudgetColdStart: a deployment that hangs on a model's first
// requests times them out together, before the window holds enough requests
// for 20% of them to cover the burst. The floor of ten extra attempts a
// second (Finagle's) retries them all; beyond it the budget is spent.
func TestRetryBudgetColdStart(t *testing.T) {
	tab, _ := newTable(t, threeClouds, "routing: {retry_budget: {ratio: 0.2, min_concurrent: 1}, health: {consecutive_failures: 0, error_ratio: 0}}")
	decs := make([]Decision, 120)
	for i := range decs {
		if err := tab.Route(&Request{Model: "chat"}, &decs[i]); err != nil {
			t.Fatal(err)
		}
		decs[i].Next(time.Time{}).Done(Result{Outcome: Failed})
	}
	retried := 0
	for i := range decs {
		if decs[i].Next(time.Time{}) != nil {
			retried++
		}
	}
	// 20% of 120 is 24; the floor is 10 a second over the ten-second window.
	if retried != 100 {
		t.Errorf("%d of 120 failing first requests retried, want 100 (the floor of 10 a second over 10 s)", retried)
	}
	for i := range decs {
		decs[i].Finish(time.Time{})
	}
}

// settled is what the settlement point charges for u on d: routing is told
// the cost, it never prices anything itself.
func settled(d *Deployment, u wire.Usage) money.Nanos {
	v, ok := d.Price.At(time.Now())
	if !ok {
		return 0
	}
	return v.Rates.Cost(u)
}
