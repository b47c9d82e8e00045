package main

import (
	"bytes"
	"context"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/ledger"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
)

// runBooks runs `report revenue|margin` in process and returns its output.
func runBooks(t *testing.T, args ...string) (string, error) {
	t.Helper()
	for _, c := range booksCmds() {
		if c.Name() == args[0] {
			var out bytes.Buffer
			c.SetOut(&out)
			c.SetErr(&out)
			c.SetArgs(args[1:])
			c.SilenceUsage = true
			err := c.ExecuteContext(context.Background())
			return out.String(), err
		}
	}
	t.Fatalf("no report %s", args[0])
	return "", nil
}

// fillBooks applies random requests to the store cfg names and books
// their ledger, returning the events' total cost.
func fillBooks(t *testing.T, cfg store.Config) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs := storetest.Requests(mrand.New(mrand.NewPCG(3, 4)), 800, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 72*time.Hour)
	if err := st.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	d := &ledger.Deriver{Commitments: map[string]ledger.Commitment{"azure-east": {Name: "edp",
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}}}
	if _, err := st.Post(ctx, d.Derive(evs)); err != nil {
		t.Fatal(err)
	}
}

// TestReportBooks: revenue and margin read the ledger of a data directory,
// in every grouping, and the parts add up to the total line.
func TestReportBooks(t *testing.T) {
	data := t.TempDir()
	fillBooks(t, store.Config{DataDir: data})
	period := []string{"--from", "2026-11-01", "--to", "2026-11-05", "--data", data}

	out, err := runBooks(t, append([]string{"margin", "--group-by", "provider", "--format", "csv"}, period...)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "provider,requests,attempts,revenue_usd,cost_usd,committed_cost_usd,margin_usd,margin_pct" || len(lines) != 6 {
		t.Fatalf("margin csv:\n%s", out)
	}
	out, err = runBooks(t, append([]string{"margin", "--group-by", "tenant,day"}, period...)...)
	if err != nil || !strings.Contains(out, "TOTAL") || !strings.HasPrefix(out, "# margin 2026-11-01T00:00:00Z") {
		t.Fatalf("margin table: %v\n%s", err, out)
	}
	out, err = runBooks(t, append([]string{"revenue", "--group-by", "plan,arm,hour", "--format", "json"}, period...)...)
	if err != nil || !strings.Contains(out, `"report": "revenue"`) {
		t.Fatalf("revenue json: %v\n%s", err, out)
	}
	if _, err := runBooks(t, append([]string{"revenue", "--group-by", "colour"}, period...)...); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("bad group-by: %v", err)
	}
	if _, err := runBooks(t, "margin", "--data", t.TempDir()); err == nil {
		t.Fatal("a directory without a store gave a report")
	}
}

// TestReportBooksSameOnBothStores: the same events give byte-identical
// revenue and margin reports from SQLite and Postgres.
func TestReportBooksSameOnBothStores(t *testing.T) {
	pg := testPostgres(t)
	data := t.TempDir()
	fillBooks(t, store.Config{DataDir: data})
	fillBooks(t, store.Config{PostgresURL: pg})
	for _, rep := range []string{"revenue", "margin"} {
		for _, g := range []string{"tenant", "key", "model", "deployment", "provider", "plan,arm", "day", "hour", "provider,day", ""} {
			args := []string{rep, "--from", "2026-11-01", "--to", "2026-11-05", "--group-by", g, "--format", "csv"}
			lite, err := runBooks(t, append(args, "--data", data)...)
			if err != nil {
				t.Fatal(err)
			}
			post, err := runBooks(t, append(args, "--postgres", pg)...)
			if err != nil {
				t.Fatal(err)
			}
			if lite != post {
				t.Errorf("%s by %q: SQLite and Postgres differ:\n%s\n---\n%s", rep, g, lite, post)
			}
		}
	}
}
