package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

func dashboardRig(t *testing.T, deps Deployments) (*httptest.Server, store.Store) {
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(Options{Token: testToken, Store: st, Deployments: deps}))
	t.Cleanup(srv.Close)
	return srv, st
}

func get(t *testing.T, url, token string, out any) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode, resp.Header
}

// The shell loads without a token; every data call needs it.
func TestDashboardShellOpenDataAuthed(t *testing.T) {
	srv, _ := dashboardRig(t, DeploymentsFunc(func() []DeploymentStatus { return nil }))
	code, h := get(t, srv.URL+"/ui/", "", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("/ui/ without token: %d %s, want 200 text/html", code, h.Get("Content-Type"))
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(srv.URL + "/ui")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/ui/" {
		t.Errorf("/ui: %d to %q, want 301 to /ui/", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/admin/v1/events", "/admin/v1/events?tenant=t1", "/admin/v1/deployments", "/admin/v1/traffic?window=24h",
		"/admin/v1/usage?group_by=provider,hour", "/admin/v1/tenants"} {
		for _, tok := range []string{"", "wrong"} {
			if code, _ := get(t, srv.URL+path, tok, nil); code != http.StatusUnauthorized {
				t.Errorf("%s with token %q: %d, want 401", path, tok, code)
			}
		}
	}
}

type eventsPage struct {
	Events []struct {
		RequestID string    `json:"request_id"`
		Attempt   int       `json:"attempt"`
		Time      time.Time `json:"time"`
		TenantID  string    `json:"tenant_id"`
		Outcome   string    `json:"outcome"`
		CostUSD   string    `json:"cost_usd"`
	} `json:"events"`
	NextBefore string `json:"next_before"`
	Error      *struct {
		Code string `json:"code"`
	} `json:"error"`
}

func TestRecentEventsPagesAndFilters(t *testing.T) {
	srv, st := dashboardRig(t, nil)
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var evs []usage.Event
	for i := range 25 {
		e := usage.Event{RequestID: fmt.Sprintf("req_%02d", i), Attempt: 1, Time: t0.Add(time.Duration(i) * time.Minute),
			TenantID: []string{"acme", "globex"}[i%2], KeyID: "k1", KeyName: "main", Model: "gpt-x", Deployment: "d1",
			Provider: "openai", Op: "chat", Outcome: usage.Completed, Status: 200, Cost: 1500, Source: usage.Reported}
		if i%5 == 0 {
			e.Outcome, e.Status, e.Source, e.Cost = usage.Failed, 503, usage.NoUsage, 0
		}
		evs = append(evs, e)
	}
	if err := st.Apply(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	// Page through everything, newest first, 10 at a time.
	var ids []string
	before := ""
	for range 5 {
		var p eventsPage
		if code, _ := get(t, srv.URL+"/admin/v1/events?limit=10&before="+before, testToken, &p); code != http.StatusOK {
			t.Fatalf("page after %q: %d", before, code)
		}
		for _, e := range p.Events {
			ids = append(ids, e.RequestID)
		}
		if before = p.NextBefore; before == "" {
			break
		}
	}
	if len(ids) != 25 || ids[0] != "req_24" || ids[24] != "req_00" {
		t.Fatalf("listed %v, want req_24 … req_00", ids)
	}
	var p eventsPage
	get(t, srv.URL+"/admin/v1/events?tenant=acme&outcome=failed", testToken, &p)
	if len(p.Events) != 3 || p.NextBefore != "" { // req_20, req_10, req_00
		t.Fatalf("acme failed: %+v", p)
	}
	for _, e := range p.Events {
		if e.TenantID != "acme" || e.Outcome != "failed" {
			t.Errorf("filter let through %+v", e)
		}
	}
	get(t, srv.URL+"/admin/v1/events?limit=1", testToken, &p)
	if len(p.Events) != 1 || p.Events[0].CostUSD != "0.0000015" {
		t.Errorf("latest: %+v, want req_24 costing $0.0000015", p.Events)
	}
	for _, q := range []string{"limit=0", "limit=501", "outcome=great", "before=nonsense"} {
		var p eventsPage
		if code, _ := get(t, srv.URL+"/admin/v1/events?"+q, testToken, &p); code != http.StatusBadRequest || p.Error == nil || p.Error.Code != "bad_query" {
			t.Errorf("%s: %d %+v, want 400 bad_query", q, code, p.Error)
		}
	}
}

func TestDeploymentsEndpoint(t *testing.T) {
	until := time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC)
	srv, _ := dashboardRig(t, DeploymentsFunc(func() []DeploymentStatus {
		return []DeploymentStatus{{Name: "azure-east", Provider: "azure", Model: "gpt-x", Ejected: true, EjectedUntil: &until,
			Attempts: 10, Failures: 4, Throttled: 1, TTFTMs: 180, CostUSD: "0.01"}}
	}))
	var out struct {
		Deployments []map[string]any `json:"deployments"`
	}
	if code, _ := get(t, srv.URL+"/admin/v1/deployments", testToken, &out); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if len(out.Deployments) != 1 {
		t.Fatalf("%+v", out)
	}
	d := out.Deployments[0]
	for k, want := range map[string]any{"name": "azure-east", "provider": "azure", "ejected": true,
		"ejected_until": "2026-12-01T12:00:30Z", "failures": 4.0, "throttled": 1.0, "ttft_ms": 180.0, "cost_usd": "0.01"} {
		if d[k] != want {
			t.Errorf("%s = %v, want %v", k, d[k], want)
		}
	}
	none, _ := dashboardRig(t, nil)
	if code, _ := get(t, none.URL+"/admin/v1/deployments", testToken, nil); code != http.StatusNotFound {
		t.Errorf("without a table: %d, want 404 (the page hides the panel)", code)
	}
}

// markup charges 125% of cost.
type markup struct{}

func (markup) Rate(_ string, _ time.Time, _ string, _ wire.Usage, cost money.Nanos) ledger.Charge {
	return ledger.Charge{Revenue: cost * 5 / 4}
}

// The requests list shows what each request was charged, as the books hold
// it, on the attempt that was charged, and nothing on the others.
func TestRecentEventsCarryCharges(t *testing.T) {
	srv, st := dashboardRig(t, nil)
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ev := func(id string, attempt int, out usage.Outcome, status int, cost money.Nanos) usage.Event {
		return usage.Event{RequestID: id, Attempt: attempt, Time: t0.Add(time.Duration(attempt) * time.Second), TenantID: "acme", KeyID: "k1",
			Model: "gpt-x", Deployment: "d1", Provider: "openai", Op: "chat", Outcome: out, Status: status, Cost: cost, Source: usage.Reported}
	}
	evs := []usage.Event{
		ev("req_a", 1, usage.Failed, 503, 0),
		ev("req_a", 2, usage.Completed, 200, 4_000),
		ev("req_b", 1, usage.Interrupted, 200, 800), // not charged: the client got no whole answer
		ev("req_c", 1, usage.Completed, 200, 2_000), // completed, not booked yet
	}
	ctx := context.Background()
	if err := st.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	d := ledger.Deriver{Rater: markup{}}
	if _, err := st.Post(ctx, d.Derive(evs[:3])); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Events []struct {
			RequestID    string  `json:"request_id"`
			Attempt      int     `json:"attempt"`
			CostUSD      string  `json:"cost_usd"`
			ChargedUSD   *string `json:"charged_usd"`
			ChargedNanos *int64  `json:"charged_nanos"`
		} `json:"events"`
	}
	if code, _ := get(t, srv.URL+"/admin/v1/events?tenant=acme", testToken, &page); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	got := map[string]string{}
	for _, e := range page.Events {
		k := fmt.Sprintf("%s/%d", e.RequestID, e.Attempt)
		got[k] = "-"
		if e.ChargedUSD != nil {
			if e.ChargedNanos == nil {
				t.Fatalf("%s: charged_usd without charged_nanos", k)
			}
			got[k] = fmt.Sprintf("%s=%d", *e.ChargedUSD, *e.ChargedNanos)
		}
	}
	// The revenue the store holds for req_a, read back the plain way.
	txn, err := st.Transaction(ctx, ledger.RevenueID("req_a"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"req_a/1": "-", "req_a/2": fmt.Sprintf("%s=%d", txn.Effect().Revenue, int64(txn.Effect().Revenue)), "req_b/1": "-", "req_c/1": "-"}
	if txn.Effect().Revenue != 5_000 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("charges %v, want %v (revenue booked %d)", got, want, txn.Effect().Revenue)
	}
}
