package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
	"github.com/switchyard/switchyard/internal/usage"
)

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t) })
}

// Reopening finds the data and does not re-run migrations.
func TestSQLiteReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != "sqlite" {
		t.Fatalf("Backend() = %q", s.Backend())
	}
	g := storetest.NewGen(1, 5)
	evs := g.Events(50)
	if err := s.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if err := s.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Usage(ctx, store.UsageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Attempts != 50 {
		t.Fatalf("after reopen and re-apply: %+v, want 50 attempts", rows)
	}
}

// A store written before migration 0008 (daily rollups added to by every
// batch, no per-key daily rollups, no closed-days mark) migrates to one whose
// reports still match its events, before and after more events come, late
// ones included.
func TestSQLiteMigrateClosedDays(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	g := storetest.NewGen(11, 9)
	evs := g.Events(400)
	if err := s.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Put the tables back as the code before 0008 left them.
	db, err := sql.Open("sqlite", filepath.Join(dir, "switchyard.db"))
	if err != nil {
		t.Fatal(err)
	}
	sums := "SUM(attempts), SUM(completed), SUM(interrupted), SUM(client_aborted), SUM(unpriced), " +
		"SUM(rep_prompt), SUM(rep_completion), SUM(rep_cached), SUM(rep_cache_write), SUM(rep_reasoning), " +
		"SUM(est_prompt), SUM(est_completion), SUM(est_cached), SUM(est_cache_write), SUM(est_reasoning), " +
		"SUM(cost_reported), SUM(cost_estimated)"
	for _, q := range []string{
		"DELETE FROM schema_migrations WHERE version = 8",
		"DROP TABLE usage_daily_key",
		"DELETE FROM store_meta WHERE name = 'rollup_days_before'",
		"DELETE FROM usage_daily",
		"INSERT INTO usage_daily SELECT (bucket / 86400) * 86400, tenant, key_id, key_name, model, deployment, provider, " + sums +
			" FROM usage_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err = store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	check := func(evs []usage.Event) {
		t.Helper()
		day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		for _, q := range []store.UsageQuery{
			{},
			{From: day.Add(3 * time.Hour), To: day.Add(24*time.Hour + 2*time.Hour)},
			{From: day.Add(-2 * time.Hour), To: day.Add(48*time.Hour + 20*time.Hour)},
			{From: day.Add(24 * time.Hour), To: day.Add(48 * time.Hour)},
		} {
			for _, gb := range [][]string{nil, {"key"}, {"model", "day"}} {
				q.GroupBy = gb
				got, err := s.Usage(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if want := storetest.Naive(evs, q); len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
					t.Fatalf("Usage(%+v):\n got %+v\nwant %+v", q, got, want)
				}
			}
		}
	}
	check(evs)
	// Later events, and late ones for the days the migration took as closed.
	more := g.Events(200)
	for i := range more {
		if i%2 == 0 {
			more[i].Time = more[i].Time.Add(3 * 24 * time.Hour)
		}
	}
	if err := s.Apply(ctx, more); err != nil {
		t.Fatal(err)
	}
	check(append(evs, more...))
}
