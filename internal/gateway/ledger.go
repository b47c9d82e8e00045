package gateway

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/journal"
	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
)

// postLedger is the journal writer's apply: a batch of events goes into
// the store with the ledger transactions derived from them, in one store
// transaction where the store can (SQLite: one commit per batch, not two).
// A failing batch is retried whole, and events (by id) and transactions (by
// the ids derived from the events') are idempotent, so the books never miss
// or double a posting.
func (g *Gateway) postLedger() journal.Apply {
	d := ledgerDeriver(g.cfg)
	d.Rater = &planRater{g: g}
	local := g.cfg.Store.Postgres == ""
	return func(ctx context.Context, events []usage.Event) error {
		if local {
			// A SQLite write is local and short, so it is not cancelled:
			// given a context that can be, the driver starts a watcher
			// goroutine and a progress handler for every statement (a
			// batch runs dozens), and database/sql one per transaction.
			// Shutdown still waits for at most the batch in hand. Postgres
			// keeps the context: its writes can hang on the network.
			ctx = context.WithoutCancel(ctx)
		}
		if paceWriter(len(events)) {
			ctx = store.Pace(ctx, writerSlice, writerPause)
		}
		if _, err := g.Store.ApplyPost(ctx, events, d.Derive(events)); err != nil {
			return fmt.Errorf("gateway: usage writer: %w", err)
		}
		return nil
	}
}

// The writer shares the process's one P, when it has one, with the
// requests: paced (store.Pace), it pauses for writerPause after each
// writerSlice of SQLite work, so a request arriving mid-batch waits for
// about a slice instead of the whole batch (5–10 ms at 500 req/s, which was
// the gateway's added p99). The pause is as long as the slice: during a
// batch the writer takes at most half the P, and requests, which at 2,000
// req/s need about half, do not queue behind it (with a 50 µs pause they
// had a fifth, and the added p99 there was 10–30 ms, not 4–6). Not when
// catching up: a full batch means a backlog (a restart's journal tail, a
// burst), which is applied at full speed, since a pause on an otherwise
// idle P lasts the network poller's 1 ms minimum.
const (
	writerSlice = 200 * time.Microsecond
	writerPause = 200 * time.Microsecond
)

func paceWriter(batch int) bool { return batch < applyBatch && runtime.GOMAXPROCS(0) == 1 }

// ledgerDeriver derives postings under cfg: tenants pay pass-through (the
// gateway then sets the plan book as the Rater); attempts on a deployment drawing
// on a spend commitment draw it down during its term. Commitments are
// read at start-up (a reload cannot change them).
func ledgerDeriver(cfg *config.Config) *ledger.Deriver {
	d := &ledger.Deriver{Rater: ledger.PassThrough{}, Commitments: map[string]ledger.Commitment{}}
	for i := range cfg.Commitments {
		c := &cfg.Commitments[i]
		if c.Kind != config.CommitSpend {
			continue
		}
		for _, m := range cfg.Models {
			for j := range m.Deployments {
				if dep := &m.Deployments[j]; c.Covers(dep) {
					d.Commitments[dep.Name] = ledger.Commitment{Name: c.Name, Start: c.Start, End: c.End}
				}
			}
		}
	}
	return d
}
