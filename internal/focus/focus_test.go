package focus

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/commit"
	"github.com/switchyard/switchyard/internal/money"
)

var t0 = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

const usd = money.PerDollar

func testCatalog() Catalog {
	spend := commit.Terms{Name: "macc", Provider: "azure", Kind: commit.Spend, Deployments: []string{"azure-east"},
		Amount: 5 * usd, Start: t0, End: t0.Add(48 * time.Hour), Version: "cv_spend"}
	capa := commit.Terms{Name: "pt", Provider: "bedrock", Kind: commit.Capacity, Deployments: []string{"bedrock-us"},
		PerMinute: 100, Weights: [4]int64{1000, 100, 4000, 4000}, PricePerHour: usd / 2,
		Start: t0.Add(30 * time.Minute), End: t0.Add(60 * time.Hour), Version: "cv_cap"}
	return Catalog{
		Providers:   map[string]string{"azure": "azure", "bedrock": "bedrock", "openai": "openai"},
		Regions:     map[string]string{"azure-east": "eastus"},
		Commitments: map[string]commit.Terms{"macc": spend, "pt": capa},
	}
}

func (c Catalog) terms() []commit.Terms {
	return []commit.Terms{c.Commitments["macc"], c.Commitments["pt"]}
}

func randomUsage(r *rand.Rand, n int) []commit.Usage {
	deps := [][2]string{{"azure-east", "azure"}, {"bedrock-us", "bedrock"}, {"openai-main", "openai"}}
	out := make([]commit.Usage, n)
	for i := range out {
		d := deps[r.IntN(len(deps))]
		p := r.Int64N(20000)
		c := r.Int64N(5000)
		out[i] = commit.Usage{Hour: t0.Add(time.Duration(r.IntN(72)) * time.Hour), Deployment: d[0], Provider: d[1],
			Model: "gpt, \"x\"", Tenant: []string{"acme", "", "b,c"}[r.IntN(3)],
			Tokens: commit.Tokens{Prompt: p, Cached: p / 7, CacheWrite: p / 11, Completion: c, Reasoning: c / 3},
			Cost:   money.Nanos(p*2500 + c*10000)}
	}
	return out
}

// parse reads an export back as a spreadsheet would: header and records.
func parse(t *testing.T, b []byte) ([]string, []map[string]string) {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Error("lines do not end in CRLF (RFC 4180)")
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = rec[i]
		}
		rows = append(rows, m)
	}
	return recs[0], rows
}

func money9(t *testing.T, s string) money.Nanos {
	t.Helper()
	w, f, ok := strings.Cut(s, ".")
	if !ok || len(f) != 9 {
		t.Fatalf("money %q: want nine decimals", s)
	}
	a, err1 := strconv.ParseInt(w, 10, 64)
	b, err2 := strconv.ParseInt(f, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("money %q", s)
	}
	return money.Nanos(a*1e9 + b)
}

// checkExport checks what the spec requires of every row.
func checkExport(t *testing.T, header []string, rows []map[string]string) {
	t.Helper()
	if !slices.Equal(header, Columns) {
		t.Fatalf("header %v, want %v", header, Columns)
	}
	for _, c := range Mandatory {
		if !slices.Contains(header, c) {
			t.Errorf("mandatory column %s missing", c)
		}
	}
	for i, r := range rows {
		for _, c := range Mandatory {
			if r[c] == "" && c != "ChargeClass" {
				t.Fatalf("row %d: %s is null: %v", i, c, r)
			}
		}
		for _, c := range []string{"BilledCost", "EffectiveCost", "ListCost", "ContractedCost"} {
			money9(t, r[c])
		}
		for _, c := range []string{"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"} {
			if _, err := time.Parse("2006-01-02T15:04:05Z", r[c]); err != nil {
				t.Fatalf("row %d: %s = %q is not ISO 8601 UTC", i, c, r[c])
			}
		}
		usage, unused := r["ChargeCategory"] == CategoryUsage, r["CommitmentDiscountStatus"] == StatusUnused
		if (r["ConsumedQuantity"] != "") != (usage && !unused) || (r["ConsumedUnit"] != "") != (usage && !unused) {
			t.Fatalf("row %d: ConsumedQuantity/Unit must be set exactly on usage rows that are not unused: %v", i, r)
		}
		if r["CommitmentDiscountId"] != "" {
			for _, c := range []string{"CommitmentDiscountName", "CommitmentDiscountCategory", "CommitmentDiscountType", "CommitmentDiscountQuantity", "CommitmentDiscountUnit"} {
				if r[c] == "" {
					t.Fatalf("row %d: %s null with a commitment: %v", i, c, r)
				}
			}
			if (r["CommitmentDiscountStatus"] != "") != usage {
				t.Fatalf("row %d: CommitmentDiscountStatus must be set exactly on usage rows: %v", i, r)
			}
		}
		if usage && !unused {
			in, _ := strconv.ParseInt(r["x_InputTokens"], 10, 64)
			ca, _ := strconv.ParseInt(r["x_CachedInputTokens"], 10, 64)
			cw, _ := strconv.ParseInt(r["x_CacheWriteTokens"], 10, 64)
			out, _ := strconv.ParseInt(r["x_OutputTokens"], 10, 64)
			re, _ := strconv.ParseInt(r["x_ReasoningTokens"], 10, 64)
			if strconv.FormatInt(in+ca+cw+out+re, 10) != r["ConsumedQuantity"] {
				t.Fatalf("row %d: tokens by type do not add up to ConsumedQuantity: %v", i, r)
			}
		}
	}
}

