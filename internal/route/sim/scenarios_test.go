package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
)

// TestDefaultMonth replays the first week of the default scenario (the
// whole month takes a few seconds a policy) and checks that the report is
// complete and sane.
func TestDefaultMonth(t *testing.T) {
	s := DefaultMonth()
	if s.Config == nil {
		t.Fatal("the default scenario's config does not parse")
	}
	if len(s.Policies) != 4 || s.Duration != 30*24*time.Hour {
		t.Fatalf("default scenario: %d policies over %v", len(s.Policies), s.Duration)
	}
	s.Duration = 7 * 24 * time.Hour
	rep := run(t, s)
	md := rep.Markdown()
	t.Logf("\n%s", md)
	for _, want := range []string{"## Simulation: default month", "| commitment |", "azure-macc", "bedrock-pt", "Total cost against cheapest"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, r := range rep.Results {
		if r.Violations != 0 {
			t.Errorf("%s: %d constraint violations", r.Policy, r.Violations)
		}
		if r.Requests < 100_000 || r.SuccessRate() < 0.999 {
			t.Errorf("%s: %d requests, success %.4f", r.Policy, r.Requests, r.SuccessRate())
		}
		var sum int64
		for _, d := range r.Deployments {
			sum += d.Attempts
		}
		if sum != r.Attempts {
			t.Errorf("%s: deployments' attempts add up to %d, run counted %d", r.Policy, sum, r.Attempts)
		}
		var commit, paid = r.Total - r.PayAsYouGo, r.PayAsYouGo
		for _, d := range r.Deployments {
			paid -= d.PayAsYouGo
		}
		for _, c := range r.Commitments {
			commit -= c.Cost
		}
		if paid != 0 || commit != 0 {
			t.Errorf("%s: costs do not add up: %d, %d nano-dollars left", r.Policy, paid, commit)
		}
	}
	if c, p := rep.Result(config.RouteCommitment), rep.Result(config.RouteCheapest); c.Total >= p.Total {
		t.Errorf("commitment %s USD, cheapest %s USD", c.Total, p.Total)
	}
}

func TestFromConfig(t *testing.T) {
	s := FromConfig(parse(t, threeClouds), 0.5, 1)
	if len(s.Traffic.Mix) != 1 || len(s.Policies) != 5 || s.Duration != 24*time.Hour {
		t.Fatalf("scenario = %+v", s)
	}
	rep := run(t, s)
	if len(rep.Results) != 5 || rep.Results[0].Requests < 30000 {
		t.Errorf("results: %d, requests %d", len(rep.Results), rep.Results[0].Requests)
	}
	if _, err := Run(FromConfig(nil, 1, 1)); err == nil {
		t.Error("Run of a scenario without config succeeded")
	}
}
