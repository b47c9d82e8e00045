package gateway_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/report"
)

// TestTenantsPayTheirPlan: a tenant assigned (by name, in the config) to a
// plan with a 50% markup and a per-request fee is charged exactly that in
// the ledger; a tenant without a plan pays what its requests cost.
func TestTenantsPayTheirPlan(t *testing.T) {
	const token = "admin-token-plans"
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
	cfg.Admin.Token = token
	fee := money.PerDollar / 1000 // $0.001 a request
	cfg.Plans = []config.Plan{{Name: "gold", Versions: []config.PlanVersion{{Markup: "+50%", RequestFee: fee}}}}
	cfg.PlanAssignments = []config.PlanAssignment{{Tenant: "acme", Plan: "gold", From: time.Now().Add(-time.Hour)}}
	g, _, _ := startLogged(t, cfg)

	var secrets = map[string]string{}
	for _, name := range []string{"acme", "globex"} {
		tn := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants", `{"name":"`+name+`"}`)
		k := mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+tn["id"].(string)+"/keys", `{"name":"app"}`)
		secrets[name] = k["key"].(string)
	}
	const n = 4
	for _, name := range []string{"acme", "globex"} {
		for range n {
			if code := chatWith(t, g, secrets[name]); code != "" {
				t.Fatalf("%s: %s", name, code)
			}
		}
	}
	var rep report.Books
	eventually(t, "both tenants' requests in the books", func() bool {
		code, body := adminGet(t, g, "/admin/v1/reports/margin?group_by=tenant", token)
		rep = report.Books{}
		return code == 200 && json.Unmarshal([]byte(body), &rep) == nil && rep.Total.Requests == 2*n
	})
	got := map[string]bool{}
	for _, r := range rep.Rows {
		name := r.Group["tenant_name"]
		if name == "" {
			name = r.Group["tenant"]
		}
		switch {
		case r.Cost == 0:
			t.Errorf("row %+v: no cost", r)
		case r.Revenue == r.Cost+r.Cost/2+money.Nanos(n)*fee || r.Revenue == r.Cost+(r.Cost+1)/2+money.Nanos(n)*fee:
			got["gold"] = true
		case r.Revenue == r.Cost:
			got["pass-through"] = true
		default:
			t.Errorf("tenant %s: revenue %s on cost %s: neither the gold plan (cost +50%% + $0.001 a request) nor pass-through", name, r.Revenue, r.Cost)
		}
	}
	if !got["gold"] || !got["pass-through"] {
		t.Errorf("want one tenant on gold and one pass-through, got %v in %+v", got, rep.Rows)
	}
}
