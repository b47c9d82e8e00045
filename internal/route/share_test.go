package route

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/wire"
)

// memCluster is the QuotaSharer contract in memory: the tests here check
// route's side of the exchange; clusterquota checks the same over Redis.
type memCluster struct {
	mu     sync.Mutex
	counts map[string]int64            // window + minute → count
	leases map[string]map[string]lease // window → replica → lease
	down   bool
}

type lease struct{ amount, lapse int64 }

func newMemCluster() *memCluster {
	return &memCluster{counts: map[string]int64{}, leases: map[string]map[string]lease{}}
}

// replica is one replica's sharer.
type replica struct {
	c  *memCluster
	id string
}

var errDown = errors.New("cluster down")

func (r replica) Share(_ context.Context, at time.Time, hold time.Duration, ws []QuotaWindow) error {
	c := r.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return errDown
	}
	now := at.UnixNano()
	for i := range ws {
		w := &ws[i]
		win := w.Deployment + ":" + w.Kind
		for j, m := range [2]int64{w.Minute - 1, w.Minute} {
			k := win + ":" + time.Unix(m*60, 0).UTC().Format(time.RFC3339)
			c.counts[k] += w.Add[j]
			c.counts[k+"@"+r.id] += w.Add[j]
			w.Total[j], w.Mine[j] = c.counts[k], c.counts[k+"@"+r.id]
		}
		ls := c.leases[win]
		if ls == nil {
			ls = map[string]lease{}
			c.leases[win] = ls
		}
		others, holders := int64(0), 0
		for id, l := range ls {
			if id != r.id && l.lapse > now {
				others += l.amount
				holders++
			}
		}
		free := w.Limit - w.Total[1] - int64(math.Floor(float64(w.Total[0])*w.Weight)) - others
		w.Lease = 0
		switch {
		case free > 0 && holders == 0:
			w.Lease = free
		case free > 0:
			w.Lease = min(max((free+1)/2, w.Want), free)
		}
		ls[r.id] = lease{w.Lease, now + int64(hold)}
	}
	return nil
}

// lose forgets every count and lease, as a Redis restarted empty does.
func (c *memCluster) lose() {
	c.mu.Lock()
	c.counts, c.leases = map[string]int64{}, map[string]map[string]lease{}
	c.mu.Unlock()
}

func (c *memCluster) setDown(down bool) {
	c.mu.Lock()
	c.down = down
	c.mu.Unlock()
}

// sharedModel has one deployment with both quotas and one without any.
const sharedModel = `models:
  - name: chat
    deployments:
      - {name: cloud, provider: az, model: m, price: unpriced, quota: {rpm: 600, tpm: 1000000}}
      - {name: free, provider: aws, model: m, price: unpriced, priority: 2}`

// replicas builds n tables on their own State and a shared virtual clock
// starting at t0, each with a sharer of c.
func replicas(t *testing.T, c *memCluster, n int, lines ...string) ([]*Table, []QuotaSharer, *clock) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(header+strings.Join(lines, "\n")+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: t0}
	var tabs []*Table
	var sh []QuotaSharer
	for i := range n {
		rng := rand.New(rand.NewPCG(uint64(i), 2))
		tab, err := New(cfg, nil, Options{Clock: clk, Rand: rng.Uint64})
		if err != nil {
			t.Fatal(err)
		}
		tabs = append(tabs, tab)
		sh = append(sh, replica{c, string(rune('a' + i))})
	}
	return tabs, sh, clk
}

