package gateway

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/journal"
	"github.com/switchyard/switchyard/internal/limit"
	"github.com/switchyard/switchyard/internal/listen"
	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/usage"
)

// openMetrics builds the Prometheus metrics. Live state (health, quotas,
// the retry budget, the journal's lag, shedding, Redis) is read at scrape
// time through the gateway, so the pieces it reads may be built after it.
func (g *Gateway) openMetrics() {
	state := metrics.State{
		Table: func() *route.Table {
			if g.API == nil {
				return g.Routes
			}
			return g.Table()
		},
		JournalLag: func() int64 {
			if g.Journal == nil {
				return 0
			}
			return g.Journal.Lag()
		},
		InFlight: func() int64 {
			if g.shed == nil {
				return 0
			}
			return g.shed.InFlight()
		},
		Shed: func() int64 {
			if g.shed == nil {
				return 0
			}
			return g.shed.Shed()
		},
		ConnsRefused: func() int64 {
			if l, ok := g.ln.(*listen.Listener); ok {
				return l.Refused()
			}
			return 0
		},
	}
	// The shared backend's state exists only in a cluster.
	if g.cfg.Cluster.Redis != "" {
		state.LimitsDown = func() bool {
			if g.Admitter == nil {
				return false
			}
			f, ok := g.Admitter.Limits.(*limit.Fallback)
			return ok && f.Unavailable()
		}
		state.BudgetsDown = func() bool {
			if g.Admitter == nil {
				return false
			}
			f, ok := g.Admitter.Budgets.(*budget.Fallback)
			return ok && f.Down()
		}
		// Quotas whose cluster lease lapsed are this replica's alone
		// (quotas.go).
		state.QuotasDown = func() bool {
			t := state.Table()
			return t != nil && t.LocalQuotas(time.Now()) > 0
		}
	}
	g.Metrics = metrics.New(metrics.Options{TenantsTopN: g.cfg.Metrics.TenantsTopN, Process: true, State: state})
}

// countApplied wraps the journal writer's apply (the store's ApplyPost),
// so that the metrics count the events the writer applied.
func (g *Gateway) countApplied(apply journal.Apply) journal.Apply {
	return func(ctx context.Context, events []usage.Event) error {
		err := apply(ctx, events)
		if err == nil {
			g.Metrics.Applied(len(events))
		}
		return err
	}
}
