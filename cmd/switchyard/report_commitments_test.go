package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/focus"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// booksConfig writes a config with a spend commitment on azure/gpt and a
// capacity commitment on openai/gpt over the days of randomEvents, and a
// store holding those events; it returns the config's path and the store's
// total cost.
func booksConfig(t *testing.T) (string, money.Nanos) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := `data_dir: ` + data + `
keys:
  - {name: dev, key: sk-test-0123456789abcdef}
providers:
  - {name: openai, type: openai, api_key: x}
  - {name: azure, type: azure, base_url: "https://example.openai.azure.com", api_key: x}
models:
  - name: gpt
    deployments:
      - {name: azure/gpt, provider: azure, model: gpt, price: {input: "2.50", output: "10"}}
      - {name: openai/gpt, provider: openai, model: gpt, price: {input: "2.50", output: "10"}}
commitments:
  - {name: macc, provider: azure, kind: spend, amount: "1", start: 2026-11-01, end: 2026-11-04}
  - {name: ptu, provider: openai, deployments: [openai/gpt], kind: capacity, tpm: 2000, price_per_hour: "0.50", start: 2026-11-01, end: 2026-11-03}
`
	path := filepath.Join(dir, "switchyard.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Apply(ctx, randomEvents(2000)); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Usage(ctx, store.UsageQuery{})
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	return path, rows[0].Cost
}

func TestReportFocus(t *testing.T) {
	cfg, total := booksConfig(t)
	out, code := run(t, nil, "report", "focus", "--config", cfg, "--from", "2026-10-31", "--to", "2026-11-05", "--granularity", "hour")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	if !slices.Equal(recs[0], focus.Columns) {
		t.Fatalf("header %v", recs[0])
	}
	col := func(r []string, c string) string { return r[slices.Index(focus.Columns, c)] }
	nanos := func(s string) money.Nanos {
		w, f, _ := strings.Cut(s, ".")
		a, _ := strconv.ParseInt(w, 10, 64)
		b, _ := strconv.ParseInt(f, 10, 64)
		return money.Nanos(a*1e9 + b)
	}
	var list money.Nanos
	used, unused, bought := map[string]money.Nanos{}, map[string]money.Nanos{}, map[string]money.Nanos{}
	for _, r := range recs[1:] {
		for _, c := range focus.Mandatory {
			if c != "ChargeClass" && col(r, c) == "" {
				t.Fatalf("%s null in %v", c, r)
			}
		}
		id, status := col(r, "CommitmentDiscountId"), col(r, "CommitmentDiscountStatus")
		switch {
		case col(r, "ChargeCategory") == "Purchase":
			bought[id] += nanos(col(r, "BilledCost"))
		case status == "Unused":
			unused[id] += nanos(col(r, "EffectiveCost"))
		default:
			list += nanos(col(r, "ListCost"))
			if status == "Used" {
				used[id] += nanos(col(r, "EffectiveCost"))
			}
		}
	}
	if list != total {
		t.Errorf("export list cost %v, store total %v", list, total)
	}
	for _, id := range []string{"macc", "ptu"} {
		if bought[id] == 0 || used[id]+unused[id] != bought[id] {
			t.Errorf("%s: used %v + unused %v != purchased %v", id, used[id], unused[id], bought[id])
		}
	}
	if bought["macc"] != money.PerDollar || bought["ptu"] != 24*money.PerDollar {
		t.Errorf("purchases %v", bought)
	}
}

func TestReportCommitments(t *testing.T) {
	cfg, _ := booksConfig(t)
	out, code := run(t, nil, "report", "commitments", "--config", cfg, "--to", "2026-11-02T12:00:00Z", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var doc commit.ReportDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(doc.Commitments) != 2 {
		t.Fatalf("%d commitments", len(doc.Commitments))
	}
	for _, s := range doc.Commitments {
		if !strings.HasPrefix(s.Version, "cv_") || len(s.Projections) != 2 {
			t.Errorf("%s: version %q, %d projections", s.Name, s.Version, len(s.Projections))
		}
		switch s.Name {
		case "macc": // $1 over three days, half way through
			p := s.Projections[0]
			if s.Drawn == 0 || s.Drawn != s.Costs.List || s.Expected != money.PerDollar/2 || s.Ahead != s.Drawn-s.Expected ||
				p.Use != 2*s.Drawn || p.Shortfall != max(money.PerDollar-p.Use, 0) || s.Costs.Billed != money.PerDollar {
				t.Errorf("macc %+v", s)
			}
		case "ptu": // 36 hours of $0.50 bought, and a table of the last 24
			if s.Costs.Purchased != 18*money.PerDollar || len(s.Hours) != 24 || s.Utilisation <= 0 || s.Utilisation > 1 {
				t.Errorf("ptu purchased %v, %d hours, utilisation %v", s.Costs.Purchased, len(s.Hours), s.Utilisation)
			}
		}
	}
	table, code := run(t, nil, "report", "commitments", "--config", cfg, "--to", "2026-11-02T12:00:00Z")
	if code != 0 || !strings.Contains(table, "macc (spend, cv_") || !strings.Contains(table, "ptu by hour") {
		t.Errorf("table (exit %d):\n%s", code, table)
	}
	if out, code := run(t, nil, "report", "commitments", "--data", t.TempDir()); code == 0 || !strings.Contains(out, "--config") {
		t.Errorf("without a config: exit %d: %s", code, out)
	}
}
