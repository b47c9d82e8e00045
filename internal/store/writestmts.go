package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// SQLite's write statements. Every multi-row write (events, rollups,
// ledger headers) is cut into chunks of a few fixed sizes (chunkSizes), and
// each size is prepared once on the writer's connection: a statement built
// for a batch's exact count would be parsed again for every batch whose
// count differs from the last, and the journal writer's batches (200 ms of
// traffic) differ every time. Parsing a 100-row insert cost more than
// running it.

// chunkSizes splits n rows into statements of at most per rows: full
// chunks, then the remainder in powers of two, so that a statement has one
// of a few sizes (stmtSizes), each prepared once.
func chunkSizes(n, per int) []int {
	var out []int
	for ; n >= per; n -= per {
		out = append(out, per)
	}
	for p := 1 << 30; n > 0; p >>= 1 {
		if p <= n {
			out = append(out, p)
			n -= p
		}
	}
	return out
}

// stmtSizes are the row counts chunkSizes yields for per.
func stmtSizes(per int) []int {
	out := []int{per}
	for p := 1; p < per; p <<= 1 {
		out = append(out, p)
	}
	return out
}

// sizedStmts are one write's statements, by count of units (stmtSizes(per)),
// each unit of rows rows (1 but for txnUnits).
type sizedStmts struct {
	per, rows int
	q         map[int]string
}

// chunks splits n units into statement sizes: shorter ones for a paced
// writer (pacedRows rows), all among those prepared.
func (z sizedStmts) chunks(ctx context.Context, n int) []int {
	per := z.per
	if paced(ctx) {
		per = min(per, max(pacedRows/max(z.rows, 1), 1))
	}
	return chunkSizes(n, per)
}

// writeStmts are the SQLite write statements by row count, built once per
// dialect rather than per batch.
type writeStmts struct {
	events                                                   sizedStmts
	rollups                                                  map[string]sizedStmts // by rollup table name
	txns, txnUnits, postings, ids, ledgerHourly, ledgerDaily sizedStmts
	// prepared are those prepared on the writer: all but the daily usage
	// rollups', which only a late event (for a day already closed) writes.
	prepared []string
}

// rollupChunkRows caps the rows of one rollup upsert (usage's and the
// ledger's), below chunkRows: a batch adds one rollup row per key, model
// and hour it holds, so from one busy key to a few hundred, and each
// prepared size of a 24-column upsert keeps ~2 KiB of SQLite's memory per
// row (outside the Go heap, for the life of the store). At 16 rows, a
// batch from a thousand keys runs some sixty upserts instead of ten; each
// costs microseconds beside its rows.
const rollupChunkRows = 16

var writeStmtsCache sync.Map // [2]int{maxParams, chunkRows} → *writeStmts

func (s *sqlStore) writeStmts() *writeStmts {
	key := [2]int{s.d.maxParams, s.d.chunkRows}
	if w, ok := writeStmtsCache.Load(key); ok {
		return w.(*writeStmts)
	}
	w := &writeStmts{rollups: map[string]sizedStmts{}}
	sized := func(per int, prepare bool, f func(int) string) sizedStmts {
		z := sizedStmts{per: per, q: map[int]string{}}
		for _, n := range stmtSizes(per) {
			z.q[n] = s.bind(f(n))
			if prepare {
				w.prepared = append(w.prepared, z.q[n])
			}
		}
		return z
	}
	w.events = sized(s.rowsPer(len(eventCols)), true, func(n int) string { return insertEventsSQL(n, false) })
	for _, t := range []rollupTable{hourlyTable, dailyTable, dailyKeyTable} {
		w.rollups[t.name] = sized(min(s.rowsPer(t.cols()), rollupChunkRows), t.name == hourlyTable.name,
			func(n int) string { return upsertRollupsSQL(t, n) })
	}
	// Pair headers are written mostly as units of two (insertPairs); one
	// by one only those unmatched, so a few short sizes do for them.
	// (SQLite's ?NNN; Postgres, whose $N bind would renumber them, books
	// through arrays and never reaches these.)
	if !s.d.dollar {
		w.txnUnits = sized(s.rowsPer(len(txnCols))/2, true, insertTxnUnitsSQL)
		w.txnUnits.rows = 2
	}
	w.txns = sized(min(s.rowsPer(len(txnCols)), pacedRows), true, insertTxnsSQL)
	w.postings = sized(s.rowsPer(len(postingCols)), true, insertPostingsSQL)
	w.ids = sized(s.rowsPer(1), true, selectTxnIDsSQL)
	bookPer := min(s.rowsPer(len(bookKeyCols)+len(bookSumCols)), rollupChunkRows)
	w.ledgerHourly = sized(bookPer, true, func(n int) string { return upsertBooksSQL("ledger_hourly", n) })
	w.ledgerDaily = sized(bookPer, true, func(n int) string { return upsertBooksSQL("ledger_daily", n) })
	v, _ := writeStmtsCache.LoadOrStore(key, w)
	return v.(*writeStmts)
}

// prepareWrites prepares the write statements on SQLite's writer, once,
// at the first write rather than at open (a report command that only reads
// never pays for them) and before the write's transaction takes the
// writer's only connection. The store's lock is not held while preparing:
// another write may hold the connection and want the lock.
func (s *sqlStore) prepareWrites(ctx context.Context) error {
	if s.d.chunkRows == 0 || s.writesPrepared.Load() {
		return nil
	}
	for _, q := range s.writeStmts().prepared {
		s.mu.Lock()
		_, ok := s.stmts[q]
		s.mu.Unlock()
		if ok {
			continue
		}
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		s.mu.Lock()
		if _, ok := s.stmts[q]; ok || s.stmts == nil {
			st.Close()
		} else {
			s.stmts[q] = st
		}
		s.mu.Unlock()
	}
	s.writesPrepared.Store(true)
	return nil
}

// txStmt returns q's prepared statement bound to tx, or nil when q was not
// prepared; a paced writer (Pace) may pause first. The writer holds one
// connection, so tx runs on the connection the statement was prepared on
// and database/sql reuses it as is.
func (s *sqlStore) txStmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	pace(ctx)
	s.mu.Lock()
	st := s.stmts[q]
	s.mu.Unlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// exec runs q in tx, prepared when it was, and returns the rows it wrote.
func (s *sqlStore) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if st := s.txStmt(ctx, tx, q); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// query runs q in tx, prepared when it was.
func (s *sqlStore) query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := s.txStmt(ctx, tx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}
