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

// part is t × num / den for each count, rounded down.
func (t Tokens) part(num, den int64) Tokens {
	if num >= den {
		return t
	}
	f := func(n int64) int64 { return prorate(n, num, den) }
	return Tokens{f(t.Prompt), f(t.Completion), f(t.Cached), f(t.CacheWrite), f(t.Reasoning)}
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
