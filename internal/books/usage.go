// Package books keeps the gateway's accounts: usage events, what they cost and what they earn.
package books

import (
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// Outcome is how an upstream attempt ended.
type Outcome uint8

// Outcomes.
const (
	Completed     Outcome = iota + 1 // the answer reached the client whole
	Failed                           // the attempt failed before the client saw a byte (maybe retried elsewhere)
	Rejected                         // the provider refused the request as invalid; returned to the client
	Interrupted                      // the upstream broke off mid-answer
	ClientAborted                    // the client went away mid-answer
)

func (o Outcome) String() string {
	switch o {
	case Completed:
		return "completed"
	case Failed:
		return "failed"
	case Rejected:
		return "rejected"
	case Interrupted:
		return "interrupted"
	case ClientAborted:
		return "client_aborted"
	}
	return "unknown"
}

// Event is one upstream attempt, as the books see it.
type Event struct {
	RequestID  string
	Attempt    int // 1-based
	Key        string
	Model      string // public name
	Deployment string
	Provider   string
	Op         string // chat | embeddings
	Stream     bool
	Outcome    Outcome
	Status     int // upstream HTTP status; 0 when none arrived
	Usage      wire.Usage
	Estimated  bool        // usage is the gateway's estimate, not the provider's report
	Cost       money.Nanos // what the attempt cost at the deployment's prices
	Start      time.Time
	FirstByte  time.Duration // from Start; 0 when none arrived
	Duration   time.Duration
}

// Sink receives usage events. Record is called on the request path and must
// not block.
type Sink interface {
	Record(e *Event)
}

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
