package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/budget"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// seedBudgets restores, at start-up, what each tenant's and key's budget
// has spent in its current window, from the store: budgets kept in memory
// would otherwise start every restart at zero. (With Redis, Seed only fills
// books Redis does not already hold.) The journal's tail is in the store by
// now (openBooks waits for it).
func (g *Gateway) seedBudgets(ctx context.Context) error {
	a := g.Admitter
	if a == nil || a.Budgets == nil {
		return nil
	}
	type want struct {
		b      budget.Budget
		bucket budget.Bucket
		dim    string // "key" or "tenant"
		id     string
	}
	var wants []want
	add := func(dim, id string, set access.Budget) {
		b, ok := a.Budget(dim+":"+id, set)
		if !ok {
			return
		}
		for _, bk := range b.Period.Buckets(nil, time.Now()) {
			wants = append(wants, want{b, bk, dim, id})
		}
	}
	for after := ""; ; {
		ts, err := g.Store.ListTenants(ctx, after, 500)
		if err != nil {
			return fmt.Errorf("gateway: seed budgets: %w", err)
		}
		for _, t := range ts {
			add("tenant", t.ID, t.Budget)
		}
		if len(ts) < 500 {
			break
		}
		after = ts[len(ts)-1].ID
	}
	for after := ""; ; {
		ks, err := g.Store.ListKeys(ctx, "", after, 500)
		if err != nil {
			return fmt.Errorf("gateway: seed budgets: %w", err)
		}
		for _, k := range ks {
			add("key", k.ID, k.Budget)
		}
		if len(ks) < 500 {
			break
		}
		after = ks[len(ks)-1].ID
	}
	// One query per distinct bucket and dimension: budgets mostly share
	// their month or day.
	type span struct {
		dim        string
		start, end time.Time
	}
	spent := map[span]map[string]money.Nanos{}
	for _, w := range wants {
		sp := span{w.dim, w.bucket.Start, w.bucket.End}
		if _, ok := spent[sp]; !ok {
			rows, err := g.Store.Usage(ctx, store.UsageQuery{From: sp.start, To: sp.end, GroupBy: []string{sp.dim}})
			if err != nil {
				return fmt.Errorf("gateway: seed budgets: %w", err)
			}
			m := map[string]money.Nanos{}
			for _, r := range rows {
				m[r.Group[sp.dim]] += r.Cost
			}
			spent[sp] = m
		}
		if err := a.Budgets.Seed(ctx, w.b, w.bucket, spent[sp][w.id]); err != nil {
			return fmt.Errorf("gateway: seed budget %s: %w", w.b.Scope, err)
		}
	}
	if len(wants) > 0 {
		g.log.Info("budgets restored from the store", "buckets", len(wants))
	}
	return nil
}
