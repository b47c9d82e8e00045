package limit

import (
	"context"
	"errors"
	"github.com/switchyard/switchyard/internal/redistest"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRedisConformance(t *testing.T) {
	c := redistest.Shared(t)
	conformance(t, func(t *testing.T, o Options) Limiter { return NewRedis(c, redistest.Prefix(t, c), o) })
}

func TestRedisKeysExpire(t *testing.T) {
	c := redistest.Shared(t)
	p := redistest.Prefix(t, c)
	r := NewRedis(c, p, Options{})
	ctx := context.Background()
	_, tk, err := r.Admit(ctx, &Ask{Tokens: 10, Scopes: []Scope{{Name: "k", Limits: Limits{RPM: 10, TPM: 100, Concurrent: 3}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Settle(ctx, tk, 5)
	keys, _ := c.Keys(ctx, p+"*").Result()
	if len(keys) != 1 || keys[0] != p+"k" {
		t.Fatalf("keys %v, want the one hash of k's windows", keys)
	}
	// A scope with a concurrency limit lives at least as long as a lease
	// may (TTL plus one lease slot), and not much longer.
	lease, max := DefaultLeaseTTL+DefaultLeaseTTL/leaseSlots, DefaultLeaseTTL+3*DefaultLeaseTTL/leaseSlots
	if ttl := c.PTTL(ctx, keys[0]).Val(); ttl < lease || ttl > max {
		t.Errorf("%s expires in %v, want %v to %v", keys[0], ttl, lease, max)
	}
	// One without lives a little longer than its minute.
	if _, _, err := r.Admit(ctx, &Ask{Tokens: 10, Scopes: []Scope{{Name: "rate", Limits: Limits{RPM: 10, TPM: 100}}}}); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, p+"rate").Val(); ttl < Window || ttl > Window+2*time.Second {
		t.Errorf("%srate expires in %v, want within %v of %v", p, ttl, 2*time.Second, Window)
	}
}

// TestRedisReplicasShareOneLimit is the acceptance check: two replicas, a
// 600 RPM key and 2,000 requests spread over both within a minute.
func TestRedisReplicasShareOneLimit(t *testing.T) {
	c := redistest.Shared(t)
	addr := c.Options().Addr
	replica := func(p string, o Options) *Redis {
		rc := redis.NewClient(&redis.Options{Addr: addr}) // its own pool, as another process would have
		t.Cleanup(func() { rc.Close() })
		return NewRedis(rc, p, o)
	}
	key := []Scope{{Name: "key:k_600", Limits: Limits{RPM: 600}}, {Name: "tenant:t", Limits: Limits{TPM: 1e9}}}
	check := func(n int64) {
		t.Helper()
		if n < 594 || n > 606 {
			t.Fatalf("admitted %d of 2000 at 600 RPM, want 600 ± 1%%", n)
		}
	}

	t.Run("spread evenly over a virtual minute", func(t *testing.T) {
		p := redistest.Prefix(t, c)
		clk := newClock()
		a, b := replica(p, Options{Now: clk.Now}), replica(p, Options{Now: clk.Now})
		var n int64
		for i := range 2000 { // one every 30ms, alternating replicas: 2000 in 60s
			l := a
			if i%2 == 1 {
				l = b
			}
			d, _, err := l.Admit(context.Background(), &Ask{Scopes: key, Tokens: 10})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				n++
			}
			clk.Add(30 * time.Millisecond)
		}
		check(n)
	})

	t.Run("concurrently in real time on Redis's clock", func(t *testing.T) {
		p := redistest.Prefix(t, c)
		a, b := replica(p, Options{}), replica(p, Options{})
		var n atomic.Int64
		var wg sync.WaitGroup
		for w := range 8 {
			l := a
			if w%2 == 1 {
				l = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 250 {
					d, _, err := l.Admit(context.Background(), &Ask{Scopes: key, Tokens: 10})
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						n.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		check(n.Load())
	})
}

func TestRedisUnreachableIsUnavailable(t *testing.T) {
	o, err := ClientOptions("redis://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	_, _, err = NewRedis(c, "", Options{}).Admit(context.Background(), &Ask{Scopes: []Scope{rpm("k", 1)}})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Admit on a closed port = %v, want ErrUnavailable", err)
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

var _ io.Writer = (*lockedBuffer)(nil)

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// TestRedisFaults stops Redis mid-run: fail-closed refuses with
// ErrUnavailable, fail-open admits under local limits, and both recover
// without a restart when Redis returns.
func TestRedisFaults(t *testing.T) {
	srv := redistest.Start(t, 0)
	o, err := ClientOptions("redis://" + srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	redis.SetLogger(quiet{}) // the client logs every failed dial
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	shared := NewRedis(c, "", Options{})
	closed := &Fallback{Primary: shared, Local: NewMemory(Options{}), Log: log, Retry: time.Millisecond}
	open := &Fallback{Primary: shared, Local: NewMemory(Options{}), FailOpen: true, Log: log, Retry: time.Millisecond}
	ctx := context.Background()
	ask := &Ask{Scopes: []Scope{{Name: "key:k", Limits: Limits{RPM: 5, Concurrent: 100}}}}

	for _, f := range []*Fallback{closed, open} {
		d, tk, err := f.Admit(ctx, ask)
		if err != nil || !d.Allowed || f.Unavailable() {
			t.Fatalf("with Redis up: %+v, %v, unavailable=%v", d, err, f.Unavailable())
		}
		if err := f.Settle(ctx, tk, 0); err != nil {
			t.Fatal(err)
		}
	}
	_, held, _ := open.Admit(ctx, ask) // in flight while Redis dies

	srv.Stop()

	if _, _, err := closed.Admit(ctx, ask); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("fail-closed with Redis down = %v, want ErrUnavailable", err)
	}
	if !closed.Unavailable() || closed.Outages() != 1 {
		t.Fatalf("fail-closed: unavailable=%v outages=%d", closed.Unavailable(), closed.Outages())
	}
	if err := open.Settle(ctx, held, 0); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("settling a Redis ticket with Redis down = %v, want ErrUnavailable", err)
	}
	var admitted int
	for range 20 {
		time.Sleep(2 * time.Millisecond) // let probes of the dead server happen too
		d, tk, err := open.Admit(ctx, ask)
		if err != nil {
			t.Fatalf("fail-open with Redis down: %v", err)
		}
		if d.Allowed {
			admitted++
			open.Settle(ctx, tk, 0)
		}
	}
	if admitted != 5 {
		t.Fatalf("fail-open admitted %d of 20 at a local 5 RPM, want 5", admitted)
	}
	if open.Degraded() != 20 || open.Outages() != 1 {
		t.Fatalf("fail-open: degraded=%d outages=%d", open.Degraded(), open.Outages())
	}

	redistest.Start(t, srv.Port()) // back on the same address, empty
	for _, f := range []*Fallback{closed, open} {
		var d Decision
		var err error
		for i := 0; ; i++ { // the client redials on its own; allow it a moment
			if d, _, err = f.Admit(ctx, ask); err == nil || i > 200 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil || !d.Allowed || f.Unavailable() {
			t.Fatalf("after Redis returned: %+v, %v, unavailable=%v", d, err, f.Unavailable())
		}
	}
	// Decided by Redis again: the two admissions since its return are there.
	if d, _, _ := closed.Admit(ctx, ask); d.Headers.RemainingRequests != 2 {
		t.Fatalf("remaining %d after 3 admissions on the fresh Redis, want 2", d.Headers.RemainingRequests)
	}
	out := logs.String()
	if strings.Count(out, "unreachable") != 2 || strings.Count(out, "reachable again") != 2 {
		t.Fatalf("want one down and one up log line per limiter, got:\n%s", out)
	}
}

// BenchmarkRedisAdmit measures the Admit round trip on loopback over two
// scopes and reports its median.
func BenchmarkRedisAdmit(b *testing.B) {
	c := redistest.Shared(b)
	r := NewRedis(c, redistest.Prefix(b, c), Options{})
	a := &Ask{Tokens: 100, Scopes: []Scope{
		{Name: "key:k_1", Limits: Limits{RPM: 1 << 40, TPM: 1 << 50, Concurrent: 1 << 20}},
		{Name: "tenant:t_1", Limits: Limits{RPM: 1 << 40, TPM: 1 << 50}},
	}}
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		t0 := time.Now()
		_, tk, err := r.Admit(ctx, a)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		r.Settle(ctx, tk, 50)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func TestRedisWindowsStayBounded(t *testing.T) {
	c := redistest.Shared(t)
	p := redistest.Prefix(t, c)
	clk := newClock()
	r := NewRedis(c, p, Options{Now: clk.Now})
	ctx := context.Background()
	s := []Scope{{Name: "k", Limits: Limits{RPM: 1000, TPM: 1e6, Concurrent: 10}}}
	for range 600 { // every 400ms for four minutes, settled with a refund
		_, tk, err := r.Admit(ctx, &Ask{Scopes: s, Tokens: 100})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Settle(ctx, tk, 40); err != nil {
			t.Fatal(err)
		}
		clk.Add(400 * time.Millisecond)
	}
	fields := c.HKeys(ctx, p+"k").Val()
	for _, k := range []string{"r", "t", "c"} {
		n := 0
		for _, f := range fields {
			if strings.HasPrefix(f, k) {
				n++
			}
		}
		if n > rateSlots+1+3 {
			t.Errorf("window %s holds %d fields, want at most a window of slots", k, n)
		}
	}
	d, _, _ := r.Admit(ctx, &Ask{Scopes: s, Tokens: 100})
	// 150 requests a minute, each settled to 40 tokens; the concurrency
	// slots were all released.
	if d.Headers.RemainingRequests < 1000-152 || d.Headers.RemainingRequests > 1000-149 ||
		d.Headers.RemainingTokens < 1e6-152*40-100 || d.Headers.RemainingTokens > 1e6-149*40-100 {
		t.Fatalf("headers %+v after a steady 150 RPM settled to 40 tokens", d.Headers)
	}
	if held := c.HGet(ctx, p+"k", "cs").Val(); held != "1" {
		t.Fatalf("%s concurrency slots held, want 1 (the last, unsettled admission)", held)
	}
}
