// Package limit enforces requests-per-minute, tokens-per-minute and concurrency limits over scopes, in memory or across replicas through Redis.
package limit

import (
	"context"
	"errors"
	"time"
)

// Window is the span a per-minute limit counts over: RPM and TPM are never
// exceeded in any rolling Window, wherever its edges fall.
//
// Why a sliding window and not GCRA: GCRA (a token bucket) with a burst of a
// full minute lets the burst plus a minute's refill through, up to 2x the
// limit in a rolling minute (the same leak as a fixed window's edge), and
// with a small burst it refuses a client that sends its minute's allowance at
// once. A 600 RPM key must admit 600 in a minute however the requests are
// spread, and never more: a sliding window of slots does both, in bounded
// memory, with a burst of the whole allowance.
const Window = time.Minute

// rateSlots is how many slots a Window is cut into. A slot (500ms) is the
// resolution of the sliding window: usage leaves the window once it is a full
// Window old, rounded up to a slot, so the limit holds over every rolling
// minute and a client may wait up to one slot longer than the ideal (a client
// pacing itself exactly at the limit can meet an early 429; 1% under never
// does).
const rateSlots = 120

// leaseSlots is how many slots the concurrency lease TTL is cut into: a lease
// that is never settled is released between TTL and TTL+TTL/leaseSlots after
// admission.
const leaseSlots = 10

// DefaultLeaseTTL is how long a concurrency slot is held by a ticket that is
// never settled (a crashed request) before it is released anyway.
const DefaultLeaseTTL = 10 * time.Minute

// Limits are one scope's limits. Zero means unlimited.
type Limits struct {
	RPM        int64 // requests per rolling minute
	TPM        int64 // tokens per rolling minute
	Concurrent int64 // requests in flight
}

// Scope is one thing limits apply to, such as "key:k_123" or "tenant:t_9".
// State is kept by Name apart from Limits, so changing a scope's limits keeps
// what it has already used.
type Scope struct {
	Name   string
	Limits Limits
}

// Ask is one request's admission: every scope it falls under and the tokens to
// charge up front (the prompt estimate plus max_tokens), settled to the actual
// count later.
type Ask struct {
	Scopes []Scope
	Tokens int64
	// Now is the request's time for the in-memory limiter; zero means the
	// limiter's clock. Redis uses its own server time so replicas agree.
	Now time.Time
}

// Which limit refused an admission.
const (
	Requests   = "requests"
	Tokens     = "tokens"
	Concurrent = "concurrent"
)

// Decision is the answer to an Ask.
type Decision struct {
	Allowed bool
	// Scope and Which name the limit that refused (empty when allowed). When
	// several refuse, it is the one with the longest wait.
	Scope string
	Which string // Requests, Tokens or Concurrent
	// RetryAfter is how long until the refused ask would fit, assuming no
	// other traffic. Concurrency refusals suggest one second.
	RetryAfter time.Duration
	// TooLarge means the ask alone exceeds the limit (more tokens than the
	// scope's TPM): waiting will not help.
	TooLarge bool
	// Headers describe, per dimension, the scope with the least remaining.
	Headers Headers
}

// Limiter admits requests against limits and settles them afterwards.
type Limiter interface {
	// Admit checks and charges every scope of a atomically: either every
	// scope is charged or none is. A refused Decision comes with a zero
	// Ticket; settling it is a no-op.
	Admit(ctx context.Context, a *Ask) (Decision, Ticket, error)
	// Settle corrects the tokens charged at admission to actualTokens (a
	// refund, or an extra charge that is never refused) and releases the
	// concurrency slot. Settle a ticket once.
	Settle(ctx context.Context, t Ticket, actualTokens int64) error
}

// ErrUnavailable means the shared limiter (Redis) could not be reached; the
// caller fails closed (503) or falls back to local limits (see Fallback).
var ErrUnavailable = errors.New("limit: limiter unavailable")

// Options configure a limiter.
type Options struct {
	// LeaseTTL is how long an unsettled ticket holds its concurrency slot;
	// zero means DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Now is the clock. For Memory, nil means time.Now. For Redis, nil (the
	// production setting) means Redis server time; a non-nil clock is passed
	// to the script instead, which tests use to drive a virtual minute.
	Now func() time.Time
}

func (o Options) leaseTTL() time.Duration {
	if o.LeaseTTL <= 0 {
		return DefaultLeaseTTL
	}
	return o.LeaseTTL
}

// maxInline is how many scopes a Ticket holds without allocating.
const maxInline = 4

// Ticket records what an admission charged, for Settle. The zero Ticket
// charged nothing.
type Ticket struct {
	tokens int64 // tokens charged at admission
	n      int   // number of charges
	origin uint8 // which limiter issued it (Fallback)
	inline [maxInline]charge
	more   []charge
}

// charge is what one scope was charged: the slots usage landed in, or -1.
type charge struct {
	scope    string
	tokSlot  int64 // slot the tokens were charged to, -1 if not charged
	concSlot int64 // lease slot of the concurrency charge, -1 if not charged
}

// Valid reports whether the ticket charged anything.
func (t *Ticket) Valid() bool { return t.n > 0 }

func (t *Ticket) add(c charge) {
	if t.n < maxInline {
		t.inline[t.n] = c
	} else {
		t.more = append(t.more, c)
	}
	t.n++
}

func (t *Ticket) at(i int) *charge {
	if i < maxInline {
		return &t.inline[i]
	}
	return &t.more[i-maxInline]
}
