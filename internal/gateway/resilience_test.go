package gateway_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/route"
)

// fastHealth makes outlier detection act within a test's time: short
// ejections, a short window and slow start.
func fastHealth(cfg *config.Config) {
	cfg.Routing.Health = config.Health{
		ConsecutiveFailures: 5, ErrorRatio: 0.25, MinRequests: 20,
		Window: config.Duration(2 * time.Second), BaseEjection: config.Duration(time.Second),
		MaxEjection: config.Duration(2 * time.Second), SlowStart: config.Duration(100 * time.Millisecond),
	}
	cfg.Routing.Health.Set.ConsecutiveFailures, cfg.Routing.Health.Set.ErrorRatio, cfg.Routing.Health.Set.SlowStart = true, true, true
}

func priced(provider, native, input string) config.Deployment {
	p, err := money.ParsePerMillion(input)
	if err != nil {
		panic(err)
	}
	out, _ := money.ParsePerMillion("1")
	return config.Deployment{Provider: provider, Model: native, Price: config.Price{Input: p, Output: out}}
}

// blast sends n small chat requests at a constant rate (open loop, as real
// traffic arrives: a request does not wait for the one before) and returns
// how many succeeded. Failures are logged by cause, so a miss says why.
func blast(t *testing.T, g *gateway.Gateway, n, rate int) int64 {
	t.Helper()
	var ok atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := map[string]int{}
	fail := func(cause string) {
		mu.Lock()
		failed[cause]++
		mu.Unlock()
	}
	defer func() {
		if len(failed) > 0 {
			t.Logf("failures by cause: %v", failed)
		}
	}()
	body := `{"model":"chat","max_tokens":4,"messages":[{"role":"user","content":"ping"}]}`
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for range n {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", g.URL()+"/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				fail("client: " + err.Error())
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				ok.Add(1)
				return
			}
			if len(b) > 200 {
				b = b[:200]
			}
			fail(fmt.Sprintf("%d %s", resp.StatusCode, b))
		}()
	}
	wg.Wait()
	return ok.Load()
}

