package gateway

import (
	"context"
	"time"
)

// pruneEvery is how often raw usage events past store.retention are
// deleted; the hourly and daily rollups stay.
const pruneEvery = time.Hour

// runPrune deletes expired raw events now and then every pruneEvery, until
// ctx is done.
func (g *Gateway) runPrune(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		before := time.Now().Add(-g.cfg.Store.Retention.D())
		if n, err := g.Store.Prune(ctx, before); err != nil {
			if ctx.Err() == nil {
				g.log.Warn("pruning old usage events failed; retrying later", "err", err)
			}
		} else if n > 0 {
			g.log.Info("old usage events pruned", "events", n, "before", before.UTC().Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
