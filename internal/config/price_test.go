package config

import (
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/wire"
)

// priceDoc is a valid config whose one deployment has the given price lines
// (indented under "price:"), starting on line 7.
func priceDoc(lines ...string) string {
	all := []string{lineKeys, lineProviders,
		"models:",
		"  - name: m",
		"    deployments:",
		"      - provider: oa",
		"        model: gpt"}
	return doc(append(all, lines...)...)
}

func TestPriceForms(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, p Price)
	}{
		{"map", priceDoc(`        price: {input: "2.50", output: "10", cached_input: "1.25"}`), func(t *testing.T, p Price) {
			if p.Input != 2500 || p.Output != 10000 || p.CachedInput != 1250 || p.CacheWrite != 2500 || p.Reasoning != 10000 {
				t.Errorf("price = %+v", p)
			}
		}},
		{"map with long context", priceDoc(
			`        price: {input: "1.25", output: "10", cached_input: "0.31",`,
			`                long_context: {above: 200000, input: "2.50", output: "15", cached_input: "0.625"}}`), func(t *testing.T, p Price) {
			lc := p.LongContext
			if lc == nil || lc.Above != 200_000 || lc.Input != 2500 || lc.CachedInput != 625 || lc.CacheWrite != 2500 || lc.Output != 15000 || lc.Reasoning != 15000 {
				t.Errorf("long context = %+v", lc)
			}
		}},
		{"unpriced", priceDoc(`        price: unpriced`), func(t *testing.T, p Price) {
			if !p.Unpriced {
				t.Errorf("price = %+v", p)
			}
		}},
		{"versions", priceDoc(
			`        price:`,
			`          - {input: "3", output: "15"}`,
			`          - {from: 2026-01-01, input: "2.50", output: "10"}`,
			`          - {from: "2026-02-01T12:00:00+01:00", input: "2", output: "8", reasoning: "9"}`), func(t *testing.T, p Price) {
			v := p.Versions
			if len(v) != 3 || !v[0].From.IsZero() || !v[1].From.Equal(jan) || !v[2].From.Equal(time.Date(2026, 2, 1, 11, 0, 0, 0, time.UTC)) {
				t.Fatalf("versions = %+v", v)
			}
			if v[1].CachedInput != 2500 || v[2].Reasoning != 9000 || v[2].CacheWrite != 2000 {
				t.Errorf("defaults not applied per version: %+v", v)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test.yaml", []byte(tt.yaml), env())
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c.Models[0].Deployments[0].Price)
		})
	}
}

