package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
)

// Booking: the journal writer posts every batch's transactions, so this
// is the ledger's hot path. What keeps it cheap:
//   - a two-posting transaction (all that the gateway derives) is one
//     header row holding its pair (migration 0009), not a header and two
//     postings whose triggers re-read each other;
//   - on SQLite every statement is prepared once, in a few sizes
//     (chunkSizes, writestmts.go), and a batch is written without first reading which of
//     its ids are booked: the insert skips those, and only when it skipped
//     any is the batch redone the careful way;
//   - the rollups are summed in Go and upserted once per key per batch.

// pairOf returns a checked transaction's postings as one header's pair:
// ok when it has exactly two, which then are (account, amount) and
// (contra, -amount), since they balance.
func pairOf(t *ledger.Txn) (account, contra string, amount int64, ok bool) {
	if len(t.Postings) != 2 {
		return "", "", 0, false
	}
	return t.Postings[0].Account, t.Postings[1].Account, int64(t.Postings[0].Amount), true
}

func txnArgs(args []any, t *ledger.Txn, now int64) []any {
	d := t.Dims
	acct, contra, amount, _ := pairOf(t)
	return append(args, t.ID, t.Kind, t.Time.UnixNano(), now, t.Source, d.Tenant, d.Key, d.Model, d.Deployment, d.Provider,
		d.Plan, d.PlanVersion, d.Experiment, d.Arm, d.Commitment, t.Reverses, t.Reason, acct, contra, amount)
}

// Write statements, by rows (SQLite; Postgres passes arrays instead). A
// header booked already is skipped, and the rows written tell whether any
// was.
func insertTxnsSQL(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ledger_txns (" + strings.Join(txnCols, ",") + ") VALUES ")
	values(&b, rows, len(txnCols))
	b.WriteString(" ON CONFLICT (id) DO NOTHING")
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

// errBooked: the optimistic write met a transaction booked already.
var errBooked = errors.New("store: post: batch holds a booked transaction")

func (s *sqlStore) Post(ctx context.Context, txns []ledger.Txn) (int, error) {
	if len(txns) == 0 {
		return 0, nil
	}
	batch, err := postOrder(txns)
	if err != nil {
		return 0, err
	}
	if err := s.prepareWrites(ctx); err != nil {
		return 0, err
	}
	// On SQLite, first as if every transaction were new (steady traffic);
	// when some was booked already (a batch retried, the journal's tail
	// replayed), again reading first which ones.
	optimistic := s.d.name != "postgres"
	for {
		n, err := s.post(ctx, batch, optimistic)
		if optimistic && errors.Is(err, errBooked) {
			optimistic = false
			continue
		}
		return n, err
	}
}

func (s *sqlStore) post(ctx context.Context, batch []*ledger.Txn, optimistic bool) (int, error) {
	ctx, tx, done, err := s.beginWrite(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: post: begin: %w", err)
	}
	defer done()
	n, err := s.postTx(ctx, tx, batch, optimistic)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: post: commit: %w", err)
	}
	return n, nil
}

// postOrder checks every transaction, drops later copies of an id and
// sorts the rest by id: one order for every writer, so that replicas
// booking the same ids wait on each other rather than deadlock.
func postOrder(txns []ledger.Txn) ([]*ledger.Txn, error) {
	batch := make([]*ledger.Txn, 0, len(txns))
	for i := range txns {
		t := &txns[i]
		if err := t.Check(); err != nil {
			return nil, fmt.Errorf("store: post: %w", err)
		}
		batch = append(batch, t)
	}
	// A stable sort keeps copies of an id in the batch's order; the first
	// is kept. (Sorting, not a map of the ids seen: no hashing.)
	slices.SortStableFunc(batch, func(a, b *ledger.Txn) int { return strings.Compare(a.ID, b.ID) })
	return slices.CompactFunc(batch, func(a, b *ledger.Txn) bool { return a.ID == b.ID }), nil
}

