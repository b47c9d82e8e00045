package gateway

import (
	"context"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/switchyard/switchyard/internal/target"
)

// How often the gateway checks its targets for alerts: the first time
// soon after start, then every targetsEvery (forecasts move with daily
// rollups; a few minutes of delay changes nothing).
const (
	targetsFirst = 10 * time.Second
	targetsEvery = 10 * time.Minute
	// alertMemory is how long Redis remembers an alert: past a quarter,
	// the longest period.
	alertMemory = 100 * 24 * time.Hour
)

// targetStatuses evaluates the config's targets now, for the admin report.
// Targets are read at start; a reload does not change them.
func (g *Gateway) targetStatuses(ctx context.Context) []target.Status {
	goals, err := target.FromConfig(g.cfg.Targets)
	if err != nil {
		return []target.Status{{Error: err.Error()}}
	}
	return g.targetEvaluator().Evaluate(ctx, goals)
}

func (g *Gateway) targetEvaluator() *target.Evaluator {
	return target.New(target.Options{Usage: g.Store, Books: target.BooksFor(g.Store), Tenants: g.Store})
}

// startTargets runs the target evaluator in the background when targets
// are configured, and returns what stops it. Alerts are remembered in
// Redis in cluster mode (one replica alerts), else in data_dir.
func (g *Gateway) startTargets() (stop func()) {
	goals, err := target.FromConfig(g.cfg.Targets)
	if err != nil || len(goals) == 0 {
		if err != nil {
			g.log.Error("targets: not evaluated", "err", err)
		}
		return func() {}
	}
	var once target.Once
	if g.redis != nil {
		once = redisOnce{g.redis}
	} else {
		f, err := target.OpenFileOnce(filepath.Join(g.cfg.DataDir, "target-alerts"))
		if err != nil {
			g.log.Error("targets: alert memory; alerts may repeat after a restart", "err", err)
		} else {
			once = f
		}
	}
	alerts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchyard_target_alerts_total",
		Help: "Targets alerted as going to be missed (once per target per period)."}, []string{"target"})
	if g.Metrics != nil {
		if err := g.Metrics.Registry().Register(alerts); err != nil {
			g.log.Warn("targets: alert counter not registered", "err", err)
		}
	}
	o := target.AlertOptions{Log: g.log, Once: once, Count: func(s target.Status) { alerts.WithLabelValues(s.Target).Inc() }}
	if secret := g.cfg.Budgets.WebhookSecret; secret != "" {
		o.Sender = &target.Webhook{Secret: []byte(secret)}
	}
	alerter, eval := target.NewAlerter(o), g.targetEvaluator()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait := targetsFirst
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = targetsEvery
			alerter.Check(ctx, goals, eval.Evaluate(ctx, goals))
		}
	}()
	return func() { cancel(); <-done }
}

// redisOnce remembers alerts across replicas with SET NX.
type redisOnce struct{ c *redis.Client }

func (r redisOnce) First(ctx context.Context, key string) (bool, error) {
	return r.c.SetNX(ctx, "switchyard:target-alert:"+key, 1, alertMemory).Result()
}
