package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
)

// A ledger booked before migrations 0010 (ledger_txns a rowid table with a
// time index) and 0011 (a seal per transaction not a pair) reads back the
// same after them: every transaction, pair or
// not, reversals included, with the same balances and books; booking it
// again books nothing; and the database still refuses what it refused.
func TestSQLiteMigrateLedger(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	ms, err := loadMigrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_ns BIGINT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version >= 10 {
			break
		}
		for _, st := range statements(m.sql) {
			if _, err := db.ExecContext(ctx, st); err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO schema_migrations VALUES (%d, '%s', 0)", m.version, m.name)); err != nil {
			t.Fatal(err)
		}
	}
	// The store's code writes the same columns to the old table.
	old := &sqlStore{d: dialect{name: "sqlite", maxParams: 32766, chunkRows: 64}, w: db, r: db}
	if err := old.prepare(ctx); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	var txns []ledger.Txn
	for i := range 150 {
		id := fmt.Sprintf("req_%011x%013x", at.UnixMilli()+int64(i), r.Uint64()>>12)
		amt := money.Nanos(1 + r.IntN(1e6))
		txns = append(txns, ledger.Txn{ID: ledger.RevenueID(id), Kind: ledger.KindRevenue, Time: at.Add(time.Duration(i) * time.Second), Source: id,
			Dims:     ledger.Dims{Tenant: "acme", Key: "k1", Model: "m", Deployment: "d", Provider: "p", Plan: "gold"},
			Postings: []ledger.Posting{{Account: ledger.Receivable("acme"), Amount: amt}, {Account: ledger.AccountRevenue, Amount: -amt}}})
	}
	txns = append(txns, ledger.Txn{ID: "adj:1", Kind: ledger.KindRevenue, Time: at, Source: "adj",
		Postings: []ledger.Posting{{Account: ledger.Receivable("acme"), Amount: 10}, {Account: ledger.AccountRevenue, Amount: -7},
			{Account: ledger.AccountRevenue, Amount: -3}}})
	// Pairs as the store books them; a transaction of other shape as the
	// store booked it before 0011 (postings, then the header, which its
	// trigger checked), since the store now books it the 0011 way.
	pairs, adj := txns[:len(txns)-1], txns[len(txns)-1]
	if n, err := old.Post(ctx, pairs); err != nil || n != len(pairs) {
		t.Fatalf("Post on the old schema = %d, %v", n, err)
	}
	if _, err := old.Reverse(ctx, txns[3].ID, "refund"); err != nil {
		t.Fatal(err)
	}
	for _, x := range []ledger.Txn{adj, adj.Reversal(1, "mistake")} {
		for i, p := range x.Postings {
			if _, err := db.ExecContext(ctx, "INSERT INTO ledger_postings (txn_id, seq, account, amount) VALUES (?, ?, ?, ?)",
				x.ID, i, p.Account, int64(p.Amount)); err != nil {
				t.Fatal(err)
			}
		}
		d := x.Dims
		if _, err := db.ExecContext(ctx, "INSERT INTO ledger_txns (id, kind, time_ns, created_ns, source, tenant, key_id, model, deployment, provider,"+
			" plan, plan_version, experiment, arm, commitment, reverses, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			x.ID, x.Kind, x.Time.UnixNano(), 1, x.Source, d.Tenant, d.Key, d.Model, d.Deployment, d.Provider, d.Plan, d.PlanVersion,
			d.Experiment, d.Arm, d.Commitment, x.Reverses, x.Reason); err != nil {
			t.Fatalf("booking %s on the old schema: %v", x.ID, err)
		}
	}
	read := func(s *sqlStore) ([]ledger.Txn, map[string]money.Nanos, []BooksRow) {
		t.Helper()
		all, err := s.Transactions(ctx, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		bal, err := s.Balances(ctx)
		if err != nil {
			t.Fatal(err)
		}
		books, err := s.Books(ctx, BooksQuery{GroupBy: []string{"plan", "hour"}})
		if err != nil {
			t.Fatal(err)
		}
		return all, bal, books
	}
	wantTxns, wantBal, wantBooks := read(old)
	if len(wantTxns) != len(txns)+2 {
		t.Fatalf("old schema holds %d transactions, want %d", len(wantTxns), len(txns)+2)
	}
	old.Close()

	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("migrating: %v", err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	gotTxns, gotBal, gotBooks := read(s)
	if !reflect.DeepEqual(gotTxns, wantTxns) {
		t.Fatalf("transactions changed in the migration:\n got %d %+v\nwant %d %+v", len(gotTxns), gotTxns[:2], len(wantTxns), wantTxns[:2])
	}
	if !reflect.DeepEqual(gotBal, wantBal) || !reflect.DeepEqual(gotBooks, wantBooks) {
		t.Fatalf("balances or books changed in the migration: %v vs %v", gotBal, wantBal)
	}
	if n, err := s.Post(ctx, txns); err != nil || n != 0 {
		t.Fatalf("Post again after the migration = %d, %v; want 0", n, err)
	}
	if _, err := s.Reverse(ctx, txns[3].ID, "again"); err == nil {
		t.Fatal("a reversed transaction was reversed again after the migration")
	}
	// 0011 sealed the transaction of other shape and its reversal; the
	// reversal of that reversal books the 0011 way.
	var seals int
	if err := s.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM ledger_sealed").Scan(&seals); err != nil || seals != 2 {
		t.Fatalf("seals after 0011: %d, %v; want 2", seals, err)
	}
	if _, err := s.Reverse(ctx, ledger.ReversalID("adj:1", 1), "undo"); err != nil {
		t.Fatalf("reversing a reversal of other shape after the migration: %v", err)
	}
	if bal, err := s.Balances(ctx); err != nil || bal[ledger.Receivable("acme")] != wantBal[ledger.Receivable("acme")]+10 {
		t.Fatalf("after the reversal's reversal: %v, %v", bal, err)
	}
	var ddl string
	if err := s.w.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE name = 'ledger_txns'").Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "WITHOUT ROWID") {
		t.Fatalf("ledger_txns after 0010: %s", ddl)
	}
	// Every guard is back: on the migrated table, and on postings for it.
	for _, q := range []string{
		"INSERT INTO ledger_postings (txn_id, seq, account, amount) VALUES ('" + txns[0].ID + "', 0, 'revenue', 1)",
		"UPDATE ledger_txns SET amount = 4 WHERE id = '" + txns[1].ID + "'",
		"DELETE FROM ledger_txns WHERE id = 'adj:1'",
		"INSERT INTO ledger_txns (id, kind, time_ns, created_ns, source, tenant, key_id, model, deployment, provider, plan, plan_version," +
			" experiment, arm, commitment, reverses, reason) VALUES ('x', 'adjustment', 1, 1, '', '', '', '', '', '', '', '', '', '', '', '', '')",
	} {
		if _, err := s.w.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "ledger") {
			t.Errorf("%s: %v; want the ledger's refusal", q, err)
		}
	}
}