// postTx books batch (postOrder's) within tx and adds the new ones to the
// rollups. optimistic (SQLite, a batch of pairs only): errBooked if any
// was booked already, rather than reading first which.
func (s *sqlStore) postTx(ctx context.Context, tx *sql.Tx, batch []*ledger.Txn, optimistic bool) (int, error) {
	var fresh []*ledger.Txn
	var err error
	if s.d.name == "postgres" {
		fresh, err = s.pgPost(ctx, tx, batch)
	} else {
		fresh, err = s.litePost(ctx, tx, batch, optimistic)
	}
	if err != nil {
		return 0, err
	}
	hourly, daily := books{m: map[bookKey]*[5]int64{}}, books{m: map[bookKey]*[5]int64{}}
	for _, t := range fresh {
		e := t.Effect()
		v := [5]int64{int64(e.Revenue), int64(e.Cost), int64(e.Committed), e.Requests, e.Attempts}
		sec := t.Time.Unix()
		d := t.Dims
		k := bookKey{floorTo(sec, hourSec), d.Tenant, d.Key, d.Model, d.Deployment, d.Provider, d.Plan, d.Arm}
		hourly.add(k, &v)
		k.bucket = floorTo(sec, daySec)
		daily.add(k, &v)
	}
	if err := s.upsertBooks(ctx, tx, "ledger_hourly", hourly.m); err != nil {
		return 0, err
	}
	if err := s.upsertBooks(ctx, tx, "ledger_daily", daily.m); err != nil {
		return 0, err
	}
	return len(fresh), nil
}

// books sums transactions by bookKey. Consecutive transactions mostly
// share their key (an event's revenue and cost; a busy key's events): the
// last key's sums are kept at hand, and only another key is hashed (eight
// strings).
type books struct {
	m     map[bookKey]*[5]int64
	lastK bookKey
	last  *[5]int64
}

func (b *books) add(k bookKey, v *[5]int64) {
	t := b.last
	if t == nil || k != b.lastK {
		if t = b.m[k]; t == nil {
			t = new([5]int64)
			b.m[k] = t
		}
		b.lastK, b.last = k, t
	}
	for i := range v {
		t[i] += v[i]
	}
}

// pgPost writes headers first, learning from RETURNING which are new, then
// the postings of the new ones that are not pairs; the deferred trigger
// checks those balance at commit. A replica booking the same id at the
// same time waits on the header's unique index and then skips it with its
// postings. Each table takes the batch as one array per column (see
// pgarrays.go).
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
	rows, err := tx.QueryContext(ctx, pgInsertTxnsSQL, cols...)
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
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].ID < fresh[j].ID })
	var pcols []any
	for _, t := range fresh {
		if _, _, _, pair := pairOf(t); pair {
			continue
		}
		if pcols == nil {
			pcols = columns(postingColTypes, 4)
		}
		for i, p := range t.Postings {
			appendRow(pcols, []any{t.ID, int64(i), p.Account, int64(p.Amount)})
		}
	}
	if pcols != nil {
		if _, err := tx.ExecContext(ctx, pgInsertPostingsSQL, pcols...); err != nil {
			return nil, fmt.Errorf("store: post: insert postings: %w", err)
		}
	}
	return fresh, nil
}

var (
	txnColTypes = []string{"text", "text", "bigint", "bigint", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text",
		"text", "text", "bigint"}
	postingColTypes = []string{"text", "bigint", "text", "bigint"}
	bookColTypes    = []string{"bigint", "text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint"}

	pgInsertTxnsSQL = "INSERT INTO ledger_txns (" + strings.Join(txnCols, ",") + ") " + unnestSQL(txnColTypes) +
		" ON CONFLICT (id) DO NOTHING RETURNING id"
	pgInsertPostingsSQL = "INSERT INTO ledger_postings (" + strings.Join(postingCols, ",") + ") " + unnestSQL(postingColTypes)
)

