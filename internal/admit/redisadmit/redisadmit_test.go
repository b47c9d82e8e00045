package redisadmit

import (
	"context"
	"errors"
	"github.com/switchyard/switchyard/internal/redistest"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/limit"
	"github.com/switchyard/switchyard/internal/money"
)

const cent = money.PerDollar / 100

// everything is a key with rate limits and a budget of its own, under a
// tenant with both too: the four scopes one admission can fall under.
func everything(id string) *access.Principal {
	return &access.Principal{KeyID: "k_" + id, TenantID: "t_" + id,
		Limits:       access.Limits{RPM: 1000, TPM: 1 << 40, Concurrent: 100},
		TenantLimits: access.Limits{RPM: 5000, TPM: 1 << 40, Concurrent: 500},
		Budget:       access.Budget{USD: 100 * money.PerDollar, Period: "day", Hard: true},
		TenantBudget: access.Budget{USD: 1000 * money.PerDollar, Period: "month", TZ: "Europe/Berlin", Hard: true},
	}
}

// held reads the spend and holds of a principal's key and tenant budgets.
func held(t *testing.T, r *rig, who *access.Principal) (key, tenant budget.Status) {
	t.Helper()
	ctx := context.Background()
	read := func(scope string, set access.Budget) budget.Status {
		b, ok := r.Budget(scope, set)
		if !ok {
			t.Fatalf("budget of %s does not parse", scope)
		}
		st, err := r.Budgets.Status(ctx, b, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if !who.Budget.IsZero() {
		key = read("key:"+who.KeyID, who.Budget)
	}
	if !who.TenantBudget.IsZero() {
		tenant = read("tenant:"+who.TenantID, who.TenantBudget)
	}
	return key, tenant
}

// windowSum is what a rate-limit window in Redis holds ("" when the window
// does not exist: nothing was ever charged to it).
func windowSum(t *testing.T, c *redis.Client, prefix, scope, kind string) string {
	t.Helper()
	v, err := c.HGet(context.Background(), prefix+"l:"+scope, kind+"s").Result()
	if errors.Is(err, redis.Nil) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOneRoundTripPerAdmission: a key with rate limits and a budget, under
// a tenant with both, is admitted in exactly one Redis round trip (one
// EVALSHA, counted by a client hook), and that one trip took everything:
// the requests, tokens and concurrency of both scopes and a hold on both
// budgets.
func TestOneRoundTripPerAdmission(t *testing.T) {
	addr := sharedAddr(t)
	c, n := client(t, addr)
	prefix := testPrefix(t, addr)
	r := newRig(t, c, prefix, false, limit.Options{}, nil)
	who := everything("rt")
	ctx := context.Background()

	// The first admission on a Redis that has not seen the script loads it
	// (EVALSHA answered NOSCRIPT, then EVAL); every one after is one trip.
	tk, ref := r.Admit(ctx, &admit.Ask{Who: who, Tokens: 100, WorstCost: cent, Now: time.Now()})
	if ref != nil {
		t.Fatalf("refused: %+v", ref)
	}
	r.Finish(ctx, tk, 10, cent)

	const admissions = 20
	var tickets []*admit.Ticket
	for i := range admissions {
		before, _ := n.trips()
		tk, ref := r.Admit(ctx, &admit.Ask{Who: who, Tokens: 100, WorstCost: cent, Now: time.Now()})
		after, names := n.trips()
		if ref != nil {
			t.Fatalf("admission %d refused: %+v", i, ref)
		}
		if after-before != 1 || names[before] != "evalsha" {
			t.Fatalf("admission %d took %d round trips (%v), want one EVALSHA", i, after-before, names[before:])
		}
		if got := tk.Limits.Headers.RemainingRequests; got != 1000-int64(i)-2 {
			t.Errorf("admission %d: %d requests remaining, want %d (the key is the tighter scope)", i, got, 1000-i-2)
		}
		tickets = append(tickets, tk)
	}

	// Everything was taken, on both scopes, by those single trips.
	for _, w := range []struct{ scope, kind, want string }{
		{"key:k_rt", "r", "21"}, {"tenant:t_rt", "r", "21"},
		{"key:k_rt", "t", "2010"}, {"tenant:t_rt", "t", "2010"}, // 10 settled, then 20 × 100
		{"key:k_rt", "c", "20"}, {"tenant:t_rt", "c", "20"},
	} {
		if got := windowSum(t, c, prefix, w.scope, w.kind); got != w.want {
			t.Errorf("%s window %s holds %q, want %s", w.scope, w.kind, got, w.want)
		}
	}
	key, tenant := held(t, r, who)
	for _, st := range []budget.Status{key, tenant} {
		if st.Held != admissions*cent || st.Spent != cent {
			t.Errorf("budget spent %s held %s, want $0.01 spent and $0.20 held", st.Spent, st.Held)
		}
	}

	before, _ := n.trips()
	for _, tk := range tickets {
		r.Finish(ctx, tk, 50, cent)
	}
	after, names := n.trips()
	// Settlement is one trip too: the rate limits and the budget holds of
	// both scopes in one EVALSHA.
	if after-before != admissions {
		t.Errorf("settling %d admissions took %d round trips (%v), want one each", admissions, after-before, names[before:])
	}
	for _, name := range names[before:after] {
		if name != "evalsha" {
			t.Errorf("settlement sent %q, want EVALSHA", name)
		}
	}
	key, tenant = held(t, r, who)
	for _, st := range []budget.Status{key, tenant} {
		if st.Held != 0 || st.Spent != (admissions+1)*cent {
			t.Errorf("after settling: spent %s held %s, want $0.21 spent, nothing held", st.Spent, st.Held)
		}
	}
	if got := windowSum(t, c, prefix, "key:k_rt", "c"); got != "0" {
		t.Errorf("concurrency after settling: %q, want 0", got)
	}
}

// TestAllOrNothing: when any limit or hard budget refuses, nothing is
// taken: no rate-limit window is charged and no budget is held.
func TestAllOrNothing(t *testing.T) {
	addr := sharedAddr(t)
	c, _ := client(t, addr)
	ctx := context.Background()
	dollar := money.PerDollar
	tests := []struct {
		name    string
		who     access.Principal
		ask     admit.Ask
		before  int // admissions that pass first (and stay in flight)
		status  int
		code    string
		names   string      // the scope the refusal names
		keyHeld money.Nanos // holds left on the key's and tenant's budgets
		tenHeld money.Nanos
		charged string // the key's request window afterwards ("" never charged)
	}{
		{name: "tenant budget refuses, the key's limits are not charged",
			who: access.Principal{KeyID: "k", TenantID: "t", Limits: access.Limits{RPM: 5, TPM: 1000, Concurrent: 1},
				TenantBudget: access.Budget{USD: dollar, Period: "day", Hard: true}},
			ask:    admit.Ask{Tokens: 100, WorstCost: 2 * dollar},
			status: http.StatusPaymentRequired, code: "budget_exceeded", names: "tenant:t"},
		{name: "key budget refuses, the tenant's budget is not held",
			who: access.Principal{KeyID: "k", TenantID: "t", TenantLimits: access.Limits{RPM: 5},
				Budget: access.Budget{USD: dollar, Period: "month", Hard: true}, TenantBudget: access.Budget{USD: 10 * dollar, Period: "month", Hard: true}},
			ask: admit.Ask{Tokens: 100, WorstCost: 2 * dollar}, status: http.StatusPaymentRequired, code: "budget_exceeded", names: "key:k"},
		{name: "budget full after two holds",
			who: access.Principal{KeyID: "k", TenantID: "t", Limits: access.Limits{RPM: 5},
				Budget: access.Budget{USD: dollar, Period: "week", Hard: true}, TenantBudget: access.Budget{USD: 10 * dollar, Period: "lifetime", Hard: true}},
			ask: admit.Ask{Tokens: 100, WorstCost: 4 * dollar / 10}, before: 2, status: http.StatusPaymentRequired, code: "budget_exceeded",
			names: "key:k", keyHeld: 8 * dollar / 10, tenHeld: 8 * dollar / 10, charged: "2"},
		{name: "key rpm refuses, no budget is held",
			who: access.Principal{KeyID: "k", TenantID: "t", Limits: access.Limits{RPM: 1},
				Budget: access.Budget{USD: 10 * dollar, Period: "day", Hard: true}, TenantBudget: access.Budget{USD: 10 * dollar, Period: "day", Hard: true}},
			ask: admit.Ask{Tokens: 100, WorstCost: dollar}, before: 1, status: http.StatusTooManyRequests, code: "rate_limit_exceeded",
			names: "key:k", keyHeld: dollar, tenHeld: dollar, charged: "1"},
		{name: "tenant concurrency refuses, no budget is held",
			who: access.Principal{KeyID: "k", TenantID: "t", Limits: access.Limits{RPM: 100}, TenantLimits: access.Limits{Concurrent: 2},
				TenantBudget: access.Budget{USD: 10 * dollar, Period: "day", Hard: true}},
			ask: admit.Ask{Tokens: 100, WorstCost: dollar}, before: 2, status: http.StatusTooManyRequests, code: "rate_limit_exceeded",
			names: "tenant:t", tenHeld: 2 * dollar, charged: "2"},
		{name: "a request over the tpm alone: 400, nothing held",
			who: access.Principal{KeyID: "k", TenantID: "t", Limits: access.Limits{RPM: 5, TPM: 100},
				TenantBudget: access.Budget{USD: 10 * dollar, Period: "day", Hard: true}},
			ask: admit.Ask{Tokens: 1000, WorstCost: dollar}, status: http.StatusBadRequest, code: "request_exceeds_limit", names: "key:k"},
		{name: "a soft budget never refuses",
			who: access.Principal{KeyID: "k", TenantID: "t", Limits: access.Limits{RPM: 5},
				Budget: access.Budget{USD: 1, Period: "day"}},
			ask: admit.Ask{Tokens: 100, WorstCost: dollar}, before: 1, keyHeld: 2 * dollar, charged: "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := testPrefix(t, addr)
			r := newRig(t, c, prefix, false, limit.Options{}, nil)
			tt.ask.Who, tt.ask.Now = &tt.who, time.Now()
			for i := range tt.before {
				if _, ref := r.Admit(ctx, &tt.ask); ref != nil {
					t.Fatalf("admission %d refused: %+v", i, ref)
				}
			}
			_, ref := r.Admit(ctx, &tt.ask)
			switch {
			case tt.status == 0 && ref != nil:
				t.Fatalf("refused: %+v", ref)
			case tt.status != 0 && (ref == nil || ref.Status != tt.status || ref.Code != tt.code || !strings.Contains(ref.Message, tt.names)):
				t.Fatalf("got %+v, want %d %s naming %s", ref, tt.status, tt.code, tt.names)
			}
			if r.lf.Unavailable() || r.bf.Down() {
				t.Fatal("a refusal marked Redis down")
			}
			key, tenant := held(t, r, &tt.who)
			if key.Held != tt.keyHeld || tenant.Held != tt.tenHeld {
				t.Errorf("held key %s tenant %s, want %s and %s", key.Held, tenant.Held, tt.keyHeld, tt.tenHeld)
			}
			if got := windowSum(t, c, prefix, "key:k", "r"); !tt.who.Limits.IsZero() && tt.who.Limits.RPM > 0 && got != tt.charged {
				t.Errorf("key request window %q, want %q", got, tt.charged)
			}
			if tt.charged == "" {
				if keys, _ := c.Keys(ctx, prefix+"l:*").Result(); len(keys) > 0 {
					t.Errorf("a refused admission left rate-limit windows: %v", keys)
				}
			}
		})
	}
}

// TestJointMatchesSplit runs one random run of admissions and settlements
// through the joint script and through the two scripts it replaces, on
// separate books and one virtual clock: every answer (status, code, what it
// names, rate-limit headers) and the books at the end are the same.
func TestJointMatchesSplit(t *testing.T) {
	addr := sharedAddr(t)
	c, _ := client(t, addr)
	ctx := context.Background()
	clk := time.Now()
	o := limit.Options{Now: func() time.Time { return clk }}
	joint := newRig(t, c, testPrefix(t, addr), false, o, nil)
	two := split(t, c, testPrefix(t, addr), o)
	who := &access.Principal{KeyID: "k", TenantID: "t",
		Limits:       access.Limits{RPM: 12, TPM: 30000, Concurrent: 4},
		TenantLimits: access.Limits{RPM: 20, Concurrent: 6},
		Budget:       access.Budget{USD: 4 * money.PerDollar, Period: "day", Hard: true},
		TenantBudget: access.Budget{USD: 6 * money.PerDollar, Period: "month", Hard: true},
	}
	rng := rand.New(rand.NewPCG(9, 9))
	type flight struct{ a, b *admit.Ticket }
	var inflight []flight
	admitted := map[int]int{}
	for step := range 300 {
		clk = clk.Add(time.Duration(rng.IntN(6000)) * time.Millisecond)
		ask := admit.Ask{Who: who, Tokens: 100 + rng.Int64N(2000), WorstCost: money.Nanos(rng.Int64N(int64(15 * cent))), Now: time.Now()}
		if rng.IntN(25) == 0 {
			ask.Tokens = 40000 // over the key's TPM alone
		}
		ta, ra := joint.Admit(ctx, &ask)
		tb, rb := two.Admit(ctx, &ask)
		if (ra == nil) != (rb == nil) {
			t.Fatalf("step %d: joint %+v, split %+v", step, ra, rb)
		}
		if ra != nil {
			admitted[ra.Status]++
			if ra.Status != rb.Status || ra.Code != rb.Code || ra.Message != rb.Message || ra.Limits.Headers != rb.Limits.Headers || ra.RetryAfter != rb.RetryAfter {
				t.Fatalf("step %d: joint %+v\nsplit %+v", step, ra, rb)
			}
		} else {
			admitted[http.StatusOK]++
			if ta.Limits.Headers != tb.Limits.Headers {
				t.Fatalf("step %d: headers joint %+v, split %+v", step, ta.Limits.Headers, tb.Limits.Headers)
			}
			inflight = append(inflight, flight{ta, tb})
		}
		for len(inflight) > 0 && rng.IntN(3) > 0 {
			i := rng.IntN(len(inflight))
			f := inflight[i]
			inflight = append(inflight[:i], inflight[i+1:]...)
			tokens, cost := rng.Int64N(3000), money.Nanos(rng.Int64N(int64(10*cent)))
			joint.Finish(ctx, f.a, tokens, cost)
			two.Finish(ctx, f.b, tokens, cost)
		}
	}
	t.Logf("answers: %v", admitted)
	if admitted[http.StatusOK] < 30 || admitted[http.StatusTooManyRequests] < 10 || admitted[http.StatusPaymentRequired] < 10 || admitted[http.StatusBadRequest] == 0 {
		t.Errorf("the run did not try every outcome: %v", admitted)
	}
	for _, scope := range []struct {
		name string
		set  access.Budget
	}{{"key:k", who.Budget}, {"tenant:t", who.TenantBudget}} {
		b, _ := joint.Budget(scope.name, scope.set)
		sa, _ := joint.Budgets.Status(ctx, b, time.Now())
		sb, _ := two.Budgets.Status(ctx, b, time.Now())
		if sa.Spent != sb.Spent || sa.Held != sb.Held {
			t.Errorf("%s: joint spent %s held %s, split spent %s held %s", scope.name, sa.Spent, sa.Held, sb.Spent, sb.Held)
		}
	}
}

// TestBudgetRaceAcrossReplicas: the budget race through the joint
// script on two replicas (two clients, two admitters, one Redis): a $1.00
// hard budget, 1,000 concurrent requests of one cent under rate limits too.
// Spend never passes $1.00, 95 to 100 get through, nothing stays held.
func TestBudgetRaceAcrossReplicas(t *testing.T) {
	addr := sharedAddr(t)
	prefix := testPrefix(t, addr)
	var replicas []*rig
	for range 2 {
		c, _ := client(t, addr)
		replicas = append(replicas, newRig(t, c, prefix, false, limit.Options{}, nil))
	}
	who := &access.Principal{KeyID: "k", TenantID: "t",
		Limits:       access.Limits{RPM: 100000, Concurrent: 2000},
		TenantBudget: access.Budget{USD: money.PerDollar, Period: "month", Hard: true}}
	ctx := context.Background()
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := replicas[i%2]
			tk, ref := r.Admit(ctx, &admit.Ask{Who: who, Tokens: 10, WorstCost: cent, Now: time.Now()})
			if ref != nil {
				if ref.Status != http.StatusPaymentRequired {
					t.Errorf("refused %+v, want 402", ref)
				}
				refused.Add(1)
				return
			}
			ok.Add(1)
			r.Finish(ctx, tk, 10, cent)
		}()
	}
	close(start)
	wg.Wait()
	_, st := held(t, replicas[0], who)
	if st.Spent > money.PerDollar || st.Spent != money.Nanos(ok.Load())*cent || st.Held != 0 {
		t.Errorf("spent %s held %s after %d admitted: want at most $1.00 and nothing held", st.Spent, st.Held, ok.Load())
	}
	if n := ok.Load(); n < 95 || n > 100 || n+refused.Load() != 1000 {
		t.Errorf("%d admitted, %d refused; want 95..100 admitted", n, refused.Load())
	}
}

