// Package price is the price book: what each deployment charges per token type, versioned with effective dates.
package price

import (
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// Rates is what a deployment charges per token, by token type. Every field is
// the price actually billed: the defaults (cached and cache-write tokens at
// the input price, reasoning at the output price) are applied when the
// rates are loaded, never guessed here.
type Rates struct {
	Input       money.Price // prompt tokens neither read from nor written to a cache
	CachedInput money.Price // prompt tokens read from a cache
	CacheWrite  money.Price // prompt tokens written to a cache
	Output      money.Price // completion tokens other than reasoning
	Reasoning   money.Price // completion tokens spent reasoning
	// LongContext, when set, replaces every rate above for a request whose
	// prompt is longer than its threshold, as Anthropic and Gemini price
	// long contexts: the whole request, not just the tokens past the line.
	LongContext *Tier
}

// Tier is the long-context price: it applies to the whole request when the
// prompt holds more than Above tokens (cached and cache-write tokens
// included, as the clouds count them).
type Tier struct {
	Above       int64 // prompt tokens
	Input       money.Price
	CachedInput money.Price
	CacheWrite  money.Price
	Output      money.Price
	Reasoning   money.Price
}

// Cost prices u: uncached prompt tokens at the input price, cache reads and
// writes at theirs, completion tokens at the output price with reasoning
// tokens at the reasoning price. Providers report overlapping counts (the
// prompt includes cached and written tokens, the completion includes
// reasoning); Cost never bills a token twice, and never goes negative on an
// inconsistent report: a part larger than its whole is capped at the whole.
func (r *Rates) Cost(u wire.Usage) money.Nanos {
	if t := r.LongContext; t != nil && u.Prompt > t.Above {
		return cost(t.Input, t.CachedInput, t.CacheWrite, t.Output, t.Reasoning, u)
	}
	return cost(r.Input, r.CachedInput, r.CacheWrite, r.Output, r.Reasoning, u)
}

func cost(input, cachedInput, cacheWrite, output, reasoning money.Price, u wire.Usage) money.Nanos {
	prompt := max(u.Prompt, 0)
	cached := min(max(u.Cached, 0), prompt)
	write := min(max(u.CacheWrite, 0), prompt-cached)
	plain := prompt - cached - write
	completion := max(u.Completion, 0)
	thought := min(max(u.Reasoning, 0), completion)
	out := completion - thought
	return input.Cost(plain) + cachedInput.Cost(cached) + cacheWrite.Cost(write) +
		output.Cost(out) + reasoning.Cost(thought)
}
