package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

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
	if bal["receivable:t"] != 5 || bal["revenue"] != -5 || len(bal) != 2 {
		t.Fatalf("balances %v, want only the balanced transaction", bal)
	}
}

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