// identity checks FOCUS's identity per commitment on the parsed export.
func identity(t *testing.T, rows []map[string]string) {
	t.Helper()
	used, unused, bought := map[string]money.Nanos{}, map[string]money.Nanos{}, map[string]money.Nanos{}
	for _, r := range rows {
		id := r["CommitmentDiscountId"]
		if id == "" {
			continue
		}
		switch {
		case r["ChargeCategory"] == CategoryPurchase:
			bought[id] += money9(t, r["BilledCost"])
			if money9(t, r["EffectiveCost"]) != 0 {
				t.Errorf("purchase row with effective cost: %v", r)
			}
		case r["CommitmentDiscountStatus"] == StatusUsed:
			used[id] += money9(t, r["EffectiveCost"])
			if money9(t, r["BilledCost"]) != 0 {
				t.Errorf("committed usage billed: %v", r)
			}
		case r["CommitmentDiscountStatus"] == StatusUnused:
			unused[id] += money9(t, r["EffectiveCost"])
		}
	}
	for _, id := range []string{"macc", "pt"} {
		if bought[id] == 0 || used[id]+unused[id] != bought[id] {
			t.Errorf("%s: used %v + unused %v != purchased %v", id, used[id], unused[id], bought[id])
		}
	}
}

func TestExportCSV(t *testing.T) {
	cat := testCatalog()
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range []time.Duration{Hourly, Daily} {
		for trial := range 20 {
			rows := randomUsage(r, 1+r.IntN(300))
			a := commit.Allocate(cat.terms(), rows, t0, t0.Add(72*time.Hour), t0.Add(100*time.Hour), nil)
			var buf bytes.Buffer
			if err := Write(&buf, Rows(cat, a, g)); err != nil {
				t.Fatal(err)
			}
			header, out := parse(t, buf.Bytes())
			checkExport(t, header, out)
			identity(t, out)
			var list money.Nanos
			var tokens int64
			for _, o := range out {
				if o["ChargeCategory"] == CategoryUsage && o["CommitmentDiscountStatus"] != StatusUnused {
					list += money9(t, o["ListCost"])
					n, _ := strconv.ParseInt(o["ConsumedQuantity"], 10, 64)
					tokens += n
				}
			}
			var wantList money.Nanos
			var wantTokens int64
			for _, u := range rows {
				wantList += u.Cost
				wantTokens += u.Tokens.Total()
			}
			if list != wantList || tokens != wantTokens {
				t.Fatalf("granularity %v trial %d: list %v tokens %d, want %v %d", g, trial, list, tokens, wantList, wantTokens)
			}
		}
	}
}

func TestRowValues(t *testing.T) {
	cat := testCatalog()
	rows := []commit.Usage{{Hour: t0.Add(time.Hour), Deployment: "azure-east", Provider: "azure", Model: "gpt-4o", Tenant: "acme",
		Tokens: commit.Tokens{Prompt: 1000, Cached: 200, CacheWrite: 100, Completion: 50, Reasoning: 10}, Cost: 2 * usd}}
	a := commit.Allocate(cat.terms()[:1], rows, t0, t0.Add(2*time.Hour), t0.Add(2*time.Hour), nil)
	out := Rows(cat, a, Daily)
	if len(out) != 2 {
		t.Fatalf("%d rows, want usage and purchase", len(out))
	}
	u := out[0].Record()
	col := func(rec []string, c string) string { return rec[slices.Index(Columns, c)] }
	for c, want := range map[string]string{
		"ProviderName": "Microsoft", "ServiceName": "Azure OpenAI", "ServiceCategory": "AI and Machine Learning",
		"BillingPeriodStart": "2026-11-01T00:00:00Z", "BillingPeriodEnd": "2026-12-01T00:00:00Z",
		"ChargePeriodStart": "2026-11-30T00:00:00Z", "ChargePeriodEnd": "2026-12-01T00:00:00Z",
		"BilledCost": "0.000000000", "EffectiveCost": "2.000000000", "ListCost": "2.000000000",
		"PricingCategory": "Committed", "CommitmentDiscountStatus": "Used", "CommitmentDiscountQuantity": "2.000000000",
		"SkuPriceDetails": `{"x_ModelName":"gpt-4o"}`, "Tags": `{"tenant":"acme"}`, "RegionId": "eastus",
		"x_InputTokens": "700", "x_CachedInputTokens": "200", "x_CacheWriteTokens": "100", "x_OutputTokens": "40",
		"x_ReasoningTokens": "10", "ConsumedQuantity": "1050", "x_CommitmentVersion": "cv_spend",
	} {
		if got := col(u, c); got != want {
			t.Errorf("%s = %q, want %q", c, got, want)
		}
	}
	p := out[1].Record()
	if col(p, "ChargeCategory") != "Purchase" || col(p, "BilledCost") != "5.000000000" || col(p, "ChargePeriodEnd") != "2026-12-02T00:00:00Z" {
		t.Errorf("purchase row %v", p)
	}
}
