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

	mu     sync.Mutex
	names  map[string]string    // tenant id -> name, filled from the store on a miss
	absent map[string]time.Time // tenant id -> when the store last had no such tenant
}

// absentRetry is how long a tenant id the store does not hold (a config
// key's bootstrap tenant, or one deleted) is taken as nameless before the
// store is asked again: asking on every event cost the writer a query per
// request, a third of its time under load.
const absentRetry = 10 * time.Second

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
	if at, ok := r.absent[id]; ok && time.Since(at) < absentRetry {
		return ""
	}
	if r.names == nil {
		r.names, r.absent = map[string]string{}, map[string]time.Time{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t, err := r.g.Store.GetTenant(ctx, id)
	if err != nil {
		// Not cached as a name: a tenant made a moment ago is found once
		// absentRetry has passed.
		r.absent[id] = time.Now()
		return ""
	}
	delete(r.absent, id)
	r.names[id] = t.Name
	return t.Name
}
