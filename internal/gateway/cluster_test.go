package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/switchyard/switchyard/internal/redistest"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/admin"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// The cluster acceptance tests of issue 9: replicas are gateway.Gateway
// instances, each with its own data directory, over one Postgres schema
// (replicaPostgres) and one Redis.
//
// Redis isolation: the gateway keeps its Redis keys under fixed prefixes,
// and every key names its scope ("tenant:t_…", "key:k_…"). Tenant and key
// ids are random, so tests sharing one Redis never touch each other's books;
// forgetScopes deletes a test's keys when it ends. Tests that break Redis
// run their own redis-server.

const clusterToken = "admin-token-cluster"

// cent is what every request of the budget race costs: max_tokens output
// tokens at centOutput, input free.
const (
	cent          = money.PerDollar / 100
	raceMaxTokens = 10
	centOutput    = money.Price(int64(cent) / raceMaxTokens)
)

// sharedRedis is the redis:// URL of the Redis the tests share
// (SWITCHYARD_TEST_REDIS, host:port, default 127.0.0.1:6379); it skips, or
// fails under SWITCHYARD_REQUIRE_SERVICES=1, when nothing answers there.
func sharedRedis(t *testing.T) (string, *redis.Client) {
	t.Helper()
	addr := os.Getenv("SWITCHYARD_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	url := addr
	if !strings.Contains(url, "://") {
		url = "redis://" + addr
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("SWITCHYARD_TEST_REDIS %q: %v", addr, err)
	}
	c := redis.NewClient(o)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		msg := fmt.Sprintf("no Redis at %s (%v): set SWITCHYARD_TEST_REDIS=host:port", addr, err)
		if os.Getenv("SWITCHYARD_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { c.Close() })
	return url, c
}

// forgetScopes deletes, when the test ends, every Redis key that names one
// of ids (a tenant's or key's books and windows).
func forgetScopes(t *testing.T, c *redis.Client, ids ...string) {
	t.Cleanup(func() {
		ctx := context.Background()
		for _, id := range ids {
			iter := c.Scan(ctx, 0, "*"+id+"*", 1000).Iterator()
			for iter.Next(ctx) {
				c.Del(ctx, iter.Val())
			}
		}
	})
}

// clusterConfig is one replica's config: the "chat" model on the emulator,
// priced so that raceMaxTokens output tokens cost one cent and input is
// free, over pg (empty: the replica's own SQLite) and redisURL (empty: one
// node, limits and budgets in memory).
func clusterConfig(emuURL, pg, redisURL string, failOpen bool) *config.Config {
	d := deployment("cloud", "native-model")
	d.Price = config.Price{Input: 0, Output: centOutput, Set: config.PriceFields{Input: true, Output: true}}
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emuURL)}, config.Model{Name: "chat", Deployments: []config.Deployment{d}})
	cfg.Admin.Token = clusterToken
	cfg.Store.Postgres = pg
	cfg.KeysPepper = "a-pepper-the-cluster-shares"
	cfg.Cluster.Redis = redisURL
	cfg.Cluster.FailOpen = failOpen
	return cfg
}

// startReplicas starts n gateways from mk, each with its own data directory.
func startReplicas(t *testing.T, n int, mk func() *config.Config) []*gateway.Gateway {
	t.Helper()
	var gs []*gateway.Gateway
	for i := range n {
		g, logs, _ := startLogged(t, mk())
		gs = append(gs, g)
		// A failed test shows why admission failed, if it did.
		t.Cleanup(func() {
			if !t.Failed() {
				return
			}
			shown := 0
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, `"level":"WARN"`) {
					if shown++; shown <= 5 {
						t.Logf("replica %d: %.400s", i, l)
					}
				}
			}
		})
	}
	return gs
}

// newTenantKey creates a tenant and a key on gs[0] with the given JSON
// bodies and waits until every replica accepts the key (GET /v1/key, which
// costs nothing). It returns the tenant id, key id and secret.
func newTenantKey(t *testing.T, gs []*gateway.Gateway, tenant, key string) (tid, kid, secret string) {
	t.Helper()
	tid = mustAdmin(t, gs[0], clusterToken, 201, "POST", "/admin/v1/tenants", tenant)["id"].(string)
	k := mustAdmin(t, gs[0], clusterToken, 201, "POST", "/admin/v1/tenants/"+tid+"/keys", key)
	kid, secret = k["id"].(string), k["key"].(string)
	for _, g := range gs {
		eventually(t, "the key reaches every replica", func() bool {
			code, _ := keyInfo(t, g, secret)
			return code == http.StatusOK
		})
	}
	return tid, kid, secret
}

