package config

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/money"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid/*.golden")

var fullEnv = env(
	"ADMIN_TOKEN", "admin-token-0123456789",
	"DEV_KEY", "dev-key-0123456789abcdef",
	"OPENAI_API_KEY", "sk-openai",
	"AZURE_KEY", "azure-key",
)

func TestParseFull(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("testdata/full.yaml", data, fullEnv)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	checks := []struct {
		name      string
		got, want any
	}{
		{"File", c.File, "testdata/full.yaml"},
		{"Listen", c.Listen, "0.0.0.0:9000"},
		{"Admin", c.Admin, Admin{Listen: "127.0.0.1:9001", Token: "admin-token-0123456789", Pos: Pos{5, 3}}},
		{"DataDir", c.DataDir, "/var/lib/switchyard"},
		{"Server", c.Server, Server{
			MaxBodyBytes:      4 * MiB,
			ReadHeaderTimeout: Duration(5 * time.Second),
			BodyReadTimeout:   Duration(time.Minute),
			IdleTimeout:       Duration(150 * time.Second),
			MaxHeaderBytes:    DefaultMaxHeaderBytes,
			MaxJSONDepth:      128,
			MaxConnections:    DefaultMaxConnections,
			MaxInFlight:       DefaultMaxInFlight,
			DrainDelay:        Duration(3 * time.Second),
			ShutdownGrace:     Duration(45 * time.Second),
			Pos:               Pos{9, 3},
		}},
		{"Log", c.Log, Log{Level: "debug", Format: "json", Access: true, Pos: Pos{16, 3}}},
		{"Keys[0]", c.Keys[0], Key{Name: "dev", Key: "dev-key-0123456789abcdef", AllowRouteOverride: RouteOverride{All: true}, Pos: Pos{20, 5}}},
		{"Keys[1].Key ($$ escape)", c.Keys[1].Key, "literal-key-with-$-dollar"},
		{"Keys[1] constraints", [][]string{c.Keys[1].AllowedProviders, c.Keys[1].AllowedRegions, c.Keys[1].AllowRouteOverride.Policies},
			[][]string{{"azure-east", "vllm"}, {"eastus"}, {"cheapest", "fastest"}}},
		{"Keys[1] override not all", c.Keys[1].AllowRouteOverride.All, false},
		{"Providers[0].BaseURL (default)", c.Providers[0].BaseURL, "https://api.openai.com/v1"},
		{"Providers[0].APIKey", c.Providers[0].APIKey, "sk-openai"},
		{"Providers[0].Timeouts (default)", c.Providers[0].Timeouts, Timeouts{Connect: Duration(5 * time.Second), FirstByte: Duration(60 * time.Second), Response: Duration(10 * time.Minute), Idle: Duration(5 * time.Minute)}},
		{"Providers[1].BaseURL (slash trimmed)", c.Providers[1].BaseURL, "https://east.openai.azure.com"},
		{"Providers[1].APIVersion", c.Providers[1].APIVersion, "2025-04-01-preview"},
		{"Providers[1].Auth", c.Providers[1].Auth, AuthBearer},
		{"Providers[1].Headers (default used)", c.Providers[1].Headers["X-Tenant"], "acme"},
		{"Providers[1].Timeouts", c.Providers[1].Timeouts, Timeouts{Connect: Duration(2 * time.Second), FirstByte: Duration(90 * time.Second), Response: Duration(10 * time.Minute), Idle: Duration(45 * time.Second)}},
		{"Providers[1].Pos", c.Providers[1].Pos, Pos{32, 5}},
		{"Providers[2].APIKey", c.Providers[2].APIKey, ""},
		{"Models[0].Routing", c.Models[0].Routing, RouteWeighted},
		{"Models[0].Pos", c.Models[0].Pos, Pos{49, 5}},
		{"Models[0].Fallbacks", c.Models[0].Fallbacks, []string{"local"}},
		{"Models[1].Routing", c.Models[1].Routing, RouteCommitment},
		{"Deployment 0", c.Models[0].Deployments[0], Deployment{
			Name: "primary", Provider: "azure-east", Model: "gpt-4o-mini-deploy",
			Price: Price{
				Input: 150, CachedInput: 75, CacheWrite: 190, Output: 600, Reasoning: 0,
				Set: PriceFields{Input: true, CachedInput: true, CacheWrite: true, Output: true, Reasoning: true},
				Pos: Pos{60, 11},
			},
			Quota:    Quota{RPM: 1000, TPM: 2_000_000},
			Priority: 0, Weight: 250, PrioritySet: true, WeightSet: true,
			Region: "eastus", MaxConcurrent: 64, Commitment: "azure-macc", // region and commitment by default
			Pos: Pos{53, 9},
		}},
		{"Deployment 1", c.Models[0].Deployments[1], Deployment{
			Name: "openai-main/gpt-4o-mini", Provider: "openai-main", Model: "gpt-4o-mini",
			Price: Price{
				Input: 150, CachedInput: 150, CacheWrite: 150, Output: 600, Reasoning: 600,
				Set: PriceFields{Input: true, Output: true},
				Pos: Pos{69, 16},
			},
			Priority: 1, Weight: 1, Region: "us", Commitment: "openai-scale",
			Pos: Pos{66, 9},
		}},
		{"Deployment ptu commitment", c.Models[0].Deployments[2].Commitment, "azure-ptu"},
		{"Deployment 2 name (default)", c.Models[1].Deployments[0].Name, "vllm/qwen"},
		{"Deployment 2 region (none)", c.Models[1].Deployments[0].Region, ""},
		{"Deployment 2 unpriced", c.Models[1].Deployments[0].Price.Unpriced, true},
		{"Deployment ptu price versions", c.Models[0].Deployments[2].Price.Versions, []Price{
			{Input: 150, CachedInput: 150, CacheWrite: 150, Output: 600, Reasoning: 600,
				LongContext: &PriceTier{Above: 128_000, Input: 300, CachedInput: 300, CacheWrite: 300, Output: 1200, Reasoning: 1200,
					Set: PriceFields{Input: true, Output: true}, Pos: Pos{75, 59}},
				Set: PriceFields{Input: true, Output: true}, Pos: Pos{75, 13}},
			{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Input: 120, CachedInput: 120, CacheWrite: 120, Output: 500, Reasoning: 500,
				Set: PriceFields{Input: true, Output: true}, Pos: Pos{76, 13}},
		}},
		{"Commitment spend", c.Commitments[0], Commitment{
			Name: "azure-macc", Provider: "azure-east", Kind: CommitSpend, Amount: 120_000_500_000_000,
			TokenWeights: TokenWeights{Input: 1, CachedInput: 1, Output: 1, Reasoning: 1},
			Start:        time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			Pos: Pos{82, 5},
		}},
		{"Commitment capacity per minute", c.Commitments[1].CapacityPerMinute(), int64(125_000)},
		{"Commitment capacity weights", [4]float64{c.Commitments[1].TokenWeights.Input, c.Commitments[1].TokenWeights.CachedInput,
			c.Commitments[1].TokenWeights.Output, c.Commitments[1].TokenWeights.Reasoning}, [4]float64{1, 0, 4, 4}},
		{"Commitment price per hour", c.Commitments[1].PricePerHour, money.Nanos(2_750_000_000)},
		{"Commitment tpm", c.Commitments[2].CapacityPerMinute(), int64(30_000)},
		{"Commitment RFC 3339 start", c.Commitments[2].Start.UTC(), time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)},
		{"Commitment covers", c.Commitments[1].Covers(&c.Models[0].Deployments[2]) && !c.Commitments[0].Covers(&c.Models[0].Deployments[2]), true},
		{"Routing penalties", [2]money.Nanos{c.Routing.Penalties.Latency, c.Routing.Penalties.Failure}, [2]money.Nanos{20_000, 0}},
		{"Routing health", [7]any{c.Routing.Health.ConsecutiveFailures, c.Routing.Health.ErrorRatio, c.Routing.Health.MinRequests,
			c.Routing.Health.Window.D(), c.Routing.Health.BaseEjection.D(), c.Routing.Health.MaxEjection.D(), c.Routing.Health.SlowStart.D()},
			[7]any{0, 0.5, 10, time.Minute, 10 * time.Second, 2 * time.Minute, time.Duration(0)}},
		{"Routing retry budget", [2]any{c.Routing.RetryBudget.Ratio, c.Routing.RetryBudget.MinConcurrent}, [2]any{0.1, 0}},
		{"Routing spend pacing", c.Routing.SpendPacing.D(), 10 * time.Minute},
		{"Routing expected output", c.Routing.ExpectedOutputTokens, int64(300)},
	}
	for _, tc := range checks {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %+v, want %+v", tc.name, tc.got, tc.want)
		}
	}
}

