package sim

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/settle"
	"github.com/switchyard/switchyard/internal/usage"
)

const day = 24 * time.Hour

// countDays replays s and counts its requests' first attempts per day
// since the start, by stream.
func countDays(t *testing.T, s Scenario) map[string][]int {
	t.Helper()
	days := int(s.Duration / day)
	out := map[string][]int{}
	s.Trace = func(e Event) {
		if e.Attempt != 1 {
			return
		}
		if out[e.Stream] == nil {
			out[e.Stream] = make([]int, days+1)
		}
		out[e.Stream][int(e.Start.Sub(s.Start)/day)]++
	}
	run(t, s)
	return out
}

// TestStreamWindows checks that a stream sends only between its From and
// Until: a tenant that signs up on day 3, one that leaves after day 2.
func TestStreamWindows(t *testing.T) {
	s := Scenario{Name: "windows", Config: parse(t, threeClouds), Start: start, Duration: 6 * day, Seed: 4,
		Traffic: Traffic{Rate: 0.02, Mix: []Stream{
			{Name: "stays", Share: 1, Model: "m", PromptTokens: 100, OutputTokens: 20},
			{Name: "joins", Share: 1, Model: "m", PromptTokens: 100, OutputTokens: 20, From: 3*day + 8*time.Hour},
			{Name: "leaves", Share: 1, Model: "m", PromptTokens: 100, OutputTokens: 20, Until: 2 * day},
		}}}
	got := countDays(t, s)
	for d := range 6 {
		stays, joins, leaves := got["stays"][d], got["joins"][d], got["leaves"][d]
		if stays == 0 {
			t.Errorf("day %d: the stream with no window sent nothing", d)
		}
		if (d < 3) != (joins == 0) {
			t.Errorf("day %d: the stream joining on day 3 sent %d requests", d, joins)
		}
		if (d < 2) != (leaves > 0) {
			t.Errorf("day %d: the stream leaving after day 2 sent %d requests", d, leaves)
		}
	}
	// A stream keeps its own rate whoever else sends: "stays" has two
	// others beside it on days 0–1, one on days 4–5.
	var early, late int
	for d := range 2 {
		early += got["stays"][d]
	}
	for d := 4; d < 6; d++ {
		late += got["stays"][d]
	}
	if r := float64(late) / float64(early); r < 0.8 || r > 1.25 {
		t.Errorf("the stream with no window sent %d requests on days 0–1, %d on days 4–5: want the same rate", early, late)
	}
}

// TestGrowthAndShocks checks that 100% monthly growth doubles the rate
// over 30 days, and that a shock scales it while it lasts.
func TestGrowthAndShocks(t *testing.T) {
	s := Scenario{Name: "growth", Config: parse(t, threeClouds), Start: start, Duration: 30 * day, Seed: 5,
		Traffic: Traffic{Rate: 0.02, Growth: 1, Mix: mix("m"),
			Shocks: []Shock{{From: 10 * day, To: 12 * day, Factor: 0}, {From: 20 * day, To: 22 * day, Factor: 3}}}}
	days := countDays(t, s)["all"]
	sum := func(from, n int) (s float64) {
		for _, v := range days[from : from+n] {
			s += float64(v)
		}
		return s
	}
	// Rate × 2^(t/30 days): days 27–29 against days 0–2 is 2^(27/30).
	if r, want := sum(27, 3)/sum(0, 3), math.Pow(2, 0.9); math.Abs(r-want) > 0.2*want {
		t.Errorf("last three days / first three = %.2f, want %.2f (100%% a month)", r, want)
	}
	if n := sum(10, 2); n != 0 {
		t.Errorf("%v requests during a shock of factor 0", n)
	}
	if r, want := sum(20, 2)/(sum(18, 2)+sum(22, 2))*2, 3.0; math.Abs(r-want) > 0.2*want {
		t.Errorf("a shock of factor 3 gave %.2f times the days around it", r)
	}
}

// collector is a settlement hook keeping every event.
type collector struct{ events []usage.Event }

func (c *collector) Settle(e *usage.Event) { c.events = append(c.events, *e) }

// TestSettlerSeesEveryAttempt checks that a scenario's Settler gets one
// usage event per attempt, failed ones too, stamped in simulated time with
// the stream's tenant and key, priced once, and that its cost is what the
// run reports.
func TestSettlerSeesEveryAttempt(t *testing.T) {
	cfg := parse(t, `models:
  - name: m
    routing: priority
    deployments:
      - {name: flaky, provider: az, model: m, price: {input: "0.15", output: "0.60"}}
      - {name: steady, provider: aws, model: m, priority: 2, price: {input: "0.30", output: "1.20"}}`)
	var c collector
	s := Scenario{Name: "settled", Config: cfg, Start: start, Duration: 6 * time.Hour, Seed: 6,
		Traffic:    Traffic{Rate: 0.1, Mix: []Stream{{Name: "acme", Tenant: "t_acme", Key: "k_acme", Share: 1, Model: "m", PromptTokens: 500, OutputTokens: 100}}},
		Behavior:   map[string]Behavior{"flaky": {TTFT: 300 * time.Millisecond, TPS: 100, ErrorRate: 0.3}},
		Settler:    settle.New(cfg.PriceBook(), nil, nil, &c),
		RequestIDs: "hist_",
	}
	res := run(t, s).Results[0]
	if int64(len(c.events)) != res.Attempts || res.Attempts <= res.Requests {
		t.Fatalf("%d events for %d attempts of %d requests: want one per attempt, some retried", len(c.events), res.Attempts, res.Requests)
	}
	var cost money.Nanos
	var failed, completed int64
	ids := map[string]bool{}
	for _, e := range c.events {
		if e.Time.Before(s.Start) || !e.Time.Before(s.Start.Add(s.Duration)) || e.TenantID != "t_acme" || e.KeyID != "k_acme" ||
			e.KeyName != "acme" || !strings.HasPrefix(e.RequestID, "hist_") || ids[e.ID()] {
			t.Fatalf("event %+v: want simulated time, the stream's ids and a new hist_ id", e)
		}
		ids[e.ID()] = true
		switch e.Outcome {
		case usage.Completed:
			completed++
			if e.Cost <= 0 || e.PriceVersion == "" || e.Usage.Prompt == 0 {
				t.Errorf("completed event %s: cost %s version %q usage %+v", e.ID(), e.Cost, e.PriceVersion, e.Usage)
			}
		case usage.Failed:
			failed++
			if e.Cost != 0 || e.Status != 500 || e.Deployment != "flaky" {
				t.Errorf("failed event %s: %+v", e.ID(), e)
			}
		}
		cost += e.Cost
	}
	if completed != res.Succeeded || failed == 0 || cost != res.PayAsYouGo {
		t.Errorf("%d completed, %d failed events costing %s; the run: %d succeeded, %s", completed, failed, cost, res.Succeeded, res.PayAsYouGo)
	}
}
