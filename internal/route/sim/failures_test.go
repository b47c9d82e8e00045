package sim

import (
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/route"
)

// TestFailingDeployment checks the acceptance bullet: one of three
// deployments fails 30% of its attempts, with 5xx or by timing out, for an
// hour. Clients still succeed at least 99.9% of the time, upstream attempts
// stay within 1.2 times the requests, and the failing deployment is
// ejected, then readmitted once it recovers.
func TestFailingDeployment(t *testing.T) {
	incident := Phase{From: 20 * time.Minute, To: 80 * time.Minute}
	for _, tt := range []struct {
		name  string
		phase func(Phase) Phase
	}{
		{"5xx", func(p Phase) Phase { p.ErrorRate = 0.3; return p }},
		{"timeouts", func(p Phase) Phase { p.TimeoutRate = 0.3; return p }},
		{"hangs", func(p Phase) Phase { p.TimeoutRate = 1; return p }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			type minute struct{ cheap, total int }
			var (
				minutes   = map[int]*minute{}
				ejected   = map[string]bool{}
				afterFail int
			)
			s := Scenario{
				Name: "failing deployment " + tt.name, Config: parse(t, threeClouds), Start: start, Duration: 2 * time.Hour, Seed: 17,
				Traffic: Traffic{Rate: 5, Mix: mix("m")},
				Behavior: map[string]Behavior{
					"cheap": {TTFT: 300 * time.Millisecond, Jitter: 0.3, TPS: 100, Phases: []Phase{tt.phase(incident)}},
					"mid":   {TTFT: 400 * time.Millisecond, Jitter: 0.3, TPS: 100},
					"dear":  {TTFT: 500 * time.Millisecond, Jitter: 0.3, TPS: 100},
				},
				// Cheapest puts the failing deployment first for every
				// request: the hardest case.
				Policies: []string{config.RouteCheapest, config.RoutePriority},
				Trace: func(e Event) {
					m := int(e.Start.Sub(start) / time.Minute)
					if minutes[m] == nil {
						minutes[m] = &minute{}
					}
					if e.Attempt == 1 {
						minutes[m].total++
						if e.Deployment == "cheap" {
							minutes[m].cheap++
						}
					}
					if e.Probe {
						ejected[e.Deployment] = true
					}
					if e.Deployment == "cheap" && e.Outcome != route.Success && e.Start.After(start.Add(incident.To)) {
						afterFail++
					}
				},
			}
			s.Config.Models[0].Deployments[0].Quota = config.Quota{}
			for _, r := range run(t, s).Results {
				t.Logf("%s: %d requests, success %.4f%%, %.3f attempts/request, %d retries denied, cheap ejected %d times",
					r.Policy, r.Requests, 100*r.SuccessRate(), r.AttemptsPerRequest(), r.RetriesDenied, r.Deployments[0].Ejections)
				if r.SuccessRate() < 0.999 {
					t.Errorf("%s: success %.4f%%, want at least 99.9%%", r.Policy, 100*r.SuccessRate())
				}
				if r.AttemptsPerRequest() > 1.2 {
					t.Errorf("%s: %.3f attempts per request, want at most 1.2", r.Policy, r.AttemptsPerRequest())
				}
				if r.Deployments[0].Ejections == 0 || !ejected["cheap"] {
					t.Errorf("%s: the failing deployment was never ejected and probed", r.Policy)
				}
			}
			// Readmitted: in the last half hour (the incident ended at 80
			// minutes), the failing deployment is first again for nearly
			// every request of the cheapest run.
			var cheap, total int
			for m := 90; m < 120; m++ {
				if x := minutes[m]; x != nil {
					cheap += x.cheap
					total += x.total
				}
			}
			if afterFail != 0 || float64(cheap) < 0.45*float64(total) {
				t.Errorf("after the incident: cheap first for %d of %d attempts, %d failures; want it readmitted", cheap, total, afterFail)
			}
		})
	}
}
