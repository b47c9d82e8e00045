package limit

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// clock is a virtual clock the conformance tests drive.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	// Mid-slot, so slot edges are not accidentally aligned with test steps.
	return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 400_000_000, time.UTC)}
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// factory builds a fresh, empty limiter on the given clock.
type factory func(t *testing.T, o Options) Limiter

func admit(t *testing.T, l Limiter, tokens int64, scopes ...Scope) (Decision, Ticket) {
	t.Helper()
	d, tk, err := l.Admit(context.Background(), &Ask{Scopes: scopes, Tokens: tokens})
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	if d.Allowed != tk.Valid() {
		t.Fatalf("Admit: allowed=%v but ticket valid=%v", d.Allowed, tk.Valid())
	}
	return d, tk
}

func settle(t *testing.T, l Limiter, tk Ticket, actual int64) {
	t.Helper()
	if err := l.Settle(context.Background(), tk, actual); err != nil {
		t.Fatalf("Settle: %v", err)
	}
}

func rpm(name string, n int64) Scope { return Scope{Name: name, Limits: Limits{RPM: n}} }

// conformance runs the behaviour every Limiter must share.
func conformance(t *testing.T, mk factory) {
	t.Run("steady rate at the limit is always admitted", func(t *testing.T) {
		c := newClock()
		l := mk(t, Options{Now: c.Now})
		for i := range 180 { // one per second for three minutes at 60 RPM
			if d, _ := admit(t, l, 0, rpm("k", 60)); !d.Allowed {
				t.Fatalf("request %d refused: %+v", i, d)
			}
			c.Add(1010 * time.Millisecond) // 1% under the limit
		}
	})

	t.Run("twice the rate gets the limit per minute", func(t *testing.T) {
		c := newClock()
		l := mk(t, Options{Now: c.Now})
		var n int
		for range 240 { // 2 per second for two minutes at 60 RPM
			if d, _ := admit(t, l, 0, rpm("k", 60)); d.Allowed {
				n++
			}
			c.Add(500 * time.Millisecond)
		}
		if n < 118 || n > 120 {
			t.Fatalf("admitted %d of 240 over two minutes at 60 RPM, want 120 (±2)", n)
		}
	})

	t.Run("a full burst, then refused with retry-after", func(t *testing.T) {
		c := newClock()
		l := mk(t, Options{Now: c.Now})
		for i := range 10 {
			if d, _ := admit(t, l, 0, rpm("k", 10)); !d.Allowed {
				t.Fatalf("burst request %d refused", i)
			}
		}
		d, _ := admit(t, l, 0, rpm("k", 10))
		if d.Allowed || d.Which != Requests || d.Scope != "k" || d.TooLarge {
			t.Fatalf("11th = %+v, want refused by k requests", d)
		}
		if d.RetryAfter < Window || d.RetryAfter > Window+time.Second {
			t.Fatalf("RetryAfter = %v, want within one slot after a minute", d.RetryAfter)
		}
		// Just before retry-after: still refused. At retry-after: admitted.
		c.Add(d.RetryAfter - time.Millisecond)
		if d2, _ := admit(t, l, 0, rpm("k", 10)); d2.Allowed {
			t.Fatalf("admitted 1ms before retry-after")
		}
		c.Add(time.Millisecond)
		if d2, _ := admit(t, l, 0, rpm("k", 10)); !d2.Allowed {
			t.Fatalf("refused at retry-after: %+v", d2)
		}
	})

	t.Run("a burst at a minute's edge does not let 2x through", func(t *testing.T) {
		c := newClock()
		l := mk(t, Options{Now: c.Now})
		c.Add(59 * time.Second)
		var n int
		for range 20 { // at 0:59.4 — a fixed window would reset at 1:00
			if d, _ := admit(t, l, 0, rpm("k", 10)); d.Allowed {
				n++
			}
		}
		c.Add(time.Second + 200*time.Millisecond)
		for range 20 { // at 1:00.6
			if d, _ := admit(t, l, 0, rpm("k", 10)); d.Allowed {
				n++
			}
		}
		if n != 10 {
			t.Fatalf("admitted %d across the edge, want 10", n)
		}
	})

	t.Run("no rolling minute ever exceeds the limit", func(t *testing.T) {
		c := newClock()
		l := mk(t, Options{Now: c.Now})
		r := rand.New(rand.NewPCG(1, 2))
		var at []time.Time
		for range 1500 { // bursty arrivals over about five minutes
			c.Add(time.Duration(r.ExpFloat64() * float64(200*time.Millisecond)))
			if d, _ := admit(t, l, 0, rpm("k", 50)); d.Allowed {
				at = append(at, c.Now())
			}
		}
		for i := range at {
			j := i
			for j < len(at) && at[j].Sub(at[i]) < Window {
				j++
			}
			if j-i > 50 {
				t.Fatalf("%d admitted in the minute from %v", j-i, at[i])
			}
		}
		if len(at) < 200 { // five minutes at 50 RPM, less what bursts waste
			t.Fatalf("only %d admitted over five minutes at 50 RPM", len(at))
		}
	})

	t.Run("tokens are charged up front and refunded on settle", func(t *testing.T) {
		c := newClock()
		l := mk(t, Options{Now: c.Now})
		s := Scope{Name: "k", Limits: Limits{TPM: 1000}}
		_, t1 := admit(t, l, 400, s)
		admit(t, l, 400, s)
		d, _ := admit(t, l, 400, s)
		if d.Allowed || d.Which != Tokens {
			t.Fatalf("third 400 = %+v, want refused on tokens", d)
		}
		if d.Headers.LimitTokens != 1000 || d.Headers.RemainingTokens != 200 {
			t.Fatalf("headers %+v, want 200 of 1000 tokens left", d.Headers)
		}
		c.Add(2 * time.Second)
		settle(t, l, t1, 100) // used 100 of the 400 charged
		if d, _ := admit(t, l, 400, s); !d.Allowed || d.Headers.RemainingTokens != 100 {
			t.Fatalf("after refund = %+v, want admitted with 100 left", d)
		}
	})

	t.Run("settling more than charged charges the difference", func(t *testing.T) {
		c := newClock()
		l := mk(t, Options{Now: c.Now})
		s := Scope{Name: "k", Limits: Limits{TPM: 1000}}
		_, tk := admit(t, l, 100, s)
		settle(t, l, tk, 900)
		if d, _ := admit(t, l, 101, s); d.Allowed {
			t.Fatalf("101 tokens admitted with 900 of 1000 used")
		}
		if d, _ := admit(t, l, 100, s); !d.Allowed {
			t.Fatalf("100 tokens refused with 900 of 1000 used: %+v", d)
		}
	})

	t.Run("an ask larger than the limit is too large", func(t *testing.T) {
		l := mk(t, Options{Now: newClock().Now})
		d, _ := admit(t, l, 1001, Scope{Name: "k", Limits: Limits{TPM: 1000}})
		if d.Allowed || !d.TooLarge || d.Which != Tokens {
			t.Fatalf("= %+v, want TooLarge on tokens", d)
		}
	})

	t.Run("scopes are charged all or none", func(t *testing.T) {
		l := mk(t, Options{Now: newClock().Now})
		key, tenant := rpm("key:a", 5), rpm("tenant:t", 3)
		for range 3 {
			if d, _ := admit(t, l, 0, key, tenant); !d.Allowed {
				t.Fatal("refused under both limits")
			}
		}
		d, _ := admit(t, l, 0, key, tenant)
		if d.Allowed || d.Scope != "tenant:t" {
			t.Fatalf("4th = %+v, want refused by tenant:t", d)
		}
		if d.Headers.LimitRequests != 3 || d.Headers.RemainingRequests != 0 {
			t.Fatalf("headers %+v, want the tenant's (most constrained)", d.Headers)
		}
		// The refused admission did not charge the key: two left on it alone.
		for i := range 2 {
			if d, _ := admit(t, l, 0, key); !d.Allowed {
				t.Fatalf("key alone refused at %d: the refused ask leaked a charge", i)
			}
		}
		if d, _ := admit(t, l, 0, key); d.Allowed {
			t.Fatal("key admitted a 6th request at 5 RPM")
		}
	})

	t.Run("concurrency slots are released on settle", func(t *testing.T) {
		l := mk(t, Options{Now: newClock().Now})
		s := Scope{Name: "k", Limits: Limits{Concurrent: 2}}
		_, t1 := admit(t, l, 0, s)
		admit(t, l, 0, s)
		d, _ := admit(t, l, 0, s)
		if d.Allowed || d.Which != Concurrent || d.RetryAfter <= 0 {
			t.Fatalf("3rd in flight = %+v, want refused on concurrency", d)
		}
		settle(t, l, t1, 0)
		if d, _ := admit(t, l, 0, s); !d.Allowed {
			t.Fatalf("refused after a slot was released: %+v", d)
		}
	})

	t.Run("an unsettled ticket releases its slot after the TTL", func(t *testing.T) {
		c := newClock()
		l := mk(t, Options{Now: c.Now, LeaseTTL: 10 * time.Minute})
		s := Scope{Name: "k", Limits: Limits{Concurrent: 1}}
		_, lost := admit(t, l, 0, s) // its request crashed: never settled
		c.Add(9 * time.Minute)
		if d, _ := admit(t, l, 0, s); d.Allowed {
			t.Fatal("slot released before the TTL")
		}
		c.Add(2*time.Minute + time.Second)
		d, tk := admit(t, l, 0, s)
		if !d.Allowed {
			t.Fatalf("slot still held 11 minutes after admission: %+v", d)
		}
		// The lost ticket settling late must not free the new holder's slot.
		settle(t, l, lost, 0)
		if d, _ := admit(t, l, 0, s); d.Allowed {
			t.Fatal("a stale settle released someone else's slot")
		}
		settle(t, l, tk, 0)
	})

	t.Run("changing a scope's limits keeps its usage", func(t *testing.T) {
		l := mk(t, Options{Now: newClock().Now})
		for range 8 {
			admit(t, l, 0, rpm("k", 10))
		}
		if d, _ := admit(t, l, 0, rpm("k", 5)); d.Allowed {
			t.Fatal("lowering the limit below usage still admitted")
		}
		if d, _ := admit(t, l, 0, rpm("k", 20)); !d.Allowed || d.Headers.RemainingRequests != 11 {
			t.Fatalf("raised limit = %+v, want admitted with 11 left", d)
		}
	})

	t.Run("headers for requests and tokens", func(t *testing.T) {
		l := mk(t, Options{Now: newClock().Now})
		s := Scope{Name: "k", Limits: Limits{RPM: 10, TPM: 5000}}
		admit(t, l, 1000, s)
		d, _ := admit(t, l, 500, s)
		h := d.Headers
		if h.LimitRequests != 10 || h.RemainingRequests != 8 || h.LimitTokens != 5000 || h.RemainingTokens != 3500 {
			t.Fatalf("headers %+v", h)
		}
		for _, r := range []time.Duration{h.ResetRequests, h.ResetTokens} {
			if r < Window || r > Window+time.Second {
				t.Fatalf("reset %v, want about a minute (until the window is empty)", r)
			}
		}
	})

	t.Run("unlimited scopes and zero tickets", func(t *testing.T) {
		l := mk(t, Options{Now: newClock().Now})
		d, tk := admit(t, l, 1e9, Scope{Name: "free"})
		if !d.Allowed || d.Headers != (Headers{}) {
			t.Fatalf("= %+v, want admitted without headers", d)
		}
		settle(t, l, tk, 5)
		settle(t, l, Ticket{}, 5)
	})

	t.Run("concurrent admissions never overshoot", func(t *testing.T) {
		l := mk(t, Options{Now: newClock().Now})
		key, tenant := rpm("key:a", 50), rpm("tenant:t", 300)
		var n sync.WaitGroup
		var mu sync.Mutex
		admitted := 0
		for range 8 {
			n.Add(1)
			go func() {
				defer n.Done()
				for range 25 {
					d, _, err := l.Admit(context.Background(), &Ask{Scopes: []Scope{key, tenant}})
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						mu.Lock()
						admitted++
						mu.Unlock()
					}
				}
			}()
		}
		n.Wait()
		if admitted != 50 {
			t.Fatalf("admitted %d of 200 concurrent at 50 RPM, want 50", admitted)
		}
		// The tenant was charged exactly for the 50 admitted, not the refusals.
		if d, _ := admit(t, l, 0, tenant); d.Headers.RemainingRequests != 249 {
			t.Fatalf("tenant remaining %d, want 249", d.Headers.RemainingRequests)
		}
	})

	t.Run("many scopes", func(t *testing.T) {
		l := mk(t, Options{Now: newClock().Now})
		var sc []Scope
		for i := range 10 {
			sc = append(sc, rpm(string(rune('a'+i)), int64(3+i)))
		}
		for range 3 {
			if d, _ := admit(t, l, 0, sc...); !d.Allowed {
				t.Fatalf("refused: %+v", d)
			}
		}
		if d, _ := admit(t, l, 0, sc...); d.Allowed || d.Scope != "a" {
			t.Fatalf("4th = %+v, want refused by a", d)
		}
	})
}