// litePost writes the new transactions of batch and returns them. SQLite
// has one writer: nothing else can book these ids meanwhile.
//
// optimistic: batch holds pairs only and is written whole; the headers
// booked already are skipped, and errBooked tells that some were (the
// caller rolls back and retries carefully).
//
// Otherwise it reads which ids are booked, then writes the new ones. A
// transaction that is not a pair is written as migration 0011 requires:
// its header (sealed = its id), its postings, then its seal, whose
// trigger refuses postings that do not balance. Pairs fire no trigger.
func (s *sqlStore) litePost(ctx context.Context, tx *sql.Tx, batch []*ledger.Txn, optimistic bool) ([]*ledger.Txn, error) {
	stmts := s.writeStmts()
	fresh := batch
	if optimistic {
		for _, t := range batch {
			if _, _, _, pair := pairOf(t); !pair {
				optimistic = false
				break
			}
		}
	}
	if !optimistic {
		have, err := s.liteBooked(ctx, tx, stmts, batch)
		if err != nil {
			return nil, err
		}
		var pairs, others []*ledger.Txn
		for _, t := range batch {
			if have[t.ID] {
				continue
			}
			if _, _, _, pair := pairOf(t); pair {
				pairs = append(pairs, t)
			} else {
				others = append(others, t)
			}
		}
		if err := s.liteBookOthers(ctx, tx, stmts, others); err != nil {
			return nil, err
		}
		if err := s.insertPairs(ctx, tx, stmts, pairs, false); err != nil {
			return nil, err
		}
		fresh = append(pairs, others...)
		sort.Slice(fresh, func(i, j int) bool { return fresh[i].ID < fresh[j].ID })
		return fresh, nil
	}
	if err := s.insertPairs(ctx, tx, stmts, fresh, true); err != nil {
		return nil, err
	}
	return fresh, nil
}

// insertPairs writes the headers of pairs, new transactions each holding
// its postings. optimistic: errBooked when one was booked already.
//
// Two pairs alike but for id, kind, source, commitment and their pair (an
// event's revenue and cost) are written as one unit of two rows sharing
// their other twelve values: bound once, not twice (insertTxnUnitsSQL).
// Binding a value costs about as much as SQLite storing it, and this binds
// 26 values for an event's two headers instead of 40. The rest are written
// one row per pair.
func (s *sqlStore) insertPairs(ctx context.Context, tx *sql.Tx, stmts *writeStmts, fresh []*ledger.Txn, optimistic bool) error {
	now := time.Now().UnixNano()
	units, singles := [][2]*ledger.Txn(nil), fresh
	if stmts.txnUnits.per > 0 {
		units, singles = txnUnits(fresh)
	}
	var wrote int64
	args := make([]any, 0, 1+min(stmts.txnUnits.per, len(units))*txnUnitParams)
	rest := units
	var bx boxes
	for _, n := range stmts.txnUnits.chunks(len(units)) {
		args = append(args[:0], now)
		for _, u := range rest[:n] {
			args = txnUnitArgs(args, u, &bx)
		}
		rest = rest[n:]
		w, err := s.exec(ctx, tx, stmts.txnUnits.q[n], args...)
		if err != nil {
			return fmt.Errorf("store: post: insert transactions: %w", err)
		}
		wrote += w
	}
	args = args[:0]
	for _, n := range stmts.txns.chunks(len(singles)) {
		args = args[:0]
		for _, t := range singles[:n] {
			args = txnArgs(args, t, now)
		}
		singles = singles[n:]
		w, err := s.exec(ctx, tx, stmts.txns.q[n], args...)
		if err != nil {
			return fmt.Errorf("store: post: insert transactions: %w", err)
		}
		wrote += w
	}
	if wrote != int64(len(fresh)) {
		if optimistic {
			return errBooked
		}
		return fmt.Errorf("store: post: insert transactions: %d of %d written", wrote, len(fresh))
	}
	return nil
}

// A unit's values: txnUnitShared for both rows, then txnUnitOwn for each;
// created_ns is the statement's first parameter, the same for every row.
const (
	txnUnitShared = 12 // time_ns, tenant, key_id, model, deployment, provider, plan, plan_version, experiment, arm, reverses, reason
	txnUnitOwn    = 7  // id, kind, source, commitment, account, contra_account, amount
	txnUnitParams = txnUnitShared + 2*txnUnitOwn
)

