package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/usage"
)

// dialect is what differs between the backends at run time; the SQL itself
// sticks to what SQLite and Postgres both accept (ON CONFLICT, RETURNING,
// integer division, CAST AS BIGINT).
type dialect struct {
	name      string
	maxParams int  // bind parameters one statement may carry
	dollar    bool // placeholders are $1, $2… rather than ?
	// chunkRows caps the rows of one multi-row write and makes the store
	// prepare each such statement once: SQLite would otherwise spend a
	// fifth of Apply parsing SQL. 0 (Postgres, whose driver caches
	// statements itself) fills statements up to maxParams. A paced writer
	// (pace.go) writes shorter statements.
	chunkRows int
	// arrays: writes pass one array per column (Postgres unnest).
	arrays bool
}

// sqlStore is the one implementation both backends share, over database/sql.
type sqlStore struct {
	d      dialect
	w      *sql.DB // writes; SQLite's holds a single connection
	r      *sql.DB // reads; SQLite's is a separate pool, Postgres's is w
	onStop func()
	// pg is the pool behind w on Postgres, for what database/sql cannot
	// do: COPY and pipelined batches (pgapply.go). Nil on SQLite.
	pg *pgxpool.Pool
	// daysHint is the last closed-days mark this store saw (days.go).
	daysHint atomic.Int64

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared on w, by SQL text (chunkRows > 0; writestmts.go)
	// writesPrepared: every statement of writeStmts().prepared is in
	// rawStmts, and of its queries in stmts.
	writesPrepared atomic.Bool
	// rawStmts are SQLite's write statements prepared on the writer's
	// driver connection, rawDC, and run on it without database/sql
	// (writestmts.go). nv is their arguments, reused: only the holder of
	// the writer's one connection uses it.
	rawDC    any
	rawStmts map[string]driver.Stmt
	nv       []driver.NamedValue
}

// rowsPer is how many rows of cols columns one write statement carries.
func (s *sqlStore) rowsPer(cols int) int {
	n := s.d.maxParams / cols
	if s.d.chunkRows > 0 {
		n = min(n, s.d.chunkRows)
	}
	return n
}

// prepare readies the store's statement cache; the write statements are
// prepared at the first write (prepareWrites).
func (s *sqlStore) prepare(context.Context) error {
	if s.d.chunkRows > 0 {
		s.stmts = map[string]*sql.Stmt{}
	}
	return nil
}

func (s *sqlStore) Backend() string { return s.d.name }