// TestRedisFaults stops Redis mid-run. The joint script's failure switches
// both halves' fallbacks at once: failing closed, admissions get 503 and
// stop calling the dead server; failing open, they run under this replica's
// own limits and books. When Redis returns both recover by themselves and
// admission is one round trip again.
func TestRedisFaults(t *testing.T) {
	srv := redistest.Start(t, 0)
	redis.SetLogger(quiet{}) // the client logs every failed dial
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	cc, nc := client(t, srv.Addr())
	co, no := client(t, srv.Addr())
	closed := newRig(t, cc, "", false, limit.Options{}, log)
	open := newRig(t, co, "", true, limit.Options{}, log)
	ctx := context.Background()
	who := &access.Principal{KeyID: "k", TenantID: "t", Limits: access.Limits{RPM: 5},
		TenantBudget: access.Budget{USD: 100 * money.PerDollar, Period: "month", Hard: true}}
	ask := func() *admit.Ask { return &admit.Ask{Who: who, Tokens: 10, WorstCost: cent, Now: time.Now()} }

	for _, r := range []*rig{closed, open} {
		tk, ref := r.Admit(ctx, ask())
		if ref != nil {
			t.Fatalf("with Redis up: %+v", ref)
		}
		r.Finish(ctx, tk, 10, cent)
	}

	srv.Stop()

	ref := func() *admit.Refusal { _, ref := closed.Admit(ctx, ask()); return ref }()
	if ref == nil || ref.Status != http.StatusServiceUnavailable || ref.Code != "admission_unavailable" || !strings.Contains(ref.Message, "unreachable") {
		t.Fatalf("failing closed with Redis down: %+v, want 503 admission_unavailable", ref)
	}
	if !closed.lf.Unavailable() || !closed.bf.Down() {
		t.Fatalf("the joint failure did not switch both fallbacks: limits down %v, budgets down %v", closed.lf.Unavailable(), closed.bf.Down())
	}
	before, _ := nc.trips()
	if _, ref := closed.Admit(ctx, ask()); ref == nil || ref.Status != http.StatusServiceUnavailable {
		t.Fatalf("failing closed, known down: %+v", ref)
	}
	if after, names := nc.trips(); after != before {
		t.Errorf("failing closed, known down: %d round trips to the dead server (%v), want none until the probe", after-before, names[before:])
	}

	served, limited := 0, 0
	for range 7 {
		tk, ref := open.Admit(ctx, ask())
		switch {
		case ref == nil:
			served++
			open.Finish(ctx, tk, 10, cent)
		case ref.Status == http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("failing open with Redis down: %+v", ref)
		}
	}
	if served != 5 || limited != 2 {
		t.Errorf("failing open: %d served, %d limited; want 5 under the local 5 RPM, then 429", served, limited)
	}
	_, tenant := held(t, open, who)
	if tenant.Spent != 5*cent {
		t.Errorf("failing open: local books spent %s, want $0.05", tenant.Spent)
	}

	redistest.Start(t, srv.Port()) // back on the same address, empty
	for _, r := range []*rig{closed, open} {
		deadline := time.Now().Add(10 * time.Second)
		for r.lf.Unavailable() || r.bf.Down() {
			if time.Now().After(deadline) {
				t.Fatalf("not recovered 10s after Redis returned: limits down %v, budgets down %v", r.lf.Unavailable(), r.bf.Down())
			}
			if tk, ref := r.Admit(ctx, ask()); ref == nil {
				r.Finish(ctx, tk, 10, cent)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Back on the joint script: the first admission loads it into the new
	// server (NOSCRIPT, then EVAL), the next is one round trip. (A fresh
	// key: the recovery above may have spent this one's RPM.)
	who = &access.Principal{KeyID: "k2", TenantID: "t", Limits: access.Limits{RPM: 100}, TenantBudget: who.TenantBudget}
	for _, x := range []struct {
		r *rig
		n *counter
	}{{closed, nc}, {open, no}} {
		for i, want := range []int{2, 1} {
			before, _ := x.n.trips()
			tk, ref := x.r.Admit(ctx, ask())
			after, names := x.n.trips()
			if ref != nil || after-before > want || (want == 1 && names[before] != "evalsha") {
				t.Fatalf("after recovery, admission %d: %+v in %d round trips (%v), want admitted in %d", i, ref, after-before, names[before:], want)
			}
			x.r.Finish(ctx, tk, 10, cent)
		}
	}
	out := logs.String()
	if strings.Count(out, "level=ERROR") != 4 || strings.Count(out, "reachable again") != 4 {
		t.Errorf("want one down and one up line per fallback (two replicas × limits, budgets), got:\n%s", out)
	}
}

// TestHangUpIsNotAnOutage: a caller whose context is cancelled gets its
// answer, and Redis is not taken for down (that would fail the replica
// closed for everyone).
func TestHangUpIsNotAnOutage(t *testing.T) {
	addr := sharedAddr(t)
	c, _ := client(t, addr)
	r := newRig(t, c, testPrefix(t, addr), false, limit.Options{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ref := r.Admit(ctx, &admit.Ask{Who: everything("hup"), Tokens: 10, WorstCost: cent, Now: time.Now()})
	if ref == nil || ref.Status != http.StatusServiceUnavailable {
		t.Fatalf("cancelled admission: %+v, want 503", ref)
	}
	if r.lf.Unavailable() || r.bf.Down() {
		t.Fatal("a cancelled caller marked Redis down")
	}
}

func TestPrefixNeedsHashTag(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, p := range []string{"sy:budget:", "sy:{}:", "sy:{budget:"} {
		if _, err := New(c, p, nil, limit.Options{}); err == nil || !strings.Contains(err.Error(), "hash tag") {
			t.Errorf("New(%q) = %v, want an error naming the missing hash tag", p, err)
		}
	}
	if j, err := New(c, "", nil, limit.Options{}); err != nil || j.Limits == nil || j.Budgets == nil {
		t.Errorf("New with the default prefix: %v", err)
	}
}
