// Package settle is the one settlement point: each upstream attempt is priced once, journaled, then handed to the settlement hooks.
package settle

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// Pricer prices an attempt's usage at the deployment's rates in force at a
// time, naming the price version it used. A deployment configured
// `price: unpriced` answers unpriced with a zero cost, never an error.
type Pricer interface {
	Price(deployment string, at time.Time, u wire.Usage) (cost money.Nanos, version string, unpriced bool, err error)
}

// Journal makes an event durable. Append returns once the event is written
// where a crash of the process cannot lose it.
type Journal interface {
	Append(e *usage.Event) error
}

// Hook is told of every settled event, after it is journaled: budgets settle
// their reservations here, meters count. Settle is called on the request
// path and must not block.
type Hook interface {
	Settle(e *usage.Event)
}

// Settler is the settlement point. It is safe for concurrent use; the
// pricer may be swapped while requests run (a config reload).
type Settler struct {
	prices  atomic.Pointer[pricerBox]
	journal Journal
	hooks   []Hook
	log     *slog.Logger

	failures atomic.Int64
}

// pricerBox lets an interface value sit behind an atomic.Pointer.
type pricerBox struct{ Pricer }

// ErrJournal wraps a failure to make an event durable. The event has still
// been priced and handed to the hooks, so budgets and routing stay right;
// only its persistence is in doubt, and the caller decides what the client
// sees.
var ErrJournal = errors.New("settle: journal")

// New returns a settler. journal may be nil (nothing persisted: tests, the
// simulator); hooks run in order.
func New(p Pricer, j Journal, log *slog.Logger, hooks ...Hook) *Settler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Settler{journal: j, hooks: hooks, log: log}
	s.SetPricer(p)
	return s
}

// SetPricer swaps the price book, for a reload. Events settled after it
// returns are priced with p.
func (s *Settler) SetPricer(p Pricer) { s.prices.Store(&pricerBox{p}) }

// Failures counts events that could not be journaled.
func (s *Settler) Failures() int64 { return s.failures.Load() }

// Settle prices e (unless it carries no usage), journals it, then hands it
// to the hooks. It is the only place usage is priced. The error is non-nil
// when the event could not be priced or journaled; hooks run regardless, so
// that in-memory state never disagrees with what the client was served.
func (s *Settler) Settle(e *usage.Event) error {
	var err error
	if e.Usage != (wire.Usage{}) {
		cost, version, unpriced, perr := s.prices.Load().Price(e.Deployment, e.Time, e.Usage)
		if perr != nil {
			err = fmt.Errorf("settle: price %s: %w", e.ID(), perr)
		}
		e.Cost, e.PriceVersion, e.Unpriced = cost, version, unpriced
	}
	if s.journal != nil {
		if jerr := s.journal.Append(e); jerr != nil {
			s.failures.Add(1)
			// The event itself goes to the log, so an operator can replay it:
			// it is all the books would have had.
			s.log.Error("usage event not journaled", "err", jerr, "event_id", e.ID(), "deployment", e.Deployment,
				"outcome", e.Outcome.String(), "prompt_tokens", e.Usage.Prompt, "completion_tokens", e.Usage.Completion,
				"cost_usd", e.Cost.String(), "key", e.KeyName)
			err = errors.Join(err, fmt.Errorf("%w: %w", ErrJournal, jerr))
		}
	}
	for _, h := range s.hooks {
		h.Settle(e)
	}
	return err
}
