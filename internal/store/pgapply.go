package store

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchyard/switchyard/internal/usage"
)

// Postgres applies a batch over pgx itself rather than database/sql, for
// COPY and pipelining: three round trips per batch.
//
//  1. BEGIN, read the prune horizon and the closed-days mark (locked, see
//     days.go), SAVEPOINT;
//  2. COPY the events into usage_events: when none of them is stored yet,
//     which is every batch but a replay's, every row is new and counts;
//  3. the hourly upsert (each rollup row once: the batch is aggregated in
//     Go), any late events' daily rows, the close of finished days, COMMIT.
//
// COPY cannot skip a duplicate: a batch holding an event stored already
// (a journal replay after a crash, or a replica applying the same tail)
// fails on the primary key, goes back to the savepoint and inserts with ON
// CONFLICT DO NOTHING RETURNING instead, and only the rows it returns count
// in the rollups. So an event written twice never counts twice, whichever
// way it came in. The commit is synchronous (synchronous_commit as the
// server has it): the journal checkpoints after Apply returns, and a
// checkpoint past events the database could still lose would lose them.
func (s *sqlStore) pgApply(ctx context.Context, batch []*usage.Event, withEvents bool) (err error) {
	c, err := s.pg.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: apply: %w", err)
	}
	// The pool drops a connection released inside a transaction, so a
	// failed ROLLBACK leaks nothing.
	defer c.Release()
	conn := c.Conn()
	defer func() {
		if err != nil && !conn.IsClosed() && conn.PgConn().TxStatus() != 'I' {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()

	// A batch that may close days locks the mark exclusively; see days.go.
	lock := " FOR SHARE"
	if closeBefore(maxEventSec(batch)) > s.daysHint.Load() {
		lock = " FOR UPDATE"
	}
	var horizon, daysBefore int64
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(metaSQL(lock)).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&horizon, &daysBefore); err != nil {
			return metaErr(err)
		}
		return nil
	})
	if withEvents {
		b.Queue("SAVEPOINT apply_copy")
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("store: apply: begin: %w", err)
	}

	batch = afterHorizon(batch, horizon)
	r := newRollups(daysBefore)
	if withEvents {
		inserted, err := pgInsertEvents(ctx, conn, batch)
		if err != nil {
			return err
		}
		for _, e := range batch {
			if inserted == nil || inserted[eventID{e.RequestID, e.Attempt}] {
				r.add(e)
			}
		}
	} else {
		for _, e := range batch {
			r.add(e)
		}
	}

	b = &pgx.Batch{}
	for _, t := range r.tables() {
		b.Queue(pgUpsertSQL(t.table), rollupArrays(t.table, sortedKeys(t.rows), t.rows)...)
	}
	closeTo := r.closeTo()
	if closeTo > daysBefore {
		for i, a := range closeArgs(daysBefore, closeTo) {
			b.Queue(bindDollar(closeSQL[i]), a...)
		}
	}
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("store: apply: rollups and commit: %w", err)
	}
	s.daysHint.Store(max(daysBefore, closeTo))
	return nil
}

// pgInsertEvents writes an ordered batch inside the transaction's savepoint
// and returns the ids it inserted, or nil when it inserted all of them.
func pgInsertEvents(ctx context.Context, conn *pgx.Conn, batch []*usage.Event) (map[eventID]bool, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"usage_events"}, eventCols, &eventRows{batch: batch, i: -1})
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) || pe.Code != "23505" { // unique_violation
		if err != nil {
			return nil, fmt.Errorf("store: apply: copy events: %w", err)
		}
		return nil, nil
	}
	if _, err := conn.Exec(ctx, "ROLLBACK TO SAVEPOINT apply_copy"); err != nil {
		return nil, fmt.Errorf("store: apply: insert events: %w", err)
	}
	rows, err := conn.Query(ctx, pgInsertEventsSQL, eventArrays(batch)...)
	if err != nil {
		return nil, fmt.Errorf("store: apply: insert events: %w", err)
	}
	defer rows.Close()
	inserted := make(map[eventID]bool, len(batch))
	for rows.Next() {
		var id eventID
		if err := rows.Scan(&id.request, &id.attempt); err != nil {
			return nil, fmt.Errorf("store: apply: insert events: %w", err)
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: apply: insert events: %w", err)
	}
	return inserted, nil
}

// eventRows feeds a batch to COPY, one row at a time.
type eventRows struct {
	batch []*usage.Event
	i     int
	row   []any
}

func (r *eventRows) Next() bool { r.i++; return r.i < len(r.batch) }

// Values reuses one slice: COPY encodes each row before asking for the next.
func (r *eventRows) Values() ([]any, error) {
	r.row = appendEventArgs(r.row[:0], r.batch[r.i])
	return r.row, nil
}

func (r *eventRows) Err() error { return nil }

// eventArrays is a batch as one typed array per column (eventColTypes).
func eventArrays(batch []*usage.Event) []any {
	cols := make([]any, len(eventColTypes))
	texts := make([][]string, len(eventColTypes))
	ints := make([][]int64, len(eventColTypes))
	for i, t := range eventColTypes {
		if t == "text" {
			texts[i] = make([]string, 0, len(batch))
		} else {
			ints[i] = make([]int64, 0, len(batch))
		}
	}
	row := make([]any, 0, len(eventCols))
	for _, e := range batch {
		row = appendEventArgs(row[:0], e)
		for i, v := range row {
			if texts[i] != nil {
				texts[i] = append(texts[i], v.(string))
			} else {
				ints[i] = append(ints[i], v.(int64))
			}
		}
	}
	for i := range cols {
		if texts[i] != nil {
			cols[i] = texts[i]
		} else {
			cols[i] = ints[i]
		}
	}
	return cols
}

// rollupArrays is a table's rows as one typed array per column, in
// pgUpsertSQL's order.
func rollupArrays(t rollupTable, keys []rollupKey, m map[rollupKey]*sums) []any {
	n := len(keys)
	buckets := make([]int64, n)
	texts := make([][]string, len(t.keyCols)-1)
	for i := range texts {
		texts[i] = make([]string, n)
	}
	var vals [rollupSumN][]int64
	for i := range vals {
		vals[i] = make([]int64, n)
	}
	for j := range keys {
		k := &keys[j]
		buckets[j] = k.bucket
		for i, v := range t.texts(k) {
			texts[i][j] = v
		}
		for i, v := range m[*k] {
			vals[i][j] = v
		}
	}
	out := make([]any, 0, t.cols())
	out = append(out, buckets)
	for _, c := range texts {
		out = append(out, c)
	}
	for _, c := range vals {
		out = append(out, c)
	}
	return out
}

// maxEventSec is the newest event's time in Unix seconds.
func maxEventSec(batch []*usage.Event) int64 {
	m := int64(math.MinInt64 + daySec + closeGrace) // closeBefore must not overflow
	for _, e := range batch {
		m = max(m, e.Time.Unix())
	}
	return m
}
