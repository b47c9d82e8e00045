package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
)

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgresURL is the server the Postgres tests use: SWITCHYARD_TEST_POSTGRES
// (a URL, or "1" for the local default). Unset, the tests skip, unless
// SWITCHYARD_REQUIRE_SERVICES=1 (as in CI), when they fail.
func postgresURL(t testing.TB) string {
	u := os.Getenv("SWITCHYARD_TEST_POSTGRES")
	if u == "1" || u == "default" {
		u = defaultPostgres
	}
	if u == "" {
		if os.Getenv("SWITCHYARD_REQUIRE_SERVICES") == "1" {
			t.Fatal("SWITCHYARD_REQUIRE_SERVICES=1 but SWITCHYARD_TEST_POSTGRES is unset; set SWITCHYARD_TEST_POSTGRES=" + defaultPostgres)
		}
		t.Skip("set SWITCHYARD_TEST_POSTGRES=" + defaultPostgres + " to run the Postgres store tests")
	}
	return u
}

// openPostgres opens a store in a schema of its own, dropped at cleanup, so
// that parallel test runs on one server do not see each other.
func openPostgres(t testing.TB) store.Store {
	t.Helper()
	s := openPostgresURL(t, postgresSchema(t))
	t.Cleanup(func() { s.Close() }) // runs before the drop: cleanups are LIFO
	return s
}

// postgresSchema creates a schema, dropped at cleanup, and returns the URL
// whose connections use it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := postgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("Postgres at SWITCHYARD_TEST_POSTGRES unreachable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "sy_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
		admin.Close(ctx)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	qv := u.Query()
	qv.Set("search_path", schema) // pgx passes unknown URL parameters as runtime parameters
	u.RawQuery = qv.Encode()
	return u.String()
}

// openPostgresURL opens the store at u; the caller closes it.
func openPostgresURL(t testing.TB, u string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, store.Config{PostgresURL: u})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != "postgres" {
		s.Close()
		t.Fatalf("Backend() = %q", s.Backend())
	}
	return s
}

func TestPostgres(t *testing.T) {
	postgresURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t) })
}
