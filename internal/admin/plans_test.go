package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/plan"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/wire"
)

// newPlanRig is newRig with plans: a config plan "base" and the clock at
// 2026-06-15.
func newPlanRig(t *testing.T) (*rig, *plan.Live, store.Store) {
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	live := plan.NewLive()
	if err := live.SetBase([]plan.Plan{{Name: "base", Versions: []plan.Version{plan.NewVersion("base", time.Time{}, plan.Terms{Markup: 1000})}}}, nil); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t}
	now := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	h := New(Options{Token: testToken, Store: st, Tenants: st, Keyring: access.NewKeyringPepper([]byte("pepper-for-admin-tests")),
		OnChange: func() { r.changes++ }, Plans: live, Now: func() time.Time { return now }})
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r, live, st
}

func TestPlansAPI(t *testing.T) {
	r, live, st := newPlanRig(t)
	pro := `{"id": "pro", "versions": [
		{"prices": [{"model": "gpt-4o", "input": "3", "output": "12"}, {"model": "claude-*", "input": "4", "output": "20", "cached_input": "0.4"}],
		 "markup": "+25%", "request_fee": "0.01", "monthly_minimum": "100", "included_credit": "20"},
		{"from": "2026-07-01T00:00:00Z", "markup": "+20%"}]}`
	out := r.must(http.StatusCreated, "POST", "/admin/v1/plans", pro)
	vs := out["versions"].([]any)
	v0 := vs[0].(map[string]any)
	if out["id"] != "pro" || out["source"] != "admin" || len(vs) != 2 || !strings.HasPrefix(v0["id"].(string), "plv_") ||
		v0["markup"] != "+25%" || v0["monthly_minimum"] != "100.00" || v0["request_fee"] != "0.01" {
		t.Fatalf("created %v", out)
	}
	claude := v0["prices"].([]any)[1].(map[string]any)
	if claude["cached_input"] != "0.4" || claude["cache_write"] != "4" || claude["reasoning"] != "20" {
		t.Errorf("defaults not applied: %v", claude)
	}

	list := r.must(http.StatusOK, "GET", "/admin/v1/plans", "")
	if ps := list["plans"].([]any); len(ps) != 2 || ps[0].(map[string]any)["id"] != "base" || ps[0].(map[string]any)["source"] != "config" {
		t.Errorf("list %v", list)
	}
	r.must(http.StatusNotFound, "GET", "/admin/v1/plans/nope", "")

	tn := r.must(http.StatusCreated, "POST", "/admin/v1/tenants", `{"name": "acme"}`)
	id := tn["id"].(string)
	a := r.must(http.StatusCreated, "POST", "/admin/v1/tenants/"+id+"/plan", `{"plan": "pro", "from": "2026-06-01T00:00:00Z", "experiment": "pricing-q1", "arm": "b"}`)
	if a["plan"] != "pro" || a["arm"] != "b" || a["tenant"] != id {
		t.Errorf("assigned %v", a)
	}
	// The book in force charges the tenant the plan, the store shows it.
	c := live.Load().Rate(id, time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC), "gpt-4o", wire.Usage{Prompt: 1_000_000}, 0)
	if c.PlanID != "pro" || c.Arm != "b" || c.Revenue != 3*money.PerDollar+money.PerDollar/100 {
		t.Errorf("charge %+v", c)
	}
	if got, _ := st.GetTenant(context.Background(), id); got.Plan != "pro" {
		t.Errorf("tenant's plan = %q", got.Plan)
	}
	one := r.must(http.StatusOK, "GET", "/admin/v1/plans/pro", "")
	if as := one["assignments"].([]any); len(as) != 1 {
		t.Errorf("plan's assignments %v", one)
	}
	cur := r.must(http.StatusOK, "GET", "/admin/v1/tenants/"+id+"/plan", "")
	if cur["current"].(map[string]any)["plan"] != "pro" {
		t.Errorf("current %v", cur)
	}

	// A reload of the config's plans keeps those added here.
	if err := live.SetBase([]plan.Plan{{Name: "base", Versions: []plan.Version{plan.NewVersion("base", time.Time{}, plan.Terms{Markup: 2000})}}}, nil); err != nil {
		t.Fatal(err)
	}
	if c := live.Load().Rate(id, time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC), "gpt-4o", wire.Usage{}, 0); c.PlanID != "pro" {
		t.Errorf("after a reload: %+v", c)
	}

	errs := []struct {
		name, method, path, body string
		status                   int
		param                    string
	}{
		{"unknown plan", "POST", "/admin/v1/tenants/" + id + "/plan", `{"plan": "gold"}`, 400, "plan"},
		{"overlap", "POST", "/admin/v1/tenants/" + id + "/plan", `{"plan": "base", "from": "2026-06-01T00:00:00Z"}`, 409, ""},
		{"arm alone", "POST", "/admin/v1/tenants/" + id + "/plan", `{"plan": "base", "arm": "a"}`, 400, "arm"},
		{"unknown tenant", "POST", "/admin/v1/tenants/t_nobody/plan", `{"plan": "base"}`, 404, ""},
		{"config plan", "POST", "/admin/v1/plans", `{"id": "base", "versions": [{}]}`, 409, ""},
		{"no versions", "POST", "/admin/v1/plans", `{"id": "x"}`, 400, "versions"},
		{"bad markup", "POST", "/admin/v1/plans", `{"id": "x", "versions": [{"markup": "25"}]}`, 400, "versions[0].markup"},
		{"bad glob", "POST", "/admin/v1/plans", `{"id": "x", "versions": [{"prices": [{"model": "[", "input": "1", "output": "1"}]}]}`, 400, "versions[0].prices[0].model"},
		{"missing output", "POST", "/admin/v1/plans", `{"id": "x", "versions": [{"prices": [{"model": "m", "input": "1"}]}]}`, 400, "versions[0].prices[0].output"},
		{"versions out of order", "POST", "/admin/v1/plans", `{"id": "x", "versions": [{"from": "2026-02-01T00:00:00Z"}, {"from": "2026-01-01T00:00:00Z"}]}`, 400, "versions[1].from"},
		{"unknown field", "POST", "/admin/v1/plans", `{"id": "x", "versions": [{}], "colour": 1}`, 400, "colour"},
	}
	for _, e := range errs {
		code, body := r.do(e.method, e.path, e.body)
		if code != e.status {
			t.Errorf("%s: %d %v, want %d", e.name, code, body, e.status)
			continue
		}
		if e.param != "" {
			if p := body["error"].(map[string]any)["param"]; p != e.param {
				t.Errorf("%s: param %v, want %s", e.name, p, e.param)
			}
		}
	}
}

func TestEveryPlanEndpointNeedsTheToken(t *testing.T) {
	r, _, _ := newPlanRig(t)
	for _, route := range PlanRoutes() {
		method, path, _ := strings.Cut(route, " ")
		req, _ := http.NewRequest(method, r.srv.URL+strings.ReplaceAll(path, "{id}", "x"), strings.NewReader(`{}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d", route, resp.StatusCode)
		}
	}
	// Without plans, 503.
	st, _ := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	defer st.Close()
	srv := httptest.NewServer(New(Options{Token: testToken, Store: st}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/admin/v1/plans", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("no plans: %d", resp.StatusCode)
	}
}
