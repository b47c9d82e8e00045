package gateway_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
)

// TestDeploymentQuotaAcrossReplicas: two replicas sharing Redis route to one
// deployment with a 600 RPM quota toward its cloud. 2,000 requests spread
// over both in 20 waves within the same minute: the cloud receives 600 ±
// 1%, and never more than 600 (two replicas each enforcing the quota alone
// would send it 1,200, LiteLLM #40291). The rest get 429 with Retry-After.
// A reload of one replica halfway does not reset the quota.
func TestDeploymentQuotaAcrossReplicas(t *testing.T) {
	const requests, rpm, waves, workers = 2000, 600, 20, 16
	rurl, rc := sharedRedis(t)
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	// The quota's counts are kept by deployment name: a fresh name per run
	// keeps runs apart.
	b := make([]byte, 6)
	rand.Read(b)
	name := "quota-" + hex.EncodeToString(b)
	forgetScopes(t, rc, name)
	mk := func(weight int) *config.Config {
		cfg := clusterConfig(emu.URL, "", rurl, false)
		d := &cfg.Models[0].Deployments[0]
		d.Name, d.Quota.RPM, d.Weight = name, rpm, weight
		return cfg
	}
	var cfgs []*config.Config
	gs := startReplicas(t, 2, func() *config.Config { c := mk(1); cfgs = append(cfgs, c); return c })

	// The window slides: a run that crosses a minute boundary may rightly
	// send more than 600 in all. The run takes a few seconds.
	if time.Now().Second() >= 50 {
		time.Sleep(time.Until(time.Now().Truncate(time.Minute).Add(time.Minute + 200*time.Millisecond)))
	}
	start := time.Now()
	var mu sync.Mutex
	admitted, limited := 0, 0
	for w := range waves {
		if w == waves/2 {
			next := mk(2)
			next.Log = cfgs[0].Log // startReplicas logs access
			if err := gs[0].Reload(like(t, cfgs[0], next)); err != nil {
				t.Fatalf("reload: %v", err)
			}
		}
		next := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := range next {
					a, err := chatRaw(gs[i%2], testKey)
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
			})
		}
		for i := range requests / waves {
			next <- w*requests/waves + i
		}
		close(next)
		wg.Wait()
		// Each replica exchanges with Redis every 100 ms: a wave that finds
		// the leases spent has its rest granted by the next waves.
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("%d admitted, %d limited, in %v", admitted, limited, took)
	if start.Truncate(time.Minute) != time.Now().Truncate(time.Minute) {
		t.Fatalf("the run crossed a minute boundary (took %v): the sliding minute rightly let more through", took)
	}
	if admitted > rpm || admitted < rpm*99/100 {
		t.Errorf("the cloud received %d of %d requests at %d RPM over two replicas, want %d (-1%%)", admitted, requests, rpm, rpm)
	}
	if admitted+limited != requests {
		t.Errorf("%d admitted + %d limited != %d", admitted, limited, requests)
	}
	for i, g := range gs {
		if got := quotaUsed(g, name); got != int64(admitted) {
			t.Errorf("replica %d counts %d requests in the quota's window, want the cluster's %d", i, got, admitted)
		}
	}
}

// quotaUsed is the requests a replica counts against the named
// deployment's RPM quota over the last minute.
func quotaUsed(g *gateway.Gateway, name string) int64 {
	for _, d := range g.Table().Deployments() {
		if d.Name == name {
			return d.Stats(time.Now()).RPM
		}
	}
	return -1
}

// TestDeploymentQuotaRedisDown: with Redis stopped under two replicas of a
// 10 RPM deployment, each replica says so (log and
// switchyard_cluster_backend_down{backend="quotas"}) and falls back to
// enforcing the quota alone; when Redis returns, empty, on the same
// address, the quota is shared again without a restart, counting what each
// replica sent meanwhile.
func TestDeploymentQuotaRedisDown(t *testing.T) {
	const rpm = 10
	addr := closedPort(t)
	stop := ownRedis(t, addr)
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	var gs []*gateway.Gateway
	var logs []*lockedBuffer
	for range 2 {
		cfg := clusterConfig(emu.URL, "", "redis://"+addr, true)
		cfg.Models[0].Deployments[0].Quota.RPM = rpm
		g, l, _ := startLogged(t, cfg)
		gs, logs = append(gs, g), append(logs, l)
	}
	name := gs[0].Table().Deployments()[0].Name
	quotasDown := func(g *gateway.Gateway) int64 {
		return promSum(scrapeMetrics(t, g, clusterToken), "switchyard_cluster_backend_down", map[string]string{"backend": "quotas"})
	}
	// sendAll sends 4×rpm requests across both replicas, then goes on while
	// fewer than want got through, for up to two seconds: a replica may
	// refuse for up to one exchange (100 ms) while the other's lease holds
	// the room, and on a loaded machine the requests can outrun a few
	// exchanges. Whatever is let through is counted: never more than want.
	sendAll := func(want int64) (n int64) {
		deadline := time.Now().Add(2 * time.Second)
		for i := 0; i < 4*rpm || n < want && time.Now().Before(deadline); i++ {
			a, err := chatRaw(gs[i%2], testKey)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status == http.StatusOK {
				n++
			}
			if i >= 4*rpm {
				time.Sleep(20 * time.Millisecond)
			}
		}
		return n
	}
	// The run must stay within one minute for the counts to add up. It
	// takes half a second when the machine is quiet, but one run on a loaded
	// one took half a minute (each step waits up to 10 s for the exchange):
	// start it in a minute's first quarter.
	if time.Now().Second() >= 15 {
		time.Sleep(time.Until(time.Now().Truncate(time.Minute).Add(time.Minute + 200*time.Millisecond)))
	}
	start := time.Now()
	for _, g := range gs {
		eventually(t, "the quota is shared", func() bool { return quotasDown(g) == 0 })
	}
	if n := sendAll(rpm); n != rpm {
		t.Fatalf("Redis up: the cloud received %d, want the quota, %d", n, rpm)
	}

	stop()
	for i, g := range gs {
		eventually(t, "the replica reports the quotas local", func() bool { return quotasDown(g) == 1 })
		if !strings.Contains(logs[i].String(), "deployment quotas: cluster unreachable") {
			t.Errorf("replica %d did not log the outage", i)
		}
	}
	// Each replica's own window holds what it sent itself of the 10.
	own := 2*rpm - quotaUsed(gs[0], name) - quotaUsed(gs[1], name)
	if n := sendAll(own); n != own {
		t.Errorf("Redis down: the cloud received %d more, want each replica filling its own window (%d)", n, own)
	}

	ownRedis(t, addr)
	for i, g := range gs {
		eventually(t, "the quota is shared again", func() bool { return quotasDown(g) == 0 })
		eventually(t, "the cluster counts what both sent", func() bool {
			if u := quotaUsed(g, name); u != 2*rpm {
				t.Logf("replica %d: the cluster's count is %d, want %d", i, u, 2*rpm)
				return false
			}
			return true
		})
		if !strings.Contains(logs[i].String(), "deployment quotas: cluster reachable again") {
			t.Errorf("replica %d did not log the recovery", i)
		}
	}
	if n := sendAll(0); n != 0 {
		t.Errorf("Redis back: the cloud received %d more, want none (it got %d this minute)", n, 2*rpm)
	}
	if start.Truncate(time.Minute) != time.Now().Truncate(time.Minute) {
		t.Fatalf("the run crossed a minute boundary (took %v): the sliding minute rightly let more through", time.Since(start))
	}
}