// answer is what the tests read of a chat completion or its refusal.
type answer struct {
	Status     int
	RetryAfter string
	Finish     string
	Completion int64
	Code, Type string
	Message    string
}

// hammer is an HTTP client for many concurrent requests: one connection
// per request in flight, kept for the next.
var hammer = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}, Timeout: 2 * time.Minute}

// chatRaw sends one chat completion asking for raceMaxTokens tokens.
func chatRaw(g *gateway.Gateway, key string) (answer, error) {
	body := `{"model":"chat","max_tokens":` + strconv.Itoa(raceMaxTokens) + `,"messages":[{"role":"user","content":"Spend one cent."}]}`
	req, _ := http.NewRequest("POST", g.URL()+"/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hammer.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	var out struct {
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			Completion int64 `json:"completion_tokens"`
		} `json:"usage"`
		Error *struct {
			Message, Type string
			Code          string
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return answer{}, fmt.Errorf("status %d, body %q: %w", resp.StatusCode, b, err)
	}
	a := answer{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Completion: out.Usage.Completion}
	if len(out.Choices) > 0 {
		a.Finish = out.Choices[0].FinishReason
	}
	if out.Error != nil {
		a.Code, a.Type, a.Message = out.Error.Code, out.Error.Type, out.Error.Message
	}
	return a, nil
}

// parseUSD reads a decimal dollar string ("0.99", "1") as nano-dollars.
func parseUSD(t *testing.T, s string) money.Nanos {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 9 {
		t.Fatalf("USD %q: more than nine decimals", s)
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("USD %q does not parse", s)
	}
	return money.Nanos(w)*money.PerDollar + money.Nanos(f)
}

// budgetRace is the budget race of issue 9 over gs: a tenant with a $1.00
// hard monthly budget sends 1,000 concurrent requests, spread over the
// replicas, each costing exactly one cent (the emulator answers max_tokens
// tokens, so the worst case held at admission is the actual cost). Spend
// never exceeds $1.00, 95 to 100 succeed, every other one is a 402 naming
// the budget, and afterwards no hold is left.
func budgetRace(t *testing.T, gs []*gateway.Gateway) (tid, kid string) {
	t.Helper()
	const requests = 1000
	tid, kid, secret := newTenantKey(t, gs, `{"name":"race","budget":{"usd":"1.00","period":"month","hard":true}}`, `{"name":"racer"}`)

	answers := make([]answer, requests)
	errs := make([]error, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i], errs[i] = chatRaw(gs[i%len(gs)], secret)
		}()
	}
	close(start)
	wg.Wait()

	succeeded, refused, other := 0, 0, 0
	for i, a := range answers {
		switch {
		case errs[i] != nil:
			t.Errorf("request %d: %v", i, errs[i])
		case a.Status == http.StatusOK:
			succeeded++
			if a.Completion != raceMaxTokens || a.Finish != "length" {
				t.Errorf("request %d: %d completion tokens, finish %q; want %d and length (the cost must equal the hold)",
					i, a.Completion, a.Finish, raceMaxTokens)
			}
		case a.Status == http.StatusPaymentRequired && a.Code == "budget_exceeded" && strings.Contains(a.Message, "tenant:"+tid) &&
			strings.Contains(a.Message, "month"):
			refused++
		default:
			if other++; other <= 5 { // the first few tell why
				t.Errorf("request %d: %+v, want 200 or a 402 naming budget tenant:%s", i, a, tid)
			}
		}
	}
	t.Logf("%d replica(s): %d of %d succeeded, %d refused by the budget", len(gs), succeeded, requests, refused)
	if succeeded < 95 || succeeded > 100 {
		t.Errorf("%d succeeded, want 95 to 100 at one cent each under $1.00", succeeded)
	}
	if succeeded+refused != requests {
		t.Errorf("%d succeeded + %d refused by the budget != %d", succeeded, refused, requests)
	}

	// No hold is left on any replica, and the books say what was served.
	ctx := context.Background()
	set := access.Budget{USD: money.PerDollar, Period: "month", Hard: true}
	for i, g := range gs {
		b, ok := g.Admitter.Budget("tenant:"+tid, set)
		if !ok {
			t.Fatal("the tenant's budget does not parse")
		}
		eventually(t, fmt.Sprintf("replica %d's holds settle", i), func() bool {
			st, err := g.Admitter.Budgets.Status(ctx, b, time.Now())
			return err == nil && st.Held == 0
		})
		st, _ := g.Admitter.Budgets.Status(ctx, b, time.Now())
		if want := money.Nanos(succeeded) * cent; st.Spent != want || st.Spent > money.PerDollar {
			t.Errorf("replica %d: budget spent %s, want %s (≤ $1.00)", i, st.Spent, want)
		}
		_, info := keyInfo(t, g, secret)
		spent, _ := info["data"].(map[string]any)["budget"].(map[string]any)["spend_usd"].(string)
		if s := parseUSD(t, spent); s != money.Nanos(succeeded)*cent || s > money.PerDollar {
			t.Errorf("replica %d: GET /v1/key spend_usd %q, want %s", i, spent, money.Nanos(succeeded)*cent)
		}
	}

	// The store (shared, or the one node's) has every served request, at
	// one cent each, and nothing more.
	var row store.UsageRow
	eventually(t, "every served request reaches the store", func() bool {
		rows, err := gs[0].Store.Usage(ctx, store.UsageQuery{GroupBy: []string{"tenant"}})
		if err != nil {
			return false
		}
		for _, r := range rows {
			if r.Group["tenant"] == tid {
				row = r
			}
		}
		return row.Completed == int64(succeeded)
	})
	if row.Cost > money.PerDollar || row.Cost != money.Nanos(succeeded)*cent || row.Attempts != int64(succeeded) {
		t.Errorf("store: tenant %s cost %s over %d attempts, want %s over %d (≤ $1.00)", tid, row.Cost, row.Attempts,
			money.Nanos(succeeded)*cent, succeeded)
	}
	return tid, kid
}

