package gateway

import (
	"context"
	"fmt"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/journal"
	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/usage"
)

// postLedger wraps the journal writer's apply: after a batch of events is
// in the store, their ledger transactions are booked. A batch failing
// either step is retried whole, and both are idempotent (events by id,
// transactions by the ids derived from them), so the books never miss or
// double a posting.
func (g *Gateway) postLedger(apply journal.Apply) journal.Apply {
	d := ledgerDeriver(g.cfg)
	d.Rater = &planRater{g: g}
	return func(ctx context.Context, events []usage.Event) error {
		if err := apply(ctx, events); err != nil {
			return err
		}
		if _, err := g.Store.Post(ctx, d.Derive(events)); err != nil {
			return fmt.Errorf("gateway: ledger: %w", err)
		}
		return nil
	}
}

// ledgerDeriver derives postings under cfg: tenants pay pass-through (the
// gateway then sets the plan book as the Rater); attempts on a deployment drawing
// on a spend commitment draw it down during its term. Commitments are
// read at start-up (a reload cannot change them).
func ledgerDeriver(cfg *config.Config) *ledger.Deriver {
	d := &ledger.Deriver{Rater: ledger.PassThrough{}, Commitments: map[string]ledger.Commitment{}}
	for i := range cfg.Commitments {
		c := &cfg.Commitments[i]
		if c.Kind != config.CommitSpend {
			continue
		}
		for _, m := range cfg.Models {
			for j := range m.Deployments {
				if dep := &m.Deployments[j]; c.Covers(dep) {
					d.Commitments[dep.Name] = ledger.Commitment{Name: c.Name, Start: c.Start, End: c.End}
				}
			}
		}
	}
	return d
}
