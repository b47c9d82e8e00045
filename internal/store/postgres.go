package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres opens (and migrates) the Postgres store at url, a pgx pool
// behind database/sql so that both backends share one implementation. Runtime
// parameters in the URL (search_path=…) apply to every connection.
func OpenPostgres(ctx context.Context, url string) (Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	// A fixed advisory lock key: replicas starting together migrate in turn.
	if err := migrate(ctx, db, "postgres", "SELECT pg_advisory_xact_lock(7369746368796172)"); err != nil {
		db.Close()
		pool.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return &sqlStore{d: dialect{name: "postgres", maxParams: 65535, dollar: true, arrays: true}, w: db, r: db, pg: pool, onStop: pool.Close}, nil
}
