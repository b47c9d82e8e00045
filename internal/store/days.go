package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Closing days. Apply adds each batch to the hourly rollups only; a day's
// daily rows (usage_daily, by model, and usage_daily_key, by key) are summed
// from its hourly ones once, when the day closes: when a batch holds an event
// at least closeGrace past the day's end. store_meta's rollup_days_before
// marks the first day not closed yet:
//
//   - days before it have complete daily rows, equal to the sums of their
//     hourly rows: an event that comes late for such a day is added to the
//     hourly and both daily tables in its batch;
//   - days from it on have no daily rows of this code's making, and reports
//     read them from the hourly rollups.
//
// Adding ~800 rows to the daily table per batch of 1,000 events was a fifth
// of Apply's time on Postgres; a day's close reads its ~20,000 hourly rows
// once. The mark only moves forward, and it moves in the same transaction as
// the daily rows it stands for.
//
// Concurrent writers (Postgres replicas) read the mark FOR SHARE and a batch
// that closes days reads it FOR UPDATE, so a close waits for the batches in
// flight (whose hourly rows it must sum) and the batches after it see the new
// mark (and add their late events to the daily rows themselves). A batch
// picks its lock from the last mark it saw (daysHint), which can only be
// behind the real one: a batch that takes the shared lock never needs to
// close, so no transaction upgrades a shared lock into a deadlock.

// closeGrace is how far past a day's end the newest event must be for the
// day to close: the journal's batches are time-ordered up to the longest
// request, and a later event for a closed day is still counted, only more
// expensively.
const closeGrace = hourSec

const metaDaysBefore = "rollup_days_before"

// closeBefore is the mark a batch whose newest event is at maxSec moves to.
func closeBefore(maxSec int64) int64 { return floorTo(maxSec-closeGrace, daySec) }

// metaSQL reads the prune horizon and the closed-days mark, locking the
// mark's row as lock says ("" on SQLite, whose writer is alone anyway).
func metaSQL(lock string) string {
	return "SELECT COALESCE((SELECT value FROM store_meta WHERE name = 'pruned_before_ns'), 0), value FROM store_meta WHERE name = '" +
		metaDaysBefore + "'" + lock
}

// readMeta runs metaSQL on q (a *sql.Tx).
func readMeta(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, lock string) (horizon, daysBefore int64, err error) {
	if err = q.QueryRowContext(ctx, metaSQL(lock)).Scan(&horizon, &daysBefore); err != nil {
		return 0, 0, metaErr(err)
	}
	return horizon, daysBefore, nil
}

// metaErr explains a failed read of store_meta: migration 0008 writes the
// mark, and nothing deletes it.
func metaErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("store: store_meta has no %s (migration 0008 writes it)", metaDaysBefore)
	}
	return fmt.Errorf("store: read store_meta: %w", err)
}

// sumCols renders each rollup sum as f(column), comma-separated.
func sumCols(f func(c string) string) string {
	out := make([]string, len(rollupSumCols))
	for i, c := range rollupSumCols {
		out[i] = f(c)
	}
	return strings.Join(out, ",")
}

// closeSQL sums the hourly rows of [?, ?) into usage_daily, then the daily
// rows of the same days into usage_daily_key, and moves the mark to the
// third argument. An existing daily row of those days is replaced, not added
// to: the hourly rows are the whole truth for a day being closed (a binary
// from before the mark existed adds every event to usage_daily).
var closeSQL = []string{
	"INSERT INTO usage_daily (" + strings.Join(rollupKeyCols, ",") + "," + strings.Join(rollupSumCols[:], ",") + ") " +
		"SELECT (bucket / 86400) * 86400, tenant, key_id, key_name, model, deployment, provider, " +
		sumCols(func(c string) string { return "CAST(SUM(" + c + ") AS BIGINT)" }) +
		" FROM usage_hourly WHERE bucket >= ? AND bucket < ? GROUP BY 1, 2, 3, 4, 5, 6, 7" +
		" ON CONFLICT (" + strings.Join(rollupKeyCols, ",") + ") DO UPDATE SET " +
		sumCols(func(c string) string { return c + " = excluded." + c }),
	"INSERT INTO usage_daily_key (" + strings.Join(dailyKeyCols, ",") + "," + strings.Join(rollupSumCols[:], ",") + ") " +
		"SELECT bucket, tenant, key_id, key_name, " +
		sumCols(func(c string) string { return "CAST(SUM(" + c + ") AS BIGINT)" }) +
		" FROM usage_daily WHERE bucket >= ? AND bucket < ? GROUP BY 1, 2, 3, 4" +
		" ON CONFLICT (" + strings.Join(dailyKeyCols, ",") + ") DO UPDATE SET " +
		sumCols(func(c string) string { return c + " = excluded." + c }),
	"INSERT INTO store_meta (name, value) VALUES ('" + metaDaysBefore + "', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
}

// closeArgs are closeSQL's arguments, statement by statement.
func closeArgs(from, to int64) [][]any {
	return [][]any{{from, to}, {from, to}, {to}}
}

// dailyKeyCols are usage_daily_key's key columns.
var dailyKeyCols = []string{"bucket", "tenant", "key_id", "key_name"}

// daysBefore reads the closed-days mark for a report. Read apart from the
// rollups it steers, it may be older than they are: that only sends a day
// closed since to the hourly rollups, which hold it too.
func (s *sqlStore) daysBefore(ctx context.Context) (int64, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, "SELECT value FROM store_meta WHERE name = '"+metaDaysBefore+"'").Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read store_meta: %w", err)
	}
	return v, nil
}
