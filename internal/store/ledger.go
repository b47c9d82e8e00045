package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
)

// Ledger keeps the books: balanced transactions, append-only, and their
// hourly and daily rollups for the revenue and margin reports.
type Ledger interface {
	// Post books transactions idempotently by id: one already booked is
	// skipped and does not touch the rollups. Every transaction is checked
	// (ledger.Txn.Check) before anything is written, and the database
	// checks again: one unbalanced transaction refuses the whole batch.
	// It returns how many were new.
	Post(ctx context.Context, txns []ledger.Txn) (int, error)
	// Reverse books the mirror of transaction id (ledger.Txn.Reversal), as
	// id:reversal:N. ErrNotFound when there is no such transaction;
	// ErrAlreadyReversed while an earlier reversal of it stands (reverse
	// that reversal first to reinstate it).
	Reverse(ctx context.Context, id, reason string) (ledger.Txn, error)
	// Transaction returns one transaction; ErrNotFound.
	Transaction(ctx context.Context, id string) (ledger.Txn, error)
	// Transactions returns the transactions of the period [from, to) (zero
	// leaves an end open) by time, then id.
	Transactions(ctx context.Context, from, to time.Time) ([]ledger.Txn, error)
	// Balances is every account's balance (debits positive).
	Balances(ctx context.Context) (map[string]money.Nanos, error)
	// Books reads the ledger's rollups grouped by q.GroupBy.
	Books(ctx context.Context, q BooksQuery) ([]BooksRow, error)
}

// ErrAlreadyReversed: the transaction's last reversal still stands.
var ErrAlreadyReversed = errors.New("store: transaction already reversed")

// BooksQuery selects ledger rollups, with UsageQuery's hour resolution.
type BooksQuery struct {
	From, To time.Time
	// GroupBy is any of BookDimensions, each at most once.
	GroupBy []string
}

// BookDimensions are the GroupBy names BooksQuery accepts.
var BookDimensions = []string{"tenant", "key", "model", "deployment", "provider", "plan", "arm", "day", "hour"}

// BooksRow is one group's sums. Margin is Revenue − Cost.
type BooksRow struct {
	Group     map[string]string `json:"group"`
	Revenue   money.Nanos       `json:"revenue_nanos"`
	Cost      money.Nanos       `json:"cost_nanos"`
	Committed money.Nanos       `json:"committed_cost_nanos"` // the part of Cost drawn on spend commitments
	Requests  int64             `json:"requests"`             // charged requests
	Attempts  int64             `json:"attempts"`             // billed upstream attempts
}

var bookDims = map[string]dimension{
	"tenant":     {[]string{"tenant"}, []string{"tenant"}},
	"key":        {[]string{"key_id"}, []string{"key"}},
	"model":      {[]string{"model"}, []string{"model"}},
	"deployment": {[]string{"deployment"}, []string{"deployment"}},
	"provider":   {[]string{"provider"}, []string{"provider"}},
	"plan":       {[]string{"plan"}, []string{"plan"}},
	"arm":        {[]string{"arm"}, []string{"arm"}},
	"day":        {[]string{"(bucket / 86400) * 86400"}, []string{"day"}},
	"hour":       {[]string{"bucket"}, []string{"hour"}},
}

var (
	txnCols     = []string{"id", "kind", "time_ns", "created_ns", "source", "tenant", "key_id", "model", "deployment", "provider", "plan", "plan_version", "experiment", "arm", "commitment", "reverses", "reason"}
	bookKeyCols = []string{"bucket", "tenant", "key_id", "model", "deployment", "provider", "plan", "arm"}
	bookSumCols = []string{"revenue", "cost", "committed", "requests", "attempts"}
	postingCols = []string{"txn_id", "seq", "account", "amount"}
)

// Write statements, by rows (SQLite; Postgres passes arrays instead).
func insertTxnsSQL(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ledger_txns (" + strings.Join(txnCols, ",") + ") VALUES ")
	values(&b, rows, len(txnCols))
	return b.String()
}

func insertPostingsSQL(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ledger_postings (" + strings.Join(postingCols, ",") + ") VALUES ")
	values(&b, rows, len(postingCols))
	return b.String()
}