// unitKey is what the two pairs of a unit share.
type unitKey struct {
	ns               int64
	d                ledger.Dims // Commitment cleared: a row's own
	reverses, reason string
}

func unitKeyOf(t *ledger.Txn) unitKey {
	k := unitKey{ns: t.Time.UnixNano(), d: t.Dims, reverses: t.Reverses, reason: t.Reason}
	k.d.Commitment = ""
	return k
}

// txnUnits pairs up the pairs in fresh that share a unitKey; singles are
// the rest. Candidates are found by time (sorted, not hashed: a unitKey
// is a dozen strings), then compared whole.
func txnUnits(fresh []*ledger.Txn) (units [][2]*ledger.Txn, singles []*ledger.Txn) {
	byTime := slices.Clone(fresh)
	slices.SortStableFunc(byTime, func(a, b *ledger.Txn) int { return cmp.Compare(a.Time.UnixNano(), b.Time.UnixNano()) })
	for len(byTime) > 0 {
		g := 1 // byTime[:g] share a time
		for g < len(byTime) && byTime[g].Time.Equal(byTime[0].Time) {
			g++
		}
		group := byTime[:g]
		byTime = byTime[g:]
		for i, a := range group {
			if a == nil {
				continue
			}
			k, paired := unitKeyOf(a), false
			for j := i + 1; j < len(group); j++ {
				if b := group[j]; b != nil && unitKeyOf(b) == k {
					units = append(units, [2]*ledger.Txn{a, b})
					group[j], paired = nil, true
					break
				}
			}
			if !paired {
				singles = append(singles, a)
			}
		}
	}
	return units, singles
}

// txnUnitArgs appends a unit's values, its texts boxed through bx (see
// boxes).
func txnUnitArgs(args []any, u [2]*ledger.Txn, bx *boxes) []any {
	a, d := u[0], u[0].Dims
	args = append(args, a.Time.UnixNano(), bx.str(0, d.Tenant), bx.str(1, d.Key), bx.str(2, d.Model), bx.str(3, d.Deployment),
		bx.str(4, d.Provider), bx.str(5, d.Plan), orNull(d.PlanVersion), orNull(d.Experiment), orNull(d.Arm),
		orNull(a.Reverses), orNull(a.Reason))
	for r, t := range u {
		acct, contra, amount, _ := pairOf(t)
		o := 11 + 5*r
		args = append(args, t.ID, bx.str(o, t.Kind), t.Source, orNull(t.Dims.Commitment), bx.str(o+2, acct), bx.str(o+3, contra), amount)
	}
	return args
}

// orNull is s, or nil (NULL) for an empty s: binding NULL allocates
// nothing in the driver, and an empty text a byte of C memory each.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// insertTxnUnitsSQL inserts units of two pair headers: each unit one row of
// VALUES (its shared values, then each pair's own), crossed with the two
// rows r = 0, 1 that pick a pair's own. created_ns is bound once. (Numbered
// parameters, ?NNN, would let two rows name one value, but modernc looks up
// each parameter's name in SQLite's list of names: quadratic in the
// statement's parameters, 50% more instructions per event.)
func insertTxnUnitsSQL(units int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ledger_txns (" + strings.Join(txnCols, ",") + ") SELECT ")
	c := func(i int) string { return "u.column" + strconv.Itoa(i+1) }
	own := func(i int) string {
		return "CASE r.column1 WHEN 0 THEN " + c(txnUnitShared+i) + " ELSE " + c(txnUnitShared+txnUnitOwn+i) + " END"
	}
	// Texts mostly empty are bound as NULL (orNull) and stored as ''.
	e := func(x string) string { return "coalesce(" + x + ",'')" }
	// id, kind, time_ns, created_ns, source, tenant … arm, commitment, reverses, reason, account, contra_account, amount
	sel := []string{own(0), own(1), c(0), "k.created", own(2)}
	for i := 1; i <= 6; i++ {
		sel = append(sel, c(i))
	}
	sel = append(sel, e(c(7)), e(c(8)), e(c(9)), e(own(3)), e(c(10)), e(c(11)), own(4), own(5), own(6))
	b.WriteString(strings.Join(sel, ","))
	b.WriteString(" FROM (SELECT ? AS created) AS k CROSS JOIN (VALUES ")
	values(&b, units, txnUnitParams)
	b.WriteString(") AS u CROSS JOIN (VALUES (0),(1)) AS r WHERE true ON CONFLICT (id) DO NOTHING")
	return b.String()
}

