package loadgen

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const chatBody = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

func nonStreamHandler(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"}}]}`)
}

// sseHandler writes events, flushing each, and then [DONE] if done is set.
func sseHandler(events []string, done bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		for _, e := range events {
			io.WriteString(w, "data: "+e+"\n\n")
			f.Flush()
		}
		if done {
			io.WriteString(w, "data: [DONE]\n\n")
		}
	}
}

var chunks = []string{
	`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"hello"}}]}`,
	`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
}

func run(t *testing.T, h http.Handler, cfg Config) *Result {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL + "/v1/chat/completions"
	if cfg.Body == nil {
		cfg.Body = []byte(chatBody)
	}
	if cfg.Drain == 0 {
		cfg.Drain = 3 * time.Second
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSchedulesEveryRequest(t *testing.T) {
	var got atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		nonStreamHandler(w, r)
	})
	var phases []Phase
	var atStart, atEnd int64
	start := time.Now()
	res := run(t, h, Config{
		Rate: 400, Warmup: 50 * time.Millisecond, Duration: 250 * time.Millisecond,
		OnPhase: func(p Phase) {
			phases = append(phases, p)
			if p == MeasureStart {
				atStart = got.Load()
			} else {
				atEnd = got.Load()
			}
		},
	})
	elapsed := time.Since(start)

	if res.WarmupSent != 20 || res.Sent != 100 {
		t.Errorf("sent %d warm-up + %d measured, want 20 + 100", res.WarmupSent, res.Sent)
	}
	if n := got.Load(); n != 120 {
		t.Errorf("server got %d requests, want 120", n)
	}
	if res.OK != 100 || res.ErrorCount() != 0 || res.WarmupErrors != 0 {
		t.Errorf("ok %d, errors %v, warm-up errors %d; want 100 ok and no errors (%v)", res.OK, res.Errors, res.WarmupErrors, res.ErrorSamples)
	}
	if res.Total.N != 100 || res.TTFB.N != 100 {
		t.Errorf("summaries hold %d/%d samples, want 100", res.Total.N, res.TTFB.N)
	}
	timed := 0
	for _, b := range res.Timeline {
		timed += b.N
	}
	if timed != 120 || res.TimelineStep <= 0 {
		t.Errorf("timeline holds %d samples in steps of %v, want all 120", timed, res.TimelineStep)
	}
	if len(phases) != 2 || phases[0] != MeasureStart || phases[1] != MeasureEnd {
		t.Errorf("phases %v, want [measure-start measure-end]", phases)
	}
	// The first measured request is sent after the MeasureStart mark, so at
	// most the warm-up's requests can have arrived by then.
	if atStart > 20 || atEnd > 120 || atStart > atEnd {
		t.Errorf("requests seen at the phase marks: %d and %d; want ≤ 20 and ≤ 120, in order", atStart, atEnd)
	}
	// The scheduler never sends early, so the run cannot be shorter than the
	// schedule (a lower bound only: an upper bound would flake on a busy box).
	if elapsed < 300*time.Millisecond {
		t.Errorf("run took %v, less than its 300ms schedule", elapsed)
	}
	if res.Window <= 0 || res.Achieved <= 0 {
		t.Errorf("window %v, achieved %v: want both positive", res.Window, res.Achieved)
	}
}

func TestDueTimesAreEvenlySpaced(t *testing.T) {
	g, err := newGen(Config{URL: "http://127.0.0.1:1/", Rate: 2000, Warmup: time.Second, Duration: 6 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if g.nWarm != 2000 || g.nMeas != 12000 {
		t.Fatalf("%d warm-up + %d measured requests, want 2000 + 12000", g.nWarm, g.nMeas)
	}
	for _, c := range []struct {
		i    int
		want time.Duration
	}{{0, 0}, {1, 500 * time.Microsecond}, {2000, time.Second}, {14000, 7 * time.Second}} {
		if got := g.due(c.i); got != c.want {
			t.Errorf("due(%d) = %v, want %v", c.i, got, c.want)
		}
	}
}

// An open-loop generator sends on schedule whatever is outstanding: here no
// answer is given until every request has arrived, which a closed-loop
// generator (one that waits for answers) would never reach.
func TestOpenLoopDoesNotWaitForAnswers(t *testing.T) {
	const n = 40
	var (
		mu      sync.Mutex
		arrived int
		release = make(chan struct{})
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == n {
			close(release)
		}
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		nonStreamHandler(w, r)
	})
	res := run(t, h, Config{Rate: 1000, Duration: n * time.Millisecond})
	if res.Sent != n || res.OK != n {
		t.Fatalf("sent %d, ok %d, errors %v; want %d answered", res.Sent, res.OK, res.Errors, n)
	}
	// Every answer came after the last request was sent, so the first
	// request's latency spans at least the schedule up to the last one: an
	// ordering, and a lower bound that holds however slow the machine is.
	if res.Total.Max < 39*time.Millisecond {
		t.Errorf("slowest answer %v: before the last request was due (39ms)", res.Total.Max)
	}
}

func TestStreamVerification(t *testing.T) {
	cases := []struct {
		name    string
		h       http.Handler
		wantOK  bool
		wantErr string
	}{
		{"complete", sseHandler(chunks, true), true, ""},
		{"missing done", sseHandler(chunks, false), false, KindNoDone},
		{"error event", sseHandler(append(chunks[:1:1], `{"error":{"message":"boom","type":"server_error"}}`), true), false, KindStreamErr},
		{"status", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"message":"nope"}}`, http.StatusBadGateway)
		}), false, "http_502"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, c.h, Config{Stream: true, Rate: 500, Warmup: 10 * time.Millisecond, Duration: 40 * time.Millisecond})
			if res.Sent != 20 {
				t.Fatalf("sent %d, want 20", res.Sent)
			}
			if c.wantOK {
				if res.OK != 20 || res.ErrorCount() != 0 {
					t.Fatalf("ok %d, errors %v (%v); want all ok", res.OK, res.Errors, res.ErrorSamples)
				}
				if res.TTFB.Max > res.Total.Max || res.TTFB.P50 > res.Total.P50 || res.TTFB.Min <= 0 {
					t.Errorf("TTFB %+v not within (0, total %+v]", res.TTFB, res.Total)
				}
				return
			}
			if res.OK != 0 || res.Errors[c.wantErr] != 20 || res.ErrorCount() != 20 {
				t.Fatalf("ok %d, errors %v; want 20 %s", res.OK, res.Errors, c.wantErr)
			}
			if res.ErrorSamples[c.wantErr] == "" {
				t.Errorf("no sample message for %s: %v", c.wantErr, res.ErrorSamples)
			}
		})
	}
}