func selectTxnIDsSQL(rows int) string {
	return "SELECT id FROM ledger_txns WHERE id IN (" + strings.TrimSuffix(strings.Repeat("?,", rows), ",") + ")"
}

func upsertBooksSQL(table string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(bookKeyCols, ",") + "," + strings.Join(bookSumCols, ",") + ") VALUES ")
	values(&b, rows, len(bookKeyCols)+len(bookSumCols))
	b.WriteString(" ON CONFLICT (" + strings.Join(bookKeyCols, ",") + ") DO UPDATE SET ")
	for i, c := range bookSumCols {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s = %s.%s + excluded.%s", c, table, c, c)
	}
	return b.String()
}

// prepareBooks prepares the full-chunk ledger statements on SQLite's
// writer, once, before a write transaction takes its only connection
// (parsing them each batch cost a fifth of Post). The store's lock is not
// held while preparing: Apply may hold the connection and want the lock.
func (s *sqlStore) prepareBooks(ctx context.Context) error {
	if s.d.chunkRows == 0 {
		return nil
	}
	qs := []string{
		insertTxnsSQL(s.rowsPer(len(txnCols))), insertPostingsSQL(s.rowsPer(len(postingCols))), selectTxnIDsSQL(s.rowsPer(1)),
		upsertBooksSQL("ledger_hourly", s.rowsPer(len(bookKeyCols)+len(bookSumCols))),
		upsertBooksSQL("ledger_daily", s.rowsPer(len(bookKeyCols)+len(bookSumCols))),
	}
	for _, q := range qs {
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
	return nil
}

// exec runs q in tx, prepared when it was.
func (s *sqlStore) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	var err error
	if st := s.txStmt(ctx, tx, q); st != nil {
		_, err = st.ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, q, args...)
	}
	return err
}

type bookKey struct {
	bucket                                              int64
	tenant, key, model, deployment, provider, plan, arm string
}

func (a bookKey) less(b bookKey) bool {
	if a.bucket != b.bucket {
		return a.bucket < b.bucket
	}
	for _, x := range [...][2]string{{a.tenant, b.tenant}, {a.key, b.key}, {a.model, b.model},
		{a.deployment, b.deployment}, {a.provider, b.provider}, {a.plan, b.plan}, {a.arm, b.arm}} {
		if x[0] != x[1] {
			return x[0] < x[1]
		}
	}
	return false
}

func (s *sqlStore) Post(ctx context.Context, txns []ledger.Txn) (int, error) {
	if len(txns) == 0 {
		return 0, nil
	}
	if err := s.prepareBooks(ctx); err != nil {
		return 0, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: post: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	n, err := s.postTx(ctx, tx, txns)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: post: commit: %w", err)
	}
	return n, nil
}

// postTx books txns within tx and adds the new ones to the rollups.
func (s *sqlStore) postTx(ctx context.Context, tx *sql.Tx, txns []ledger.Txn) (int, error) {
	seen := make(map[string]bool, len(txns))
	batch := make([]*ledger.Txn, 0, len(txns))
	for i := range txns {
		t := &txns[i]
		if err := t.Check(); err != nil {
			return 0, fmt.Errorf("store: post: %w", err)
		}
		if !seen[t.ID] {
			seen[t.ID] = true
			batch = append(batch, t)
		}
	}
	// One order for every writer, so that replicas booking the same ids
	// wait on each other rather than deadlock.
	sort.Slice(batch, func(i, j int) bool { return batch[i].ID < batch[j].ID })

	var fresh []*ledger.Txn
	var err error
	if s.d.name == "postgres" {
		fresh, err = s.pgPost(ctx, tx, batch)
	} else {
		fresh, err = s.litePost(ctx, tx, batch)
	}
	if err != nil {
		return 0, err
	}
	hourly, daily := map[bookKey]*[5]int64{}, map[bookKey]*[5]int64{}
	for _, t := range fresh {
		e := t.Effect()
		v := [5]int64{int64(e.Revenue), int64(e.Cost), int64(e.Committed), e.Requests, e.Attempts}
		sec := t.Time.Unix()
		d := t.Dims
		k := bookKey{floorTo(sec, hourSec), d.Tenant, d.Key, d.Model, d.Deployment, d.Provider, d.Plan, d.Arm}
		addBook(hourly, k, &v)
		k.bucket = floorTo(sec, daySec)
		addBook(daily, k, &v)
	}
	if err := s.upsertBooks(ctx, tx, "ledger_hourly", hourly); err != nil {
		return 0, err
	}
	if err := s.upsertBooks(ctx, tx, "ledger_daily", daily); err != nil {
		return 0, err
	}
	return len(fresh), nil
}

