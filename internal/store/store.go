// Package store keeps usage events, their hourly and daily rollups and the price versions seen, in SQLite or Postgres.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
)

// Store is where usage lands. Both backends pass the same conformance suite
// (internal/store/storetest) and return identical results for the same events.
type Store interface {
	// Apply writes events idempotently by usage.Event.ID() (request id +
	// attempt): an event already stored is skipped and does not touch the
	// rollups. Events and rollups change in one transaction.
	Apply(ctx context.Context, events []usage.Event) error
	// ApplyPost is Apply(events) then Post(txns) (the ledger transactions
	// derived from them), in one transaction where the backend can (SQLite),
	// and returns how many transactions were new. Like each of them it is
	// idempotent: a batch applied again, whole or in part, counts once.
	ApplyPost(ctx context.Context, events []usage.Event, txns []ledger.Txn) (int, error)
	// Events returns one request's attempts, in attempt order.
	Events(ctx context.Context, requestID string) ([]usage.Event, error)
	// Usage reads the rollups (never the raw events) grouped by q.GroupBy.
	Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error)
	// Spend is the cost recorded per deployment with event time in
	// [from, to), for restoring commitment drawdown. Whole hours come from
	// the rollups; partial hours at either end from the raw events, so it is
	// exact as long as those are retained.
	Spend(ctx context.Context, from, to time.Time) (map[string]money.Nanos, error)
	// RecordPriceVersion records a price version seen in config; recording
	// the same version again is a no-op, recording different rates under an
	// id already stored is ErrPriceVersionConflict (versions are immutable).
	RecordPriceVersion(ctx context.Context, v PriceVersion) error
	// PriceVersions lists the recorded versions, by id.
	PriceVersions(ctx context.Context) ([]PriceVersion, error)
	// Prune deletes raw events older than before; rollups are kept for ever.
	// Afterwards Apply skips events older than before (they were counted
	// once already), so a replay cannot count a pruned event twice.
	Prune(ctx context.Context, before time.Time) (int64, error)
	// Tenants and their keys (tenants.go).
	Tenants
	// The books: balanced ledger transactions and their rollups (ledger.go).
	Ledger
	// Versions of the commitments seen in config (commitments.go).
	CommitmentVersions
	// Plans and assignments made through the admin API (plandocs.go).
	AdminPlans
	// Backend names the implementation: "sqlite" or "postgres".
	Backend() string
	Close() error
}

// PriceVersion is one effective-dated set of rates for a deployment. Rates is
// opaque JSON text owned by the price book.
type PriceVersion struct {
	ID         string    `json:"id"`
	Deployment string    `json:"deployment"`
	From       time.Time `json:"from"`
	Rates      string    `json:"rates"`
}

// Errors callers may test with errors.Is.
var (
	ErrBadQuery             = errors.New("store: bad query")
	ErrBadEvent             = errors.New("store: bad event")
	ErrPriceVersionConflict = errors.New("store: price version already recorded with other values")
)

// DefaultRetention is how long raw events are kept when Config.Retention is zero.
const DefaultRetention = 30 * 24 * time.Hour

// Config picks and places the store.
type Config struct {
	DataDir     string        // SQLite lives in DataDir/switchyard.db
	PostgresURL string        // when set, Postgres is used instead of SQLite
	Retention   time.Duration // raw events older than this may be pruned; 0 = DefaultRetention
}

// PruneBefore is the cut-off for Prune at now under c's retention.
func (c Config) PruneBefore(now time.Time) time.Time {
	r := c.Retention
	if r <= 0 {
		r = DefaultRetention
	}
	return now.Add(-r)
}

// Open opens (creating and migrating as needed) the store that c names:
// Postgres when PostgresURL is set, else SQLite in DataDir.
func Open(ctx context.Context, c Config) (Store, error) {
	if c.PostgresURL != "" {
		return OpenPostgres(ctx, c.PostgresURL)
	}
	if c.DataDir == "" {
		return nil, errors.New("store: open: neither data_dir nor a Postgres URL is set")
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return OpenSQLite(ctx, filepath.Join(c.DataDir, "switchyard.db"))
}