func TestNonStreamVerification(t *testing.T) {
	ok := run(t, http.HandlerFunc(nonStreamHandler), Config{Rate: 500, Duration: 20 * time.Millisecond})
	if ok.OK != 10 || ok.ErrorCount() != 0 {
		t.Errorf("ok %d, errors %v; want 10 ok", ok.OK, ok.Errors)
	}
	bad := run(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"object":"list","data":[]}`)
	}), Config{Rate: 500, Duration: 20 * time.Millisecond})
	if bad.OK != 0 || bad.Errors[KindBadBody] != 10 {
		t.Errorf("ok %d, errors %v; want 10 %s", bad.OK, bad.Errors, KindBadBody)
	}
}

func TestDrainCancelsStragglers(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	})
	res := run(t, h, Config{Rate: 500, Duration: 20 * time.Millisecond, Drain: 50 * time.Millisecond})
	if res.Errors[KindTimeout] != 10 || res.OK != 0 {
		t.Errorf("ok %d, errors %v; want 10 %s", res.OK, res.Errors, KindTimeout)
	}
}

func TestQuantilesAreExact(t *testing.T) {
	s := make([]time.Duration, 1000)
	for i := range s {
		s[i] = time.Duration(i + 1)
	}
	rand.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	got := Summarize(s)
	want := Summary{N: 1000, Min: 1, Mean: 500, P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000}
	if got != want {
		t.Errorf("Summarize(1..1000) = %+v, want %+v", got, want)
	}
	for i := 1; i < len(s); i++ {
		if s[i-1] > s[i] {
			t.Fatal("Summarize left the samples unsorted")
		}
	}

	small := []time.Duration{30, 10, 20}
	if got := Summarize(small); got.P50 != 20 || got.P99 != 30 || got.Min != 10 || got.Mean != 20 {
		t.Errorf("Summarize(10,20,30) = %+v", got)
	}
	if got := Summarize(nil); got != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", got)
	}
	one := []time.Duration{7}
	for _, q := range []float64{0.001, 0.5, 0.999, 1} {
		if v := Quantile(one, q); v != 7 {
			t.Errorf("Quantile([7], %v) = %v", q, v)
		}
	}
	// 10,000 samples: p99.9 is the 9,990th.
	big := make([]time.Duration, 10000)
	for i := range big {
		big[i] = time.Duration(i + 1)
	}
	if v := Quantile(big, 0.999); v != 9990 {
		t.Errorf("p99.9 of 1..10000 = %v, want 9990", v)
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{URL: "ftp://x/", Rate: 1, Duration: time.Second},
		{URL: "http://127.0.0.1:1/", Rate: 0, Duration: time.Second},
		{URL: "http://127.0.0.1:1/", Rate: 1, Duration: 0},
		{URL: "http://127.0.0.1:1/", Rate: 1, Duration: time.Millisecond},
	} {
		if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "loadgen") {
			t.Errorf("Run(%+v) error %v, want a loadgen config error", cfg, err)
		}
	}
}
