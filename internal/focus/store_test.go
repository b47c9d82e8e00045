package focus_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/focus"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/store/storetest"
)

// The generator's events span three days from 2026-11-30 20:00 UTC.
var genStart = time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)

func catalog() focus.Catalog {
	spend := commit.Terms{Name: "macc", Provider: "azure", Kind: commit.Spend, Deployments: []string{"azure-east"},
		Amount: 5 * money.PerDollar, Start: genStart.Add(-24 * time.Hour), End: genStart.Add(48 * time.Hour), Version: "cv_a"}
	capa := commit.Terms{Name: "pt", Provider: "bedrock", Kind: commit.Capacity, Deployments: []string{"bedrock-us"},
		PerMinute: 500, Weights: [4]int64{1000, 100, 4000, 4000}, PricePerHour: money.PerDollar / 3,
		Start: genStart, End: genStart.Add(100 * time.Hour), Version: "cv_b"}
	return focus.Catalog{
		Providers:   map[string]string{"azure": "azure", "bedrock": "bedrock", "openai": "openai", "anthropic": "anthropic"},
		Regions:     map[string]string{},
		Commitments: map[string]commit.Terms{"macc": spend, "pt": capa},
	}
}

// exportTotals exports [from, to) from s and checks that it sums back to
// the store's totals: list cost and tokens by type over the usage rows.
func exportTotals(t *testing.T, s store.Store, from, to time.Time, g time.Duration) {
	t.Helper()
	ctx := context.Background()
	cat := catalog()
	terms := []commit.Terms{cat.Commitments["macc"], cat.Commitments["pt"]}
	a, err := commit.Export(ctx, commit.Rollups{Store: s}, terms, from, to, genStart.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := focus.Write(&buf, focus.Rows(cat, a, g)); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], focus.Columns) {
		t.Fatalf("header %v", recs[0])
	}
	col := func(rec []string, c string) string { return rec[slices.Index(focus.Columns, c)] }
	num := func(s string) int64 {
		w, f, _ := strings.Cut(s, ".")
		a, _ := strconv.ParseInt(w, 10, 64)
		b, _ := strconv.ParseInt(f, 10, 64)
		if f != "" {
			return a*1e9 + b
		}
		return a
	}
	var list money.Nanos
	var in, cached, write, out, reasoning int64
	for _, r := range recs[1:] {
		if col(r, "ChargeCategory") != "Usage" || col(r, "CommitmentDiscountStatus") == "Unused" {
			continue
		}
		list += money.Nanos(num(col(r, "ListCost")))
		in += num(col(r, "x_InputTokens"))
		cached += num(col(r, "x_CachedInputTokens"))
		write += num(col(r, "x_CacheWriteTokens"))
		out += num(col(r, "x_OutputTokens"))
		reasoning += num(col(r, "x_ReasoningTokens"))
	}
	rows, err := s.Usage(ctx, store.UsageQuery{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	var want store.UsageRow
	if len(rows) == 1 {
		want = rows[0]
	}
	tok := want.Reported
	tok.Prompt += want.Estimated.Prompt
	tok.Completion += want.Estimated.Completion
	tok.Cached += want.Estimated.Cached
	tok.CacheWrite += want.Estimated.CacheWrite
	tok.Reasoning += want.Estimated.Reasoning
	if list != want.Cost {
		t.Errorf("[%s, %s) by %v: export list cost %v, store cost %v", from, to, g, list, want.Cost)
	}
	if cached != tok.Cached || write != tok.CacheWrite || reasoning != tok.Reasoning ||
		in != tok.Prompt-tok.Cached-tok.CacheWrite || out != tok.Completion-tok.Reasoning {
		t.Errorf("[%s, %s) by %v: tokens %d/%d/%d/%d/%d, store %+v", from, to, g, in, cached, write, out, reasoning, tok)
	}
	if list == 0 {
		t.Error("nothing exported")
	}
}

func runTotals(t *testing.T, s store.Store) {
	evs := storetest.NewGen(42, 7).Events(3000)
	if err := s.Apply(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	end := genStart.Add(72 * time.Hour)
	for _, w := range [][2]time.Time{{genStart, end}, {genStart.Add(13 * time.Hour), genStart.Add(50 * time.Hour)}} {
		exportTotals(t, s, w[0], w[1], focus.Hourly)
		exportTotals(t, s, w[0], w[1], focus.Daily)
	}
}

func TestTotalsSQLite(t *testing.T) {
	s, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runTotals(t, s)
}

// TestTotalsPostgres runs under SWITCHYARD_TEST_POSTGRES (a URL, or 1 for
// the local default), in a schema of its own, as the store's tests do.
func TestTotalsPostgres(t *testing.T) {
	const def = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	base := os.Getenv("SWITCHYARD_TEST_POSTGRES")
	if base == "1" || base == "default" {
		base = def
	}
	if base == "" {
		if os.Getenv("SWITCHYARD_REQUIRE_SERVICES") == "1" {
			t.Fatal("SWITCHYARD_REQUIRE_SERVICES=1 but SWITCHYARD_TEST_POSTGRES is unset")
		}
		t.Skip("set SWITCHYARD_TEST_POSTGRES=" + def + " to run against Postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("Postgres unreachable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "sy_focus_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(ctx)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := store.Open(ctx, store.Config{PostgresURL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runTotals(t, s)
}
