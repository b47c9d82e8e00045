package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
)

// recorder wraps an emulator and notes when each request arrived and how it
// was answered, so a test can check what reached a deployment and when.
type recorder struct {
	h    http.Handler
	mu   sync.Mutex
	hits []hit
}

type hit struct {
	at         time.Time
	status     int
	retryAfter time.Duration
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rc.h.ServeHTTP(sw, r)
	var ra time.Duration
	if ms, err := strconv.Atoi(sw.Header().Get("Retry-After-Ms")); err == nil {
		ra = time.Duration(ms) * time.Millisecond
	} else if s, err := strconv.Atoi(sw.Header().Get("Retry-After")); err == nil {
		ra = time.Duration(s) * time.Second
	}
	rc.mu.Lock()
	rc.hits = append(rc.hits, hit{at: at, status: sw.status, retryAfter: ra})
	rc.mu.Unlock()
}

func (rc *recorder) snapshot() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *statusWriter) Flush()            { w.ResponseWriter.(http.Flusher).Flush() }

// TestFailover sends mixed traffic to a model with three deployments, one of
// them broken in a different way per case, and checks every client request
// succeeds.
func TestFailover(t *testing.T) {
	cases := []struct {
		name     string
		knobs    emulate.Knobs
		dead     bool // the bad deployment refuses connections
		redirect bool // the bad deployment redirects elsewhere
	}{
		{name: "500s", knobs: emulate.Knobs{ErrorRate: 1}},
		{name: "429 with Retry-After", knobs: emulate.Knobs{ThrottleRate: 1, RetryAfter: 700 * time.Millisecond}},
		{name: "connection refused", dead: true},
		{name: "redirect", redirect: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			good1 := startEmu(t, emulate.OpenAI, emulate.Knobs{})
			good2 := startEmu(t, emulate.Azure, emulate.Knobs{})
			var rec *recorder
			badURL := "http://" + closedPort(t)
			if tc.redirect {
				srv := httptest.NewServer(http.RedirectHandler(good1.URL+"/v1/chat/completions", http.StatusTemporaryRedirect))
				t.Cleanup(srv.Close)
				badURL = srv.URL
			} else if !tc.dead {
				e, err := emulate.New(emulate.OpenAI, tc.knobs)
				if err != nil {
					t.Fatal(err)
				}
				rec = &recorder{h: e}
				srv := httptest.NewServer(rec)
				t.Cleanup(srv.Close)
				badURL = srv.URL
			}
			cfg := baseConfig([]config.Provider{
				providerFor("good1", emulate.OpenAI, good1.URL),
				providerFor("good2", emulate.Azure, good2.URL),
				providerFor("bad", emulate.OpenAI, badURL),
			}, config.Model{Name: "chat", Deployments: []config.Deployment{
				deployment("good1", "m"), deployment("good2", "m"), deployment("bad", "m"),
			}})
			g := startGateway(t, cfg)
			c := client(g)

			const n = 90
			var wg sync.WaitGroup
			var mu sync.Mutex
			var failed []error
			attempts := map[string]int{}
			sem := make(chan struct{}, 6)
			for i := range n {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					p := openai.ChatCompletionNewParams{Model: "chat", MaxTokens: openai.Int(8),
						Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("request " + strconv.Itoa(i))}}
					var hr *http.Response
					var err error
					if i%2 == 0 {
						_, err = c.Chat.Completions.New(context.Background(), p, option.WithResponseInto(&hr))
					} else {
						s := c.Chat.Completions.NewStreaming(context.Background(), p, option.WithResponseInto(&hr))
						for s.Next() {
						}
						err = s.Err()
					}
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						failed = append(failed, err)
						return
					}
					attempts[hr.Header.Get("X-Switchyard-Attempts")]++
				}()
			}
			wg.Wait()
			if len(failed) > 0 {
				t.Fatalf("%d of %d client requests failed; first: %v", len(failed), n, failed[0])
			}
			if attempts["2"] == 0 {
				t.Errorf("no request needed a second attempt (%v): the bad deployment was never tried", attempts)
			}
			if rec != nil && tc.knobs.ThrottleRate > 0 {
				checkCooldowns(t, rec.snapshot(), cap(sem))
			}
		})
	}
}