// TestBudgetRaceOneNode: the budget race on one gateway, limits and
// budgets in memory.
func TestBudgetRaceOneNode(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	gs := startReplicas(t, 1, func() *config.Config { return clusterConfig(emu.URL, "", "", false) })
	budgetRace(t, gs)
}

// TestBudgetRaceAcrossReplicas: the budget race over two replicas sharing
// Postgres and Redis, requests alternating between them.
func TestBudgetRaceAcrossReplicas(t *testing.T) {
	pg := replicaPostgres(t)
	rurl, rc := sharedRedis(t)
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	gs := startReplicas(t, 2, func() *config.Config { return clusterConfig(emu.URL, pg, rurl, false) })
	tid, kid := budgetRace(t, gs)
	forgetScopes(t, rc, tid, kid)
}

// TestRateLimitAcrossReplicas: a 600 RPM key sends 2,000 requests spread
// over two replicas as fast as they answer; 600 ± 1% are admitted, and
// every other one is a 429 with Retry-After.
func TestRateLimitAcrossReplicas(t *testing.T) {
	const requests, rpm, workers = 2000, 600, 32
	pg := replicaPostgres(t)
	rurl, rc := sharedRedis(t)
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	gs := startReplicas(t, 2, func() *config.Config { return clusterConfig(emu.URL, pg, rurl, false) })
	tid, kid, secret := newTenantKey(t, gs, `{"name":"busy"}`, `{"name":"rpm600","limits":{"rpm":600}}`)
	forgetScopes(t, rc, tid, kid)

	var mu sync.Mutex
	admitted, limited := 0, 0
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a, err := chatRaw(gs[i%2], secret)
				mu.Lock()
				switch {
				case err != nil:
					t.Errorf("request %d: %v", i, err)
				case a.Status == http.StatusOK:
					admitted++
				case a.Status == http.StatusTooManyRequests && a.Code == "rate_limit_exceeded" && a.RetryAfter != "":
					limited++
				default:
					t.Errorf("request %d: %+v, want 200 or 429 with Retry-After", i, a)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range requests {
		next <- i
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d admitted, %d limited, in %v", admitted, limited, took)
	if took >= time.Minute {
		// The window slides: past a minute more is rightly admitted.
		t.Fatalf("2,000 requests took %v, past the one minute the bound holds for", took)
	}
	if admitted < rpm*99/100 || admitted > rpm*101/100 {
		t.Errorf("admitted %d of %d at %d RPM over two replicas, want %d ± 1%%", admitted, requests, rpm, rpm)
	}
	if admitted+limited != requests {
		t.Errorf("%d admitted + %d limited != %d", admitted, limited, requests)
	}
}

// TestHangUpReleasesHolds: a client that hangs up mid-stream leaves no
// budget hold and no concurrency lease behind in Redis (each would refuse
// requests that should pass: a phantom 402 or 429 until it expires), and
// does not make the replica think Redis is down.
func TestHangUpReleasesHolds(t *testing.T) {
	rurl, rc := sharedRedis(t)
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{TPS: 10}) // ten tokens take a second
	gs := startReplicas(t, 1, func() *config.Config { return clusterConfig(emu.URL, "", rurl, false) })
	g := gs[0]
	tid, kid, secret := newTenantKey(t, gs, `{"name":"quitter","budget":{"usd":"0.015","period":"month","hard":true}}`,
		`{"name":"one-at-a-time","limits":{"concurrent":1}}`)
	forgetScopes(t, rc, tid, kid)

	ctx, cancel := context.WithCancel(context.Background())
	body := `{"model":"chat","stream":true,"max_tokens":` + strconv.Itoa(raceMaxTokens) + `,"messages":[{"role":"user","content":"Stream, then be cut."}]}`
	req, _ := http.NewRequestWithContext(ctx, "POST", g.URL()+"/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %v %v", resp, err)
	}
	buf := make([]byte, 64)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel() // hang up after the first bytes
	resp.Body.Close()

	set := access.Budget{USD: money.PerDollar * 15 / 1000, Period: "month", Hard: true}
	b, _ := g.Admitter.Budget("tenant:"+tid, set)
	eventually(t, "the hung-up request's hold is settled", func() bool {
		st, err := g.Admitter.Budgets.Status(context.Background(), b, time.Now())
		return err == nil && st.Held == 0
	})
	// Its cost is under a cent, so one more cent fits the budget, and the
	// concurrency lease is back.
	a, err := chatRaw(g, secret)
	if err != nil || a.Status != http.StatusOK {
		t.Fatalf("after a hang-up: %+v %v, want 200 (no leaked lease or hold, Redis not marked down)", a, err)
	}
}

