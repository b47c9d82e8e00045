package route

import (
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
)

// TestConcurrentUse routes from many goroutines at once, with failures,
// throttling and commitments, and checks that every counter the requests
// touched returns to rest: nothing leaks a concurrency slot, a retry or a
// place in the budget. Run with -race.
func TestConcurrentUse(t *testing.T) {
	tab, _ := newTable(t, benchModel, "routing: {health: {consecutive_failures: 50, error_ratio: 0}}")
	tab.opts.Rand = nil
	tab.opts = tab.opts.withDefaults() // the seeded test source is not safe for concurrent use
	for _, d := range tab.Deployments() {
		d.MaxConcurrent = 4
	}
	tab.Model("chat").Policy, _ = tab.Policy("commitment")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				var dec Decision
				now := t0.Add(time.Duration(i) * time.Millisecond)
				if err := tab.Route(&Request{Model: "chat", Now: now, PromptTokens: 500, Debug: i%50 == 0}, &dec); err != nil {
					t.Error(err)
					return
				}
				for n := 0; ; n++ {
					a := dec.Next(now)
					if a == nil {
						break
					}
					switch (g + i + n) % 7 {
					case 0:
						a.Done(Result{Outcome: Failed, End: now})
						continue
					case 1:
						// Cooling ends before any goroutine's clock: each has
						// its own, and a cooldown set by one ahead of the
						// others would block them all.
						a.Done(Result{Outcome: Throttled, End: t0.Add(-time.Second), RetryAfter: time.Millisecond})
						continue
					case 2:
						a.FirstByte(now)
					}
					a.Done(Result{Outcome: Success, End: now.Add(time.Second), Usage: wire.Usage{Prompt: 500, Completion: 100}})
					break
				}
				dec.Finish(now)
			}
		})
	}
	wg.Wait()
	if s := tab.Model("chat").Stats(); s.Active != 0 || s.Retries != 0 {
		t.Errorf("model at rest: %+v", s)
	}
	var attempts int64
	for _, d := range tab.Deployments() {
		s := d.Stats(t0)
		attempts += s.Attempts
		if s.InFlight != 0 {
			t.Errorf("%s: %d in flight at rest", d.Name, s.InFlight)
		}
		if s.Attempts != s.Successes+s.Failures+s.Throttled {
			t.Errorf("%s: %d attempts, %d+%d+%d outcomes", d.Name, s.Attempts, s.Successes, s.Failures, s.Throttled)
		}
	}
	if attempts < 8*300 {
		t.Errorf("%d attempts for 2400 requests", attempts)
	}
	for _, k := range tab.Contracts() {
		if s := k.Stats(t0); s.Pending != 0 {
			t.Errorf("%s: %d pending at rest", k.Name, s.Pending)
		}
	}
}