func (s *sqlStore) Close() error {
	s.mu.Lock()
	var err error
	for _, st := range s.stmts {
		err = errors.Join(err, st.Close())
	}
	s.stmts = nil
	for _, st := range s.rawStmts {
		err = errors.Join(err, st.Close())
	}
	s.rawStmts, s.rawDC = nil, nil
	s.mu.Unlock()
	err = errors.Join(err, s.w.Close())
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if s.onStop != nil {
		s.onStop()
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// bind rewrites ? placeholders for dialects that number them. The queries
// here hold no ? inside string literals.
func (s *sqlStore) bind(q string) string {
	if !s.d.dollar {
		return q
	}
	return bindDollar(q)
}

// bindDollar numbers q's ? placeholders $1, $2… for Postgres.
func bindDollar(q string) string {
	var b strings.Builder
	b.Grow(len(q) + len(q)/4)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

var eventCols = []string{
	"request_id", "attempt", "time_ns", "tenant", "key_id", "key_name", "model", "deployment", "provider",
	"op", "stream", "outcome", "status",
	"prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens",
	"source", "cost_nanos", "price_version", "unpriced", "ttft_ns", "duration_ns", "error",
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func appendEventArgs(args []any, e *usage.Event) []any {
	u := e.Usage
	return append(args,
		e.RequestID, int64(e.Attempt), e.Time.UnixNano(), e.TenantID, e.KeyID, e.KeyName, e.Model, e.Deployment, e.Provider,
		e.Op, b2i(e.Stream), int64(e.Outcome), int64(e.Status),
		u.Prompt, u.Completion, u.Cached, u.CacheWrite, u.Reasoning,
		int64(e.Source), int64(e.Cost), e.PriceVersion, b2i(e.Unpriced), int64(e.TTFT), int64(e.Duration), e.Error)
}

// appendEventArgsBoxed is appendEventArgs for SQLite's insert, its
// texts boxed through bx: a key's events repeat their texts, and boxing
// each anew (a Go allocation per text per event) cost more than
// comparing it with the last.
func appendEventArgsBoxed(args []any, e *usage.Event, bx *boxes) []any {
	u := e.Usage
	return append(args,
		e.RequestID, int64(e.Attempt), e.Time.UnixNano(), bx.str(0, e.TenantID), bx.str(1, e.KeyID), bx.str(2, e.KeyName),
		bx.str(3, e.Model), bx.str(4, e.Deployment), bx.str(5, e.Provider),
		bx.str(6, e.Op), b2i(e.Stream), int64(e.Outcome), int64(e.Status),
		u.Prompt, u.Completion, u.Cached, u.CacheWrite, u.Reasoning,
		int64(e.Source), int64(e.Cost), bx.str(7, e.PriceVersion), b2i(e.Unpriced), int64(e.TTFT), int64(e.Duration), orNull(e.Error))
}

// values writes n rows of cols placeholders: (?,?),(?,?)
func values(b *strings.Builder, rows, cols int) {
	row := "(" + strings.Repeat("?,", cols-1) + "?)"
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
}

type eventID struct {
	request string
	attempt int
}

func (s *sqlStore) Apply(ctx context.Context, events []usage.Event) error {
	batch, err := applyOrder(events)
	if err != nil || len(batch) == 0 {
		return err
	}
	if err := s.prepareWrites(ctx); err != nil {
		return err
	}
	return s.apply(ctx, batch, true)
}

// applyOrder checks a batch, drops later copies of an id (the first copy
// wins, as it would across batches) and sorts it by id: concurrent
// transactions inserting the same ids (replicas replaying one journal tail)
// then wait on each other instead of deadlocking.
func applyOrder(events []usage.Event) ([]*usage.Event, error) {
	batch := make([]*usage.Event, 0, len(events))
	for i := range events {
		e := &events[i]
		if err := checkEvent(e); err != nil {
			return nil, fmt.Errorf("store: apply: %w", err)
		}
		batch = append(batch, e)
	}
	// A stable sort keeps copies of an id in the batch's order; the first
	// is kept. (Sorting, not a map of the ids seen: no hashing.)
	slices.SortStableFunc(batch, func(a, b *usage.Event) int {
		if c := strings.Compare(a.RequestID, b.RequestID); c != 0 {
			return c
		}
		return cmp.Compare(a.Attempt, b.Attempt)
	})
	return slices.CompactFunc(batch, func(a, b *usage.Event) bool {
		return a.RequestID == b.RequestID && a.Attempt == b.Attempt
	}), nil
}

// afterHorizon drops the events older than the prune horizon: they were
// stored once and pruned since, and re-inserting them would count them
// twice in the rollups.
func afterHorizon(batch []*usage.Event, horizon int64) []*usage.Event {
	if horizon == 0 {
		return batch
	}
	kept := batch[:0:0]
	for _, e := range batch {
		if e.Time.UnixNano() >= horizon {
			kept = append(kept, e)
		}
	}
	return kept
}

// apply writes an ordered batch and its rollups in one transaction, and
// closes the days it completes (days.go). Without withEvents the raw rows
// are not written and every event counts (ApplyRollupsOnly, for benchmarks).
//
// Like Post, it first writes a batch as if every event were new, which it
// is but in a replay: the insert then needs no RETURNING (a trigger-like
// program and a result row per event, a fifth of Apply on SQLite), and only
// when it wrote fewer rows than it was given is the transaction rolled back
// and redone, learning which rows were new.
func (s *sqlStore) apply(ctx context.Context, batch []*usage.Event, withEvents bool) error {
	if s.pg != nil {
		return s.pgApply(ctx, batch, withEvents)
	}
	for optimistic := true; ; optimistic = false {
		err := s.applyOnce(ctx, batch, withEvents, optimistic)
		if optimistic && errors.Is(err, errStored) {
			continue
		}
		return err
	}
}

func (s *sqlStore) applyOnce(ctx context.Context, batch []*usage.Event, withEvents, optimistic bool) error {
	ctx, tx, done, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("store: apply: begin: %w", err)
	}
	defer done()
	if err := s.applyTx(ctx, tx, batch, withEvents, optimistic); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: apply: commit: %w", err)
	}
	return nil
}

// errStored: the optimistic insert met an event stored already.
var errStored = errors.New("store: apply: batch holds a stored event")

// applyTx is apply's work within tx (SQLite). optimistic: errStored if an
// event was stored already, rather than learning which.
func (s *sqlStore) applyTx(ctx context.Context, tx *sql.Tx, batch []*usage.Event, withEvents, optimistic bool) error {
	horizon, daysBefore, err := readMeta(ctx, tx, "")
	if err != nil {
		return fmt.Errorf("store: apply: %w", err)
	}
	batch = afterHorizon(batch, horizon)
	r := newRollups(daysBefore)
	if withEvents {
		inserted, err := s.insertEvents(ctx, tx, batch, optimistic)
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
	for _, t := range r.tables() {
		if err := s.upsertRollups(ctx, tx, t.table, t.rows); err != nil {
			return err
		}
	}
	if to := r.closeTo(); to > daysBefore {
		for i, a := range closeArgs(daysBefore, to) {
			if _, err := tx.ExecContext(ctx, s.bind(closeSQL[i]), a...); err != nil {
				return fmt.Errorf("store: apply: close days: %w", err)
			}
		}
	}
	return nil
}

// ApplyPost is Apply then Post. On SQLite both are one transaction: one
// commit per batch, each page the batch touches written to the WAL once,
// and a crash keeps both or neither (either way the batch comes again and
// counts once). On Postgres they stay two transactions, Apply's pipelined
// over pgx (pgapply.go) and Post's over database/sql, idempotent each.
func (s *sqlStore) ApplyPost(ctx context.Context, events []usage.Event, txns []ledger.Txn) (int, error) {
	batch, err := applyOrder(events)
	if err != nil {
		return 0, err
	}
	var booked []*ledger.Txn
	if len(txns) > 0 {
		if booked, err = postOrder(txns); err != nil {
			return 0, err
		}
	}
	if s.pg != nil {
		if len(batch) > 0 {
			if err := s.pgApply(ctx, batch, true); err != nil {
				return 0, err
			}
		}
		if len(booked) == 0 {
			return 0, nil
		}
		return s.post(ctx, booked, false)
	}
	if err := s.prepareWrites(ctx); err != nil {
		return 0, err
	}
	// As Apply and Post: first as if every event and transaction were
	// new, and again the careful way when one was stored already (a
	// replayed batch).
	for optimistic := true; ; optimistic = false {
		n, err := s.applyPost(ctx, batch, booked, optimistic)
		if optimistic && (errors.Is(err, errBooked) || errors.Is(err, errStored)) {
			continue
		}
		return n, err
	}
}

func (s *sqlStore) applyPost(ctx context.Context, batch []*usage.Event, booked []*ledger.Txn, optimistic bool) (int, error) {
	ctx, tx, done, err := s.beginWrite(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: apply: begin: %w", err)
	}
	defer done()
	if len(batch) > 0 {
		if err := s.applyTx(ctx, tx, batch, true, optimistic); err != nil {
			return 0, err
		}
	}
	n := 0
	if len(booked) > 0 {
		if n, err = s.postTx(ctx, tx, booked, optimistic); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: apply: commit: %w", err)
	}
	return n, nil
}

// insertEventsSQL inserts n events, skipping those stored already, and
// with returning returns the ids of those it inserted.
func insertEventsSQL(n int, returning bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO usage_events (" + strings.Join(eventCols, ",") + ") VALUES ")
	// error, the last column, is mostly empty: bound as NULL (orNull),
	// stored as ''.
	row := "(" + strings.Repeat("?,", len(eventCols)-1) + "coalesce(?,''))"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT (request_id, attempt) DO NOTHING")
	if returning {
		b.WriteString(" RETURNING request_id, attempt")
	}
	return b.String()
}

// upsertRollupsSQL adds n rows of sums into t.
func upsertRollupsSQL(t rollupTable, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.keyCols, ",") + "," + strings.Join(rollupSumCols[:], ",") + ") VALUES ")
	values(&b, n, t.cols())
	b.WriteString(" ON CONFLICT (" + strings.Join(t.keyCols, ",") + ") DO UPDATE SET ")
	for i, c := range rollupSumCols {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s = %s.%s + excluded.%s", c, t.name, c, c)
	}
	return b.String()
}

// insertEvents inserts the events not stored yet and returns which those
// were. optimistic: it returns nil (all were), or errStored when some were
// stored already.
func (s *sqlStore) insertEvents(ctx context.Context, tx *sql.Tx, batch []*usage.Event, optimistic bool) (map[eventID]bool, error) {
	var inserted map[eventID]bool
	if !optimistic {
		inserted = make(map[eventID]bool, len(batch))
	}
	stmts := s.writeStmts().events
	args := make([]any, 0, min(stmts.per, len(batch))*len(eventCols))
	var bx boxes
	rest := batch
	for _, n := range stmts.chunks(len(batch)) {
		args = args[:0]
		for _, e := range rest[:n] {
			args = appendEventArgsBoxed(args, e, &bx)
		}
		rest = rest[n:]
		if optimistic {
			wrote, err := s.exec(ctx, tx, stmts.q[n], args...)
			if err != nil {
				return nil, fmt.Errorf("store: apply: insert events: %w", err)
			}
			if wrote != int64(n) {
				return nil, errStored
			}
			continue
		}
		// A replay's: parsed for the batch, not prepared.
		rows, err := tx.QueryContext(ctx, s.bind(insertEventsSQL(n, true)), args...)
		if err != nil {
			return nil, fmt.Errorf("store: apply: insert events: %w", err)
		}
		for rows.Next() {
			var id eventID
			if err := rows.Scan(&id.request, &id.attempt); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: apply: insert events: %w", err)
			}
			inserted[id] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("store: apply: insert events: %w", err)
		}
	}
	return inserted, nil
}

