package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
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

// unmatchedRows caps the rows of a statement of pair headers written one
// by one (those not matched in a unit of two): few, so short statements do.
const unmatchedRows = 8

// chunks splits n units into statement sizes, all among those prepared.
func (z sizedStmts) chunks(n int) []int { return chunkSizes(n, z.per) }

// writeStmts are the SQLite write statements by row count, built once per
// dialect rather than per batch.
type writeStmts struct {
	events                                                   sizedStmts
	rollups                                                  map[string]sizedStmts // by rollup table name
	txns, txnUnits, postings, ids, ledgerHourly, ledgerDaily sizedStmts
	// prepared are those prepared on the writer: all but the daily usage
	// rollups', which only a late event (for a day already closed) writes.
	// queries (reading which ids are booked) are prepared through
	// database/sql, the others on the driver's connection (exec).
	prepared, queries []string
}

// rollupChunkRows caps the rows of one rollup upsert (usage's and the
// ledger's), below chunkRows: a batch adds one rollup row per key, model
// and hour it holds, so from one busy key to a few hundred, and each
// prepared size of a 24-column upsert keeps ~2 KiB of SQLite's memory per
// row (outside the Go heap, for the life of the store). At 16 rows, a
// batch from a thousand keys runs some sixty upserts instead of ten; each
// costs microseconds beside its rows.
const rollupChunkRows = 16

// orRollback makes a SQLite write statement roll back the whole
// transaction on a constraint it breaks (INSERT OR ROLLBACK), rather than
// undo only its own changes (ABORT, the default). Every write transaction
// here is given up whole on any error anyway, and a statement that may
// ABORT after changing rows makes SQLite first copy each page it changes
// into a statement journal: a 4 KiB copy per page, for each of the b-tree
// pages (table, indexes) every multi-row statement touches. An ON CONFLICT
// clause still decides the conflicts it names; RAISE(ABORT) in a trigger
// still aborts its statement.
func orRollback(d dialect, q string) string {
	if d.dollar {
		return q
	}
	return strings.Replace(q, "INSERT INTO ", "INSERT OR ROLLBACK INTO ", 1)
}

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
			z.q[n] = s.bind(orRollback(s.d, f(n)))
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
	w.txns = sized(min(s.rowsPer(len(txnCols)), unmatchedRows), true, insertTxnsSQL)
	w.postings = sized(s.rowsPer(len(postingCols)), true, insertPostingsSQL)
	w.ids = sized(s.rowsPer(1), false, selectTxnIDsSQL)
	for _, q := range w.ids.q {
		w.queries = append(w.queries, q)
	}
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
	w := s.writeStmts()
	for _, q := range w.queries {
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
	c, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: prepare: %w", err)
	}
	defer c.Close()
	err = c.Raw(func(dc any) error {
		for _, q := range w.prepared {
			if _, err := s.rawStmt(ctx, dc, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: prepare: %w", err)
	}
	s.writesPrepared.Store(true)
	return nil
}

// Write statements run on the driver's connection. database/sql checks and
// converts every argument of every Exec (driverArgsConnLocked), and binds
// a prepared statement to the transaction anew each time (Tx.StmtContext):
// 5% of the writer's instructions. The journal writer's values are strings
// and int64s, which the driver takes as they are; its statements are
// prepared once on the one connection SQLite writes through.

// rawConnKey: the context of a write transaction begun by beginWrite holds
// the *sql.Conn it runs on.
type rawConnKey struct{}

// beginWrite begins a write transaction. On SQLite it holds the writer's
// connection as a *sql.Conn, which the returned context carries, so that
// exec can run prepared statements on its driver connection. done rolls
// back (a no-op after Commit) and lets the connection go.
func (s *sqlStore) beginWrite(ctx context.Context) (context.Context, *sql.Tx, func(), error) {
	if s.d.chunkRows == 0 {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return ctx, nil, nil, err
		}
		return ctx, tx, func() { tx.Rollback() }, nil //nolint:errcheck // no-op after Commit
	}
	c, err := s.w.Conn(ctx)
	if err != nil {
		return ctx, nil, nil, err
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		c.Close()
		return ctx, nil, nil, err
	}
	unpace := func() {}
	if p := pacerOf(ctx); p != nil {
		_ = c.Raw(func(dc any) error { unpace = paceRows(dc, p); return nil })
	}
	done := func() {
		tx.Rollback() //nolint:errcheck // no-op after Commit
		// Unhooked before the connection goes back: the next write may
		// not be paced.
		_ = c.Raw(func(any) error { unpace(); return nil })
		c.Close()
	}
	return context.WithValue(ctx, rawConnKey{}, c), tx, done, nil
}

// rawStmt returns q prepared on the driver connection dc, preparing it
// there if it is not yet: at the first write, or when database/sql has
// replaced the connection (the statements of the old one went with it).
func (s *sqlStore) rawStmt(ctx context.Context, dc any, q string) (driver.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rawDC != dc {
		s.rawDC, s.rawStmts = dc, map[string]driver.Stmt{}
	}
	if st := s.rawStmts[q]; st != nil {
		return st, nil
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("store: driver connection %T cannot prepare", dc)
	}
	st, err := pc.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.rawStmts[q] = st
	return st, nil
}

// txStmt returns q's prepared statement bound to tx, or nil when q was not
// prepared. The writer holds one connection, so tx runs on the connection
// the statement was prepared on and database/sql reuses it as is.
func (s *sqlStore) txStmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	s.mu.Lock()
	st := s.stmts[q]
	s.mu.Unlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// exec runs q in tx and returns the rows it wrote; a paced writer (Pace)
// may pause first. In a transaction of beginWrite's (SQLite) q runs
// prepared on the driver's connection, which tx holds.
func (s *sqlStore) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (int64, error) {
	pace(ctx)
	if c, ok := ctx.Value(rawConnKey{}).(*sql.Conn); ok {
		var n int64
		err := c.Raw(func(dc any) error {
			st, err := s.rawStmt(ctx, dc, q)
			if err != nil {
				return err
			}
			if len(args) > len(s.nv) {
				// An argument's ordinal is its index + 1, set once.
				s.nv = make([]driver.NamedValue, len(args))
				for i := range s.nv {
					s.nv[i].Ordinal = i + 1
				}
			}
			nv := s.nv[:len(args)]
			for i, a := range args {
				switch a.(type) {
				case string, int64, nil:
				default:
					if a, err = driver.DefaultParameterConverter.ConvertValue(a); err != nil {
						return fmt.Errorf("argument %d: %w", i+1, err)
					}
				}
				nv[i].Value = a
			}
			// nv keeps the last statement's values reachable until the
			// next statement overwrites them: at most one statement's
			// texts, not worth clearing for.
			res, err := st.(driver.StmtExecContext).ExecContext(ctx, nv)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		return n, err
	}
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

// query runs q in tx, prepared when it was; a paced writer may pause
// first.
func (s *sqlStore) query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	pace(ctx)
	if st := s.txStmt(ctx, tx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// boxes boxes a statement's text values, column by column (slot), reusing
// the last value's box when a row repeats it. Converting a string to an
// interface allocates; the writer's rows repeat most of their texts (a
// key's tenant, model, deployment…) from one row to the next.
type boxes struct {
	s [32]string
	v [32]any
}

func (b *boxes) str(slot int, s string) any {
	if b.v[slot] == nil || b.s[slot] != s {
		b.s[slot], b.v[slot] = s, s
	}
	return b.v[slot]
}
