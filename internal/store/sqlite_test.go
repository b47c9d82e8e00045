package store_test

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
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
