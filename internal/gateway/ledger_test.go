package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/report"
)

// TestBooksFollowUsage: after SDK traffic, whole and streamed, to two
// clouds, one drawing on a spend commitment, the ledger's revenue report
// equals the usage report's cost (pass-through tenants), the margin is
// zero, each cloud's cost equals its usage cost, the committed cloud's
// cost is all drawn on its commitment, and the ledger balances.
func TestBooksFollowUsage(t *testing.T) {
	const token = "admin-secret-token"
	emuA := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	emuB := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("cloud-a", emulate.OpenAI, emuA.URL), providerFor("cloud-b", emulate.OpenAI, emuB.URL)},
		config.Model{Name: "chat-a", Deployments: []config.Deployment{deployment("cloud-a", "native-a")}},
		config.Model{Name: "chat-b", Deployments: []config.Deployment{deployment("cloud-b", "native-b")}})
	cfg.Admin.Token = token
	cfg.Commitments = []config.Commitment{{Name: "edp", Provider: "cloud-a", Kind: config.CommitSpend, Amount: 1000 * money.PerDollar,
		Start: time.Now().Add(-24 * time.Hour).Truncate(time.Hour), End: time.Now().Add(24 * time.Hour).Truncate(time.Hour)}}
	g := startGateway(t, cfg)
	gw := client(g)
	ctx := context.Background()

	const perModel = 3
	for _, m := range []string{"chat-a", "chat-b"} {
		for i := range perModel {
			p := openai.ChatCompletionNewParams{Model: m, MaxTokens: openai.Int(30),
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Count the wagons in the yard.")}}
			if i%2 == 0 {
				if _, err := gw.Chat.Completions.New(ctx, p); err != nil {
					t.Fatal(err)
				}
				continue
			}
			s := gw.Chat.Completions.NewStreaming(ctx, p)
			for s.Next() {
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
		}
	}

	var margin report.Books
	eventually(t, "every request in the books", func() bool {
		code, body := adminGet(t, g, "/admin/v1/reports/margin?group_by=provider", token)
		margin = report.Books{}
		return code == 200 && json.Unmarshal([]byte(body), &margin) == nil && margin.Total.Requests == 2*perModel
	})
	code, body := adminGet(t, g, "/admin/v1/reports/usage?group_by=provider", token)
	var usage report.Usage
	if err := json.Unmarshal([]byte(body), &usage); code != 200 || err != nil {
		t.Fatalf("usage report: %d %s", code, body)
	}
	var revenue report.Books
	code, body = adminGet(t, g, "/admin/v1/reports/revenue", token)
	if err := json.Unmarshal([]byte(body), &revenue); code != 200 || err != nil {
		t.Fatalf("revenue report: %d %s", code, body)
	}

	if usage.Total.Cost == 0 || revenue.Total.Revenue != usage.Total.Cost {
		t.Errorf("revenue %s, usage cost %s: pass-through revenue must equal cost", revenue.Total.Revenue, usage.Total.Cost)
	}
	if margin.Total.Margin != 0 || margin.Total.MarginPercent != "0.00" || margin.Total.Cost != usage.Total.Cost || margin.Total.Attempts != 2*perModel {
		t.Errorf("margin total %+v, want margin 0 at 0.00%% on cost %s", margin.Total, usage.Total.Cost)
	}
	cost := map[string]money.Nanos{}
	for _, r := range usage.Rows {
		cost[r.Group["provider"]] = r.Cost
	}
	for _, r := range margin.Rows {
		p := r.Group["provider"]
		if r.Cost != cost[p] {
			t.Errorf("%s: ledger cost %s, usage cost %s", p, r.Cost, cost[p])
		}
		want := money.Nanos(0)
		if p == "cloud-a" {
			want = r.Cost
		}
		if r.Committed != want {
			t.Errorf("%s: committed %s, want %s", p, r.Committed, want)
		}
	}
	if len(margin.Rows) != 2 {
		t.Errorf("margin rows %+v, want one per cloud", margin.Rows)
	}

	bal, err := g.Store.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sum money.Nanos
	for _, v := range bal {
		sum += v
	}
	if sum != 0 || bal["drawdown:edp"] != -cost["cloud-a"] || bal["payable:cloud-b"] != -cost["cloud-b"] || bal["revenue"] != -usage.Total.Cost {
		t.Errorf("balances %v", bal)
	}

	code, body = adminGet(t, g, "/admin/v1/reports/margin?group_by=tenant,plan,arm&format=csv", token)
	if lines := strings.Split(strings.TrimSpace(body), "\n"); code != 200 || len(lines) != 2 ||
		lines[0] != "tenant,plan,arm,requests,attempts,revenue_usd,cost_usd,committed_cost_usd,margin_usd,margin_pct" {
		t.Errorf("margin csv: %d %q", code, body)
	}
	if code, body := adminGet(t, g, "/admin/v1/reports/revenue?group_by=colour", token); code != 400 || !strings.Contains(body, "colour") {
		t.Errorf("bad group_by: %d %s", code, body)
	}
	if code, _ := adminGet(t, g, "/admin/v1/reports/margin", ""); code != 401 {
		t.Errorf("margin without the token: %d, want 401", code)
	}
}