// TestParseStructure covers decoding: unknown keys, wrong types, duplicate
// keys, YAML syntax, documents, aliases.
func TestParseStructure(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []want
	}{
		{"valid minimal", doc(lineKeys, lineProviders, lineModels), nil},
		{"unknown top-level key", doc(lineKeys, lineProviders, lineModels, "listn: 127.0.0.1:80"),
			[]want{{"", 4, `unknown key "listn"`}}},
		{"unknown nested key", doc(
			lineKeys,
			"providers:",
			"  - name: oa",
			"    type: openai",
			"    api_key: sk-test",
			"    base_ur: https://example.com",
			lineModels),
			[]want{{"providers[0]", 6, `unknown key "base_ur"`}}},
		{"unknown price key", doc(lineKeys, lineProviders,
			`models: [{name: m, deployments: [{provider: oa, model: gpt, price: {inptu: "1"}}]}]`),
			[]want{
				{"models[0].deployments[0].price.input", 3, "is required"},
				{"models[0].deployments[0].price.output", 3, "is required"},
				{"models[0].deployments[0].price", 3, `unknown key "inptu"`}}},
		{"two unknown keys", doc(lineKeys, lineProviders, lineModels, "a: 1", "log: {lvl: debug}"),
			[]want{{"", 4, `unknown key "a"`}, {"log", 5, `unknown key "lvl"`}}},
		{"list for mapping", doc(lineKeys, lineProviders, lineModels, "admin: [a, b]"),
			[]want{{"admin", 4, "want a mapping, got a list"}}},
		{"number for mapping", doc(lineKeys, lineProviders, lineModels, "server: 5"),
			[]want{{"server", 4, "want a mapping, got a number"}}},
		{"mapping for list", doc("keys: {name: dev}", lineProviders, lineModels),
			[]want{{"keys", 1, "want a list, got a mapping"}}},
		{"text for list", doc(lineKeys, lineProviders, "models: gpt"),
			[]want{{"models", 3, "want a list, got text"}}},
		{"list for string", doc(lineKeys, lineProviders, lineModels, "data_dir: [a, b]"),
			[]want{{"data_dir", 4, "want a string, got a list"}}},
		{"text for integer", doc(lineKeys, lineProviders,
			`models: [{name: m, deployments: [{provider: oa, model: gpt, quota: {rpm: lots}, price: unpriced}]}]`),
			[]want{{"models[0].deployments[0].quota.rpm", 3, "want an integer"}}},
		{"float for integer", doc(lineKeys, lineProviders,
			`models: [{name: m, deployments: [{provider: oa, model: gpt, weight: 1.5, price: unpriced}]}]`),
			[]want{{"models[0].deployments[0].weight", 3, "want an integer"}}},
		{"integer out of range", doc(lineKeys, lineProviders,
			`models: [{name: m, deployments: [{provider: oa, model: gpt, priority: 99999999999999999999, price: unpriced}]}]`),
			[]want{{"models[0].deployments[0].priority", 3, "want an integer in range"}}},
		{"mapping for integer", doc(lineKeys, lineProviders,
			`models: [{name: m, deployments: [{provider: oa, model: gpt, quota: {tpm: {a: 1}}, price: unpriced}]}]`),
			[]want{{"models[0].deployments[0].quota.tpm", 3, "want an integer, got a mapping"}}},
		{"bad boolean", doc(lineKeys, lineProviders, lineModels, "log: {access: maybe}"),
			[]want{{"log.access", 4, "want true or false"}}},
		{"bare integer duration", doc(lineKeys, lineProviders, lineModels, "server: {idle_timeout: 30}"),
			[]want{{"server.idle_timeout", 4, "want a duration such as 30s"}}},
		{"bad size", doc(lineKeys, lineProviders, lineModels, "server: {max_body_bytes: 32 megs}"),
			[]want{{"server.max_body_bytes", 4, "want a byte count or a size such as"}}},
		{"list for size", doc(lineKeys, lineProviders, lineModels, "server: {max_body_bytes: [1]}"),
			[]want{{"server.max_body_bytes", 4, "want a size such as 32MiB, got a list"}}},
		{"list for headers", doc(lineKeys, `providers: [{name: oa, type: openai, api_key: k, headers: [a]}]`, lineModels),
			[]want{{"providers[0].headers", 2, "want a mapping, got a list"}}},
		{"duplicate top-level key", doc(lineKeys, lineProviders, lineModels, "listen: 127.0.0.1:1", "listen: 127.0.0.1:2"),
			[]want{{"listen", 5, `duplicate key "listen" (first given at line 4)`}}},
		{"duplicate key in flow mapping", doc(lineKeys, `providers: [{name: oa, type: openai, api_key: k, name: ob}]`, lineModels),
			[]want{{"providers[0].name", 2, `duplicate key "name"`}}},
		{"duplicate header", doc(lineKeys, `providers: [{name: oa, type: openai, api_key: k, headers: {X-A: 1, X-A: 2}}]`, lineModels),
			[]want{{"providers[0].headers.X-A", 2, `duplicate key "X-A"`}}},
		{"non-scalar key", doc(lineKeys, lineProviders, lineModels, "? [a]", ": b"),
			[]want{{"", 4, "want a key, got a list"}}},
		{"top-level list", "- a\n- b\n", []want{{"", 1, "want a mapping, got a list"}}},
		{"top-level text", "hello\n", []want{{"", 1, "want a mapping, got text"}}},
		{"empty", "", []want{{"", 0, "empty config"}}},
		{"only comments", "# nothing here\n\n", []want{{"", 0, "empty config"}}},
		{"null document", "---\n~\n", []want{{"", 0, "empty config"}}},
		{"syntax error", "listen: x\nadmin: y\n- c\n", []want{{"", 3, "did not find expected key"}}},
		{"syntax error on line 1", "listen: x: y\n", []want{{"", 1, "mapping values are not allowed"}}},
		{"unclosed flow list", "a: 1\nb: [1, 2\nc: 3\n", []want{{"", 2, "did not find expected ',' or ']'"}}},
		{"unquoted ${} in flow parses", doc(lineKeys, lineProviders, lineModels, "admin: {token: ${T}}"),
			[]want{{"admin.token", 4, "environment variable T is not set"}}},
		{"tab indentation", "admin:\n\tlisten: x\n", []want{{"", 2, "indent with spaces, not tabs"}}},
		{"two documents", doc(lineKeys, lineProviders, lineModels, "---", "listen: x"),
			[]want{{"", 4, "more than one YAML document"}}},
		{"trailing document marker", doc(lineKeys, lineProviders, lineModels, "---"), nil},
		{"null sections", doc(lineKeys, lineProviders, lineModels, "admin:", "server: ~", "log: null"), nil},
		{"anchor and alias", doc(
			lineKeys,
			"providers:",
			"  - &p {name: a, type: openai, api_key: k}",
			"  - <<: *p",
			"    name: b",
			`models: [{name: m, deployments: [{provider: a, model: x, price: unpriced}, {provider: b, model: x, price: unpriced}]}]`), nil},
		{"merge of a list", doc(lineKeys, lineProviders, lineModels,
			"admin: {<<: [{listen: '127.0.0.1:1'}, {token: t}]}"), nil},
		{"merge of text", doc(lineKeys, lineProviders, lineModels, "admin: {<<: text}"),
			[]want{{"admin", 4, "merge key (<<) wants a mapping"}}},
		{"merge cycle", doc(lineKeys, lineProviders, lineModels, "admin: &a {<<: *a}"),
			[]want{{"admin", 4, "refers to the node that contains it"}}},
		{"alias of wrong kind", doc(lineKeys, lineProviders, lineModels, "admin: &a {listen: *a}"),
			[]want{{"admin.listen", 4, "want a string, got a mapping"}}},
		{"unknown anchor", doc(lineKeys, lineProviders, lineModels, "listen: *nope"),
			[]want{{"", 0, "unknown anchor"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml), env())
			checkErrors(t, err, tt.want)
		})
	}
}