// ownRedis runs a private redis-server on addr (127.0.0.1:port) for a test
// that stops it (redistest.Start: it skips, or fails under
// SWITCHYARD_REQUIRE_SERVICES=1, without redis-server on PATH). stop kills
// it; it is also stopped at cleanup.
func ownRedis(t *testing.T, addr string) (stop func()) {
	t.Helper()
	_, p, _ := net.SplitHostPort(addr)
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("ownRedis %q: %v", addr, err)
	}
	return redistest.Start(t, port).Stop
}

// messagesRaw sends one Anthropic Messages request and returns its status
// and the error message of an Anthropic error envelope.
func messagesRaw(t *testing.T, g *gateway.Gateway, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", g.URL()+"/messages",
		strings.NewReader(`{"model":"chat","max_tokens":10,"messages":[{"role":"user","content":"Hello."}]}`))
	req.Header.Set("x-api-key", key)
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("Content-Type", "application/json")
	resp, err := hammer.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if out.Type != "error" && resp.StatusCode != http.StatusOK {
		t.Errorf("POST /v1/messages: %d without an Anthropic error envelope", resp.StatusCode)
	}
	return resp.StatusCode, out.Error.Message
}

// TestRedisFaults stops the cluster's Redis mid-run under two replicas.
// Failing closed, every request gets a 503 in its client's envelope saying
// the shared store is unreachable; failing open, each replica keeps serving
// under its own local limits. When Redis returns on the same address, both
// replicas use it again without a restart, and the key's limit is shared
// again: the replicas together admit at most its RPM.
func TestRedisFaults(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail_open=%v", failOpen), func(t *testing.T) {
			const rpm = 5
			addr := closedPort(t)
			stop := ownRedis(t, addr)
			pg := replicaPostgres(t)
			emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
			gs := startReplicas(t, 2, func() *config.Config { return clusterConfig(emu.URL, pg, "redis://"+addr, failOpen) })
			_, _, secret := newTenantKey(t, gs, `{"name":"faulty","budget":{"usd":"100","period":"month","hard":true}}`,
				fmt.Sprintf(`{"name":"rpm%d","limits":{"rpm":%d}}`, rpm, rpm))
			for i, g := range gs {
				if a, err := chatRaw(g, secret); err != nil || a.Status != http.StatusOK {
					t.Fatalf("replica %d with Redis up: %+v %v", i, a, err)
				}
			}

			stop()
			for i, g := range gs {
				if !failOpen {
					a, err := chatRaw(g, secret)
					if err != nil || a.Status != http.StatusServiceUnavailable || a.Code != "admission_unavailable" ||
						!strings.Contains(a.Message, "unreachable") || a.RetryAfter == "" {
						t.Errorf("replica %d, Redis down, failing closed: %+v %v; want 503 admission_unavailable saying the store is unreachable, with Retry-After", i, a, err)
					}
					if code, msg := messagesRaw(t, g, secret); code != http.StatusServiceUnavailable || !strings.Contains(msg, "unreachable") {
						t.Errorf("replica %d, Redis down, Anthropic client: %d %q, want 503 in Anthropic's envelope", i, code, msg)
					}
					continue
				}
				// Failing open: this replica's own limiter admits the key's
				// RPM, then refuses.
				served := 0
				var last answer
				for range rpm + 2 {
					a, err := chatRaw(g, secret)
					if err != nil {
						t.Fatal(err)
					}
					if a.Status == http.StatusOK {
						served++
					}
					last = a
				}
				if served != rpm || last.Status != http.StatusTooManyRequests || last.RetryAfter == "" {
					t.Errorf("replica %d, Redis down, failing open: %d served then %+v; want %d under local limits, then 429", i, served, last, rpm)
				}
			}

			ownRedis(t, addr)
			// Each replica turns back to Redis by itself: failing closed, its
			// 503s stop; failing open, its local limiter (spent) no longer
			// decides. Redis came back empty, so these count toward its RPM.
			admitted, unavailable := 0, 0
			for i, g := range gs {
				var a answer
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					var err error
					if a, err = chatRaw(g, secret); err != nil {
						t.Fatal(err)
					}
					if a.Status == http.StatusServiceUnavailable {
						unavailable++
					}
					if a.Status == http.StatusOK {
						break
					}
				}
				if a.Status != http.StatusOK {
					t.Fatalf("replica %d: no request served within 10s of Redis returning: %+v", i, a)
				}
				admitted++
			}
			// Shared again: both replicas together admit at most the RPM
			// (requests refused with 503 just after the return may have
			// counted toward it), then both refuse.
			refused := map[int]bool{}
			for i := 0; len(refused) < 2 && i < 4*rpm; i++ {
				a, err := chatRaw(gs[i%2], secret)
				switch {
				case err != nil:
					t.Fatal(err)
				case a.Status == http.StatusOK:
					admitted++
				case a.Status == http.StatusTooManyRequests:
					refused[i%2] = true
				default:
					t.Errorf("after recovery: %+v", a)
				}
			}
			if len(refused) < 2 || admitted > rpm || admitted < rpm-unavailable {
				t.Errorf("after Redis returned: %d admitted over both replicas (%d refused 503 meanwhile), refusing on %v; want %d shared",
					admitted, unavailable, refused, rpm)
			}
		})
	}
}

