package budget

import (
	"context"
	"errors"
	"github.com/switchyard/switchyard/internal/redistest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisFault stops Redis mid-run: Redis reports ErrUnavailable, a
// fail-closed Fallback refuses with it, a fail-open one keeps enforcing the
// budget from local books, and both return to Redis when it comes back,
// without being rebuilt.
func TestRedisFault(t *testing.T) {
	srv := redistest.Start(t, 0)
	port := srv.Port()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	rds := NewRedis(c, "fault:", nil)
	var mu sync.Mutex
	var transitions []bool
	onChange := func(down bool) { mu.Lock(); transitions = append(transitions, down); mu.Unlock() }
	closed := &Fallback{Shared: rds, Local: NewMemory(nil), Probe: 10 * time.Millisecond}
	open := &Fallback{Shared: rds, Local: NewMemory(nil), FailOpen: true, Probe: 10 * time.Millisecond, OnChange: onChange}
	ctx := context.Background()
	b := []Budget{{Scope: "tenant:f", Limit: 5 * cent, Period: mustPeriod(t, "day", ""), Hard: true}}

	for _, f := range []*Fallback{closed, open} {
		r, ref, err := f.Reserve(ctx, b, cent, time.Minute, time.Now())
		if err != nil || ref != nil || r.local {
			t.Fatalf("with Redis up: %+v %v %v, want a Redis reservation", r, ref, err)
		}
		if err := f.Settle(ctx, r, cent); err != nil {
			t.Fatal(err)
		}
	}

	srv.Stop()

	if _, _, err := rds.Reserve(ctx, b, cent, time.Minute, time.Now()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Redis down: err %v, want ErrUnavailable", err)
	}
	if _, _, err := closed.Reserve(ctx, b, cent, time.Minute, time.Now()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("fail closed: err %v, want ErrUnavailable", err)
	}
	// Fail open: local books still enforce the hard budget, per replica.
	r, ref, err := open.Reserve(ctx, b, 5*cent, time.Minute, time.Now())
	if err != nil || ref != nil || !r.local {
		t.Fatalf("fail open: %+v %v %v, want a local reservation", r, ref, err)
	}
	if _, ref, err := open.Reserve(ctx, b, cent, time.Minute, time.Now()); err != nil || ref == nil {
		t.Fatalf("fail open past the local budget: refusal %v, err %v; want a refusal", ref, err)
	}
	if err := open.Settle(ctx, r, 5*cent); err != nil {
		t.Fatal(err)
	}
	if !open.Down() || !closed.Down() {
		t.Fatal("Fallback does not report Redis down")
	}

	redistest.Start(t, port)
	for _, f := range []*Fallback{closed, open} {
		var back bool
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !back; time.Sleep(20 * time.Millisecond) {
			r, ref, err := f.Reserve(ctx, b, cent, time.Minute, time.Now())
			if err == nil && ref == nil && !r.local {
				back = true
				_ = f.Release(ctx, r)
			}
		}
		if !back || f.Down() {
			t.Fatalf("FailOpen=%v: no Redis reservation within 10 s of Redis returning", f.FailOpen)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(transitions) != 2 || !transitions[0] || transitions[1] {
		t.Errorf("transitions reported %v, want [down up] once each", transitions)
	}
}