func addBook(m map[bookKey]*[5]int64, k bookKey, v *[5]int64) {
	t := m[k]
	if t == nil {
		t = new([5]int64)
		m[k] = t
	}
	for i := range v {
		t[i] += v[i]
	}
}

func txnArgs(args []any, t *ledger.Txn, now int64) []any {
	d := t.Dims
	return append(args, t.ID, t.Kind, t.Time.UnixNano(), now, t.Source, d.Tenant, d.Key, d.Model, d.Deployment, d.Provider,
		d.Plan, d.PlanVersion, d.Experiment, d.Arm, d.Commitment, t.Reverses, t.Reason)
}

// pgPost writes headers first, learning from RETURNING which are new, then
// those ones' postings; the deferred trigger checks the balance at commit.
// A replica booking the same id at the same time waits on the header's
// unique index and then skips it with its postings. Each table takes the
// batch as one array per column (see pgarrays.go).
func (s *sqlStore) pgPost(ctx context.Context, tx *sql.Tx, batch []*ledger.Txn) ([]*ledger.Txn, error) {
	byID := make(map[string]*ledger.Txn, len(batch))
	now := time.Now().UnixNano()
	cols := columns(txnColTypes, len(batch))
	row := make([]any, 0, len(txnCols))
	for _, t := range batch {
		byID[t.ID] = t
		row = txnArgs(row[:0], t, now)
		appendRow(cols, row)
	}
	rows, err := tx.QueryContext(ctx, "INSERT INTO ledger_txns ("+strings.Join(txnCols, ",")+") "+unnestSQL(txnColTypes)+
		" ON CONFLICT (id) DO NOTHING RETURNING id", cols...)
	if err != nil {
		return nil, fmt.Errorf("store: post: insert transactions: %w", err)
	}
	var fresh []*ledger.Txn
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: post: insert transactions: %w", err)
		}
		fresh = append(fresh, byID[id])
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: post: insert transactions: %w", err)
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].ID < fresh[j].ID })
	pcols := columns(postingColTypes, 2*len(fresh))
	for _, t := range fresh {
		for i, p := range t.Postings {
			appendRow(pcols, []any{t.ID, int64(i), p.Account, int64(p.Amount)})
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO ledger_postings ("+strings.Join(postingCols, ",")+") "+unnestSQL(postingColTypes), pcols...); err != nil {
		return nil, fmt.Errorf("store: post: insert postings: %w", err)
	}
	return fresh, nil
}