// adminRoutes lists every route the admin package registers ("METHOD
// /path"), read from its source so that an endpoint added later is tried
// too, with the tenant routes it exports.
func adminRoutes(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../admin/*.go")
	pattern := regexp.MustCompile(`"((?:GET|POST|PATCH|PUT|DELETE) /(?:admin/v1/[^"]*|metrics))"`)
	seen := map[string]bool{}
	for _, r := range admin.TenantRoutes() {
		seen[r] = true
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pattern.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
	}
	var out []string
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	if len(out) < len(admin.TenantRoutes())+2 {
		t.Fatalf("found only %d admin routes: %v", len(out), out)
	}
	return out
}

// TestTenantIsolation: tenant A's key never reaches tenant B's data. GET
// /v1/key shows A's key and A's spend only, /v1/models names no tenant, the
// API listener serves no admin path, and every admin endpoint, with B's ids
// in its path, answers 401 to A's key as the bearer token, to a config key
// and to no token at all, and changes nothing.
func TestTenantIsolation(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	gs := startReplicas(t, 1, func() *config.Config { return clusterConfig(emu.URL, "", "", false) })
	g := gs[0]
	tidA, kidA, keyA := newTenantKey(t, gs, `{"name":"alpha","budget":{"usd":"10","period":"month","hard":true}}`, `{"name":"alpha-key"}`)
	tidB, kidB, keyB := newTenantKey(t, gs, `{"name":"bravo-private","budget":{"usd":"10","period":"month","hard":true}}`,
		`{"name":"bravo-private-key","budget":{"usd":"5","period":"day","hard":true}}`)
	secretsOfB := []string{tidB, kidB, keyB, "bravo-private"}
	leaks := func(where, body string) {
		t.Helper()
		for _, s := range secretsOfB {
			if strings.Contains(body, s) {
				t.Errorf("%s shows tenant B's %q", where, s)
			}
		}
	}
	// A spends one cent, B three.
	for key, n := range map[string]int{keyA: 1, keyB: 3} {
		for range n {
			if a, err := chatRaw(g, key); err != nil || a.Status != http.StatusOK {
				t.Fatalf("chat: %+v %v", a, err)
			}
		}
	}

	_, info := keyInfo(t, g, keyA)
	d := info["data"].(map[string]any)
	if d["id"] != kidA || d["tenant_id"] != tidA || len(d["budgets"].([]any)) != 1 {
		t.Errorf("GET /v1/key with A's key = %v, want A's key and A's tenant budget only", d)
	}
	eventually(t, "A's spend shows", func() bool {
		_, info := keyInfo(t, g, keyA)
		return spendOf(info) == "tenant_budget=0.01" || spendOf(info) == "budget=0.01"
	})
	raw, _ := json.Marshal(info)
	leaks("GET /v1/key", string(raw))

	get := func(base, path, auth string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("http://"+g.Addr(), "/v1/models", keyA)
	if code != http.StatusOK {
		t.Errorf("GET /v1/models = %d", code)
	}
	leaks("GET /v1/models", body)
	for _, p := range []string{"/admin/v1/tenants", "/admin/v1/tenants/" + tidB, "/admin/v1/keys/" + kidB, "/admin/v1/usage", "/metrics"} {
		code, body := get("http://"+g.Addr(), p, keyA)
		if code == http.StatusOK {
			t.Errorf("API listener GET %s with A's key = 200", p)
		}
		// The 404 quotes the path asked for; anything else of B's is a leak.
		leaks("API listener GET "+p, strings.ReplaceAll(body, p, ""))
	}

	routes := adminRoutes(t)
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		id := tidB
		if strings.HasPrefix(path, "/admin/v1/keys/") {
			id = kidB
		}
		path = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, id)
		if strings.HasSuffix(path, "/events") {
			path += "?request_id=x"
		}
		for who, auth := range map[string]string{"no token": "", "A's key": keyA, "the config key": testKey} {
			req, _ := http.NewRequest(method, "http://"+g.AdminAddr()+path, strings.NewReader(`{"name":"mallory","status":"active"}`))
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", "Bearer "+auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with %s = %d, want 401", method, path, who, resp.StatusCode)
			}
			leaks(r+" with "+who, string(b))
		}
	}
	t.Logf("tried %d admin endpoints", len(routes))

	// Nothing changed: B's key still works, and no tenant was added.
	if a, err := chatRaw(g, keyB); err != nil || a.Status != http.StatusOK {
		t.Errorf("B's key after the attempts: %+v %v", a, err)
	}
	list := mustAdmin(t, g, clusterToken, 200, "GET", "/admin/v1/tenants", "")
	raw, _ = json.Marshal(list)
	if strings.Contains(string(raw), "mallory") {
		t.Errorf("a refused admin request changed a tenant: %s", raw)
	}
}
