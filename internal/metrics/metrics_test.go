package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// scrape parses what /metrics serves with Prometheus's own text parser.
func scrape(t *testing.T, m *Metrics) map[string][]sample {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string][]sample{}
	for name, f := range fams {
		for _, mt := range f.GetMetric() {
			s := sample{labels: map[string]string{}}
			for _, l := range mt.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			switch {
			case mt.Counter != nil:
				s.value = mt.Counter.GetValue()
			case mt.Gauge != nil:
				s.value = mt.Gauge.GetValue()
			case mt.Histogram != nil:
				s.value = float64(mt.Histogram.GetSampleCount())
			}
			out[name] = append(out[name], s)
		}
	}
	return out
}

type sample struct {
	labels map[string]string
	value  float64
}

// sum adds the samples of name whose labels include want.
func sum(fams map[string][]sample, name string, want map[string]string) float64 {
	var v float64
next:
	for _, s := range fams[name] {
		for k, w := range want {
			if s.labels[k] != w {
				continue next
			}
		}
		v += s.value
	}
	return v
}

func event(tenant, dep string, u wire.Usage, cost money.Nanos, src usage.Source) *usage.Event {
	return &usage.Event{RequestID: "req_1", Attempt: 1, TenantID: tenant, Model: "m", Deployment: dep, Provider: "p",
		Outcome: usage.Completed, Usage: u, Cost: cost, Source: src, TTFT: 200 * time.Millisecond}
}

func TestSettleCountsTokensAndCost(t *testing.T) {
	m := New(Options{TenantsTopN: 5})
	u := wire.Usage{Prompt: 100, Cached: 30, CacheWrite: 10, Completion: 50, Reasoning: 20}
	m.Settle(event("t1", "d1", u, 1234, usage.Reported))
	m.Settle(event("t1", "d1", wire.Usage{Prompt: 7, Completion: 3}, 10, usage.Estimated))
	m.Settle(&usage.Event{Deployment: "d1", Provider: "p", Model: "m", Outcome: usage.Failed})
	f := scrape(t, m)
	cases := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"switchyard_tokens_total", map[string]string{"deployment": "d1", "type": "input", "source": "reported"}, 60},
		{"switchyard_tokens_total", map[string]string{"deployment": "d1", "type": "cached_input"}, 30},
		{"switchyard_tokens_total", map[string]string{"deployment": "d1", "type": "cache_write"}, 10},
		{"switchyard_tokens_total", map[string]string{"deployment": "d1", "type": "output", "source": "reported"}, 30},
		{"switchyard_tokens_total", map[string]string{"deployment": "d1", "type": "reasoning"}, 20},
		{"switchyard_tokens_total", map[string]string{"deployment": "d1", "source": "estimated"}, 10},
		{"switchyard_tokens_total", map[string]string{"deployment": "d1"}, 160},
		{"switchyard_cost_nanodollars_total", map[string]string{"deployment": "d1", "model": "m", "provider": "p"}, 1244},
		{"switchyard_attempts_total", map[string]string{"deployment": "d1", "outcome": "completed"}, 2},
		{"switchyard_attempts_total", map[string]string{"deployment": "d1", "outcome": "failed"}, 1},
		{"switchyard_ttft_seconds", map[string]string{"deployment": "d1"}, 2},
		{"switchyard_tenant_cost_nanodollars_total", map[string]string{"tenant": "t1"}, 1244},
		{"switchyard_revenue_nanodollars_total", map[string]string{"tenant": "t1"}, 1244},
		{"switchyard_tenant_tokens_total", map[string]string{"tenant": "t1"}, 160},
	}
	for _, tc := range cases {
		if got := sum(f, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

func TestTenantsFoldIntoOther(t *testing.T) {
	m := New(Options{TenantsTopN: 2})
	// a and b fill the top two on sight; c spends most, so the recompute
	// gives it a's place (a spent least).
	m.Settle(event("a", "d", wire.Usage{Prompt: 1}, 10, usage.Reported))
	m.Settle(event("b", "d", wire.Usage{Prompt: 1}, 20, usage.Reported))
	m.Settle(event("c", "d", wire.Usage{Prompt: 1}, 500, usage.Reported))
	m.Settle(event("", "d", wire.Usage{Prompt: 1}, 7, usage.Reported))
	f := scrape(t, m)
	for tenant, want := range map[string]float64{"a": 10, "b": 20, "other": 500, "none": 7} {
		if got := sum(f, "switchyard_tenant_cost_nanodollars_total", map[string]string{"tenant": tenant}); got != want {
			t.Errorf("before recompute: tenant %s cost = %v, want %v", tenant, got, want)
		}
	}
	m.tenants.Retop()
	m.Settle(event("c", "d", wire.Usage{Prompt: 1}, 1, usage.Reported))
	m.Settle(event("a", "d", wire.Usage{Prompt: 1}, 2, usage.Reported))
	f = scrape(t, m)
	for tenant, want := range map[string]float64{"b": 20, "c": 1, "other": 502, "none": 7} {
		if got := sum(f, "switchyard_tenant_cost_nanodollars_total", map[string]string{"tenant": tenant}); got != want {
			t.Errorf("after recompute: tenant %s cost = %v, want %v", tenant, got, want)
		}
	}
	if n := len(f["switchyard_tenant_cost_nanodollars_total"]); n != 4 {
		t.Errorf("tenant series = %d, want 4 (top 2, other, none)", n)
	}
}

func TestRequestsAndLint(t *testing.T) {
	m := New(Options{})
	m.Request("gpt", Chat, 200, time.Second)
	m.Request("gpt", Chat, 503, time.Second)
	m.Request("gpt", Messages, 0, time.Second)
	m.Refused("budget_exceeded")
	m.Applied(3)
	f := scrape(t, m)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"switchyard_requests_total", map[string]string{"model": "gpt", "status_class": "2xx", "api": "chat"}, 1},
		{"switchyard_requests_total", map[string]string{"status_class": "5xx"}, 1},
		{"switchyard_requests_total", map[string]string{"status_class": "none", "api": "messages"}, 1},
		{"switchyard_request_duration_seconds", map[string]string{"model": "gpt"}, 3},
		{"switchyard_admission_refusals_total", map[string]string{"reason": "budget_exceeded"}, 1},
		{"switchyard_store_applied_events_total", nil, 3},
	} {
		if got := sum(f, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	probs, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	if got := len(f["switchyard_requests_total"]); got != 3 {
		t.Errorf("request series = %d, want 3: none for classes never answered", got)
	}
}