var (
	txnColTypes     = []string{"text", "text", "bigint", "bigint", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text"}
	postingColTypes = []string{"text", "bigint", "text", "bigint"}
	bookColTypes    = []string{"bigint", "text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint"}
)

// litePost learns which ids are new (SQLite has one writer: nothing can
// book them meanwhile), writes their postings, then their headers, whose
// trigger refuses any whose postings do not balance.
func (s *sqlStore) litePost(ctx context.Context, tx *sql.Tx, batch []*ledger.Txn) ([]*ledger.Txn, error) {
	have := map[string]bool{}
	per := s.rowsPer(1)
	for start := 0; start < len(batch); start += per {
		chunk := batch[start:min(start+per, len(batch))]
		args := make([]any, len(chunk))
		for i, t := range chunk {
			args[i] = t.ID
		}
		q := selectTxnIDsSQL(len(chunk))
		var rows *sql.Rows
		var err error
		if st := s.txStmt(ctx, tx, q); st != nil {
			rows, err = st.QueryContext(ctx, args...)
		} else {
			rows, err = tx.QueryContext(ctx, q, args...)
		}
		if err != nil {
			return nil, fmt.Errorf("store: post: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: post: %w", err)
			}
			have[id] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("store: post: %w", err)
		}
	}
	var fresh []*ledger.Txn
	for _, t := range batch {
		if !have[t.ID] {
			fresh = append(fresh, t)
		}
	}
	if err := s.insertPostings(ctx, tx, fresh); err != nil {
		return nil, err
	}
	now := time.Now().UnixNano()
	per = s.rowsPer(len(txnCols))
	for start := 0; start < len(fresh); start += per {
		chunk := fresh[start:min(start+per, len(fresh))]
		args := make([]any, 0, len(chunk)*len(txnCols))
		for _, t := range chunk {
			args = txnArgs(args, t, now)
		}
		if err := s.exec(ctx, tx, insertTxnsSQL(len(chunk)), args...); err != nil {
			return nil, fmt.Errorf("store: post: insert transactions: %w", err)
		}
	}
	return fresh, nil
}

func (s *sqlStore) insertPostings(ctx context.Context, tx *sql.Tx, txns []*ledger.Txn) error {
	type row struct {
		t   *ledger.Txn
		seq int
	}
	var all []row
	for _, t := range txns {
		for i := range t.Postings {
			all = append(all, row{t, i})
		}
	}
	per := s.rowsPer(len(postingCols))
	for start := 0; start < len(all); start += per {
		chunk := all[start:min(start+per, len(all))]
		args := make([]any, 0, len(chunk)*len(postingCols))
		for _, r := range chunk {
			p := r.t.Postings[r.seq]
			args = append(args, r.t.ID, int64(r.seq), p.Account, int64(p.Amount))
		}
		if err := s.exec(ctx, tx, insertPostingsSQL(len(chunk)), args...); err != nil {
			return fmt.Errorf("store: post: insert postings: %w", err)
		}
	}
	return nil
}

