package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
)

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testPostgres returns a Postgres URL whose search_path is a fresh schema,
// dropped at cleanup; it skips (or fails under SWITCHYARD_REQUIRE_SERVICES=1)
// without SWITCHYARD_TEST_POSTGRES.
func testPostgres(t *testing.T) string {
	base := os.Getenv("SWITCHYARD_TEST_POSTGRES")
	if base == "1" {
		base = defaultPostgres
	}
	if base == "" {
		if os.Getenv("SWITCHYARD_REQUIRE_SERVICES") == "1" {
			t.Fatal("SWITCHYARD_REQUIRE_SERVICES=1 but SWITCHYARD_TEST_POSTGRES is unset")
		}
		t.Skip("set SWITCHYARD_TEST_POSTGRES=" + defaultPostgres + " to compare reports from SQLite and Postgres")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("Postgres at SWITCHYARD_TEST_POSTGRES unreachable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "sy_report_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestReportSameOnBothStores: the same events applied to SQLite and to
// Postgres give byte-identical `switchyard report usage` output, for every
// grouping.
func TestReportSameOnBothStores(t *testing.T) {
	pg := testPostgres(t)
	data := t.TempDir()
	ctx := context.Background()
	events := randomEvents(3000)
	for _, cfg := range []store.Config{{DataDir: data}, {PostgresURL: pg}} {
		st, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(events); i += 500 {
			if err := st.Apply(ctx, events[i:min(i+500, len(events))]); err != nil {
				t.Fatal(err)
			}
		}
		st.Close()
	}
	if _, err := os.Stat(filepath.Join(data, "switchyard.db")); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"deployment", "model", "key", "tenant", "provider", "day", "hour", "model,day", "key,deployment,hour", ""} {
		args := []string{"report", "usage", "--from", "2026-11-01", "--to", "2026-11-05", "--group-by", g, "--format", "csv"}
		lite, code := run(t, nil, append(args, "--data", data)...)
		if code != 0 {
			t.Fatalf("sqlite report: %s", lite)
		}
		post, code := run(t, nil, append(args, "--postgres", pg)...)
		if code != 0 {
			t.Fatalf("postgres report: %s", post)
		}
		if lite != post {
			t.Errorf("group by %q: SQLite and Postgres differ:\n%s\n---\n%s", g, lite, post)
		}
		if strings.Count(lite, "\n") < 2 {
			t.Errorf("group by %q: no rows:\n%s", g, lite)
		}
	}
}

// randomEvents spreads events over three days of November 2026, several
// keys, models, deployments and every source and outcome.
func randomEvents(n int) []usage.Event {
	r := mrand.New(mrand.NewPCG(1, 2))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	deps := []struct{ dep, prov, model string }{
		{"openai/gpt", "openai", "gpt"}, {"azure/gpt", "azure", "gpt"},
		{"anthropic/claude", "anthropic", "claude"}, {"aws/claude", "aws", "claude"}, {"gemini/flash", "gemini", "flash"},
	}
	out := make([]usage.Event, n)
	for i := range out {
		d := deps[r.IntN(len(deps))]
		k := r.IntN(7)
		out[i] = usage.Event{
			RequestID: "req_" + hex.EncodeToString([]byte{byte(i >> 16), byte(i >> 8), byte(i)}), Attempt: 1 + r.IntN(2),
			Time:     start.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))),
			TenantID: []string{"", "t_acme", "t_globex"}[k%3], KeyID: "k_" + string(rune('a'+k)), KeyName: "key-" + string(rune('a'+k)),
			Model: d.model, Deployment: d.dep, Provider: d.prov, Op: "chat", Stream: r.IntN(2) == 0,
			Outcome: usage.Outcome(1 + r.IntN(5)), Status: 200,
			Usage:  wire.Usage{Prompt: r.Int64N(5000), Completion: r.Int64N(2000), Cached: r.Int64N(100), Reasoning: r.Int64N(50)},
			Source: usage.Source(r.IntN(3)), Cost: money.Nanos(r.Int64N(5_000_000)), PriceVersion: "pv_test",
			Unpriced: r.IntN(20) == 0, TTFT: time.Duration(r.Int64N(int64(time.Second))), Duration: time.Second,
		}
	}
	return out
}
