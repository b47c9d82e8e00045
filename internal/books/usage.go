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
func Cost(p config.Price, u wire.Usage) money.Nanos {
	cached := min(u.Cached, u.Prompt)
	write := min(u.CacheWrite, u.Prompt-cached)
	plain := u.Prompt - cached - write
	reasoning := min(u.Reasoning, u.Completion)
	out := u.Completion - reasoning
	return p.Input.Cost(max(plain, 0)) +
		p.CachedInput.Cost(max(cached, 0)) +
		p.CacheWrite.Cost(max(write, 0)) +
		p.Output.Cost(max(out, 0)) +
		p.Reasoning.Cost(max(reasoning, 0))
}
