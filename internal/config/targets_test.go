package config

import "testing"

func TestTargets(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		wants []want
	}{
		{name: "valid", lines: []string{
			`budgets: {webhook_secret: s3cret-s3cret}`,
			`targets:`,
			`  - {name: rev, metric: revenue, goal: "120000.50"}`,
			`  - {name: new, metric: new_tenants, goal: "40", period: quarter, segment: {plan: pro*}, webhook: "https://hooks.example/t"}`,
		}},
		{name: "every mistake", lines: []string{
			`targets:`,
			`  - {name: rev, metric: revenue, goal: "12e4"}`,
			`  - {name: rev, metric: tokens, goal: "1.5"}`,
			`  - {name: x, metric: profit, goal: "1"}`,
			`  - {name: y, metric: tokens, goal: "1", period: year, segment: {model: "gpt[", tenant: acme}}`,
			`  - {name: z, metric: revenue, goal: "1", webhook: "https://hooks.example/t"}`,
		}, wants: []want{
			{"targets[0].goal", 5, "revenue is USD"},
			{"targets[1].name", 6, "duplicate name"},
			{"targets[1].goal", 6, "tokens is a count"},
			{"targets[2].metric", 7, "unknown metric"},
			{"targets[3].period", 8, "unknown period"},
			{"targets[3].segment.model", 8, "bad pattern"},
			{"targets[3].segment.tenant", 8, "one dimension"},
			{"targets[4].webhook", 9, "budgets.webhook_secret"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(doc(append([]string{lineKeys, lineProviders, lineModels}, tc.lines...)...)), env())
			checkErrors(t, err, tc.wants)
			if err != nil {
				return
			}
			if len(c.Targets) != 2 {
				t.Fatalf("targets = %+v", c.Targets)
			}
			if g, _ := c.Targets[0].GoalValue(); g != 120000_500000000 {
				t.Errorf("revenue goal = %d nanos, want 120000.5 USD", g)
			}
			if g, _ := c.Targets[1].GoalValue(); g != 40 {
				t.Errorf("new tenants goal = %d, want 40", g)
			}
			if d, glob := c.Targets[1].Segment.Dimension(); d != "plan" || glob != "pro*" {
				t.Errorf("segment = %s %s, want plan pro*", d, glob)
			}
		})
	}
}
