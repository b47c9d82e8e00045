package commit

import (
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

// Tokens are token counts in OpenAI's convention: Prompt includes Cached and
// CacheWrite, Completion includes Reasoning.
type Tokens struct {
	Prompt, Completion, Cached, CacheWrite, Reasoning int64
}

// Add returns t + u.
func (t Tokens) Add(u Tokens) Tokens {
	return Tokens{t.Prompt + u.Prompt, t.Completion + u.Completion, t.Cached + u.Cached,
		t.CacheWrite + u.CacheWrite, t.Reasoning + u.Reasoning}
}

// Sub returns t - u.
func (t Tokens) Sub(u Tokens) Tokens {
	return Tokens{t.Prompt - u.Prompt, t.Completion - u.Completion, t.Cached - u.Cached,
		t.CacheWrite - u.CacheWrite, t.Reasoning - u.Reasoning}
}

// Total is every token counted once: prompt plus completion.
func (t Tokens) Total() int64 { return t.Prompt + t.Completion }

// part is t × num / den, rounded down, split by disjoint token type
// (uncached input, cache reads, cache writes, plain output, reasoning), so
// that both the part and the rest stay consistent counts.
func (t Tokens) part(num, den int64) Tokens {
	if num >= den {
		return t
	}
	f := func(n int64) int64 { return prorate(n, num, den) }
	cached := min(max(t.Cached, 0), max(t.Prompt, 0))
	write := min(max(t.CacheWrite, 0), max(t.Prompt, 0)-cached)
	reasoning := min(max(t.Reasoning, 0), max(t.Completion, 0))
	c, w, r := f(cached), f(write), f(reasoning)
	return Tokens{Prompt: f(max(t.Prompt, 0)-cached-write) + c + w, Cached: c, CacheWrite: w,
		Completion: f(max(t.Completion, 0)-reasoning) + r, Reasoning: r}
}

// Usage is one hour's usage of one deployment, model, tenant and provider,
// with its cost at the deployment's price: the on-demand (list) cost.
type Usage struct {
	Hour       time.Time // start of the UTC hour
	Deployment string
	Model      string
	Tenant     string
	Provider   string
	Tokens     Tokens
	Cost       money.Nanos
}
