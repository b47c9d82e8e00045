package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// routing is a Deployments that also tells the models' policies, as
// RouteDeployments does.
type routing map[string]string

func (routing) Deployments() []DeploymentStatus { return nil }
func (p routing) Policies() map[string]string   { return p }

type trafficAnswer struct {
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	ReadFrom     time.Time `json:"read_from"`
	AttemptsRead int       `json:"attempts_read"`
	Limit        int       `json:"limit"`
	Complete     bool      `json:"complete"`
	Deployments  []struct {
		Deployment   string   `json:"deployment"`
		Provider     string   `json:"provider"`
		Model        string   `json:"model"`
		Attempts     int64    `json:"attempts"`
		TTFTSamples  int64    `json:"ttft_samples"`
		TTFTP50Ms    *float64 `json:"ttft_p50_ms"`
		TTFTP95Ms    *float64 `json:"ttft_p95_ms"`
		Errors       int64    `json:"errors"`
		Throttled    int64    `json:"throttled"`
		ErrorRate    float64  `json:"error_rate"`
		ThrottleRate float64  `json:"throttle_rate"`
	} `json:"deployments"`
	Providers []struct {
		Provider      string `json:"provider"`
		Attempts      int64  `json:"attempts"`
		FirstAttempts int64  `json:"first_attempts"`
		Failovers     int64  `json:"failovers"`
		Reasons       []struct {
			Reason   string `json:"reason"`
			Attempts int64  `json:"attempts"`
		} `json:"reasons"`
	} `json:"providers"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// trafficEvents is a known hour of traffic ending at now:
//   - azure-east (provider azure, model gpt-x): 20 first attempts; 16
//     completed with TTFT 10 ms … 160 ms (one each), then four failed
//     with no TTFT: two 429s, one 503 and one timeout (status 0);
//   - aws-east (provider aws): each of those four retried there as
//     attempt 2, completed with TTFT 300 ms;
//   - gem (provider google, model flash): 5 first attempts, TTFT 40 ms,
//     the last interrupted mid-stream (still a TTFT sample) and retried
//     on aws-east as attempt 2;
//   - one attempt 2 on aws-east whose attempt 1 (a 503) is older than
//     the hour;
//   - two attempts two hours old and one at now, outside the hour.
func trafficEvents(now time.Time) []usage.Event {
	var evs []usage.Event
	at := func(i int) time.Time { return now.Add(-time.Duration(50-i) * time.Minute) }
	ev := func(id string, attempt int, t time.Time, dep, prov, model string, out usage.Outcome, status int, ttft time.Duration) usage.Event {
		return usage.Event{RequestID: id, Attempt: attempt, Time: t, TenantID: "acme", KeyID: "k1", Model: model,
			Deployment: dep, Provider: prov, Op: "chat", Outcome: out, Status: status, TTFT: ttft, Duration: ttft + time.Second}
	}
	for i := range 16 {
		evs = append(evs, ev(fmt.Sprintf("ok_%02d", i), 1, at(i), "azure-east", "azure", "gpt-x", usage.Completed, 200, time.Duration(10*(i+1))*time.Millisecond))
	}
	for i, f := range []struct {
		out    usage.Outcome
		status int
	}{{usage.Failed, 429}, {usage.Failed, 429}, {usage.Failed, 503}, {usage.Failed, 0}} {
		id := fmt.Sprintf("fo_%d", i)
		evs = append(evs,
			ev(id, 1, at(20+i), "azure-east", "azure", "gpt-x", f.out, f.status, 0),
			ev(id, 2, at(20+i).Add(time.Second), "aws-east", "aws", "gpt-x", usage.Completed, 200, 300*time.Millisecond))
	}
	for i := range 5 {
		out := usage.Completed
		if i == 4 {
			out = usage.Interrupted
		}
		evs = append(evs, ev(fmt.Sprintf("gm_%d", i), 1, at(30+i), "gem", "google", "flash", out, 200, 40*time.Millisecond))
	}
	evs = append(evs, ev("gm_4", 2, at(34).Add(time.Second), "aws-east", "aws", "flash", usage.Completed, 200, 300*time.Millisecond))
	// A request whose first attempt fell before the window.
	evs = append(evs,
		ev("edge", 1, now.Add(-61*time.Minute), "azure-east", "azure", "gpt-x", usage.Failed, 503, 0),
		ev("edge", 2, now.Add(-59*time.Minute), "aws-east", "aws", "gpt-x", usage.Completed, 200, 300*time.Millisecond))
	for i := range 2 {
		evs = append(evs, ev(fmt.Sprintf("old_%d", i), 1, now.Add(-2*time.Hour), "azure-east", "azure", "gpt-x", usage.Completed, 200, 5*time.Second))
	}
	// One at now itself: the window is [now-1h, now).
	evs = append(evs, ev("future", 1, now, "azure-east", "azure", "gpt-x", usage.Completed, 200, 5*time.Second))
	return evs
}

func trafficRig(t *testing.T, now time.Time, deps Deployments) (*httptest.Server, store.Store) {
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(Options{Token: testToken, Store: st, Deployments: deps, Now: func() time.Time { return now }}))
	t.Cleanup(srv.Close)
	if err := st.Apply(context.Background(), trafficEvents(now)); err != nil {
		t.Fatal(err)
	}
	return srv, st
}

func TestTrafficPercentilesRatesAndReasons(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	srv, st := trafficRig(t, now, routing{"gpt-x": "cheapest", "flash": "fastest"})
	var a trafficAnswer
	if code, _ := get(t, srv.URL+"/admin/v1/traffic", testToken, &a); code != http.StatusOK {
		t.Fatalf("status %d %+v", code, a.Error)
	}
	if !a.From.Equal(now.Add(-time.Hour)) || !a.To.Equal(now) || !a.ReadFrom.Equal(a.From) || !a.Complete || a.Limit != 10000 {
		t.Errorf("window %v–%v read from %v complete %v limit %d, want the whole last hour", a.From, a.To, a.ReadFrom, a.Complete, a.Limit)
	}
	// 20 + 4 + 5 + 1 + 1 (edge's attempt 2): the old ones, edge's attempt
	// 1 and the one at now are outside.
	if a.AttemptsRead != 31 {
		t.Errorf("attempts_read %d, want 31", a.AttemptsRead)
	}

	// Every number must also agree with the store's own events of the
	// window, computed here the plain way.
	type want struct {
		attempts, samples, errors, throttled int64
		p50, p95                             float64
	}
	wantDeps := map[string]want{
		// TTFT samples 10…160 ms (the 4 failures have none): p50 is the
		// 8th (80 ms), p95 the 16th (160 ms).
		"azure-east": {attempts: 20, samples: 16, errors: 2, throttled: 2, p50: 80, p95: 160},
		"aws-east":   {attempts: 6, samples: 6, p50: 300, p95: 300},
		"gem":        {attempts: 5, samples: 5, errors: 1, p50: 40, p95: 40},
	}
	var stored []usage.Event
	if err := st.(store.EventScanner).ScanEvents(context.Background(), now.Add(-time.Hour), now, func(e usage.Event) error {
		stored = append(stored, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(stored) != a.AttemptsRead {
		t.Errorf("the store holds %d events in the window, the answer read %d", len(stored), a.AttemptsRead)
	}
	for dep, w := range wantDeps {
		var ttfts []time.Duration
		var n int64
		for _, e := range stored {
			if e.Deployment == dep {
				n++
				if e.TTFT > 0 {
					ttfts = append(ttfts, e.TTFT)
				}
			}
		}
		slices.Sort(ttfts)
		if n != w.attempts || int64(len(ttfts)) != w.samples || ms(ttfts[len(ttfts)/2-1+len(ttfts)%2]) != w.p50 {
			t.Fatalf("test data: %s has %d attempts, %d samples, median %v in the store; want %+v", dep, n, len(ttfts), ttfts[len(ttfts)/2], w)
		}
	}
	if len(a.Deployments) != len(wantDeps) {
		t.Fatalf("deployments %+v, want %d", a.Deployments, len(wantDeps))
	}
	for i, d := range a.Deployments {
		w := wantDeps[d.Deployment]
		if d.Attempts != w.attempts || d.TTFTSamples != w.samples || d.Errors != w.errors || d.Throttled != w.throttled {
			t.Errorf("%s: %+v, want %+v", d.Deployment, d, w)
		}
		if d.TTFTP50Ms == nil || d.TTFTP95Ms == nil || *d.TTFTP50Ms != w.p50 || *d.TTFTP95Ms != w.p95 {
			t.Errorf("%s: TTFT p50 %v p95 %v, want %v and %v ms", d.Deployment, d.TTFTP50Ms, d.TTFTP95Ms, w.p50, w.p95)
		}
		if d.ErrorRate != float64(w.errors)/float64(w.attempts) || d.ThrottleRate != float64(w.throttled)/float64(w.attempts) {
			t.Errorf("%s: rates %v %v", d.Deployment, d.ErrorRate, d.ThrottleRate)
		}
		if i > 0 && d.Attempts > a.Deployments[i-1].Attempts {
			t.Errorf("deployments not by attempts, most first: %s after %s", d.Deployment, a.Deployments[i-1].Deployment)
		}
	}
	if d := a.Deployments[0]; d.Provider != "azure" || d.Model != "gpt-x" {
		t.Errorf("azure-east's provider and model: %+v", d)
	}

	wantWhy := map[string]map[string]int64{
		"azure":  {"policy:cheapest": 20},
		"aws":    {"failover:429": 2, "failover:5xx": 1, "failover:timeout_or_connection": 1, "failover:broken_stream": 1, "failover:earlier_attempt_not_read": 1},
		"google": {"policy:fastest": 5},
	}
	for _, p := range a.Providers {
		got := map[string]int64{}
		var sum int64
		for _, r := range p.Reasons {
			got[r.Reason] = r.Attempts
			sum += r.Attempts
		}
		if fmt.Sprint(got) != fmt.Sprint(wantWhy[p.Provider]) {
			t.Errorf("%s reasons %v, want %v", p.Provider, got, wantWhy[p.Provider])
		}
		if sum != p.Attempts || p.FirstAttempts+p.Failovers != p.Attempts {
			t.Errorf("%s: %d attempts, %d first, %d failovers, reasons sum to %d", p.Provider, p.Attempts, p.FirstAttempts, p.Failovers, sum)
		}
	}
	if len(a.Providers) != 3 || a.Providers[0].Provider != "azure" || a.Providers[1].Provider != "aws" {
		t.Errorf("providers %+v, want azure, aws, google", a.Providers)
	}
}

func TestTrafficWindowLimitAndErrors(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	// No routing table: first attempts are "first_choice", not a policy.
	srv, _ := trafficRig(t, now, nil)

	var a trafficAnswer
	get(t, srv.URL+"/admin/v1/traffic?window=3h", testToken, &a)
	if a.AttemptsRead != 34 || !a.Complete || !a.From.Equal(now.Add(-3*time.Hour)) {
		t.Errorf("3h: read %d complete %v from %v, want 34, true, %v", a.AttemptsRead, a.Complete, a.From, now.Add(-3*time.Hour))
	}
	// Three hours hold edge's first attempt too: its retry is a failover
	// after a 5xx now.
	wantWhy := map[string]map[string]int64{
		"azure":  {"first_choice": 23},
		"aws":    {"failover:429": 2, "failover:5xx": 2, "failover:timeout_or_connection": 1, "failover:broken_stream": 1},
		"google": {"first_choice": 5},
	}
	for _, p := range a.Providers {
		got := map[string]int64{}
		for _, r := range p.Reasons {
			got[r.Reason] = r.Attempts
		}
		if fmt.Sprint(got) != fmt.Sprint(wantWhy[p.Provider]) {
			t.Errorf("3h, no routing table: %s reasons %v, want %v", p.Provider, got, wantWhy[p.Provider])
		}
	}

	// The limit stops the read at the newest attempts and says so.
	get(t, srv.URL+"/admin/v1/traffic?limit=3", testToken, &a)
	// The newest three: gm_4's retry (at -16m+1s), gm_4 and gm_3.
	if a.AttemptsRead != 3 || a.Complete || !a.ReadFrom.Equal(now.Add(-17*time.Minute)) {
		t.Errorf("limit 3: read %d complete %v from %v, want 3, false, %v", a.AttemptsRead, a.Complete, a.ReadFrom, now.Add(-17*time.Minute))
	}
	// A limit equal to the window's attempts reads them all: complete.
	get(t, srv.URL+"/admin/v1/traffic?limit=31", testToken, &a)
	if a.AttemptsRead != 31 || !a.Complete || !a.ReadFrom.Equal(now.Add(-time.Hour)) {
		t.Errorf("limit 31: read %d complete %v from %v, want the whole hour", a.AttemptsRead, a.Complete, a.ReadFrom)
	}
	get(t, srv.URL+"/admin/v1/traffic?limit=30", testToken, &a)
	if a.AttemptsRead != 30 || a.Complete {
		t.Errorf("limit 30: read %d complete %v, want 30 and not complete", a.AttemptsRead, a.Complete)
	}

	for _, q := range []string{"window=0s", "window=30s", "window=800h", "window=soon", "limit=0", "limit=50001", "limit=x"} {
		var a trafficAnswer
		if code, _ := get(t, srv.URL+"/admin/v1/traffic?"+q, testToken, &a); code != http.StatusBadRequest || a.Error == nil || a.Error.Code != "bad_query" {
			t.Errorf("%s: %d %+v, want 400 bad_query", q, code, a.Error)
		}
	}
	for _, tok := range []string{"", "wrong"} {
		if code, _ := get(t, srv.URL+"/admin/v1/traffic", tok, nil); code != http.StatusUnauthorized {
			t.Errorf("token %q: %d, want 401", tok, code)
		}
	}
}

// An empty store answers empty lists, not nulls, so the page can render.
func TestTrafficEmpty(t *testing.T) {
	srv, _ := dashboardRig(t, nil)
	var raw map[string]any
	if code, _ := get(t, srv.URL+"/admin/v1/traffic", testToken, &raw); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if fmt.Sprint(raw["deployments"]) != "[]" || fmt.Sprint(raw["providers"]) != "[]" || raw["complete"] != true || raw["attempts_read"] != 0.0 {
		t.Errorf("empty store: %v", raw)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	ds := func(ms ...int) []time.Duration {
		var out []time.Duration
		for _, m := range ms {
			out = append(out, time.Duration(m)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		in       []time.Duration
		p        float64
		wantMs   float64
		describe string
	}{
		{ds(7), 0.5, 7, "one sample is every percentile"},
		{ds(7), 0.95, 7, "one sample, p95"},
		{ds(1, 2), 0.5, 1, "p50 of two is the lower"},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.5, 5, "p50 of ten is the 5th"},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.95, 10, "p95 of ten is the 10th"},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 0.95, 19, "p95 of twenty is the 19th"},
	} {
		if got := ms(percentile(tc.in, tc.p)); got != tc.wantMs {
			t.Errorf("%s: %v ms, want %v", tc.describe, got, tc.wantMs)
		}
	}
}
