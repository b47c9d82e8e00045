package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
)

// The database refuses an unbalanced transaction written around the store,
// and any edit of what is booked: the check in Go is not the only one.

const hdrCols = "(id, kind, time_ns, created_ns, source, tenant, key_id, model, deployment, provider, plan, plan_version, experiment, arm, commitment, reverses, reason)"

func header(id string) string {
	return "INSERT INTO ledger_txns " + hdrCols + " VALUES ('" + id + "', 'adjustment', 1, 1, '', '', '', '', '', '', '', '', '', '', '', '', '')"
}

func posting(id string, seq int, acct string, amount string) string {
	return "INSERT INTO ledger_postings (txn_id, seq, account, amount) VALUES ('" + id + "', " + string(rune('0'+seq)) + ", '" + acct + "', " + amount + ")"
}

// pairHeader is a header holding its two postings: (acct, amount) and
// (contra, -amount), as Post writes every two-posting transaction.
func pairHeader(id, acct, contra, amount string) string {
	return "INSERT INTO ledger_txns " + strings.TrimSuffix(hdrCols, ")") + ", account, contra_account, amount) VALUES ('" + id +
		"', 'adjustment', 1, 1, '', '', '', '', '', '', '', '', '', '', '', '', '', '" + acct + "', '" + contra + "', " + amount + ")"
}

