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

// sealedHeader is a header without a pair as SQLite books it since
// migration 0011: sealed by its own id.
func sealedHeader(id string) string {
	return strings.Replace(strings.Replace(header(id), "reason)", "reason, sealed)", 1), "'')", "'', '"+id+"')", 1)
}

func seal(id string) string { return "INSERT INTO ledger_sealed (txn_id) VALUES ('" + id + "')" }

func testDirectWrites(t *testing.T, st store.Store) {
	db := store.WriterDB(st)
	lite := st.Backend() == "sqlite"
	// book writes a transaction of postings in the order its backend
	// checks: on SQLite (0011) the header, the postings, then the seal,
	// whose trigger checks them; on Postgres postings then the header,
	// checked at commit whatever the order.
	book := func(id string, postings ...string) []string {
		if lite {
			return append(append([]string{sealedHeader(id)}, postings...), seal(id))
		}
		return append(postings, header(id))
	}
	type tcase struct {
		name  string
		stmts []string
		ok    bool
		// fk: on SQLite, refused at COMMIT by the deferred foreign key
		// (a header without its seal), whose message names no table.
		fk bool
	}
	cases := []tcase{
		{"balanced", book("a", posting("a", 0, "receivable:t", "5"), posting("a", 1, "revenue", "-5")), true, false},
		{"unbalanced", book("b", posting("b", 0, "receivable:t", "5"), posting("b", 1, "revenue", "-4")), false, false},
		{"one posting", book("c", posting("c", 0, "receivable:t", "0")), false, false},
		{"no postings", book("d"), false, false},
		// A header with neither postings nor pair (nor seal): refused.
		{"a header alone", []string{header("d")}, false, false},
		{"posting added to a booked transaction", []string{posting("a", 2, "revenue", "7")}, false, false},
		{"balanced pair added to a booked transaction", []string{posting("a", 2, "revenue", "7"), posting("a", 3, "receivable:t", "-7")}, false, false},
		{"update a posting", []string{"UPDATE ledger_postings SET amount = 6 WHERE txn_id = 'a' AND seq = 0"}, false, false},
		{"delete a transaction", []string{"DELETE FROM ledger_txns WHERE id = 'a'"}, false, false},
		{"delete a posting", []string{"DELETE FROM ledger_postings WHERE txn_id = 'a'"}, false, false},
		// A pair in its header balances by construction; the database
		// refuses a half pair and any posting besides it.
		{"pair", []string{pairHeader("f", "receivable:t", "revenue", "3")}, true, false},
		{"pair without its contra account", []string{pairHeader("g", "receivable:t", "", "3")}, false, false},
		{"pair without an account", []string{pairHeader("g", "", "revenue", "3")}, false, false},
		{"pair of -2^63", []string{pairHeader("g", "receivable:t", "revenue", "-9223372036854775808")}, false, false},
		{"pair header with a posting written before it", []string{posting("h", 0, "receivable:t", "5"), pairHeader("h", "receivable:t", "revenue", "2")}, false, false},
		{"postings added to a pair in its transaction", []string{pairHeader("i", "receivable:t", "revenue", "2"),
			posting("i", 0, "revenue", "1"), posting("i", 1, "receivable:t", "-1")}, false, false},
		{"balanced pair of postings added to a booked pair", []string{posting("f", 0, "revenue", "7"), posting("f", 1, "receivable:t", "-7")}, false, false},
		{"update a pair", []string{"UPDATE ledger_txns SET amount = 4 WHERE id = 'f'"}, false, false},
		{"delete a pair", []string{"DELETE FROM ledger_txns WHERE id = 'f'"}, false, false},
	}
	if lite {
		cases = append(cases,
			// The order SQLite booked in before 0011: the posting is refused.
			tcase{"postings then the header", []string{posting("k", 0, "receivable:t", "5"), posting("k", 1, "revenue", "-5"), header("k")}, false, false},
			tcase{"a header without its seal", []string{sealedHeader("k"), posting("k", 0, "receivable:t", "5"), posting("k", 1, "revenue", "-5")}, false, true},
			tcase{"a header sealed by another id", []string{strings.Replace(sealedHeader("k"), "'k')", "'a')", 1)}, false, false},
			tcase{"a pair with a seal", []string{"INSERT INTO ledger_txns " + strings.TrimSuffix(hdrCols, ")") +
				", account, contra_account, amount, sealed) VALUES ('k', 'adjustment', 1, 1, '', '', '', '', '', '', '', '', '', '', '', '', '', 'receivable:t', 'revenue', 3, 'k')"}, false, false},
			tcase{"a seal without its header", []string{posting("k", 0, "receivable:t", "5"), seal("k")}, false, false},
			tcase{"a seal alone", []string{seal("k")}, false, false},
			tcase{"a seal for a pair", []string{pairHeader("k", "receivable:t", "revenue", "3"), seal("k")}, false, false},
			tcase{"a seal for a booked pair", []string{seal("f")}, false, false},
			tcase{"a seal written twice", []string{seal("a")}, false, false},
			tcase{"a posting after the seal", append(book("k", posting("k", 0, "receivable:t", "5"), posting("k", 1, "revenue", "-5")),
				posting("k", 2, "revenue", "1")), false, false},
			tcase{"a balanced pair of postings after the seal", append(book("k", posting("k", 0, "receivable:t", "5"), posting("k", 1, "revenue", "-5")),
				posting("k", 2, "revenue", "1"), posting("k", 3, "receivable:t", "-1")), false, false},
			tcase{"delete a seal", []string{"DELETE FROM ledger_sealed WHERE txn_id = 'a'"}, false, false},
			tcase{"update a seal", []string{"UPDATE ledger_sealed SET txn_id = 'z' WHERE txn_id = 'a'"}, false, false},
		)
	} else {
		cases = append(cases, tcase{"header first, unbalanced", []string{header("e"), posting("e", 0, "receivable:t", "5"), posting("e", 1, "revenue", "-4")}, false, false})
	}
	for _, c := range cases {
		err := run(db, c.stmts...)
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.ok {
			switch {
			case err == nil:
				t.Errorf("%s: the database accepted it", c.name)
			case c.fk && lite:
				if !strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
					t.Errorf("%s: refused, but not by the seal's foreign key: %v", c.name, err)
				}
			case !strings.Contains(err.Error(), "ledger"):
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