// TestParseSuppressesFollowOnErrors checks that a value that failed to
// decode is not also reported as missing or invalid.
func TestParseSuppressesFollowOnErrors(t *testing.T) {
	_, err := Parse("test.yaml", []byte(doc(
		`keys: [{name: dev, key: "${DEV_KEY}"}]`,
		lineProviders,
		`models: [{name: m, deployments: {provider: oa}}]`,
	)), env())
	checkErrors(t, err, []want{
		{"keys[0].key", 1, "environment variable DEV_KEY is not set"},
		{"models[0].deployments", 3, "want a list, got a mapping"},
	})
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: error = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadPositions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.yaml")
	data := doc(lineKeys, lineProviders, lineModels, "listen: nowhere")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if want := path + ":4:9: listen: must be host:port"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Load error = %v, want prefix %q", err, want)
	}
}

// TestGolden checks the complete report for files with many problems, so
// that a change to any message shows up in review. Run with -update to
// rewrite the .golden files.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(filepath.ToSlash(file), data, env("SECRET", "sk-live-0123456789abcdef"))
			if err == nil {
				t.Fatal("Parse succeeded, want errors")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
			if strings.Contains(got, "sk-live") {
				t.Errorf("report contains the secret:\n%s", got)
			}
		})
	}
}

func TestPricesAreExact(t *testing.T) {
	// An unquoted 0.15 is read from its text, never through a float.
	c, err := Parse("test.yaml", []byte(doc(lineKeys, lineProviders,
		`models: [{name: m, deployments: [{provider: oa, model: gpt, price: {input: 0.15, output: 1.1}}]}]`)), env())
	if err != nil {
		t.Fatal(err)
	}
	p := c.Models[0].Deployments[0].Price
	if p.Input != money.Price(150) || p.Output != money.Price(1100) {
		t.Errorf("prices = %d, %d; want 150, 1100", p.Input, p.Output)
	}
}

