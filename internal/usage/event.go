// Package usage defines the usage event: one record per upstream attempt, shared by the journal, the store and the books.
package usage

import (
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/wire"
)

// Outcome is how an upstream attempt ended.
type Outcome uint8

// Outcomes. The numeric values are stored (journal, store): never renumber.
const (
	Completed     Outcome = 1 // the answer reached the client whole
	Failed        Outcome = 2 // the attempt failed before the client saw a byte (maybe retried elsewhere)
	Rejected      Outcome = 3 // the provider refused the request as invalid; returned to the client
	Interrupted   Outcome = 4 // the upstream broke off mid-answer
	ClientAborted Outcome = 5 // the client went away mid-answer
)

var outcomeNames = [...]string{"", "completed", "failed", "rejected", "interrupted", "client_aborted"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && o != 0 {
		return outcomeNames[o]
	}
	return "unknown"
}

// ParseOutcome is the inverse of Outcome.String.
func ParseOutcome(s string) (Outcome, bool) {
	for i := 1; i < len(outcomeNames); i++ {
		if outcomeNames[i] == s {
			return Outcome(i), true
		}
	}
	return 0, false
}

// Source says where an event's token counts come from.
type Source uint8

// Sources. The numeric values are stored: never renumber.
const (
	NoUsage   Source = 0 // nothing was billed (the attempt failed before any answer)
	Reported  Source = 1 // the cloud reported the usage; always believed
	Estimated Source = 2 // the gateway estimated it (a broken stream, a cloud that reported none)
)

var sourceNames = [...]string{"none", "reported", "estimated"}

func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "unknown"
}

// ParseSource is the inverse of Source.String.
func ParseSource(s string) (Source, bool) {
	for i, n := range sourceNames {
		if n == s {
			return Source(i), true
		}
	}
	return 0, false
}

// Event is one upstream attempt: who asked, what served it, the tokens it
// used, and what it cost at the price version it was priced with. Every
// attempt of a request is one event, failed ones included, so the books can
// tell what each cloud billed from what each client received.
type Event struct {
	RequestID string    // the gateway's request id (x-switchyard-request-id)
	Attempt   int       // 1-based attempt number within the request
	Time      time.Time // when the attempt started

	TenantID string // "" for bootstrap config keys until tenants exist
	KeyID    string // stable id of the client key (survives rotation)
	KeyName  string

	Model      string // the public model name that this attempt served (a fallback's, if one)
	Deployment string
	Provider   string
	Op         string // "chat" | "embeddings"
	Stream     bool

	Outcome Outcome
	Status  int // upstream HTTP status; 0 when none arrived

	// Usage is the attempt's tokens in OpenAI's convention: Prompt includes
	// Cached and CacheWrite, Completion includes Reasoning.
	Usage  wire.Usage
	Source Source

	// Cost is what the attempt cost at PriceVersion; zero and Unpriced set
	// when the deployment is configured `price: unpriced`.
	Cost         money.Nanos
	PriceVersion string
	Unpriced     bool

	TTFT     time.Duration // to the first byte sent to the client (streams) or the whole answer read; 0 when none
	Duration time.Duration // the whole attempt

	// Error is why a failed attempt failed, for the operator: short, and
	// never holding secrets or internal addresses.
	Error string
}

// ID is the event's identity, derived from the request id and the attempt
// number: writing the same event twice never counts it twice.
func (e *Event) ID() string { return ID(e.RequestID, e.Attempt) }

// ID returns the identity of attempt n of request id.
func ID(requestID string, attempt int) string {
	return requestID + "/" + strconv.Itoa(attempt)
}
