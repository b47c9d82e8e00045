package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
)

// bodyTimeout is the body read timeout of these tests: short, so a held
// connection shows within seconds. slack is how much longer than that a
// probe waits before calling the connection held.
const (
	bodyTimeout = time.Second
	slack       = 10 * time.Second
)

const chatBody = `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`

// hostileGateway is a gateway with one emulated cloud behind it, short body
// and header timeouts, and edit applied to its server settings.
func hostileGateway(tb testing.TB, edit func(*config.Server)) *gateway.Gateway {
	tb.Helper()
	emu, err := emulate.Listen(emulate.OpenAI, "127.0.0.1:0", emulate.Knobs{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { emu.Close() })
	d := config.Deployment{Provider: "cloud", Model: "m", Price: config.Price{
		Input: 1000, Output: 2000, // $1 and $2 per million tokens
		Set: config.PriceFields{Input: true, Output: true}}}
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{d}})
	cfg.DataDir = tb.TempDir()
	cfg.Admin.Listen = "127.0.0.1:0"
	cfg.Server.BodyReadTimeout = config.Duration(bodyTimeout)
	cfg.Server.ReadHeaderTimeout = config.Duration(bodyTimeout)
	cfg.Server.MaxBodyBytes = 32 * config.MiB
	if edit != nil {
		edit(&cfg.Server)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		tb.Fatalf("config: %v", err)
	}
	g, err := gateway.New(cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := g.Listen(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Serve() }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		g.Shutdown(ctx)
		<-done
	})
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + g.Addr() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i == 200 {
			tb.Fatal("gateway never became ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return g
}

// rawHead is a request head as a hostile client writes it.
func rawHead(method, path, auth string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: gateway\r\n", method, path)
	if auth != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", auth)
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Type: application/json\r\n\r\n")
	return b.String()
}

// probeResult is what a raw client saw: the answer, and whether the
// gateway then closed the connection (rather than holding it).
type probeResult struct {
	resp   *http.Response
	body   string
	closed bool
}

// probe writes raw bytes and then waits, at most timeout+slack, for the
// gateway's answer and for it to close the connection.
func probe(addr, raw string) (probeResult, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return probeResult{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(bodyTimeout + slack))
	if _, err := io.WriteString(c, raw); err != nil {
		return probeResult{}, err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return probeResult{}, fmt.Errorf("no answer within %v: %w", bodyTimeout+slack, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, err = br.ReadByte()
	closed := err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
	return probeResult{resp: resp, body: string(body), closed: closed}, nil
}

// TestHostileConnStalledBodies: a body that stops arriving, with or without a
// key, on any path, is answered and its connection closed within the body
// read timeout; an answer given before the body was read says
// Connection: close.
func TestHostileConnStalledBodies(t *testing.T) {
	g := hostileGateway(t, nil)
	cl := func(n int) string { return fmt.Sprintf("Content-Length: %d", n) }
	tests := []struct {
		name   string
		raw    string
		status int
	}{
		{"declared 1000, one byte, no key", rawHead("POST", "/v1/chat/completions", "", cl(1000)) + "{", 401},
		{"declared 1000, one byte, wrong key", rawHead("POST", "/v1/chat/completions", "sk-sy-wrong-0000000000000", cl(1000)) + "{", 401},
		{"declared 1000, one byte, with key", rawHead("POST", "/v1/chat/completions", testKey, cl(1000)) + "{", 408},
		{"anthropic, declared 1000, one byte, with key", rawHead("POST", "/v1/messages", testKey, cl(1000), "anthropic-version: 2023-06-01") + "{", 408},
		{"count_tokens, declared 1000, one byte, no key", rawHead("POST", "/v1/messages/count_tokens", "", cl(1000)) + "{", 401},
		{"unknown path, declared 1000", rawHead("POST", "/v1/nowhere", testKey, cl(1000)) + "{", 404},
		{"wrong method, declared 1000", rawHead("PUT", "/v1/chat/completions", testKey, cl(1000)) + "{", 405},
		{"declared past the limit", rawHead("POST", "/v1/chat/completions", testKey, cl(64<<20)) + "{", 413},
		{"chunked, one chunk, then silence", rawHead("POST", "/v1/chat/completions", testKey, "Transfer-Encoding: chunked") + "1\r\n{\r\n", 408},
		{"bad chunked framing", rawHead("POST", "/v1/chat/completions", testKey, "Transfer-Encoding: chunked") + "zz\r\n{}\r\n0\r\n\r\n", 400},
		{"chunk data longer than its size", rawHead("POST", "/v1/chat/completions", testKey, "Transfer-Encoding: chunked") + "3\r\n{}xZZ", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := probe(g.Addr(), tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if r.resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", r.resp.StatusCode, tt.status, r.body)
			}
			if !strings.Contains(r.body, `"error"`) {
				t.Errorf("body is not an error envelope: %s", r.body)
			}
			if !r.resp.Close {
				t.Errorf("answer before the body's end has no Connection: close (headers %v)", r.resp.Header)
			}
			if !r.closed {
				t.Errorf("connection still open %v after the answer", bodyTimeout+slack)
			}
		})
	}

	// A header block past max_header_bytes is net/http's own 431 (plain
	// text: no handler has run), and the connection closes.
	r, err := probe(g.Addr(), rawHead("GET", "/v1/models", testKey, "X-Big: "+strings.Repeat("x", 80<<10)))
	if err != nil {
		t.Fatal(err)
	}
	if r.resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !r.closed {
		t.Errorf("80 KiB of headers: %d, closed %v; want 431, closed", r.resp.StatusCode, r.closed)
	}

	// The connection a body error closed was not the only one: the next
	// client is served as usual.
	resp, err := http.Post(g.URL()+"/chat/completions", "application/json", strings.NewReader(chatBody))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("keyless follow-up: %d, want 401", resp.StatusCode)
	}
}

// TestHostileConnDeclaredLengthNotAllocated: connections that declare 32 MiB
// and send one byte cost memory for what arrived, not for what was declared.
func TestHostileConnDeclaredLengthNotAllocated(t *testing.T) {
	g := hostileGateway(t, nil)
	const conns = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Go(func() {
			r, err := probe(g.Addr(), rawHead("POST", "/v1/chat/completions", testKey, fmt.Sprintf("Content-Length: %d", 32<<20))+"{")
			if err != nil {
				t.Error(err)
			} else if r.resp.StatusCode != http.StatusRequestTimeout {
				t.Errorf("status %d, want 408", r.resp.StatusCode)
			}
		})
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	// TotalAlloc only grows, so it holds every buffer made while the bodies
	// stalled. Allocating the declared length would be 640 MiB.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("%d connections declaring 32 MiB allocated %d MiB", conns, grew>>20)
	}
}