// checkCooldowns asserts no request reached a throttled deployment before the
// Retry-After it sent had passed. Requests the gateway had already sent when
// the 429 reached it are not "sent to a cooled-down deployment", and on a
// loaded machine they can land a hundred milliseconds after the 429 left the
// emulator; but with at most concurrent client requests in flight, no more
// than concurrent-1 of them can have been sent before it. More hits inside
// the window mean the gateway routed to a deployment cooling down.
func checkCooldowns(t *testing.T, hits []hit, concurrent int) {
	t.Helper()
	throttles := 0
	for i, h := range hits {
		if h.status != http.StatusTooManyRequests {
			continue
		}
		throttles++
		if h.retryAfter <= 0 {
			t.Fatalf("429 without Retry-After")
		}
		var within []time.Duration
		for j, later := range hits { // in the order they finished, not arrived
			if d := later.at.Sub(h.at); j != i && d >= 0 && d < h.retryAfter {
				within = append(within, d)
			}
		}
		if len(within) > concurrent-1 {
			t.Errorf("%d requests reached the deployment within the %v a 429 asked for (at %v after it); at most %d could have been in flight",
				len(within), h.retryAfter, within, concurrent-1)
		}
	}
	if throttles == 0 {
		t.Error("the throttling deployment was never tried")
	}
}

// TestAllThrottled: when every deployment is cooling down, the client gets a
// 429 with Retry-After instead of a request to a cooled-down cloud.
func TestAllThrottled(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{ThrottleRate: 1, RetryAfter: 3 * time.Second})
	cfg := baseConfig([]config.Provider{providerFor("only", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("only", "m")}})
	g := startGateway(t, cfg)
	c := client(g)
	p := openai.ChatCompletionNewParams{Model: "chat", Messages: messages}
	for i := range 3 {
		var hr *http.Response
		_, err := c.Chat.Completions.New(context.Background(), p, option.WithResponseInto(&hr))
		apiErr, ok := err.(*openai.Error)
		if !ok || apiErr.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("request %d: err = %v, want a 429", i, err)
		}
		if ra, _ := strconv.Atoi(hr.Header.Get("Retry-After")); ra < 1 || ra > 3 {
			t.Errorf("Retry-After %q, want 1..3 s", hr.Header.Get("Retry-After"))
		}
	}
	if got := emu.Billed().Received; got != 1 {
		t.Errorf("the cloud received %d requests, want 1: the others should wait out its Retry-After", got)
	}
}

// TestFirstByteTimeout: a deployment that does not start answering in time is
// abandoned for the next one.
func TestFirstByteTimeout(t *testing.T) {
	slow := startEmu(t, emulate.OpenAI, emulate.Knobs{TTFT: 5 * time.Second})
	fast := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("slow", emulate.OpenAI, slow.URL), providerFor("fast", emulate.OpenAI, fast.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{
			{Provider: "slow", Model: "m", Priority: 1, Price: config.Price{Unpriced: true}}, {Provider: "fast", Model: "m", Priority: 2, Price: config.Price{Unpriced: true}},
		}})
	cfg.SetDefaults()
	cfg.Providers[0].Timeouts.FirstByte = config.Duration(300 * time.Millisecond)
	cfg.Providers[0].Timeouts.Response = config.Duration(300 * time.Millisecond)
	g := startGateway(t, cfg)
	c := client(g)
	for _, stream := range []bool{false, true} {
		var hr *http.Response
		p := openai.ChatCompletionNewParams{Model: "chat", Messages: messages}
		var err error
		if stream {
			s := c.Chat.Completions.NewStreaming(context.Background(), p, option.WithResponseInto(&hr))
			for s.Next() {
			}
			err = s.Err()
		} else {
			_, err = c.Chat.Completions.New(context.Background(), p, option.WithResponseInto(&hr))
		}
		if err != nil {
			t.Fatalf("stream=%v: %v", stream, err)
		}
		// Served by the backup on the second attempt: the slow cloud (5 s to its
		// first token) was abandoned after its 300 ms first-byte timeout.
		if hr.Header.Get("X-Switchyard-Deployment") != "fast/m" || hr.Header.Get("X-Switchyard-Attempts") != "2" {
			t.Errorf("stream=%v: served by %s after %s attempts", stream, hr.Header.Get("X-Switchyard-Deployment"), hr.Header.Get("X-Switchyard-Attempts"))
		}
	}
}