// upsertBooks adds m's sums into table, keys in one order for all writers.
func (s *sqlStore) upsertBooks(ctx context.Context, tx *sql.Tx, table string, m map[bookKey]*[5]int64) error {
	if len(m) == 0 {
		return nil
	}
	keys := make([]bookKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	if s.d.arrays {
		cols := columns(bookColTypes, len(keys))
		row := make([]any, 0, len(bookColTypes))
		for _, k := range keys {
			row = append(row[:0], k.bucket, k.tenant, k.key, k.model, k.deployment, k.provider, k.plan, k.arm)
			for _, v := range m[k] {
				row = append(row, v)
			}
			appendRow(cols, row)
		}
		q := strings.Replace(upsertBooksSQL(table, 0), " VALUES ", " "+unnestSQL(bookColTypes), 1)
		if _, err := tx.ExecContext(ctx, q, cols...); err != nil {
			return fmt.Errorf("store: post: %s: %w", table, err)
		}
		return nil
	}
	cols := len(bookKeyCols) + len(bookSumCols)
	per := s.rowsPer(cols)
	for start := 0; start < len(keys); start += per {
		chunk := keys[start:min(start+per, len(keys))]
		args := make([]any, 0, len(chunk)*cols)
		for _, k := range chunk {
			args = append(args, k.bucket, k.tenant, k.key, k.model, k.deployment, k.provider, k.plan, k.arm)
			for _, v := range m[k] {
				args = append(args, v)
			}
		}
		if err := s.exec(ctx, tx, upsertBooksSQL(table, len(chunk)), args...); err != nil {
			return fmt.Errorf("store: post: %s: %w", table, err)
		}
	}
	return nil
}

func (s *sqlStore) Reverse(ctx context.Context, id, reason string) (ledger.Txn, error) {
	if err := s.prepareBooks(ctx); err != nil {
		return ledger.Txn{}, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return ledger.Txn{}, fmt.Errorf("store: reverse: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if s.d.name == "postgres" {
		// Two reversals of one transaction at once would both see none
		// standing; take them in turn.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", id); err != nil {
			return ledger.Txn{}, fmt.Errorf("store: reverse: %w", err)
		}
	}
	orig, err := s.readTxns(ctx, tx, "t.id = ?", id)
	if err != nil {
		return ledger.Txn{}, fmt.Errorf("store: reverse %q: %w", id, err)
	}
	if len(orig) == 0 {
		return ledger.Txn{}, fmt.Errorf("store: reverse %q: %w", id, ErrNotFound)
	}
	// A reversal stands unless it was itself reversed.
	rows, err := tx.QueryContext(ctx, s.bind(`SELECT r.id, EXISTS (SELECT 1 FROM ledger_txns x WHERE x.reverses = r.id)
		FROM ledger_txns r WHERE r.reverses = ?`), id)
	if err != nil {
		return ledger.Txn{}, fmt.Errorf("store: reverse %q: %w", id, err)
	}
	n := 0
	standing := false
	for rows.Next() {
		var rid string
		var undone bool
		if err := rows.Scan(&rid, &undone); err != nil {
			rows.Close()
			return ledger.Txn{}, fmt.Errorf("store: reverse %q: %w", id, err)
		}
		n++
		standing = standing || !undone
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return ledger.Txn{}, fmt.Errorf("store: reverse %q: %w", id, err)
	}
	if standing {
		return ledger.Txn{}, fmt.Errorf("store: reverse %q: %w", id, ErrAlreadyReversed)
	}
	r := orig[0].Reversal(n+1, reason)
	if _, err := s.postTx(ctx, tx, []ledger.Txn{r}); err != nil {
		return ledger.Txn{}, err
	}
	if err := tx.Commit(); err != nil {
		return ledger.Txn{}, fmt.Errorf("store: reverse %q: %w", id, err)
	}
	return r, nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// readTxns reads the transactions whose header matches where (over alias
// t), with their postings, by time then id.
func (s *sqlStore) readTxns(ctx context.Context, db querier, where string, args ...any) ([]ledger.Txn, error) {
	cols := make([]string, len(txnCols))
	for i, c := range txnCols {
		cols[i] = "t." + c
	}
	q := "SELECT " + strings.Join(cols, ",") + ", p.account, p.amount FROM ledger_txns t JOIN ledger_postings p ON p.txn_id = t.id WHERE " +
		where + " ORDER BY t.time_ns, t.id, p.seq"
	rows, err := db.QueryContext(ctx, s.bind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Txn
	for rows.Next() {
		var (
			t               ledger.Txn
			timeNs, created int64
			p               ledger.Posting
			amount          int64
		)
		d := &t.Dims
		if err := rows.Scan(&t.ID, &t.Kind, &timeNs, &created, &t.Source, &d.Tenant, &d.Key, &d.Model, &d.Deployment, &d.Provider,
			&d.Plan, &d.PlanVersion, &d.Experiment, &d.Arm, &d.Commitment, &t.Reverses, &t.Reason, &p.Account, &amount); err != nil {
			return nil, err
		}
		p.Amount = money.Nanos(amount)
		if n := len(out); n > 0 && out[n-1].ID == t.ID {
			out[n-1].Postings = append(out[n-1].Postings, p)
			continue
		}
		t.Time = time.Unix(0, timeNs).UTC()
		t.Postings = []ledger.Posting{p}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *sqlStore) Transaction(ctx context.Context, id string) (ledger.Txn, error) {
	ts, err := s.readTxns(ctx, s.r, "t.id = ?", id)
	if err != nil {
		return ledger.Txn{}, fmt.Errorf("store: transaction %q: %w", id, err)
	}
	if len(ts) == 0 {
		return ledger.Txn{}, fmt.Errorf("store: transaction %q: %w", id, ErrNotFound)
	}
	return ts[0], nil
}

func (s *sqlStore) Transactions(ctx context.Context, from, to time.Time) ([]ledger.Txn, error) {
	ts, err := s.readTxns(ctx, s.r, "t.time_ns >= ? AND t.time_ns < ?", nsBound(from, math.MinInt64), nsBound(to, math.MaxInt64))
	if err != nil {
		return nil, fmt.Errorf("store: transactions: %w", err)
	}
	return ts, nil
}

func (s *sqlStore) Balances(ctx context.Context) (map[string]money.Nanos, error) {
	// Only postings of booked transactions count.
	rows, err := s.r.QueryContext(ctx, `SELECT p.account, CAST(SUM(p.amount) AS BIGINT) FROM ledger_postings p
		JOIN ledger_txns t ON t.id = p.txn_id GROUP BY p.account`)
	if err != nil {
		return nil, fmt.Errorf("store: balances: %w", err)
	}
	defer rows.Close()
	out := map[string]money.Nanos{}
	for rows.Next() {
		var a string
		var n int64
		if err := rows.Scan(&a, &n); err != nil {
			return nil, fmt.Errorf("store: balances: %w", err)
		}
		out[a] = money.Nanos(n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: balances: %w", err)
	}
	return out, nil
}

func (q BooksQuery) validate() (hourly bool, err error) {
	seen := map[string]bool{}
	for _, g := range q.GroupBy {
		if _, ok := bookDims[g]; !ok {
			return false, fmt.Errorf("%w: unknown group_by %q (want one of %v)", ErrBadQuery, g, BookDimensions)
		}
		if seen[g] {
			return false, fmt.Errorf("%w: group_by %q given twice", ErrBadQuery, g)
		}
		seen[g] = true
		hourly = hourly || g == "hour"
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return false, fmt.Errorf("%w: to %s is before from %s", ErrBadQuery, q.To.Format(time.RFC3339), q.From.Format(time.RFC3339))
	}
	return hourly, nil
}

func (s *sqlStore) Books(ctx context.Context, q BooksQuery) ([]BooksRow, error) {
	hourly, err := q.validate()
	if err != nil {
		return nil, err
	}
	from, to := UsageQuery{From: q.From, To: q.To}.hourRange()
	hours, days := plan(from, to, hourly)
	cols := strings.Join(bookKeyCols, ",") + "," + strings.Join(bookSumCols, ",")
	var parts []string
	var args []any
	for _, h := range hours {
		if !h.empty() {
			parts = append(parts, "SELECT "+cols+" FROM ledger_hourly WHERE bucket >= ? AND bucket < ?")
			args = append(args, h.from, h.to)
		}
	}
	if !days.empty() {
		parts = append(parts, "SELECT "+cols+" FROM ledger_daily WHERE bucket >= ? AND bucket < ?")
		args = append(args, days.from, days.to)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	var groupCols, labels []string
	for _, g := range q.GroupBy {
		d := bookDims[g]
		groupCols = append(groupCols, d.cols...)
		labels = append(labels, d.labels...)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, c := range groupCols {
		b.WriteString(c + ",")
	}
	for i, c := range bookSumCols {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "CAST(COALESCE(SUM(%s), 0) AS BIGINT)", c)
	}
	b.WriteString(" FROM (" + strings.Join(parts, " UNION ALL ") + ") u")
	if len(groupCols) > 0 {
		b.WriteString(" GROUP BY " + strings.Join(groupCols, ","))
	}
	rows, err := s.r.QueryContext(ctx, s.bind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("store: books: %w", err)
	}
	defer rows.Close()
	var out []BooksRow
	for rows.Next() {
		dest := make([]any, 0, len(labels)+len(bookSumCols))
		gv := make([]any, len(labels))
		for i, l := range labels {
			if l == "day" || l == "hour" {
				gv[i] = new(int64)
			} else {
				gv[i] = new(string)
			}
			dest = append(dest, gv[i])
		}
		var v [5]int64
		for i := range v {
			dest = append(dest, &v[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: books: %w", err)
		}
		if v == [5]int64{} {
			continue // nothing, or reversed to nothing
		}
		r := BooksRow{Revenue: money.Nanos(v[0]), Cost: money.Nanos(v[1]), Committed: money.Nanos(v[2]), Requests: v[3], Attempts: v[4],
			Group: groupOf(labels, gv)}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: books: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		for _, l := range labels {
			if a, b := out[i].Group[l], out[j].Group[l]; a != b {
				return a < b
			}
		}
		return false
	})
	return out, nil
}
