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
	// The last three hold a two-posting transaction's postings in its
	// header (migration 0009): (account, amount) and (contra_account,
	// -amount); amount 0 when its postings are in ledger_postings.
	txnCols     = []string{"id", "kind", "time_ns", "created_ns", "source", "tenant", "key_id", "model", "deployment", "provider", "plan", "plan_version", "experiment", "arm", "commitment", "reverses", "reason", "account", "contra_account", "amount"}
	bookKeyCols = []string{"bucket", "tenant", "key_id", "model", "deployment", "provider", "plan", "arm"}
	bookSumCols = []string{"revenue", "cost", "committed", "requests", "attempts"}
	postingCols = []string{"txn_id", "seq", "account", "amount"}
)

func (s *sqlStore) Reverse(ctx context.Context, id, reason string) (ledger.Txn, error) {
	if err := s.prepareWrites(ctx); err != nil {
		return ledger.Txn{}, err
	}
	ctx, tx, done, err := s.beginWrite(ctx)
	if err != nil {
		return ledger.Txn{}, fmt.Errorf("store: reverse: %w", err)
	}
	defer done()
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
	batch, err := postOrder([]ledger.Txn{r})
	if err != nil {
		return ledger.Txn{}, err
	}
	if _, err := s.postTx(ctx, tx, batch, false); err != nil {
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
// t), with their postings (a pair's from its header), by time then id.
func (s *sqlStore) readTxns(ctx context.Context, db querier, where string, args ...any) ([]ledger.Txn, error) {
	cols := make([]string, len(txnCols))
	for i, c := range txnCols {
		cols[i] = "t." + c
	}
	q := "SELECT " + strings.Join(cols, ",") + ", COALESCE(p.account, ''), COALESCE(p.amount, 0) FROM ledger_txns t " +
		"LEFT JOIN ledger_postings p ON p.txn_id = t.id WHERE " + where + " ORDER BY t.time_ns, t.id, p.seq"
	rows, err := db.QueryContext(ctx, s.bind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Txn
	for rows.Next() {
		var (
			t                        ledger.Txn
			timeNs, created          int64
			acct, contra, pacct      string
			pairAmount, postedAmount int64
		)
		d := &t.Dims
		if err := rows.Scan(&t.ID, &t.Kind, &timeNs, &created, &t.Source, &d.Tenant, &d.Key, &d.Model, &d.Deployment, &d.Provider,
			&d.Plan, &d.PlanVersion, &d.Experiment, &d.Arm, &d.Commitment, &t.Reverses, &t.Reason, &acct, &contra, &pairAmount,
			&pacct, &postedAmount); err != nil {
			return nil, err
		}
		p := ledger.Posting{Account: pacct, Amount: money.Nanos(postedAmount)}
		if n := len(out); n > 0 && out[n-1].ID == t.ID {
			out[n-1].Postings = append(out[n-1].Postings, p)
			continue
		}
		t.Time = time.Unix(0, timeNs).UTC()
		if pairAmount != 0 {
			// The database keeps a pair's header from having postings
			// (migration 0009), so this is its only row.
			t.Postings = []ledger.Posting{{Account: acct, Amount: money.Nanos(pairAmount)}, {Account: contra, Amount: money.Nanos(-pairAmount)}}
		} else {
			t.Postings = []ledger.Posting{p}
		}
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
	// Only postings of booked transactions count; a pair's are its
	// header's.
	rows, err := s.r.QueryContext(ctx, `SELECT b.account, CAST(SUM(b.amount) AS BIGINT) FROM (
		SELECT p.account AS account, p.amount AS amount FROM ledger_postings p JOIN ledger_txns t ON t.id = p.txn_id
		UNION ALL SELECT account, amount FROM ledger_txns WHERE amount <> 0
		UNION ALL SELECT contra_account, -amount FROM ledger_txns WHERE amount <> 0) b GROUP BY b.account`)
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
		gv := groupDest(labels)
		dest := append(make([]any, 0, len(labels)+len(bookSumCols)), gv...)
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