// SQLite's statements for a new transaction that is not a pair (0011):
// rare (adjustments), so parsed each time rather than prepared.
var (
	insertOtherTxnSQL = "INSERT INTO ledger_txns (" + strings.Join(txnCols, ",") + ",sealed) VALUES (" +
		strings.Repeat("?,", len(txnCols)) + "?)"
	insertSealSQL = "INSERT INTO ledger_sealed (txn_id) VALUES (?)"
)

// liteBookOthers writes new transactions that are not pairs: each header
// (sealed by its own id), then all their postings, then each seal, whose
// trigger checks that the postings balance.
func (s *sqlStore) liteBookOthers(ctx context.Context, tx *sql.Tx, stmts *writeStmts, others []*ledger.Txn) error {
	if len(others) == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	for _, t := range others {
		if _, err := tx.ExecContext(ctx, insertOtherTxnSQL, append(txnArgs(nil, t, now), t.ID)...); err != nil {
			return fmt.Errorf("store: post: insert transaction %s: %w", t.ID, err)
		}
	}
	if err := s.insertPostings(ctx, tx, stmts, others); err != nil {
		return err
	}
	for _, t := range others {
		if _, err := tx.ExecContext(ctx, insertSealSQL, t.ID); err != nil {
			return fmt.Errorf("store: post: seal transaction %s: %w", t.ID, err)
		}
	}
	return nil
}

// liteBooked returns which of batch's ids are booked.
func (s *sqlStore) liteBooked(ctx context.Context, tx *sql.Tx, stmts *writeStmts, batch []*ledger.Txn) (map[string]bool, error) {
	have := map[string]bool{}
	rest := batch
	for _, n := range stmts.ids.chunks(len(batch)) {
		args := make([]any, n)
		for i, t := range rest[:n] {
			args[i] = t.ID
		}
		rest = rest[n:]
		rows, err := s.query(ctx, tx, stmts.ids.q[n], args...)
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
	return have, nil
}

// insertPostings writes the postings of txns that are not pairs.
func (s *sqlStore) insertPostings(ctx context.Context, tx *sql.Tx, stmts *writeStmts, txns []*ledger.Txn) error {
	type row struct {
		t   *ledger.Txn
		seq int
	}
	var all []row
	for _, t := range txns {
		if _, _, _, pair := pairOf(t); pair {
			continue
		}
		for i := range t.Postings {
			all = append(all, row{t, i})
		}
	}
	rest := all
	for _, n := range stmts.postings.chunks(len(all)) {
		args := make([]any, 0, n*len(postingCols))
		for _, r := range rest[:n] {
			p := r.t.Postings[r.seq]
			args = append(args, r.t.ID, int64(r.seq), p.Account, int64(p.Amount))
		}
		rest = rest[n:]
		if _, err := s.exec(ctx, tx, stmts.postings.q[n], args...); err != nil {
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
	stmts := s.writeStmts().ledgerHourly
	if table == "ledger_daily" {
		stmts = s.writeStmts().ledgerDaily
	}
	cols := len(bookKeyCols) + len(bookSumCols)
	rest := keys
	for _, n := range stmts.chunks(len(keys)) {
		args := make([]any, 0, n*cols)
		for _, k := range rest[:n] {
			args = append(args, k.bucket, k.tenant, k.key, k.model, k.deployment, k.provider, k.plan, k.arm)
			for _, v := range m[k] {
				args = append(args, v)
			}
		}
		rest = rest[n:]
		if _, err := s.exec(ctx, tx, stmts.q[n], args...); err != nil {
			return fmt.Errorf("store: post: %s: %w", table, err)
		}
	}
	return nil
}
