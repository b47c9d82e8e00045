package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/usage"
)

// EventScanner streams raw usage events. Both backends implement it; it is
// apart from Store so that test doubles of Store need not.
type EventScanner interface {
	// ScanEvents calls fn with every raw event whose time is in [from, to),
	// in time order (ties by request id, then attempt), without holding
	// them all in memory. An error from fn stops the scan and is returned.
	// Events older than the retention have been pruned: only the rollups
	// remember them.
	ScanEvents(ctx context.Context, from, to time.Time, fn func(usage.Event) error) error
}

// ScanEvents implements EventScanner.
func (s *sqlStore) ScanEvents(ctx context.Context, from, to time.Time, fn func(usage.Event) error) error {
	q := "SELECT " + strings.Join(eventCols, ",") +
		" FROM usage_events WHERE time_ns >= ? AND time_ns < ? ORDER BY time_ns, request_id, attempt"
	rows, err := s.r.QueryContext(ctx, s.bind(q), nsBound(from, math.MinInt64), nsBound(to, math.MaxInt64))
	if err != nil {
		return fmt.Errorf("store: scan events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return fmt.Errorf("store: scan events: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: scan events: %w", err)
	}
	return nil
}