// upsertRollups adds m's sums into t, in chunks of prepared statements.
func (s *sqlStore) upsertRollups(ctx context.Context, tx *sql.Tx, t rollupTable, m map[rollupKey]*sums) error {
	keys := sortedKeys(m)
	stmts := s.writeStmts().rollups[t.name]
	args := make([]any, 0, min(stmts.per, len(keys))*t.cols())
	rest := keys
	for _, n := range stmts.chunks(len(keys)) {
		args = args[:0]
		for _, k := range rest[:n] {
			args = append(args, k.bucket)
			for _, v := range t.texts(&k) {
				args = append(args, v)
			}
			for _, v := range m[k] {
				args = append(args, v)
			}
		}
		rest = rest[n:]
		if _, err := s.exec(ctx, tx, stmts.q[n], args...); err != nil {
			return fmt.Errorf("store: apply: %s: %w", t.name, err)
		}
	}
	return nil
}

// sortedKeys orders a batch's rollup rows so that concurrent writers
// (Postgres replicas) lock them in the same order and cannot deadlock.
func sortedKeys(m map[rollupKey]*sums) []rollupKey {
	keys := make([]rollupKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	return keys
}

func (a rollupKey) less(b rollupKey) bool {
	if a.bucket != b.bucket {
		return a.bucket < b.bucket
	}
	for _, x := range [...][2]string{
		{a.tenant, b.tenant}, {a.keyID, b.keyID}, {a.keyName, b.keyName},
		{a.model, b.model}, {a.deployment, b.deployment}, {a.provider, b.provider},
	} {
		if x[0] != x[1] {
			return x[0] < x[1]
		}
	}
	return false
}

func (s *sqlStore) Events(ctx context.Context, requestID string) ([]usage.Event, error) {
	q := "SELECT " + strings.Join(eventCols, ",") + " FROM usage_events WHERE request_id = ? ORDER BY attempt"
	rows, err := s.r.QueryContext(ctx, s.bind(q), requestID)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []usage.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return out, nil
}

// groupDest makes a result row's Scan destinations for its group columns:
// day and hour are bucket numbers, every other label a string. groupOf
// reads them back.
func groupDest(labels []string) []any {
	gv := make([]any, len(labels))
	for i, l := range labels {
		if l == "day" || l == "hour" {
			gv[i] = new(int64)
		} else {
			gv[i] = new(string)
		}
	}
	return gv
}

// groupOf reads a result row's group columns, scanned into gv, as the
// Group map of a report row; nil when there is no grouping.
func groupOf(labels []string, gv []any) map[string]string {
	if len(labels) == 0 {
		return nil
	}
	g := make(map[string]string, len(labels))
	for i, l := range labels {
		switch p := gv[i].(type) {
		case *int64:
			g[l] = formatDim(l, *p)
		case *string:
			g[l] = *p
		}
	}
	return g
}

func rowFromSums(v *sums) UsageRow {
	return UsageRow{
		Attempts:         v[0],
		Completed:        v[1],
		Failed:           v[0] - v[1],
		Interrupted:      v[2],
		ClientAborted:    v[3],
		UnpricedAttempts: v[4],
		Reported:         Tokens{v[5], v[6], v[7], v[8], v[9]},
		Estimated:        Tokens{v[10], v[11], v[12], v[13], v[14]},
		CostReported:     money.Nanos(v[15]),
		CostEstimated:    money.Nanos(v[16]),
		Cost:             money.Nanos(v[15] + v[16]),
	}
}

// nsBounds clamps t to what int64 nanoseconds hold; zero means open.
func nsBound(t time.Time, open int64) int64 {
	switch {
	case t.IsZero():
		return open
	case t.Year() >= 2262:
		return math.MaxInt64
	case t.Year() < 1678:
		return math.MinInt64
	}
	return t.UnixNano()
}

func (s *sqlStore) Spend(ctx context.Context, from, to time.Time) (map[string]money.Nanos, error) {
	fromNs, toNs := nsBound(from, 0), nsBound(to, math.MaxInt64)
	out := map[string]money.Nanos{}
	if fromNs >= toNs {
		return out, nil
	}
	// Whole hours inside [from, to): ceil(from) .. floor(to), in seconds.
	const nsPerSec = int64(time.Second)
	hFrom := ceilTo(ceilDiv(max(fromNs, 0), nsPerSec), hourSec)
	hTo := min(floorTo(toNs/nsPerSec, hourSec), maxSec)
	var edges [][2]int64 // raw-event ranges, in ns
	if hFrom < hTo {
		groups, err := s.rollupGroups(ctx, hFrom, hTo, false, []string{"deployment"})
		if err != nil {
			return nil, fmt.Errorf("store: spend: %w", err)
		}
		for _, g := range groups {
			out[g.group["deployment"]] += money.Nanos(g.v[15] + g.v[16])
		}
		edges = [][2]int64{{fromNs, hFrom * nsPerSec}, {hTo * nsPerSec, toNs}}
	} else {
		edges = [][2]int64{{fromNs, toNs}}
	}
	for _, e := range edges {
		if e[0] >= e[1] {
			continue
		}
		q := "SELECT deployment, CAST(SUM(cost_nanos) AS BIGINT) FROM usage_events WHERE time_ns >= ? AND time_ns < ? GROUP BY deployment"
		if err := s.sumInto(ctx, out, q, e[0], e[1]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

func (s *sqlStore) sumInto(ctx context.Context, out map[string]money.Nanos, q string, args ...any) error {
	rows, err := s.r.QueryContext(ctx, s.bind(q), args...)
	if err != nil {
		return fmt.Errorf("store: spend: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dep string
		var n int64
		if err := rows.Scan(&dep, &n); err != nil {
			return fmt.Errorf("store: spend: %w", err)
		}
		out[dep] += money.Nanos(n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: spend: %w", err)
	}
	return nil
}

func (s *sqlStore) RecordPriceVersion(ctx context.Context, v PriceVersion) error {
	if v.ID == "" {
		return errors.New("store: price version: empty id")
	}
	res, err := s.w.ExecContext(ctx, s.bind(
		"INSERT INTO price_versions (id, deployment, effective_from_ns, rates, first_seen_ns) VALUES (?,?,?,?,?) ON CONFLICT (id) DO NOTHING"),
		v.ID, v.Deployment, nsBound(v.From, 0), v.Rates, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("store: price version %q: %w", v.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	var dep, rates string
	var fromNs int64
	err = s.w.QueryRowContext(ctx, s.bind("SELECT deployment, effective_from_ns, rates FROM price_versions WHERE id = ?"), v.ID).
		Scan(&dep, &fromNs, &rates)
	if err != nil {
		return fmt.Errorf("store: price version %q: %w", v.ID, err)
	}
	if dep != v.Deployment || fromNs != nsBound(v.From, 0) || rates != v.Rates {
		return fmt.Errorf("%w: %q", ErrPriceVersionConflict, v.ID)
	}
	return nil
}

func (s *sqlStore) PriceVersions(ctx context.Context) ([]PriceVersion, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, deployment, effective_from_ns, rates FROM price_versions")
	if err != nil {
		return nil, fmt.Errorf("store: price versions: %w", err)
	}
	defer rows.Close()
	var out []PriceVersion
	for rows.Next() {
		var v PriceVersion
		var fromNs int64
		if err := rows.Scan(&v.ID, &v.Deployment, &fromNs, &v.Rates); err != nil {
			return nil, fmt.Errorf("store: price versions: %w", err)
		}
		v.From = time.Unix(0, fromNs).UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: price versions: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *sqlStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	cut := nsBound(before, 0)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	// The horizon only moves forward: pruning less later must not let
	// already-pruned events back in.
	if _, err := tx.ExecContext(ctx, s.bind(`INSERT INTO store_meta (name, value) VALUES ('pruned_before_ns', ?)
		ON CONFLICT (name) DO UPDATE SET value = CASE WHEN excluded.value > store_meta.value THEN excluded.value ELSE store_meta.value END`), cut); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	res, err := tx.ExecContext(ctx, s.bind("DELETE FROM usage_events WHERE time_ns < ?"), cut)
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	return n, nil
}
