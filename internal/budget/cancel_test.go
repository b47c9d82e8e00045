package budget

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRedisCallerCancelIsNotAnOutage: a request whose client hung up
// (its context cancelled) fails its Reserve, but neither Redis nor the
// Fallback take it for an outage, so other requests are not refused.
func TestRedisCallerCancelIsNotAnOutage(t *testing.T) {
	dial, prefix := testRedis(t)
	f := &Fallback{Shared: NewRedis(dial(), prefix, nil), Local: NewMemory(nil)}
	b := []Budget{{Scope: "tenant:c", Limit: 5 * cent, Period: mustPeriod(t, "day", ""), Hard: true}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.Reserve(ctx, b, cent, time.Minute, time.Now()); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Reserve with a cancelled context: %v, want an error that is not ErrUnavailable", err)
	}
	if f.Down() {
		t.Fatal("a cancelled caller marked Redis down")
	}
	r, ref, err := f.Reserve(context.Background(), b, cent, time.Minute, time.Now())
	if err != nil || ref != nil {
		t.Fatalf("the next Reserve: %v %v", ref, err)
	}
	if err := f.Settle(context.Background(), r, cent); err != nil {
		t.Fatal(err)
	}
}