// run executes stmts in one transaction and returns the first error,
// including the commit's (Postgres checks balance at commit).
func run(db *sql.DB, stmts ...string) error {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func testDirectWrites(t *testing.T, st store.Store) {
	db := store.WriterDB(st)
	// Postings first then the header: the order SQLite's trigger needs;
	// Postgres checks at commit whatever the order.
	cases := []struct {
		name  string
		stmts []string
		ok    bool
	}{
		{"balanced", []string{posting("a", 0, "receivable:t", "5"), posting("a", 1, "revenue", "-5"), header("a")}, true},
		{"unbalanced", []string{posting("b", 0, "receivable:t", "5"), posting("b", 1, "revenue", "-4"), header("b")}, false},
		{"one posting", []string{posting("c", 0, "receivable:t", "0"), header("c")}, false},
		{"no postings", []string{header("d")}, false},
		{"posting added to a booked transaction", []string{posting("a", 2, "revenue", "7")}, false},
		{"balanced pair added to a booked transaction", []string{posting("a", 2, "revenue", "7"), posting("a", 3, "receivable:t", "-7")}, false},
		{"update a posting", []string{"UPDATE ledger_postings SET amount = 6 WHERE txn_id = 'a' AND seq = 0"}, false},
		{"delete a transaction", []string{"DELETE FROM ledger_txns WHERE id = 'a'"}, false},
		{"delete a posting", []string{"DELETE FROM ledger_postings WHERE txn_id = 'a'"}, false},
		// A pair in its header balances by construction; the database
		// refuses a half pair and any posting besides it.
		{"pair", []string{pairHeader("f", "receivable:t", "revenue", "3")}, true},
		{"pair without its contra account", []string{pairHeader("g", "receivable:t", "", "3")}, false},
		{"pair without an account", []string{pairHeader("g", "", "revenue", "3")}, false},
		{"pair of -2^63", []string{pairHeader("g", "receivable:t", "revenue", "-9223372036854775808")}, false},
		{"pair header with a posting written before it", []string{posting("h", 0, "receivable:t", "5"), pairHeader("h", "receivable:t", "revenue", "2")}, false},
		{"postings added to a pair in its transaction", []string{pairHeader("i", "receivable:t", "revenue", "2"),
			posting("i", 0, "revenue", "1"), posting("i", 1, "receivable:t", "-1")}, false},
		{"balanced pair of postings added to a booked pair", []string{posting("f", 0, "revenue", "7"), posting("f", 1, "receivable:t", "-7")}, false},
		{"update a pair", []string{"UPDATE ledger_txns SET amount = 4 WHERE id = 'f'"}, false},
		{"delete a pair", []string{"DELETE FROM ledger_txns WHERE id = 'f'"}, false},
	}
	if st.Backend() == "postgres" {
		cases = append(cases, struct {
			name  string
			stmts []string
			ok    bool
		}{"header first, unbalanced", []string{header("e"), posting("e", 0, "receivable:t", "5"), posting("e", 1, "revenue", "-4")}, false})
	}
	for _, c := range cases {
		err := run(db, c.stmts...)
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.ok {
			if err == nil {
				t.Errorf("%s: the database accepted it", c.name)
			} else if !strings.Contains(err.Error(), "ledger") {
				t.Errorf("%s: refused, but not by the ledger's check: %v", c.name, err)
			}
		}
	}
	bal, err := st.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if bal["receivable:t"] != 5+3 || bal["revenue"] != -5-3 || len(bal) != 2 {
		t.Fatalf("balances %v, want only the balanced transaction and the pair", bal)
	}
}

// A transaction of more than two postings keeps them in ledger_postings:
// booked, read back, charged and balanced like a pair, beside pairs in one
// batch, and booked once when posted again.
func testGeneralShape(t *testing.T, st store.Store) {
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	three := ledger.Txn{ID: ledger.RevenueID("req-3"), Kind: ledger.KindRevenue, Time: at, Source: "req-3",
		Dims: ledger.Dims{Tenant: "acme", Model: "m"},
		Postings: []ledger.Posting{{Account: ledger.Receivable("acme"), Amount: 10}, {Account: ledger.AccountRevenue, Amount: -7},
			{Account: ledger.AccountRevenue, Amount: -3}}}
	pair := ledger.Txn{ID: ledger.RevenueID("req-2"), Kind: ledger.KindRevenue, Time: at, Source: "req-2",
		Dims:     ledger.Dims{Tenant: "acme", Model: "m"},
		Postings: []ledger.Posting{{Account: ledger.Receivable("acme"), Amount: 4}, {Account: ledger.AccountRevenue, Amount: -4}}}
	if n, err := st.Post(ctx, []ledger.Txn{three, pair}); err != nil || n != 2 {
		t.Fatalf("Post = %d, %v; want 2 booked", n, err)
	}
	for _, batch := range [][]ledger.Txn{{three, pair}, {pair}, {pair, three}} {
		if n, err := st.Post(ctx, batch); err != nil || n != 0 {
			t.Fatalf("Post again = %d, %v; want 0 booked", n, err)
		}
	}
	for _, want := range []ledger.Txn{three, pair} {
		got, err := st.Transaction(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Transaction(%s) =\n%+v\nposted\n%+v", want.ID, got, want)
		}
	}
	ch, err := st.(store.ChargeReader).Charges(ctx, []string{"req-3", "req-2", "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]money.Nanos{"req-3": 10, "req-2": 4}; !reflect.DeepEqual(ch, want) {
		t.Fatalf("Charges = %v, want %v", ch, want)
	}
	bal, err := st.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]money.Nanos{ledger.Receivable("acme"): 14, ledger.AccountRevenue: -14}; !reflect.DeepEqual(bal, want) {
		t.Fatalf("Balances = %v, want %v", bal, want)
	}
	rows, err := st.Books(ctx, store.BooksQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Revenue != 14 || rows[0].Requests != 2 {
		t.Fatalf("Books = %+v, want revenue 14 of 2 requests", rows)
	}
}

func TestSQLiteLedgerGeneralShape(t *testing.T)   { testGeneralShape(t, openSQLite(t)) }
func TestPostgresLedgerGeneralShape(t *testing.T) { testGeneralShape(t, openPostgres(t)) }

func TestSQLiteLedgerDirectWrites(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testDirectWrites(t, st)
}

func TestPostgresLedgerDirectWrites(t *testing.T) {
	testDirectWrites(t, openPostgres(t))
}
