package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/store"
)

// promSample is one parsed series.
type promSample struct {
	labels map[string]string
	value  float64
}

// scrapeMetrics fetches /metrics from the admin listener with token and
// parses it with Prometheus's own text parser.
func scrapeMetrics(t *testing.T, g *gateway.Gateway, token string) map[string][]promSample {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+g.AdminAddr()+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	out := map[string][]promSample{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			s := promSample{labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Counter != nil:
				s.value = m.Counter.GetValue()
			case m.Gauge != nil:
				s.value = m.Gauge.GetValue()
			case m.Histogram != nil:
				s.value = float64(m.Histogram.GetSampleCount())
			}
			out[name] = append(out[name], s)
		}
	}
	return out
}

// promSum adds the series of name whose labels include want.
func promSum(f map[string][]promSample, name string, want map[string]string) int64 {
	var v float64
next:
	for _, s := range f[name] {
		for k, w := range want {
			if s.labels[k] != w {
				continue next
			}
		}
		v += s.value
	}
	return int64(v)
}

// TestMetricsEqualTheStore: after SDK traffic with failovers and broken
// streams, /metrics (behind the admin token) parses, and its token, cost
// and attempt counters per deployment, and cost per tenant, equal the
// store's; tenants beyond the top N count under "other".
func TestMetricsEqualTheStore(t *testing.T) {
	const token = "admin-token-metrics"
	flaky := startEmu(t, emulate.OpenAI, emulate.Knobs{ErrorRate: 0.4, DisconnectRate: 0.3, Seed: 7})
	steady := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	first, second := deployment("flaky", "native-a"), deployment("steady", "native-b")
	first.Priority, first.PrioritySet = 1, true
	second.Priority, second.PrioritySet = 2, true
	cfg := baseConfig([]config.Provider{providerFor("flaky", emulate.OpenAI, flaky.URL), providerFor("steady", emulate.OpenAI, steady.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{first, second}})
	cfg.Admin.Token = token
	cfg.Metrics.TenantsTopN = 1
	g, _, _ := startLogged(t, cfg)

	// The first tenant seen fills the top 1; the second, and the config
	// keys' bootstrap tenant, count as other (until a recompute, a minute on).
	tenant := func(name string) (id, key string) {
		id = mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants", `{"name":"`+name+`"}`)["id"].(string)
		return id, mustAdmin(t, g, token, 201, "POST", "/admin/v1/tenants/"+id+"/keys", `{"name":"k"}`)["key"].(string)
	}
	bigID, bigKey := tenant("big")
	_, smallKey := tenant("small")
	requests := 0
	for range 4 {
		if code := chatWith(t, g, bigKey); code != "" {
			t.Fatalf("big: %s", code)
		}
		requests++
	}
	for range 2 {
		if code := chatWith(t, g, smallKey); code != "" {
			t.Fatalf("small: %s", code)
		}
		requests++
	}
	gw := client(g)
	for range 6 {
		s := gw.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{Model: "chat",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Count the wagons.")}})
		for s.Next() {
		}
		s.Close() // a stream the cloud cut mid-way ends in an error: counted all the same
		requests++
	}

	eventually(t, "journal applied to the store", func() bool { return g.Journal.Lag() == 0 })
	ctx := context.Background()
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	rows, err := g.Store.Usage(ctx, store.UsageQuery{From: from, To: to, GroupBy: []string{"deployment"}})
	if err != nil || len(rows) != 2 {
		t.Fatalf("store usage by deployment: %v %v", rows, err)
	}
	f := scrapeMetrics(t, g, token)
	var attempts int64
	for _, r := range rows {
		dep := r.Group["deployment"]
		attempts += r.Attempts
		tok := func(typ, source string) int64 {
			return promSum(f, "switchyard_tokens_total", map[string]string{"deployment": dep, "type": typ, "source": source})
		}
		for _, src := range []struct {
			name string
			t    store.Tokens
		}{{"reported", r.Reported}, {"estimated", r.Estimated}} {
			got := store.Tokens{
				Prompt:     tok("input", src.name) + tok("cached_input", src.name) + tok("cache_write", src.name),
				Cached:     tok("cached_input", src.name),
				CacheWrite: tok("cache_write", src.name),
				Completion: tok("output", src.name) + tok("reasoning", src.name),
				Reasoning:  tok("reasoning", src.name),
			}
			if got != src.t {
				t.Errorf("%s %s tokens: metrics %+v, store %+v", dep, src.name, got, src.t)
			}
		}
		if got := promSum(f, "switchyard_cost_nanodollars_total", map[string]string{"deployment": dep}); got != int64(r.Cost) || got == 0 {
			t.Errorf("%s cost: metrics %d nanos, store %d", dep, got, r.Cost)
		}
		if got := promSum(f, "switchyard_attempts_total", map[string]string{"deployment": dep}); got != r.Attempts {
			t.Errorf("%s attempts: metrics %d, store %d", dep, got, r.Attempts)
		}
		if got := promSum(f, "switchyard_attempts_total", map[string]string{"deployment": dep, "outcome": "completed"}); got != r.Completed {
			t.Errorf("%s completed attempts: metrics %d, store %d", dep, got, r.Completed)
		}
		if len(f["switchyard_deployment_ejected"]) != 2 || promSum(f, "switchyard_deployment_in_flight_attempts", map[string]string{"deployment": dep}) != 0 {
			t.Errorf("%s: live state missing: %v", dep, f["switchyard_deployment_ejected"])
		}
	}
	if attempts <= int64(requests) {
		t.Errorf("store has %d attempts for %d requests: the flaky cloud failed none over", attempts, requests)
	}
	if got := promSum(f, "switchyard_requests_total", map[string]string{"model": "chat", "api": "chat"}); got != int64(requests) {
		t.Errorf("requests_total = %d, want %d", got, requests)
	}
	if got := promSum(f, "switchyard_request_duration_seconds", map[string]string{"model": "chat"}); got != int64(requests) {
		t.Errorf("request_duration_seconds count = %d, want %d", got, requests)
	}
	if got := promSum(f, "switchyard_store_applied_events_total", nil); got < attempts {
		t.Errorf("store_applied_events_total = %d, want at least %d", got, attempts)
	}
	if got := promSum(f, "switchyard_journal_lag_events", nil); got != 0 {
		t.Errorf("journal_lag_events = %d, want 0", got)
	}

	byTenant, err := g.Store.Usage(ctx, store.UsageQuery{From: from, To: to, GroupBy: []string{"tenant"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, r := range byTenant {
		label := r.Group["tenant"]
		if label != bigID {
			label = "other"
		}
		want[label] += int64(r.Cost)
	}
	for _, label := range []string{bigID, "other"} {
		got := promSum(f, "switchyard_tenant_cost_nanodollars_total", map[string]string{"tenant": label})
		rev := promSum(f, "switchyard_revenue_nanodollars_total", map[string]string{"tenant": label})
		if got != want[label] || rev != got || got == 0 {
			t.Errorf("tenant %s: cost %d, revenue %d; store %d", label, got, rev, want[label])
		}
	}
	if n := len(f["switchyard_tenant_cost_nanodollars_total"]); n != 2 {
		t.Errorf("tenant series = %d, want 2 (the top 1 and other)", n)
	}

	for _, tok := range []string{"", "wrong"} {
		req, _ := http.NewRequest("GET", "http://"+g.AdminAddr()+"/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/metrics with token %q: %d, want 401", tok, resp.StatusCode)
		}
	}
}
