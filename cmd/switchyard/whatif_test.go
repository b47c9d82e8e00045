package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// whatifEvents: in January 2026, acme and beta each make requests of two
// attempts (a failed one that still cost something, then the answer), and
// one request that no attempt answered. Costs are multiples of 100 nanos so
// that the expected markups are exact.
func whatifEvents() (evs []usage.Event, answered map[string]money.Nanos, cost money.Nanos) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	answered = map[string]money.Nanos{}
	for i := range 400 {
		tenant := []string{"t_acme", "t_beta"}[i%2]
		at := jan.Add(time.Duration(i) * 90 * time.Minute)
		c := money.Nanos(100 * (1000 + i))
		base := usage.Event{RequestID: fmt.Sprintf("req_%04d", i), TenantID: tenant, Model: "gpt-4o", Deployment: "oa/gpt", Provider: "openai", Op: "chat",
			Usage: wire.Usage{Prompt: 1000, Completion: 100}, Source: usage.Reported, PriceVersion: "pv_x"}
		fail := base
		fail.Attempt, fail.Time, fail.Outcome, fail.Cost = 1, at, usage.Failed, 300
		ok := base
		ok.Attempt, ok.Time, ok.Outcome, ok.Cost = 2, at.Add(time.Second), usage.Completed, c
		if i%50 == 7 {
			ok.Outcome = usage.Failed // nobody answered: cost, no revenue
		} else {
			answered[tenant] += c
		}
		evs = append(evs, fail, ok)
		cost += 300 + c
	}
	return evs, answered, cost
}

const whatifBaseConfig = `keys: [{name: dev, key: dev-key-0123456789}]
providers: [{name: oa, type: openai, api_key: sk-test}]
models: [{name: gpt-4o, deployments: [{provider: oa, model: gpt, price: {input: "1", output: "2"}}]}]
plans: [{name: pro, versions: [{markup: "+25%"}]}]
plan_assignments: [{tenant: acme, plan: pro}]
`

const whatifCandidate = `plans:
  - name: cheap
    versions: [{markup: "+10%"}]
plan_assignments:
  - {tenant: acme, plan: cheap}
  - {tenant: t_beta, plan: cheap, experiment: pricing-q1, arm: b}
`

func seedWhatIf(t *testing.T, sc store.Config) {
	ctx := context.Background()
	st, err := store.Open(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tn := range []store.Tenant{{ID: "t_acme", Name: "acme"}, {ID: "t_beta", Name: "beta"}} {
		tn.Status, tn.CreatedAt, tn.UpdatedAt = store.TenantActive, now, now
		if err := st.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	evs, _, _ := whatifEvents()
	if err := st.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
}

func runWhatIf(t *testing.T, args ...string) string {
	t.Helper()
	cmd := whatifCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("whatif %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func checkWhatIf(t *testing.T, storeArgs ...string) {
	dir := t.TempDir()
	cand := filepath.Join(dir, "candidate.yaml")
	if err := os.WriteFile(cand, []byte(whatifCandidate), 0o600); err != nil {
		t.Fatal(err)
	}
	_, answered, cost := whatifEvents()
	acme, beta := answered["t_acme"], answered["t_beta"]
	period := []string{"--from", "2026-01-01", "--to", "2026-02-01"}

	out := runWhatIf(t, append(append([]string{"--plan", cand, "--format", "json"}, period...), storeArgs...)...)
	var j whatifJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	hasConfig := strings.Contains(strings.Join(storeArgs, " "), "--config")
	wantBefore := acme + beta // pass-through without --config
	if hasConfig {
		wantBefore = acme*125/100 + beta
	}
	wantAfter := (acme + beta) * 110 / 100
	if j.Before.Revenue != wantBefore.String() || j.After.Revenue != wantAfter.String() || j.Before.Cost != cost.String() {
		t.Errorf("before %+v, after %+v; want revenue %s → %s, cost %s", j.Before, j.After, wantBefore, wantAfter, cost)
	}
	if j.Requests != 392 || len(j.Months) != 1 || j.Months[0] != "2026-01" {
		t.Errorf("requests %d, months %v", j.Requests, j.Months)
	}
	if len(j.Tenants) != 2 || len(j.Arms) != 1 || j.Arms[0].Arm != "b" || j.Arms[0].RevenueAfter != (beta*110/100).String() {
		t.Errorf("tenants %+v, arms %+v", j.Tenants, j.Arms)
	}
	acmeBefore := acme
	if hasConfig {
		acmeBefore = acme * 125 / 100
	}
	first := "beta"
	if absNanos(acme*110/100-acmeBefore) > absNanos(beta*110/100-beta) {
		first = "acme"
	}
	if j.Tenants[0].Name != first {
		t.Errorf("most affected = %+v, want %s first", j.Tenants, first)
	}

	// --tenants selects by name glob; the table and CSV forms render.
	out = runWhatIf(t, append(append([]string{"--plan", cand, "--tenants", "be*"}, period...), storeArgs...)...)
	if !strings.Contains(out, "beta") || strings.Contains(out, "acme") || !strings.Contains(out, "pricing-q1") {
		t.Errorf("table for beta only:\n%s", out)
	}
	out = runWhatIf(t, append(append([]string{"--plan", cand, "--format", "csv"}, period...), storeArgs...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "TOTAL,") {
		t.Errorf("csv:\n%s", out)
	}
}

func absNanos(n money.Nanos) money.Nanos {
	if n < 0 {
		return -n
	}
	return n
}

func TestWhatIfSQLite(t *testing.T) {
	data := t.TempDir()
	seedWhatIf(t, store.Config{DataDir: data})
	checkWhatIf(t, "--data", data)

	cfg := filepath.Join(t.TempDir(), "switchyard.yaml")
	if err := os.WriteFile(cfg, []byte("data_dir: "+data+"\n"+whatifBaseConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	checkWhatIf(t, "--config", cfg)
}

func TestWhatIfPostgres(t *testing.T) {
	pg := testPostgres(t)
	seedWhatIf(t, store.Config{PostgresURL: pg})
	checkWhatIf(t, "--postgres", pg)
}

func TestWhatIfErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("plans: [{name: a, versions: [{markup: \"+1%\"}]}]\nplan_assignments: [{tenant: x, plan: b}]\n"), 0o600)
	cmd := whatifCmd()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetArgs([]string{"--plan", bad, "--data", dir})
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2:") || !strings.Contains(err.Error(), "unknown plan") {
		t.Errorf("bad plan file: %v", err)
	}
}