// TestHostileConnShed: past max_in_flight, requests get 503 with Retry-After
// in their API's envelope, while /healthz and /readyz keep answering.
func TestHostileConnShed(t *testing.T) {
	g := hostileGateway(t, func(s *config.Server) {
		s.MaxInFlight = 2
		s.BodyReadTimeout = config.Duration(30 * time.Second) // the holders must outlast the test
	})
	// Two requests whose bodies never finish fill the in-flight slots.
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", g.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, rawHead("POST", "/v1/chat/completions", testKey, "Content-Length: 1000")+"{")
	}
	shed := func(path, body string) *http.Response {
		req, _ := http.NewRequest("POST", "http://"+g.Addr()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("anthropic-version", "2023-06-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	// The holders are accepted asynchronously: wait until they are in.
	var resp *http.Response
	for deadline := time.Now().Add(slack); ; {
		resp = shed("/v1/chat/completions", chatBody)
		if resp.StatusCode == http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		resp.Body.Close()
		time.Sleep(20 * time.Millisecond)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("past max_in_flight: %d Retry-After %q, want 503 Retry-After 1: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if !strings.Contains(string(body), `"type":"service_unavailable_error"`) || resp.Header.Get("X-Switchyard-Request-Id") == "" {
		t.Errorf("not an OpenAI error envelope with a request id: %s %v", body, resp.Header)
	}
	resp = shed("/v1/messages", `{"model":"chat","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(string(body), `{"type":"error"`) {
		t.Errorf("Anthropic API past max_in_flight: %d %s, want 503 in Anthropic's envelope", resp.StatusCode, body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + g.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s while shedding: %d, want 200", path, resp.StatusCode)
		}
	}
}

// TestHostileConnCap: past max_connections a new connection gets 503 with
// Retry-After (and is closed), but /healthz still answers on one.
func TestHostileConnCap(t *testing.T) {
	g := hostileGateway(t, func(s *config.Server) {
		s.MaxConnections = 4
		s.ReadHeaderTimeout = config.Duration(30 * time.Second) // the holders must outlast the test
	})
	hold := func() {
		c, err := net.Dial("tcp", g.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	for i := 0; i < 4; i++ {
		hold()
	}
	get := func(path string) *http.Response {
		// A fresh connection per request, as health checkers do.
		tr := &http.Transport{DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("GET", "http://"+g.Addr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	var resp *http.Response
	for deadline := time.Now().Add(slack); ; {
		resp = get("/v1/models")
		if resp.StatusCode == http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		// A slot is still free: the readiness check's connection closed
		// after a holder had landed on probation (and that one expired).
		hold()
		time.Sleep(20 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || !resp.Close {
		t.Fatalf("past max_connections: %d Retry-After %q close %v, want 503, Retry-After 1, closed",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Close)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp := get(path); resp.StatusCode != http.StatusOK {
			t.Errorf("%s past max_connections: %d, want 200", path, resp.StatusCode)
		}
	}
}

// openFDs counts this process's open file descriptors: client and gateway
// sides of every test connection alike.
func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	return len(ents)
}

// raiseNoFile makes room for n more descriptors, or skips the test.
func raiseNoFile(tb testing.TB, n int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Skipf("cannot read RLIMIT_NOFILE: %v", err)
	}
	need := uint64(openFDs(tb) + n + 256)
	if lim.Cur >= need {
		return
	}
	lim.Cur = min(need, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < need {
		tb.Skipf("needs %d file descriptors, RLIMIT_NOFILE allows %d (hard %d): raise it with ulimit -n", need, lim.Cur, lim.Max)
	}
}

// stall opens n connections that each send a request head and stop: with
// bodies declared and barely begun (half with the key, half without), or
// slowloris headers trickled a line at a time. Each connection is closed
// by this side only once the gateway closed it, or counted in held when the
// gateway kept it open past the timeout and slack.
func stall(tb testing.TB, addr string, n int, slowloris bool, wg *sync.WaitGroup, held *atomic.Int64) {
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatalf("dial %d: %v", i, err)
		}
		var head string
		switch {
		case slowloris:
			head = "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n"
		case i%2 == 0:
			head = rawHead("POST", "/v1/chat/completions", testKey, "Content-Length: 100000") + "{"
		default:
			head = rawHead("POST", "/v1/chat/completions", "", "Content-Length: 100000") + "{"
		}
		if _, err := io.WriteString(c, head); err != nil {
			tb.Fatalf("write %d: %v", i, err)
		}
		wg.Go(func() {
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(bodyTimeout + slack))
			if slowloris {
				// Trickle a header line now and then, never the blank line.
				go func() {
					for j := 0; ; j++ {
						time.Sleep(300 * time.Millisecond)
						if _, err := fmt.Fprintf(c, "X-Slow-%d: x\r\n", j); err != nil {
							return
						}
					}
				}()
			}
			if _, err := io.Copy(io.Discard, c); errors.Is(err, os.ErrDeadlineExceeded) {
				held.Add(1)
			}
		})
	}
}

// TestHostileSlowClients: 1,000 stalled bodies and 1,000 slowloris headers
// do not stop a normal client, and every one of their connections is gone
// within the timeouts, file descriptors back to where they were.
func TestHostileSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	const n = 1000
	raiseNoFile(t, 4*n)
	g := hostileGateway(t, nil)
	normal := &http.Client{Transport: &http.Transport{}, Timeout: slack}
	defer normal.CloseIdleConnections()
	ask := func() error {
		req, _ := http.NewRequest("POST", g.URL()+"/chat/completions", strings.NewReader(chatBody))
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := normal.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		return nil
	}
	if err := ask(); err != nil {
		t.Fatal(err)
	}
	baseline := openFDs(t)

	var wg sync.WaitGroup
	var held atomic.Int64
	stall(t, g.Addr(), n, false, &wg, &held)
	stall(t, g.Addr(), n, true, &wg, &held)
	for i := 0; i < 10; i++ {
		if err := ask(); err != nil {
			t.Errorf("normal request %d behind 2,000 slow clients: %v", i, err)
		}
	}
	wg.Wait()
	if held.Load() > 0 {
		t.Errorf("%d of %d slow connections still open %v after they stalled", held.Load(), 2*n, bodyTimeout+slack)
	}
	var now int
	for deadline := time.Now().Add(slack); ; time.Sleep(50 * time.Millisecond) {
		if now = openFDs(t); now <= baseline+16 || time.Now().After(deadline) {
			break
		}
	}
	if now > baseline+16 {
		t.Errorf("file descriptors: %d after the slow clients, %d before", now, baseline)
	}
	if err := ask(); err != nil {
		t.Errorf("normal request after the slow clients: %v", err)
	}
}

// BenchmarkHostileStalledConns measures a normal request's latency (mean
// as ns/op, and the 99th percentile) with none and with 1,000 connections
// holding stalled bodies, half of them authenticated.
//
//	go test ./internal/gateway/ -run '^$' -bench HostileStalledConns -benchtime 300x
func BenchmarkHostileStalledConns(b *testing.B) {
	for _, n := range []int{0, 1000} {
		b.Run(fmt.Sprintf("stalled=%d", n), func(b *testing.B) {
			raiseNoFile(b, 2*n)
			g := hostileGateway(b, func(s *config.Server) {
				s.BodyReadTimeout = config.Duration(10 * time.Minute)
			})
			var wg sync.WaitGroup
			var held atomic.Int64
			stall(b, g.Addr(), n, false, &wg, &held)
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				req, _ := http.NewRequest("POST", g.URL()+"/chat/completions", strings.NewReader(chatBody))
				req.Header.Set("Authorization", "Bearer "+testKey)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100])/1e6, "p99-ms")
		})
	}
}
