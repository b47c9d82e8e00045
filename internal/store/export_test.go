package store

import (
	"context"
	"fmt"

	"github.com/switchyard/switchyard/internal/usage"
)

// ApplyRollupsOnly folds events into the rollups without storing them raw,
// through the same aggregation and upserts as Apply: the benchmarks' fast
// path to the rollups of ten million events.
func ApplyRollupsOnly(ctx context.Context, st Store, evs []usage.Event) error {
	s := st.(*sqlStore)
	r := newRollups()
	for i := range evs {
		r.add(&evs[i])
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := s.upsertRollups(ctx, tx, "usage_hourly", r.hourly); err != nil {
		return err
	}
	if err := s.upsertRollups(ctx, tx, "usage_daily", r.daily); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