// TestAliasBombs checks that aliases cannot make a small file expand into a
// huge config, and that a flood of errors is cut short.
func TestAliasBombs(t *testing.T) {
	var merge strings.Builder
	merge.WriteString("admin:\n  <<:\n    - &l0 {listen: 'a:1'}\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&merge, "    - &l%d {<<: [%s]}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ","))
	}
	var seq strings.Builder
	seq.WriteString(doc(lineKeys, lineProviders, "models:", "  - &m {name: m, deployments: [&d {provider: oa, model: x, price: unpriced}"+strings.Repeat(", *d", 1000)+"]}"))
	seq.WriteString(strings.Repeat("  - *m\n", 1000))

	for name, data := range map[string]string{"merge": merge.String(), "sequence": seq.String()} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("bomb.yaml", []byte(data), env())
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error = %v, want Errors", err)
			}
			if !strings.Contains(err.Error(), "aliases expand to too many values") {
				t.Errorf("no budget error in:\n%.500s", err)
			}
			if len(errs) > maxErrors+1 {
				t.Errorf("%d errors, want at most %d", len(errs), maxErrors+1)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	es := Errors{{File: "f", Msg: "1"}, {File: "f", Msg: "2"}, {File: "f", Msg: "3"}}
	if got := es.truncate(3); len(got) != 3 {
		t.Errorf("truncate(3) of 3 = %d errors", len(got))
	}
	got := es.truncate(1)
	if want := "f: 1\nf: 2 more problems not shown"; got.Error() != want {
		t.Errorf("truncate(1) = %q, want %q", got.Error(), want)
	}
}
