package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Report is the outcome of a scenario: one Run per policy, over the same
// traffic.
type Report struct {
	Scenario string
	Start    time.Time
	Duration time.Duration
	Seed     uint64
	Results  []PolicyResult
}

// PolicyResult is what one policy achieved.
type PolicyResult struct {
	Policy string
	// Requests is every client request; Succeeded and Failed partition it.
	// Forbidden (part of Failed) counts requests whose tenant may reach no
	// deployment of the model.
	Requests, Succeeded, Failed, Forbidden int64
	// Attempts is the upstream attempts made; RetriesDenied the extra
	// attempts the retry budget refused.
	Attempts, RetriesDenied int64
	// Violations counts attempts sent to a deployment the tenant's
	// constraints exclude. It must be 0.
	Violations int64
	// TTFT is the time from arrival to the first token of the answer,
	// failovers included; Latency to its last token. Successful requests
	// only.
	TTFT, Latency Percentiles
	// PayAsYouGo is what was billed outside commitments; Total adds what
	// the commitments cost.
	PayAsYouGo  money.Nanos
	Total       money.Nanos
	Commitments []CommitmentUse
	Deployments []DeploymentUse
	Streams     []StreamUse
	// Elapsed is the wall time the replay took.
	Elapsed time.Duration
}

// Percentiles of a duration.
type Percentiles struct{ P50, P99 time.Duration }

// DeploymentUse is one deployment's share of a run.
type DeploymentUse struct {
	Name, Model                                        string
	Attempts, Successes, Failures, Timeouts, Throttled int64
	Ejections                                          int64
	Covered                                            int64 // attempts routing counted within a commitment
	PayAsYouGo                                         money.Nanos
}

// StreamUse is one traffic stream's (tenant's) outcome.
type StreamUse struct {
	Name                        string
	Requests, Succeeded, Failed int64
	Violations                  int64
}

// SuccessRate is Succeeded over Requests.
func (r *PolicyResult) SuccessRate() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Succeeded) / float64(r.Requests)
}

// AttemptsPerRequest is Attempts over Requests.
func (r *PolicyResult) AttemptsPerRequest() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Attempts) / float64(r.Requests)
}

// Result returns the result of policy, or nil.
func (rep *Report) Result(policy string) *PolicyResult {
	for i := range rep.Results {
		if rep.Results[i].Policy == policy {
			return &rep.Results[i]
		}
	}
	return nil
}

// Markdown formats the report as Markdown tables: one line per policy,
// then commitments and deployments per policy, then how each policy's
// total compares with cheapest's. Money is exact, in USD.
func (rep *Report) Markdown() string {
	var b strings.Builder
	end := rep.Start.Add(rep.Duration)
	fmt.Fprintf(&b, "## Simulation: %s\n\n", rep.Scenario)
	fmt.Fprintf(&b, "%s to %s (%s), seed %d.\n\n", rep.Start.Format(time.RFC3339), end.Format(time.RFC3339), days(rep.Duration), rep.Seed)

	b.WriteString("| policy | requests | success | attempts/request | retries denied | TTFT p50 | TTFT p99 | latency p50 | latency p99 | pay-as-you-go USD | commitments USD | total USD | replay |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Results {
		var commit money.Nanos
		for _, c := range r.Commitments {
			commit += c.Cost
		}
		fmt.Fprintf(&b, "| %s | %d | %.3f%% | %.3f | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Policy, r.Requests, 100*r.SuccessRate(), r.AttemptsPerRequest(), r.RetriesDenied,
			ms(r.TTFT.P50), ms(r.TTFT.P99), ms(r.Latency.P50), ms(r.Latency.P99),
			r.PayAsYouGo, commit, r.Total, r.Elapsed.Round(time.Millisecond))
	}

	if base := rep.Result("cheapest"); base != nil && len(rep.Results) > 1 {
		b.WriteString("\nTotal cost against cheapest:\n\n")
		for _, r := range rep.Results {
			if r.Policy == base.Policy {
				continue
			}
			diff := r.Total - base.Total
			fmt.Fprintf(&b, "- %s: %s USD, %s USD (%+.2f%%) against cheapest's %s USD\n",
				r.Policy, r.Total, signed(diff), 100*float64(diff)/float64(max(base.Total, 1)), base.Total)
		}
	}

	if len(rep.Results) > 0 && len(rep.Results[0].Commitments) > 0 {
		b.WriteString("\n### Commitments\n\n")
		b.WriteString("| policy | commitment | kind | committed USD | drawn USD | cost USD | use | busy minutes | busy-minute use | use at first spill: lowest, 1st percentile (minutes) |\n")
		b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range rep.Results {
			for _, c := range r.Commitments {
				if c.Kind == "capacity" {
					fmt.Fprintf(&b, "| %s | %s | capacity | %s | | %s | %.2f%% | %d | %.2f%% | %.2f%%, %.2f%% (%d) |\n",
						r.Policy, c.Name, c.Committed, c.Cost, 100*c.Use, c.BusyMinutes, 100*c.BusyUse, 100*c.MinUseAtSpill, 100*c.UseAtSpillP1, c.SpillMinutes)
				} else {
					fmt.Fprintf(&b, "| %s | %s | spend | %s | %s | %s | %.2f%% | | | |\n",
						r.Policy, c.Name, c.Committed, c.Drawn, c.Cost, 100*c.Use)
				}
			}
		}
	}

	b.WriteString("\n### Deployments\n\n")
	b.WriteString("| policy | deployment | model | attempts | share | failures | timeouts | 429s | ejections | covered | pay-as-you-go USD |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Results {
		for _, d := range r.Deployments {
			share := 0.0
			if r.Attempts > 0 {
				share = float64(d.Attempts) / float64(r.Attempts)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %.1f%% | %d | %d | %d | %d | %d | %s |\n",
				r.Policy, d.Name, d.Model, d.Attempts, 100*share, d.Failures, d.Timeouts, d.Throttled, d.Ejections, d.Covered, d.PayAsYouGo)
		}
	}

	if len(rep.Results) > 0 && len(rep.Results[0].Streams) > 1 {
		b.WriteString("\n### Streams\n\n")
		b.WriteString("| policy | stream | requests | succeeded | failed | constraint violations |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|\n")
		for _, r := range rep.Results {
			for _, s := range r.Streams {
				fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d |\n", r.Policy, s.Name, s.Requests, s.Succeeded, s.Failed, s.Violations)
			}
		}
	}
	return b.String()
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

func signed(n money.Nanos) string {
	if n >= 0 {
		return "+" + n.String()
	}
	return n.String()
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
