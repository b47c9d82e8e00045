package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

// RecentQuery selects the latest raw events, newest first, a page at a time.
// Pages are keyset pages on (time, request id, attempt): a page after
// Before reads only the index entries it returns, however deep it is, so a
// store of millions of events answers as fast on page 100 as on page 1.
type RecentQuery struct {
	// Limit is the page size: 1 to MaxRecent; 0 means 50.
	Limit int
	// Before, when set, is the cursor: events strictly older than it in
	// (time, request id, attempt) order.
	Before *EventCursor
	// Equality filters; empty means any.
	Tenant, KeyID, Model string
	// Outcome filters by outcome; 0 means any.
	Outcome usage.Outcome
}

// EventCursor is the position of one event in the recent-events order.
type EventCursor struct {
	Time      time.Time
	RequestID string
	Attempt   int
}

// MaxRecent bounds RecentQuery.Limit.
const MaxRecent = 500

// RecentLister lists the latest events. Both backends implement it; it is
// apart from Store so that test doubles of Store need not.
type RecentLister interface {
	RecentEvents(ctx context.Context, q RecentQuery) ([]usage.Event, error)
}

// RecentEvents implements RecentLister. Migration 0006 indexes (time,
// request id, attempt) and the same led by tenant, so a page is one index
// range read backwards that stops after Limit rows. Key, model and outcome
// filters walk that range and skip what does not match: fast for a value
// with a fair share of the traffic (or of the tenant's), slower for a rare
// one.
func (s *sqlStore) RecentEvents(ctx context.Context, q RecentQuery) ([]usage.Event, error) {
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 0 || q.Limit > MaxRecent {
		return nil, fmt.Errorf("%w: limit %d: want 1 to %d", ErrBadQuery, q.Limit, MaxRecent)
	}
	var where []string
	var args []any
	for _, f := range []struct{ col, v string }{{"tenant", q.Tenant}, {"key_id", q.KeyID}, {"model", q.Model}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if q.Outcome != 0 {
		where = append(where, "outcome = ?")
		args = append(args, int64(q.Outcome))
	}
	if c := q.Before; c != nil {
		// Spelled out rather than as a row value, so both backends plan it
		// the same way: the redundant time_ns <= bound is the index range
		// (an OR alone would make them scan from the newest row), and the
		// rest breaks ties on the same nanosecond.
		where = append(where, "time_ns <= ? AND (time_ns < ? OR (time_ns = ? AND (request_id < ? OR (request_id = ? AND attempt < ?))))")
		ns := c.Time.UnixNano()
		args = append(args, ns, ns, ns, c.RequestID, c.RequestID, int64(c.Attempt))
	}
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(eventCols, ",") + " FROM usage_events")
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	fmt.Fprintf(&b, " ORDER BY time_ns DESC, request_id DESC, attempt DESC LIMIT %d", q.Limit)
	rows, err := s.r.QueryContext(ctx, s.bind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("store: recent events: %w", err)
	}
	defer rows.Close()
	out := make([]usage.Event, 0, q.Limit)
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: recent events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: recent events: %w", err)
	}
	return out, nil
}

// scanEvent reads one row of eventCols.
func scanEvent(rows *sql.Rows) (usage.Event, error) {
	var (
		e                                usage.Event
		u                                wire.Usage
		attempt, timeNs, stream, outcome int64
		status, source, cost, unpriced   int64
		ttft, dur                        int64
	)
	if err := rows.Scan(&e.RequestID, &attempt, &timeNs, &e.TenantID, &e.KeyID, &e.KeyName, &e.Model, &e.Deployment, &e.Provider,
		&e.Op, &stream, &outcome, &status,
		&u.Prompt, &u.Completion, &u.Cached, &u.CacheWrite, &u.Reasoning,
		&source, &cost, &e.PriceVersion, &unpriced, &ttft, &dur, &e.Error); err != nil {
		return e, err
	}
	e.Attempt = int(attempt)
	e.Time = time.Unix(0, timeNs).UTC()
	e.Stream = stream != 0
	e.Outcome = usage.Outcome(outcome)
	e.Status = int(status)
	e.Usage = u
	e.Source = usage.Source(source)
	e.Cost = money.Nanos(cost)
	e.Unpriced = unpriced != 0
	e.TTFT = time.Duration(ttft)
	e.Duration = time.Duration(dur)
	return e, nil
}
