package clusterquota

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/switchyard/switchyard/internal/redistest"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/wire"
)

// t0 is a minute boundary; the replicas' virtual clock starts there.
var t0 = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// quotaConfig is one model on one deployment with the given quota.
func quotaConfig(t *testing.T, quota string) *config.Config {
	t.Helper()
	c, err := config.Parse("test.yaml", []byte(`keys: [{name: dev, key: dev-key-0123456789}]
providers:
  - {name: cloud, type: openai-compatible, base_url: "http://127.0.0.1:1/v1"}
models:
  - name: chat
    deployments:
      - {name: cloud-chat, provider: cloud, model: m, price: unpriced, quota: {`+quota+`}}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// replica is one gateway's routing table and quota exchange.
type replica struct {
	tab  *route.Table
	sync *Syncer
}

// replicas builds n replicas of cfg on their own live state, sharing clk
// and the Redis behind c under prefix.
func replicas(t *testing.T, n int, cfg *config.Config, clk *clock, c redis.Cmdable, prefix string, log *slog.Logger) []*replica {
	t.Helper()
	var rs []*replica
	for range n {
		tab, err := route.New(cfg, nil, route.Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		r := &replica{tab: tab}
		r.sync = &Syncer{Table: func() *route.Table { return r.tab }, Sharer: NewRedis(c, prefix), Log: log}
		rs = append(rs, r)
	}
	return rs
}

// send routes one request of 15 tokens and reports whether it was
// dispatched.
func (r *replica) send(t *testing.T) bool {
	t.Helper()
	var dec route.Decision
	if err := r.tab.Route(&route.Request{Model: "chat", PromptTokens: 10}, &dec); err != nil {
		t.Fatal(err)
	}
	defer dec.Finish(time.Time{})
	a := dec.Next(time.Time{})
	if a == nil {
		return false
	}
	a.Done(route.Result{Outcome: route.Success, Usage: wire.Usage{Prompt: 10, Completion: 5}})
	return true
}

func (r *replica) rpm(now time.Time) int64 { return r.tab.Deployments()[0].Stats(now).RPM }

// TestRedisSharesQuota: two replicas sharing a 600 RPM deployment through
// Redis, each exchanging every 100 ms (staggered by 50 ms), 2,000 requests
// spread over the minute by turns: the replicas together send the quota,
// 600, not the 1,200 that two replicas enforcing it alone would send.
func TestRedisSharesQuota(t *testing.T) {
	c := redistest.Shared(t)
	clk := &clock{now: t0}
	rs := replicas(t, 2, quotaConfig(t, "rpm: 600"), clk, c, redistest.Prefix(t, c), nil)
	ctx := context.Background()
	sent, turn := 0, 0
	var next time.Duration
	const step = 30 * time.Millisecond
	for i := range 2000 {
		at := time.Duration(i) * step
		for ; next <= at; next += 50 * time.Millisecond {
			clk.set(t0.Add(next))
			if err := rs[turn].sync.Step(ctx); err != nil {
				t.Fatal(err)
			}
			turn ^= 1
		}
		clk.set(t0.Add(at))
		if rs[i%2].send(t) {
			sent++
		}
	}
	if sent > 600 || sent < 594 {
		t.Errorf("the replicas sent %d in the minute, want 600 (594..600)", sent)
	}
	for i, r := range rs {
		if got := r.rpm(clk.Now()); got < 594 || got > 600 {
			t.Errorf("replica %d counts %d in the window, want the cluster's %d", i, got, sent)
		}
	}
}

// TestRedisBurst: 1,000 requests at once on each of two replicas, then
// again after each exchange: never more than the quota in all, and the
// quota is reached within a couple of seconds of exchanges.
func TestRedisBurst(t *testing.T) {
	c := redistest.Shared(t)
	clk := &clock{now: t0}
	rs := replicas(t, 2, quotaConfig(t, "rpm: 600"), clk, c, redistest.Prefix(t, c), nil)
	ctx := context.Background()
	sent := 0
	for round := range 20 {
		for _, r := range rs {
			if err := r.sync.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, r := range rs {
			for range 4 {
				wg.Go(func() {
					for range 250 {
						if r.send(t) {
							mu.Lock()
							sent++
							mu.Unlock()
						}
					}
				})
			}
		}
		wg.Wait()
		if sent > 600 {
			t.Fatalf("round %d: %d sent, over the quota of 600", round, sent)
		}
		clk.set(clk.Now().Add(100 * time.Millisecond))
	}
	if sent < 594 {
		t.Errorf("after 20 exchanges %d sent, want 600 (594..600)", sent)
	}
}

// TestRedisTokens: a 30,000 TPM deployment, requests charged an estimate at
// dispatch and corrected to 15 actual tokens: the replicas send the quota.
func TestRedisTokens(t *testing.T) {
	c := redistest.Shared(t)
	clk := &clock{now: t0}
	rs := replicas(t, 2, quotaConfig(t, "tpm: 30000"), clk, c, redistest.Prefix(t, c), nil)
	ctx := context.Background()
	sent := 0
	for i := range 6000 {
		if i%20 == 0 {
			rs[i/20%2].sync.Step(ctx)
			clk.set(clk.Now().Add(50 * time.Millisecond))
		}
		if rs[i%2].send(t) {
			sent++
		}
	}
	if tokens := sent * 15; tokens > 30000 || tokens < 29400 {
		t.Errorf("%d requests of 15 tokens = %d, want the 30,000 TPM (98%%..100%%)", sent, tokens)
	}
}

// lockedBuffer collects log output from concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// TestRedisDown stops Redis under two replicas of a 10 RPM deployment:
// each says so once, loudly, and falls back to enforcing the quota alone
// (so together they send up to twice it, as on separate nodes); when Redis
// returns on the same address, empty, the replicas recover without a
// restart, and what each sent meanwhile is the cluster's count again.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t, 0)
	addr, stop := srv.Addr(), srv.Stop
	redis.SetLogger(quiet{}) // the client logs every failed dial
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 250 * time.Millisecond,
		ReadTimeout: 250 * time.Millisecond, WriteTimeout: 250 * time.Millisecond, MaxRetries: 1})
	defer c.Close()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	clk := &clock{now: t0}
	rs := replicas(t, 2, quotaConfig(t, "rpm: 10"), clk, c, "", log)
	ctx := context.Background()
	exchange := func() (errs int) {
		for _, r := range rs {
			if r.sync.Step(ctx) != nil {
				errs++
			}
		}
		return errs
	}
	sendAll := func() (n int64) {
		for i := range 40 {
			if rs[i%2].send(t) {
				n++
			}
		}
		return n
	}
	if exchange() != 0 {
		t.Fatal("exchange failed with Redis up")
	}
	if n := sendAll(); n != 10 {
		t.Fatalf("Redis up: %d sent, want the quota, 10", n)
	}

	stop()
	clk.set(t0.Add(time.Second))
	if exchange() != 2 || !rs[0].sync.Down() || !rs[1].sync.Down() {
		t.Fatal("exchanges with Redis stopped did not fail")
	}
	if n := rs[0].tab.LocalQuotas(clk.Now()); n != 1 {
		t.Fatalf("%d quota windows enforced locally with Redis down, want 1", n)
	}
	if got := strings.Count(logs.String(), "cluster unreachable"); got != 2 {
		t.Errorf("%d outage errors logged, want one per replica:\n%s", got, logs.String())
	}
	exchange() // still down: no new log line
	if got := strings.Count(logs.String(), "level=ERROR"); got != 2 {
		t.Errorf("%d errors logged after a second failed exchange, want still 2", got)
	}
	// Each replica's own window holds what it sent itself of the 10.
	own := 20 - rs[0].rpm(clk.Now()) - rs[1].rpm(clk.Now())
	if n := sendAll(); n != own {
		t.Errorf("Redis down: %d sent, want each replica filling its own window (%d)", n, own)
	}

	redistest.Start(t, srv.Port())
	clk.set(t0.Add(2 * time.Second))
	// The new Redis is empty: the first exchange adds what was sent during
	// the outage, and finds it lacks the rest; the second adds that.
	for i := range 2 {
		if exchange() != 0 {
			t.Fatalf("exchange %d after Redis returned failed", i)
		}
	}
	if rs[0].sync.Down() || rs[1].sync.Down() || rs[0].tab.LocalQuotas(clk.Now()) != 0 {
		t.Fatal("not shared again after Redis returned")
	}
	if !strings.Contains(logs.String(), "cluster reachable again") {
		t.Error("recovery not logged")
	}
	if n := sendAll(); n != 0 {
		t.Errorf("Redis back: %d sent, want none (the cluster sent 20 this minute)", n)
	}
	for i, r := range rs {
		if got := r.rpm(clk.Now()); got != 20 {
			t.Errorf("replica %d counts %d in the window, want the cluster's 20", i, got)
		}
	}
	// The next minute frees the quota as it slides: at 1:45 a quarter of
	// the first minute's 20 still weighs in, leaving 5 of the 10.
	clk.set(t0.Add(105 * time.Second))
	exchange()
	if n := sendAll(); n != 5 {
		t.Errorf("at 1:45: %d sent, want 5", n)
	}
}

// BenchmarkExchange measures one replica's exchange of 20 quota windows (10
// deployments with RPM and TPM) with Redis: one pipelined round trip. It
// runs in the background every 100 ms; no request waits for it.
func BenchmarkExchange(b *testing.B) {
	addr := os.Getenv("SWITCHYARD_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		b.Skipf("no Redis at %s: %v", addr, err)
	}
	p := make([]byte, 8)
	rand.Read(p)
	prefix := "sytest:{" + hex.EncodeToString(p) + "}:"
	defer func() {
		if keys, _ := c.Keys(context.Background(), prefix+"*").Result(); len(keys) > 0 {
			c.Del(context.Background(), keys...)
		}
	}()
	var deps strings.Builder
	for i := range 10 {
		fmt.Fprintf(&deps, "      - {name: d%d, provider: cloud, model: m, price: unpriced, quota: {rpm: 100000, tpm: 10000000}}\n", i)
	}
	cfg, err := config.Parse("bench.yaml", []byte(`keys: [{name: dev, key: dev-key-0123456789}]
providers:
  - {name: cloud, type: openai-compatible, base_url: "http://127.0.0.1:1/v1"}
models:
  - name: chat
    deployments:
`+deps.String()), nil)
	if err != nil {
		b.Fatal(err)
	}
	tab, err := route.New(cfg, nil, route.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := &Syncer{Table: func() *route.Table { return tab }, Sharer: NewRedis(c, prefix)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Step(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
