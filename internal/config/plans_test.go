package config

import (
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// plansDoc is a valid config followed by lines, which start on line 4.
func plansDoc(lines ...string) string {
	return doc(append([]string{lineKeys, lineProviders, lineModels}, lines...)...)
}

func TestPlansParse(t *testing.T) {
	c, err := Parse("sy.yaml", []byte(plansDoc(
		`plans:`,
		`  - name: pro`,
		`    versions:`,
		`      - prices:`,
		`          - {model: gpt-4o, input: "3", output: "12", cached_input: "1.5"}`,
		`          - {model: "claude-*", input: "4", output: "20"}`,
		`        markup: "+25%"`,
		`        request_fee: "0.01"`,
		`        monthly_minimum: "100"`,
		`        included_credit: "20"`,
		`      - {from: 2027-01-01, markup: "+20%"}`,
		`plan_assignments:`,
		`  - {tenant: acme, plan: pro}`,
		`  - {tenant: globex, plan: pro, from: 2026-12-01, to: 2027-02-01, experiment: pricing-q1, arm: b}`,
	)), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.PlanBook(func(s string) string { return "t_" + s })
	if err != nil {
		t.Fatal(err)
	}
	dec := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)
	u := wire.Usage{Prompt: 1_000_000, Cached: 500_000, Completion: 1_000_000}
	tests := []struct {
		tenant, model string
		at            time.Time
		want          money.Nanos
		arm           string
	}{
		{"t_acme", "gpt-4o", dec, 3_000_000_000/2 + 1_500_000_000/2 + 12_000_000_000 + 10_000_000, ""},
		{"t_acme", "claude-opus", dec, 4_000_000_000 + 20_000_000_000 + 10_000_000, ""},
		{"t_acme", "gemini", dec, 1_250_000_000 + 10_000_000, ""},
		{"t_acme", "gemini", dec.AddDate(1, 0, 0), 1_200_000_000, ""},
		{"t_globex", "gemini", dec, 1_250_000_000 + 10_000_000, "b"},
		{"t_globex", "gemini", dec.AddDate(0, 2, 0), 1_000_000_000, ""}, // assignment over: pass-through
	}
	for _, tt := range tests {
		ch := b.Rate(tt.tenant, tt.at, tt.model, u, money.PerDollar)
		if ch.Revenue != tt.want || ch.Arm != tt.arm {
			t.Errorf("Rate(%s, %s, %s) = %+v, want %s arm %q", tt.tenant, tt.model, tt.at.Format(time.DateOnly), ch, tt.want, tt.arm)
		}
	}
	if top, used := b.MonthEnd("t_acme", dec, 30*money.PerDollar, 1); top != 90*money.PerDollar || used != 20*money.PerDollar {
		t.Errorf("MonthEnd = %s, %s", top, used)
	}
	// The same config gives the same version ids (the books pin them).
	again, _ := Parse("sy.yaml", []byte(plansDoc(`plans: [{name: pro, versions: [{markup: "+25%"}]}]`)), nil)
	other, _ := again.PlanBook(nil)
	p1, _ := other.Plan("pro")
	again2, _ := Parse("other.yaml", []byte(plansDoc(`plans: [{name: pro, versions: [{markup: "25%"}]}]`)), nil)
	other2, _ := again2.PlanBook(nil)
	p2, _ := other2.Plan("pro")
	if p1.Versions[0].ID != p2.Versions[0].ID {
		t.Errorf("same terms, two ids: %s, %s", p1.Versions[0].ID, p2.Versions[0].ID)
	}
}

func TestPlansErrors(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		wants []want
	}{
		{"unknown plan", []string{
			`plans: [{name: pro, versions: [{markup: "+1%"}]}]`,
			`plan_assignments:`,
			`  - {tenant: acme, plan: por}`,
		}, []want{{"plan_assignments[0].plan", 6, `unknown plan "por" (plans: pro)`}}},
		{"overlapping assignments", []string{
			`plans: [{name: pro, versions: [{markup: "+1%"}]}]`,
			`plan_assignments:`,
			`  - {tenant: acme, plan: pro, from: 2026-01-01, to: 2026-03-01}`,
			`  - {tenant: acme, plan: pro, from: 2026-02-01}`,
		}, []want{{"plan_assignments[1].from", 7, "overlaps plan_assignments[0]"}}},
		{"same start", []string{
			`plans: [{name: pro, versions: [{markup: "+1%"}]}]`,
			`plan_assignments:`,
			`  - {tenant: acme, plan: pro}`,
			`  - {tenant: acme, plan: pro}`,
		}, []want{{"plan_assignments[1].from", 7, "overlaps"}}},
		{"bad glob", []string{
			`plans:`,
			`  - name: pro`,
			`    versions:`,
			`      - prices:`,
			`          - {model: "claude-[", input: "1", output: "2"}`,
		}, []want{{"plans[0].versions[0].prices[0].model", 8, "not a valid glob"}}},
		{"missing rates and twice priced", []string{
			`plans:`,
			`  - name: pro`,
			`    versions:`,
			`      - prices:`,
			`          - {model: gpt, input: "1"}`,
			`          - {model: gpt, input: "1", output: "1"}`,
		}, []want{{"plans[0].versions[0].prices[0].output", 8, "is required"}, {"plans[0].versions[0].prices[1].model", 9, "priced twice"}}},
		{"bad markup", []string{
			`plans: [{name: pro, versions: [{markup: "25"}]}]`,
		}, []want{{"plans[0].versions[0].markup", 4, "percentage"}}},
		{"versions out of order, no versions", []string{
			`plans:`,
			`  - {name: a, versions: [{from: 2026-02-01}, {from: 2026-01-01}]}`,
			`  - {name: b}`,
		}, []want{{"plans[0].versions[1].from", 5, "must be after"}, {"plans[1].versions", 6, "at least one version"}}},
		{"duplicate plan, assignment before the plan", []string{
			`plans:`,
			`  - {name: a, versions: [{from: 2026-02-01}]}`,
			`  - {name: a, versions: [{}]}`,
			`plan_assignments: [{tenant: x, plan: a, from: 2026-01-01, arm: b}]`,
		}, []want{{"plans[1].name", 6, "duplicate name"}, {"plan_assignments[0].from", 7, "before plan \"a\"'s first version"},
			{"plan_assignments[0].arm", 7, "go together"}}},
		{"negative money", []string{
			`plans: [{name: a, versions: [{request_fee: "-1"}]}]`,
		}, []want{{"plans[0].versions[0].request_fee", 4, "negative"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("sy.yaml", []byte(plansDoc(tt.lines...)), nil)
			checkErrors(t, err, tt.wants)
			if err != nil && !strings.HasPrefix(err.Error(), "sy.yaml:") {
				t.Errorf("error does not start with the file: %v", err)
			}
		})
	}
}

func TestParsePlans(t *testing.T) {
	c, err := ParsePlans("candidate.yaml", []byte(doc(
		`plans: [{name: cheap, versions: [{markup: "+5%"}]}]`,
		`plan_assignments: [{tenant: acme, plan: cheap}]`,
	)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Plans) != 1 || len(c.PlanAssignments) != 1 {
		t.Fatalf("plans = %+v", c)
	}
	_, err = ParsePlans("candidate.yaml", []byte(doc(
		`plans: [{name: cheap, versions: [{markup: "+5%"}]}]`,
		`plan_assignments: [{tenant: acme, plan: dear}]`,
		`bogus: 1`,
	)), nil)
	checkErrors(t, err, []want{{"plan_assignments[0].plan", 2, "unknown plan"}, {"", 3, `unknown key "bogus"`}})
}
