package store

import (
	"context"

	"github.com/switchyard/switchyard/internal/usage"
)

// ApplyRollupsOnly folds events into the rollups without storing them raw,
// through the same aggregation and upserts as Apply: the benchmarks' fast
// path to the rollups of ten million events.
func ApplyRollupsOnly(ctx context.Context, st Store, evs []usage.Event) error {
	batch, err := applyOrder(evs)
	if err != nil || len(batch) == 0 {
		return err
	}
	s := st.(*sqlStore)
	if err := s.prepareWrites(ctx); err != nil {
		return err
	}
	return s.apply(ctx, batch, false)
}

// PausesOf is how many times the writer paced by ctx (Pace) paused.
func PausesOf(ctx context.Context) int {
	p, _ := ctx.Value(pacerKey{}).(*pacer)
	if p == nil {
		return 0
	}
	return p.pauses
}
