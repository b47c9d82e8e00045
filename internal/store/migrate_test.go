package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
	"github.com/switchyard/switchyard/internal/usage"
)

// A store written before migration 0008 (daily rollups added to by every
// batch, no per-key daily rollups, no closed-days mark) migrates to one whose
// reports still match its events, before and after more events come, late
// ones included. open opens the same store each time; exec runs SQL on it
// directly.
func testMigrateClosedDays(t *testing.T, open func() store.Store, exec func(q string) error) {
	ctx := context.Background()
	s := open()
	g := storetest.NewGen(11, 9)
	evs := g.Events(400)
	if err := s.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Put the tables back as the code before 0008 left them.
	var sums string
	for i, c := range []string{"attempts", "completed", "interrupted", "client_aborted", "unpriced",
		"rep_prompt", "rep_completion", "rep_cached", "rep_cache_write", "rep_reasoning",
		"est_prompt", "est_completion", "est_cached", "est_cache_write", "est_reasoning",
		"cost_reported", "cost_estimated"} {
		if i > 0 {
			sums += ", "
		}
		sums += "CAST(SUM(" + c + ") AS BIGINT)"
	}
	for _, q := range []string{
		"DELETE FROM schema_migrations WHERE version = 8",
		"DROP TABLE usage_daily_key",
		"DELETE FROM store_meta WHERE name = 'rollup_days_before'",
		"DELETE FROM usage_daily",
		"INSERT INTO usage_daily SELECT (bucket / 86400) * 86400, tenant, key_id, key_name, model, deployment, provider, " + sums +
			" FROM usage_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7",
	} {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	s = open()
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

func TestSQLiteMigrateClosedDays(t *testing.T) {
	dir := t.TempDir()
	open := func() store.Store {
		s, err := store.Open(context.Background(), store.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	testMigrateClosedDays(t, open, func(q string) error {
		db, err := sql.Open("sqlite", filepath.Join(dir, "switchyard.db"))
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec(q)
		return err
	})
}

func TestPostgresMigrateClosedDays(t *testing.T) {
	u := postgresSchema(t)
	testMigrateClosedDays(t, func() store.Store { return openPostgresURL(t, u) }, func(q string) error {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, q)
		return err
	})
}
