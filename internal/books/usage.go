// Package books keeps the gateway's accounts: usage events, what they cost and what they earn.
package books

import (
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// Cost prices usage at a deployment's price: uncached prompt tokens at the
// input price, cache reads and writes at theirs, and completion tokens at the
// output price with reasoning tokens at the reasoning price. Providers report
// overlapping counts (prompt includes cached); this never bills a token twice
// and never goes negative on inconsistent reports.
//
// Deprecated: price with a price.Book (config.PriceBook), which knows
// versions and unpriced deployments; Cost delegates to it.
func Cost(p config.Price, u wire.Usage) money.Nanos {
	r := p.Rates()
	return r.Cost(u)
}