func deploymentNamed(g *gateway.Gateway, name string) *route.Deployment {
	for _, d := range g.Routes.Deployments() {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// TestOneCloudFailing: one of three deployments fails 30% of its requests,
// with a 5xx or by never answering them, and it is the cheapest, so the cheapest policy
// wants to send it everything. Clients still succeed ≥ 99.9% of the time,
// upstream attempts stay ≤ 1.2 × requests, the sick deployment is ejected,
// and once it recovers it is readmitted and takes its traffic back.
func TestOneCloudFailing(t *testing.T) {
	for _, mode := range []string{"30% server errors", "30% timeouts"} {
		t.Run(mode, func(t *testing.T) {
			sickKnobs := emulate.Knobs{ErrorRate: 0.3, Seed: 7}
			if mode == "30% timeouts" {
				sickKnobs = emulate.Knobs{HangRate: 0.3, Seed: 7}
			}
			sick := startEmu(t, emulate.OpenAI, sickKnobs)
			b := startEmu(t, emulate.OpenAI, emulate.Knobs{})
			c := startEmu(t, emulate.Azure, emulate.Knobs{})
			pSick := providerFor("sick", emulate.OpenAI, sick.URL)
			pSick.Timeouts.Response = config.Duration(150 * time.Millisecond)
			cfg := baseConfig([]config.Provider{pSick, providerFor("b", emulate.OpenAI, b.URL), providerFor("c", emulate.Azure, c.URL)},
				config.Model{Name: "chat", Routing: config.RouteCheapest, Deployments: []config.Deployment{
					priced("sick", "m", "0.10"), priced("b", "m", "0.20"), priced("c", "m", "0.30"),
				}})
			fastHealth(cfg)
			g := startGateway(t, cfg)

			const n = 2000
			ok := blast(t, g, n, 500)
			var attempts int64
			for _, s := range g.Meter.Snapshot() {
				attempts += s.Attempts
			}
			t.Logf("%s: %d/%d succeeded, %d upstream attempts (%.3f per request)", mode, ok, n, attempts, float64(attempts)/n)
			if float64(ok) < 0.999*n {
				t.Errorf("success %d/%d, want ≥ 99.9%%", ok, n)
			}
			if float64(attempts) > 1.2*n {
				t.Errorf("%d upstream attempts for %d requests, want ≤ 1.2×", attempts, n)
			}
			d := deploymentNamed(g, "sick/m")
			if st := d.Stats(time.Now()); st.Ejections == 0 {
				t.Errorf("the failing deployment was never ejected: %+v", st)
			}

			// It recovers: after its ejection it is probed, readmitted, and
			// being the cheapest it carries the traffic again.
			sick.SetKnobs(emulate.Knobs{})
			before := d.Stats(time.Now()).Successes
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) && d.Stats(time.Now()).Successes-before < 50 {
				blast(t, g, 50, 500)
				time.Sleep(50 * time.Millisecond)
			}
			if got := d.Stats(time.Now()).Successes - before; got < 50 {
				t.Errorf("after recovery the deployment answered only %d requests: not readmitted (%+v)", got, d.Stats(time.Now()))
			}
		})
	}
}

// TestRegionConstraintsWin: a key limited to one region never reaches a
// deployment elsewhere, even when the allowed one is the dearest and fails:
// the client then gets the error.
func TestRegionConstraintsWin(t *testing.T) {
	us := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	eu := startEmu(t, emulate.Azure, emulate.Knobs{})
	pUS, pEU := providerFor("us", emulate.OpenAI, us.URL), providerFor("eu", emulate.Azure, eu.URL)
	dUS, dEU := priced("us", "m", "0.10"), priced("eu", "m", "0.90")
	dUS.Region, dEU.Region = "us-east-1", "westeurope"
	cfg := baseConfig([]config.Provider{pUS, pEU},
		config.Model{Name: "chat", Routing: config.RouteCheapest, Deployments: []config.Deployment{dUS, dEU}})
	const euKey = "sk-sy-eu-team-0123456789abcdef"
	cfg.Keys = append(cfg.Keys, config.Key{Name: "eu", Key: euKey, AllowedRegions: []string{"westeurope"}})
	g := startGateway(t, cfg)

	post := func(key string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", g.URL()+"/chat/completions",
			strings.NewReader(`{"model":"chat","max_tokens":4,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for range 20 {
		if resp, body := post(euKey); resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Deployment") != "eu/m" {
			t.Fatalf("eu key: %d from %q: %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Deployment"), body)
		}
	}
	// The unconstrained key gets the cheapest.
	if resp, _ := post(testKey); resp.Header.Get("X-Switchyard-Deployment") != "us/m" {
		t.Errorf("unconstrained key served by %q, want the cheapest", resp.Header.Get("X-Switchyard-Deployment"))
	}

	// The EU cloud fails: the EU key gets the error, the US cloud never
	// sees its requests.
	eu.SetKnobs(emulate.Knobs{ErrorRate: 1})
	usBefore := us.Billed().Received
	for range 5 {
		if resp, body := post(euKey); resp.StatusCode < 500 {
			t.Errorf("eu key with its only region down: %d %s, want a 5xx", resp.StatusCode, body)
		}
	}
	if got := us.Billed().Received - usBefore; got != 0 {
		t.Errorf("%d requests of the EU key reached the US cloud", got)
	}
}

// TestRouteOverrideAndReason: a key allowed to may pick the policy per
// request with x-switchyard-route, and x-switchyard-debug: 1 returns the
// decision's reason; a key not allowed to gets 403.
func TestRouteOverrideAndReason(t *testing.T) {
	a := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	b := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("a", emulate.OpenAI, a.URL), providerFor("b", emulate.OpenAI, b.URL)},
		config.Model{Name: "chat", Routing: config.RoutePriority, Deployments: []config.Deployment{
			priced("a", "m", "0.50"), // priority: a first, though it costs more
			{Provider: "b", Model: "m", Priority: 2, PrioritySet: true, Price: priced("b", "m", "0.10").Price},
		}})
	const power = "sk-sy-power-user-0123456789ab"
	cfg.Keys[0].AllowRouteOverride = config.RouteOverride{All: true}
	cfg.Keys = append(cfg.Keys, config.Key{Name: "plain", Key: power})
	g := startGateway(t, cfg)

	send := func(key, policy string, debug bool) *http.Response {
		req, _ := http.NewRequest("POST", g.URL()+"/chat/completions",
			bytes.NewReader([]byte(`{"model":"chat","max_tokens":4,"messages":[{"role":"user","content":"hi"}]}`)))
		req.Header.Set("Authorization", "Bearer "+key)
		if policy != "" {
			req.Header.Set("x-switchyard-route", policy)
		}
		if debug {
			req.Header.Set("x-switchyard-debug", "1")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if r := send(testKey, "", false); r.Header.Get("X-Switchyard-Deployment") != "a/m" || r.Header.Get("X-Switchyard-Route-Reason") != "" {
		t.Errorf("default policy: served by %q, reason %q", r.Header.Get("X-Switchyard-Deployment"), r.Header.Get("X-Switchyard-Route-Reason"))
	}
	r := send(testKey, "cheapest", true)
	reason := r.Header.Get("X-Switchyard-Route-Reason")
	if r.Header.Get("X-Switchyard-Deployment") != "b/m" || !strings.Contains(reason, "cheapest") || !strings.Contains(reason, "b/m") {
		t.Errorf("override: served by %q, reason %q", r.Header.Get("X-Switchyard-Deployment"), reason)
	}
	if r := send(power, "cheapest", false); r.StatusCode != http.StatusForbidden {
		t.Errorf("override by a key without the right: %d, want 403", r.StatusCode)
	}
	if r := send(testKey, "telepathy", false); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown policy: %d, want 400", r.StatusCode)
	}
}

// TestFallbackModel: when every deployment of the asked model fails, the
// model's fallback chain serves the request (here a cheaper model).
func TestFallbackModel(t *testing.T) {
	down := startEmu(t, emulate.OpenAI, emulate.Knobs{ErrorRate: 1})
	up := startEmu(t, emulate.Azure, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("down", emulate.OpenAI, down.URL), providerFor("up", emulate.Azure, up.URL)},
		config.Model{Name: "big", Fallbacks: []string{"small"}, Deployments: []config.Deployment{deployment("down", "big-native")}},
		config.Model{Name: "small", Deployments: []config.Deployment{deployment("up", "small-native")}})
	g := startGateway(t, cfg)
	req, _ := http.NewRequest("POST", g.URL()+"/chat/completions",
		strings.NewReader(`{"model":"big","max_tokens":4,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Switchyard-Deployment") != "up/small-native" || resp.Header.Get("X-Switchyard-Attempts") != "2" {
		t.Errorf("got %d from %q after %s attempts: %s", resp.StatusCode, resp.Header.Get("X-Switchyard-Deployment"),
			resp.Header.Get("X-Switchyard-Attempts"), body)
	}
	if b := up.Billed().ByModel["small-native"]; b.Requests != 1 {
		t.Errorf("the fallback model's cloud billed %+v", up.Billed())
	}
}
