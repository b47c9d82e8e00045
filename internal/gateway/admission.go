package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchyard/switchyard/internal/admit"
	"github.com/switchyard/switchyard/internal/admit/redisadmit"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/limit"
)

// openAdmission builds the admitter: rate limits and budgets in memory on
// one node, or shared through Redis (cluster.redis) with each replica's own
// books as the fallback when cluster.fail_open says so. Its background
// reapers run until closeAdmission.
func (g *Gateway) openAdmission() error {
	c := g.cfg
	notifier := &budget.Notifier{Log: g.log}
	if c.Budgets.Webhook != "" {
		g.webhooks = budget.NewWebhooks([]byte(c.Budgets.WebhookSecret), budget.WebhookOptions{Log: g.log})
		notifier.Webhooks = g.webhooks
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.stopAdmission = cancel
	localLimits := limit.NewMemory(limit.Options{})
	localBudgets := budget.NewMemory(notifier)
	go localBudgets.Run(ctx, 10*time.Second)
	a := &admit.Admitter{Log: g.log, Limits: localLimits, Budgets: localBudgets, Webhook: c.Budgets.Webhook}
	if c.Cluster.Redis != "" {
		o, err := limit.ClientOptions(c.Cluster.Redis)
		if err != nil {
			cancel()
			return fmt.Errorf("gateway: cluster.redis: %w", err)
		}
		g.redis = redis.NewClient(o)
		// One script takes a request's limits and holds together (one
		// round trip); the fallbacks settle them and decide while Redis is down.
		joint, err := redisadmit.New(g.redis, "", notifier, limit.Options{})
		if err != nil {
			cancel()
			return fmt.Errorf("gateway: cluster.redis: %w", err)
		}
		go joint.Budgets.Run(ctx, 10*time.Second)
		joint.LimitFallback = &limit.Fallback{Primary: joint.Limits, Local: localLimits, FailOpen: c.Cluster.FailOpen, Log: g.log}
		joint.BudgetFallback = &budget.Fallback{Shared: joint.Budgets, Local: localBudgets, FailOpen: c.Cluster.FailOpen, Log: g.log}
		a.Limits, a.Budgets, a.Joint = joint.LimitFallback, joint.BudgetFallback, joint
	}
	g.Admitter = a
	return nil
}

func (g *Gateway) closeAdmission() {
	if g.stopAdmission != nil {
		g.stopAdmission()
		g.stopAdmission = nil
	}
	if g.webhooks != nil {
		g.webhooks.Close()
	}
	if g.redis != nil {
		g.redis.Close()
	}
}
