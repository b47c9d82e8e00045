package redisadmit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/limit"
)

// sharedAddr is the Redis the tests share (SWITCHYARD_TEST_REDIS, default
// 127.0.0.1:6379). Without it a test skips, or fails under
// SWITCHYARD_REQUIRE_SERVICES=1 (as .ci/run sets).
func sharedAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("SWITCHYARD_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		msg := fmt.Sprintf("no Redis at %s (%v): run redis-server on 127.0.0.1:6379 or set SWITCHYARD_TEST_REDIS=host:port", addr, err)
		if os.Getenv("SWITCHYARD_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return addr
}

// counter is a go-redis hook recording what reaches the server: every
// command sent alone and every pipeline, each one round trip.
type counter struct {
	mu    sync.Mutex
	names []string // a command's name, or "pipeline(n)"
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.add(cmd.Name())
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.add(fmt.Sprintf("pipeline(%d)", len(cmds)))
		return next(ctx, cmds)
	}
}

func (c *counter) add(name string) {
	c.mu.Lock()
	c.names = append(c.names, name)
	c.mu.Unlock()
}

// trips is the round trips so far, and what each sent.
func (c *counter) trips() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.names), append([]string(nil), c.names...)
}

// count is the round trips so far.
func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.names)
}

// client dials addr with the gateway's options (limit.ClientOptions) and a
// counter.
func client(t testing.TB, addr string) (*redis.Client, *counter) {
	t.Helper()
	o, err := limit.ClientOptions("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	o.MinIdleConns = 0
	c := redis.NewClient(o)
	n := &counter{}
	c.AddHook(n)
	t.Cleanup(func() { c.Close() })
	return c, n
}

// testPrefix is a fresh hash-tagged prefix whose keys are deleted when the
// test ends.
func testPrefix(t testing.TB, addr string) string {
	b := make([]byte, 8)
	rand.Read(b)
	p := "sytest:{" + hex.EncodeToString(b) + "}:"
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		ctx := context.Background()
		if keys, _ := c.Keys(ctx, p+"*").Result(); len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return p
}

// rig is an admitter wired as the gateway wires cluster mode: the joint
// script first, the two fallbacks (over each replica's own memory) behind it.
type rig struct {
	*admit.Admitter
	joint *Joint
	lf    *limit.Fallback
	bf    *budget.Fallback
}

func newRig(t testing.TB, c *redis.Client, prefix string, failOpen bool, o limit.Options, log *slog.Logger) *rig {
	t.Helper()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	j, err := New(c, prefix, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	j.LimitFallback = &limit.Fallback{Primary: j.Limits, Local: limit.NewMemory(o), FailOpen: failOpen, Log: log, Retry: 50 * time.Millisecond}
	j.BudgetFallback = &budget.Fallback{Shared: j.Budgets, Local: budget.NewMemory(nil), FailOpen: failOpen, Log: log, Probe: 50 * time.Millisecond}
	return &rig{Admitter: &admit.Admitter{Limits: j.LimitFallback, Budgets: j.BudgetFallback, Joint: j, Log: log}, joint: j, lf: j.LimitFallback, bf: j.BudgetFallback}
}

// split is an admitter over the same kind of Redis state without the joint
// script: limits and budgets one round trip each, as before this package.
func split(t testing.TB, c *redis.Client, prefix string, o limit.Options) *admit.Admitter {
	t.Helper()
	return &admit.Admitter{Limits: limit.NewRedis(c, prefix+"l:", o), Budgets: budget.NewRedis(c, prefix, nil),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
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