// exchanger returns a function that runs replica r's exchange with a
// second's hold, failing the test on an error.
func exchanger(t *testing.T, tabs []*Table, sh []QuotaSharer) func(r int) {
	return func(r int) {
		t.Helper()
		if _, err := tabs[r].ShareQuotas(context.Background(), sh[r], time.Second, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// sendTo routes one request to the "cloud" deployment alone and reports
// whether it was dispatched.
func sendTo(t *testing.T, tab *Table, prompt int64, out int64) bool {
	t.Helper()
	var dec Decision
	if err := tab.Route(&Request{Model: "chat", PromptTokens: prompt, Constraints: &Constraints{Providers: []string{"az"}}}, &dec); err != nil {
		t.Fatal(err)
	}
	defer dec.Finish(time.Time{})
	a := dec.Next(time.Time{})
	if a == nil {
		return false
	}
	a.Done(Result{Outcome: Success, Usage: wire.Usage{Prompt: prompt, Completion: out}})
	return true
}

// TestSharedQuotaHolds: two replicas sharing a 600 RPM deployment, each
// exchanging every 100 ms (staggered), 2,000 requests spread over the
// minute: together they send the quota, not twice it; alone, each would.
func TestSharedQuotaHolds(t *testing.T) {
	for _, shared := range []bool{true, false} {
		c := newMemCluster()
		tabs, sh, clk := replicas(t, c, 2, sharedModel)
		sent, r := 0, 0
		var next time.Duration        // of an exchange: every 50 ms, by turns
		step := 30 * time.Millisecond // 2,000 over the minute
		for i := range 2000 {
			at := time.Duration(i) * step
			for ; shared && next <= at; next += 50 * time.Millisecond {
				clk.now = t0.Add(next)
				if _, err := tabs[r].ShareQuotas(context.Background(), sh[r], time.Second, nil); err != nil {
					t.Fatal(err)
				}
				r ^= 1
			}
			clk.now = t0.Add(at)
			if sendTo(t, tabs[i%2], 10, 5) {
				sent++
			}
		}
		if shared && (sent > 600 || sent < 594) {
			t.Errorf("shared: the replicas sent %d in the minute, want 594..600", sent)
		}
		if !shared && sent != 1200 {
			t.Errorf("unshared: the replicas sent %d, want 1200 (each the whole quota)", sent)
		}
		if shared {
			// Each replica's view of the window is the cluster's.
			if st := deployment(t, tabs[0], "cloud").Stats(clk.now); st.RPM < 594 || st.RPM > 600 {
				t.Errorf("replica a counts %d requests in the window, want the cluster's", st.RPM)
			}
		}
	}
}

// TestSharedQuotaBurst: a burst at once on both replicas is held to the
// leases (never more than the quota in all), and the rest of the quota is
// granted within a few exchanges.
func TestSharedQuotaBurst(t *testing.T) {
	c := newMemCluster()
	tabs, sh, clk := replicas(t, c, 2, sharedModel)
	exchange := func() {
		for r := range tabs {
			if _, err := tabs[r].ShareQuotas(context.Background(), sh[r], time.Second, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	exchange()
	sent := 0
	for round := range 20 {
		for i := range 1000 {
			if sendTo(t, tabs[i%2], 10, 5) {
				sent++
			}
		}
		if sent > 600 {
			t.Fatalf("round %d: %d sent, over the quota", round, sent)
		}
		clk.advance(100 * time.Millisecond)
		exchange()
	}
	if sent < 595 {
		t.Errorf("after 20 exchanges, %d sent; want the quota, 600, within 1%%", sent)
	}
	// The quota frees as the sliding minute moves on; at 1.5 minutes half
	// of the first minute's count still weighs in.
	clk.now = t0.Add(90 * time.Second)
	exchange()
	more := 0
	for i := range 1000 {
		if sendTo(t, tabs[i%2], 10, 5) {
			more++
		}
	}
	if more == 0 || sent/2+more > 600 {
		t.Errorf("half a minute later: %d more (after %d); want some, within the sliding minute", more, sent)
	}
}

// TestSharedQuotaTokens: tokens are charged at dispatch and corrected to
// the actual, on the replica's lease as in its window.
func TestSharedQuotaTokens(t *testing.T) {
	c := newMemCluster()
	tabs, sh, clk := replicas(t, c, 2, strings.Replace(sharedModel, "rpm: 600, tpm: 1000000", "tpm: 10000", 1))
	sent := 0
	for i := range 400 {
		if i%4 == 0 {
			for r := range tabs {
				tabs[r].ShareQuotas(context.Background(), sh[r], time.Second, nil)
			}
			clk.advance(100 * time.Millisecond)
		}
		// Charged 100 + the expected output at dispatch; 150 actual.
		if sendTo(t, tabs[i%2], 100, 50) {
			sent++
		}
	}
	if tokens := sent * 150; tokens > 10000 || tokens < 9500 {
		t.Errorf("%d requests of 150 tokens = %d; want the 10,000 TPM within 5%%", sent, tokens)
	}
}

// TestSharedQuotaFallsBack: when the cluster is unreachable, each replica
// enforces the quota alone (the one-node behaviour); when it is back, what
// each sent meanwhile counts cluster-wide.
func TestSharedQuotaFallsBack(t *testing.T) {
	c := newMemCluster()
	tabs, sh, clk := replicas(t, c, 2, strings.Replace(sharedModel, "rpm: 600, tpm: 1000000", "rpm: 10", 1))
	exchange := func() error {
		var errs []error
		for r := range tabs {
			_, err := tabs[r].ShareQuotas(context.Background(), sh[r], time.Second, nil)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	if err := exchange(); err != nil {
		t.Fatal(err)
	}
	if n := tabs[0].LocalQuotas(clk.now); n != 0 {
		t.Fatalf("%d windows local after an exchange, want 0", n)
	}
	sendAll := func() int {
		n := 0
		for i := range 40 {
			if sendTo(t, tabs[i%2], 10, 5) {
				n++
			}
		}
		return n
	}
	if n := sendAll(); n > 10 {
		t.Fatalf("shared: %d sent, over the quota", n)
	}
	// Lost: each replica falls back to its own window, which holds what it
	// sent itself.
	c.setDown(true)
	clk.advance(time.Second)
	if err := exchange(); !errors.Is(err, errDown) {
		t.Fatalf("exchange with the cluster down: %v", err)
	}
	if n := tabs[0].LocalQuotas(clk.now); n != 1 {
		t.Fatalf("%d windows local with the cluster down, want 1", n)
	}
	a := deployment(t, tabs[0], "cloud").Stats(clk.now).RPM
	b := deployment(t, tabs[1], "cloud").Stats(clk.now).RPM
	if n := sendAll(); int64(n) != 20-a-b {
		t.Errorf("down: %d sent, want each replica's own window filled: %d", n, 20-a-b)
	}
	// Back: the counts each replica took meanwhile reach the cluster, which
	// is over its quota for the rest of the minute.
	c.setDown(false)
	clk.advance(time.Second)
	if err := exchange(); err != nil {
		t.Fatal(err)
	}
	if n := sendAll(); n != 0 {
		t.Errorf("back: %d sent, want none (the cluster sent 20 this minute)", n)
	}
	if st := deployment(t, tabs[1], "cloud").Stats(clk.now); st.RPM != 20 {
		t.Errorf("back: the window counts %d, want the cluster's 20", st.RPM)
	}
	// A lease that is not renewed lapses: the replica is on its own again.
	clk.advance(2 * time.Second)
	if n := tabs[0].LocalQuotas(clk.now); n != 1 {
		t.Errorf("%d windows local after the hold, want 1", n)
	}
}

// TestSharedQuotaRecountsAfterLoss: when the cluster loses its counts (a
// Redis restarted empty), each replica adds again what the cluster no longer
// holds from it, even when another replica's re-added counts make the total
// look whole to it: 3 + 6 sent before the loss are 9 again after it, not 6.
func TestSharedQuotaRecountsAfterLoss(t *testing.T) {
	c := newMemCluster()
	tabs, sh, clk := replicas(t, c, 2, strings.Replace(sharedModel, "rpm: 600, tpm: 1000000", "rpm: 10", 1))
	exchange := exchanger(t, tabs, sh)
	exchange(0)
	exchange(1)
	for i, r := range []int{0, 0, 0, 1, 1, 1, 1, 1, 1} { // a 3, b 6
		// A lease may be held by the other replica: exchange by turns
		// until this one is granted room.
		for try := 0; !sendTo(t, tabs[r], 10, 5); try++ {
			if try == 20 {
				t.Fatalf("request %d to replica %c refused after 20 exchanges", i, 'a'+r)
			}
			clk.advance(100 * time.Millisecond)
			exchange(r ^ 1)
			exchange(r)
		}
	}
	exchange(0)
	exchange(1)
	c.lose()
	// a finds the loss and adds its 3 again before b's first exchange: b
	// then sees a total of 3, below its own 6, but not that all 6 are gone.
	exchange(0)
	clk.advance(100 * time.Millisecond)
	exchange(0)
	for range 3 {
		clk.advance(100 * time.Millisecond)
		exchange(1)
		exchange(0)
	}
	for r := range tabs {
		if st := deployment(t, tabs[r], "cloud").Stats(clk.now); st.RPM != 9 {
			t.Errorf("replica %c: the cluster counts %d requests after the loss, want the 9 sent", 'a'+r, st.RPM)
		}
	}
}

// TestSharedQuotaOutlivesReload: a table rebuilt on the same State (a
// reload) keeps the counts, the lease and what was already pushed.
func TestSharedQuotaOutlivesReload(t *testing.T) {
	c := newMemCluster()
	tabs, sh, clk := replicas(t, c, 1, strings.Replace(sharedModel, "rpm: 600, tpm: 1000000", "rpm: 10", 1))
	tabs[0].ShareQuotas(context.Background(), sh[0], time.Second, nil)
	for range 8 {
		if !sendTo(t, tabs[0], 10, 5) {
			t.Fatal("refused below the quota")
		}
	}
	clk.advance(100 * time.Millisecond)
	tabs[0].ShareQuotas(context.Background(), sh[0], time.Second, nil)
	next := rebuild(t, tabs[0], clk, strings.Replace(sharedModel, "rpm: 600, tpm: 1000000", "rpm: 10, tpm: 999999", 1))
	clk.advance(100 * time.Millisecond)
	ws, err := next.ShareQuotas(context.Background(), sh[0], time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Kind == "rpm" && (w.Total[1] != 8 || w.Add != [2]int64{}) {
			t.Errorf("after the reload the cluster counts %d and gets %v more, want 8 and nothing", w.Total[1], w.Add)
		}
	}
	n := 0
	for range 5 {
		if sendTo(t, next, 10, 5) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("after the reload %d more sent, want the 2 left", n)
	}
}

// TestSharedQuotaDoesNotAllocate holds the hot path to zero allocations
// under a lease.
func TestSharedQuotaDoesNotAllocate(t *testing.T) {
	tab := benchTable(t)
	buf := make([]QuotaWindow, 0, 8)
	if _, err := tab.ShareQuotas(context.Background(), replica{newMemCluster(), "a"}, time.Hour, buf); err != nil {
		t.Fatal(err)
	}
	if n := tab.LocalQuotas(t0); n != 0 {
		t.Fatalf("%d windows local", n)
	}
	res := Result{Outcome: Success, End: t0.Add(time.Second), Usage: wire.Usage{Prompt: 1000, Completion: 250}}
	allocs := testing.AllocsPerRun(200, func() {
		var dec Decision
		req := Request{Model: "chat", Now: t0, PromptTokens: 1000}
		if err := tab.Route(&req, &dec); err != nil {
			t.Fatal(err)
		}
		for a := dec.Next(t0); a != nil; a = dec.Next(t0) {
			a.Done(res)
			break
		}
		dec.Finish(t0)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per request under a lease, want 0", allocs)
	}
}

// TestLeaseConcurrent: concurrent requests take exactly the lease, no more.
func TestLeaseConcurrent(t *testing.T) {
	var s slidingMinute
	now := t0.UnixNano()
	s.allow.Store(5000)
	s.until.Store(now + int64(time.Second))
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if s.reserve(now, 1, 1e9) {
					mu.Lock()
					accepted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if accepted != 5000 || s.used(now) != 5000 || s.short.Load() != 1 {
		t.Fatalf("accepted %d, counted %d, short %d; want exactly the lease, 5000, and a refusal of 1 remembered",
			accepted, s.used(now), s.short.Load())
	}
}

// BenchmarkRouteLeased is BenchmarkRoute's request under cluster leases:
// the quota checks are the lease's loads and compare-and-swap.
func BenchmarkRouteLeased(b *testing.B) {
	tab := benchTable(b)
	if _, err := tab.ShareQuotas(context.Background(), replica{newMemCluster(), "a"}, time.Hour, nil); err != nil {
		b.Fatal(err)
	}
	benchRoute(b, tab)
}

// TestSharedQuotaRetryAfter: a replica refused because its lease ran short,
// while the cluster has room, tells the client to come back when its lease
// is renewed (within the lease's hold), not at the next minute; refused
// because the cluster is at its quota, at the next minute.
func TestSharedQuotaRetryAfter(t *testing.T) {
	c := newMemCluster()
	tabs, sh, clk := replicas(t, c, 2, strings.Replace(sharedModel, "rpm: 600, tpm: 1000000", "rpm: 10", 1))
	exchange := exchanger(t, tabs, sh)
	retryAt := func(r int) time.Time {
		t.Helper()
		var dec Decision
		if err := tabs[r].Route(&Request{Model: "chat", Constraints: &Constraints{Providers: []string{"az"}}}, &dec); err != nil {
			t.Fatal(err)
		}
		defer dec.Finish(time.Time{})
		if dec.Next(time.Time{}) != nil {
			t.Fatalf("replica %c was sent a request it should refuse", 'a'+r)
		}
		return dec.RetryAt
	}
	clk.now = t0.Add(10 * time.Second) // mid-minute
	exchange(0)                        // a, alone, holds all ten
	exchange(1)                        // b is granted none of it
	if at := retryAt(1); at.IsZero() || at.After(clk.now.Add(time.Second)) {
		t.Errorf("lease short, cluster with room: retry at %v, want within the lease's hold (by %v)", at, clk.now.Add(time.Second))
	}
	for range 10 {
		if !sendTo(t, tabs[0], 10, 5) {
			t.Fatal("replica a refused a request within its lease")
		}
	}
	clk.advance(100 * time.Millisecond)
	exchange(0)
	exchange(1)
	next := clk.now.Truncate(time.Minute).Add(time.Minute)
	if at := retryAt(1); !at.Equal(next) {
		t.Errorf("cluster at its quota: retry at %v, want the next minute %v", at, next)
	}
}
