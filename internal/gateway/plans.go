package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/plan"
	"github.com/switchyard/switchyard/internal/wire"
)

// setPlans puts cfg's plans and assignments in force, beside those added
// through the admin API. Assignments name tenants by id or by name; both
// are tried when a request is rated (planRater), so a config may assign a
// tenant that the admin API creates later.
func (g *Gateway) setPlans(cfg *config.Config) error {
	if g.Plans == nil {
		g.Plans = plan.NewLive()
	}
	return g.Plans.SetBase(cfg.PlanTerms(nil))
}

// planRater charges tenants by the plan book in force: the ledger's Rater.
type planRater struct {
	g *Gateway

	mu    sync.Mutex
	names map[string]string // tenant id -> name, filled from the store on a miss
}

func (r *planRater) Rate(tenantID string, at time.Time, model string, u wire.Usage, cost money.Nanos) ledger.Charge {
	b := r.g.Plans.Load()
	ch := b.Rate(tenantID, at, model, u, cost)
	if ch.PassThrough && tenantID != "" {
		if name := r.name(tenantID); name != "" {
			ch = b.Rate(name, at, model, u, cost)
		}
	}
	return ledger.Charge{Revenue: ch.Revenue, PlanID: ch.PlanID, PlanVersion: ch.PlanVersion,
		Experiment: ch.Experiment, Arm: ch.Arm, PassThrough: ch.PassThrough}
}

// name is a tenant's name, read from the store once. Rating runs in the
// journal's writer, never on a request.
func (r *planRater) name(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.names[id]; ok {
		return n
	}
	if r.names == nil {
		r.names = map[string]string{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t, err := r.g.Store.GetTenant(ctx, id)
	if err != nil {
		return "" // not cached: a tenant made a moment ago is found next time
	}
	r.names[id] = t.Name
	return t.Name
}