func TestPriceErrors(t *testing.T) {
	const key = "models[0].deployments[0].price"
	tests := []struct {
		name  string
		yaml  string
		wants []want
	}{
		{"missing", priceDoc(), []want{{key, 6, `deployment "oa/gpt" has no price: add price: {input: ..., output: ...} in USD per million tokens, or price: unpriced`}}},
		{"null", priceDoc("        price:"), []want{{key, 8, "has no price"}}},
		{"empty mapping", priceDoc("        price: {}"), []want{{key + ".input", 8, "is required"}, {key + ".output", 8, "is required"}}},
		{"output missing", priceDoc(`        price: {input: "1"}`), []want{{key + ".output", 8, "is required"}}},
		{"unknown key", priceDoc(`        price: {input: "1", output: "2", outptu: "3"}`), []want{{key, 8, `unknown key "outptu"`}}},
		{"negative", priceDoc(`        price: {input: "-1", output: "2"}`), []want{{key + ".input", 8, "negative price"}}},
		{"other word", priceDoc(`        price: free`), []want{{key, 8, "or unpriced"}}},
		{"empty list", priceDoc(`        price: []`), []want{{key, 8, "at least one price is required"}}},
		{"from not increasing", priceDoc(
			`        price:`,
			`          - {from: 2026-02-01, input: "1", output: "2"}`,
			`          - {from: 2026-01-01, input: "1", output: "2"}`), []want{{key + "[1].from", 10, "must be after the previous price's from (2026-02-01T00:00:00Z)"}}},
		{"from repeated", priceDoc(
			`        price:`,
			`          - {from: 2026-01-01, input: "1", output: "2"}`,
			`          - {from: 2026-01-01, input: "2", output: "2"}`), []want{{key + "[1].from", 10, "must be after the previous price's from"}}},
		{"from missing after the first", priceDoc(
			`        price:`,
			`          - {input: "1", output: "2"}`,
			`          - {input: "2", output: "2"}`), []want{{key + "[1].from", 10, "is required after the first price"}}},
		{"bad from", priceDoc(
			`        price:`,
			`          - {from: soon, input: "1", output: "2"}`), []want{{key + "[0].from", 9, "want a date"}}},
		{"unpriced in a list", priceDoc(
			`        price:`,
			`          - {input: "1", output: "2"}`,
			`          - unpriced`), []want{{key + "[1]", 10, "want a mapping"}}},
		{"negative in a version", priceDoc(
			`        price:`,
			`          - {input: "1", output: "-2"}`), []want{{key + "[0].output", 9, "negative price"}}},
		{"long context without threshold", priceDoc(`        price: {input: "1", output: "2", long_context: {input: "2", output: "4"}}`),
			[]want{{key + ".long_context.above", 8, "is required"}}},
		{"long context without output", priceDoc(`        price: {input: "1", output: "2", long_context: {above: 10, input: "2"}}`),
			[]want{{key + ".long_context.output", 8, "is required"}}},
		{"long context unknown key", priceDoc(`        price: {input: "1", output: "2", long_context: {above: 10, input: "2", output: "4", after: 3}}`),
			[]want{{key + ".long_context", 8, `unknown key "after"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml), env())
			checkErrors(t, err, tt.wants)
		})
	}
}

func TestPriceErrorNamesFileAndLine(t *testing.T) {
	_, err := Parse("gateway.yaml", []byte(priceDoc()), env())
	if err == nil || err.Error() != `gateway.yaml:6:9: models[0].deployments[0].price: deployment "oa/gpt" has no price: `+
		`add price: {input: ..., output: ...} in USD per million tokens, or price: unpriced to track its usage without a cost` {
		t.Errorf("error = %v", err)
	}
}

func TestPriceBook(t *testing.T) {
	yaml := doc(lineKeys, lineProviders,
		"models:",
		"  - name: m",
		"    deployments:",
		`      - {name: a, provider: oa, model: x, price: {input: "1", output: "2", long_context: {above: 100, input: "3", output: "4"}}}`,
		`      - {name: b, provider: oa, model: y, price: unpriced}`,
		`      - name: c`,
		`        provider: oa`,
		`        model: z`,
		`        price:`,
		`          - {from: 2026-01-01, input: "1", output: "2"}`,
		`          - {from: 2026-03-01, input: "0.5", output: "1"}`)
	parse := func() *Config {
		c, err := Parse("test.yaml", []byte(yaml), env())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	book := parse().PriceBook()
	u := wire.Usage{Prompt: 10, Completion: 10}
	jan := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	mar := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		deployment string
		at         time.Time
		u          wire.Usage
		cost       int64
		unpriced   bool
		fails      bool
	}{
		{"a", jan, u, 10*1000 + 10*2000, false, false},
		{"a", jan, wire.Usage{Prompt: 101, Completion: 10}, 101*3000 + 10*4000, false, false},
		{"b", jan, u, 0, true, false},
		{"c", jan, u, 10*1000 + 10*2000, false, false},
		{"c", mar, u, 10*500 + 10*1000, false, false},
		{"c", jan.AddDate(-1, 0, 0), u, 0, false, true},
		{"oa/x", jan, u, 0, false, true},
	}
	for _, tt := range tests {
		cost, version, unpriced, err := book.Price(tt.deployment, tt.at, tt.u)
		if int64(cost) != tt.cost || unpriced != tt.unpriced || (err != nil) != tt.fails || (version == "") != (tt.unpriced || tt.fails) {
			t.Errorf("Price(%s, %s) = %d, %q, %v, %v", tt.deployment, tt.at.Format(time.DateOnly), cost, version, unpriced, err)
		}
	}
	// Every replica, and every restart, names the versions alike.
	again := parse().PriceBook()
	for _, d := range []string{"a", "c"} {
		s1, _ := book.Schedule(d)
		s2, _ := again.Schedule(d)
		for i := range s1.Versions {
			if s1.Versions[i].ID != s2.Versions[i].ID || s1.Versions[i].ID == "" {
				t.Errorf("%s version %d: ids %q and %q", d, i, s1.Versions[i].ID, s2.Versions[i].ID)
			}
		}
	}
	c, _ := book.Schedule("c")
	if c.Versions[0].ID == c.Versions[1].ID {
		t.Error("two versions share an id")
	}
}
