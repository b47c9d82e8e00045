package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
)

// ConfigFile is the name of the demo's config in its data directory. The
// demo writes its config there as YAML and loads it like `serve` would, so
// that `switchyard report targets --config` reads the very same targets.
const ConfigFile = "switchyard-demo.yaml"

// The demo's tenants: name, the plan they are on, and the pricing
// experiment arm when they are in one. Their share of the sample traffic
// follows the list order (see sendTraffic).
var demoTenants = []struct{ name, plan, arm string }{
	{"acme", "starter", ""},
	{"globex", "growth-a", "a"},
	{"initech", "growth-b", "b"},
	{"umbrella", "growth-a", "a"},
}

// demoExperiment is the A/B pricing experiment the growth tenants are in.
const demoExperiment = "growth-markup"

// writeConfig writes the demo's config for the running clouds into
// dataDir and loads it. The books' terms (plans, assignments and
// commitments) start on the business's first day, so that its
// synthesised history falls in them.
func writeConfig(cs []*cloud, listen, key, adminToken, dataDir string, biz business) (*config.Config, string, error) {
	text := configText(cs, listen, key, adminToken, dataDir, biz)
	file := filepath.Join(dataDir, ConfigFile)
	// The file holds the demo key and admin token: readable by its owner only.
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		return nil, "", fmt.Errorf("demo: write config: %w", err)
	}
	cfg, err := parseConfig(file, text)
	return cfg, file, err
}

// parseConfig parses the demo's config without the environment: a
// SWITCHYARD_LISTEN or SWITCHYARD_ADMIN_TOKEN exported for a real gateway
// (or pasted from an earlier demo) does not override the demo's own.
func parseConfig(file, text string) (*config.Config, error) {
	cfg, err := config.Parse(file, []byte(text), nil)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return cfg, nil
}

// configText is the demo's config as YAML: its clouds (at their
// emulators' URLs, or placeholders when they are not running: the
// simulator never calls them), its models, and its books for biz.
func configText(cs []*cloud, listen, key, adminToken, dataDir string, biz business) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# Written by switchyard demo; its clouds' ports change on every run.")
	w("listen: %q", listen)
	w("admin: {listen: \"127.0.0.1:0\", token: %q}", adminToken)
	w("data_dir: %q", dataDir)
	// The synthesised history reaches back a month and a commitment's term
	// three: raw events are kept as long, so that pruning never drops
	// history the ledger has booked.
	w("store: {retention: %s}", retention)
	w("keys:")
	w("  - {name: demo, key: %q}", key)
	w("providers:")
	var chat, claude, gemini, embed []string
	for i, c := range cs {
		url := fmt.Sprintf("http://127.0.0.1:%d", 9+i) // never called: the simulator stands in
		if c.srv != nil {
			url = c.srv.URL
		}
		// The demo's deployments fail over fast: its clouds answer in milliseconds.
		common := fmt.Sprintf("name: %s, type: %s, timeouts: {first_byte: 10s}", c.name, c.kind)
		switch c.kind {
		case emulate.OpenAI:
			w("  - {%s, base_url: %q, api_key: emulated-%s}", common, url+"/v1", c.name)
			weight := 1
			if c.name == "openai-east" {
				weight = 2 // the steadiest cloud takes the larger share
				embed = append(embed, fmt.Sprintf("{provider: %s, model: %s, price: {input: \"0.02\", output: \"0\"}}", c.name, EmbeddingModel))
			}
			chat = append(chat, fmt.Sprintf("{provider: %s, model: %s, weight: %d, price: {input: \"0.15\", output: \"0.60\"}}", c.name, ChatModel, weight))
		case emulate.Azure:
			// Azure serves a deployment name of the operator's choosing, through
			// the classic per-deployment URL; its data-zone price is 10% higher.
			w("  - {%s, base_url: %q, api_key: emulated-%s, api_version: \"2024-10-21\"}", common, url, c.name)
			chat = append(chat, fmt.Sprintf("{provider: %s, model: gpt-4o-mini-prod, price: {input: \"0.165\", output: \"0.66\"}}", c.name))
			embed = append(embed, fmt.Sprintf("{provider: %s, model: embed-small-prod, priority: 2, price: {input: \"0.02\", output: \"0\"}}", c.name))
		case emulate.Anthropic:
			w("  - {%s, base_url: %q, api_key: emulated-%s}", common, url, c.name)
			claude = append(claude, fmt.Sprintf("{provider: %s, model: claude-sonnet-4-5, price: {input: \"3\", output: \"15\"}}", c.name))
		case emulate.Bedrock:
			// Signed with SigV4 like real AWS; tried when Anthropic is busy.
			w("  - {%s, base_url: %q, region: us-east-1, access_key_id: %s, secret_access_key: %s}", common, url, demoAWSKeyID, demoAWSSecret)
			// The native id is long for a summary table: the deployment gets a short name.
			claude = append(claude, fmt.Sprintf("{name: %s/claude-sonnet-4-5, provider: %s, model: \"anthropic.claude-sonnet-4-5-20250929-v1:0\", priority: 2, price: {input: \"3\", output: \"15\"}}", c.name, c.name))
		case emulate.Gemini:
			w("  - {%s, base_url: %q, api_key: emulated-%s}", common, url, c.name)
			gemini = append(gemini, fmt.Sprintf("{provider: %s, model: gemini-2.5-flash, price: {input: \"0.30\", output: \"2.50\"}}", c.name))
		}
	}
	w("models:")
	for _, m := range []struct {
		name, routing string
		deps          []string
	}{{ChatModel, config.RouteCheapest, chat}, {ClaudeModel, config.RoutePriority, claude},
		{GeminiModel, config.RoutePriority, gemini}, {EmbeddingModel, config.RoutePriority, embed}} {
		w("  - name: %s", m.name)
		w("    routing: %s", m.routing)
		w("    deployments:")
		for _, d := range m.deps {
			w("      - %s", d)
		}
	}
	// The terms start on the business's first day: the plans are in force
	// over all its history, and the commitments run for three months.
	from := biz.start.Format(time.DateOnly)
	until := biz.start.AddDate(0, 0, termDays).Format(time.DateOnly)
	fmt.Fprintf(&b, booksYAML, from, until, from, until, from, from, from, revenueGoal, newTenantsGoal)
	w("plan_assignments:")
	for _, c := range biz.customers {
		arm := ""
		if c.arm != "" {
			arm = fmt.Sprintf(", experiment: %s, arm: %s", demoExperiment, c.arm)
		}
		w("  - {tenant: %s, plan: %s, from: %s%s}", c.name, c.plan, from, arm)
	}
	return b.String()
}

// The books' sizes. termDays is the commitments' term; retention keeps
// the raw events of all of it.
const (
	termDays  = 90
	retention = "2160h"
)

// booksYAML is the business side of the demo: what its clouds are
// contracted for, what its tenants pay, and each month's goals.
//
// The spend commitment is sized a little over what the history's pace
// draws on openai-east in its term (a small shortfall is projected), the
// capacity one to carry Anthropic's Claude traffic at under half of its
// capacity, spilling to Bedrock in busy minutes. The revenue target (revenueGoal) is set
// under what the history's traffic earns in a month, the new-tenants
// target (newTenantsGoal) above what its sign-ups achieve: one is on
// track, the other on course to miss, read from the books.
const booksYAML = `commitments:
  - {name: openai-east-commit, provider: openai-east, kind: spend, amount: "8", start: %s, end: %s}
  - {name: anthropic-ptu, provider: anthropic, kind: capacity, tpm: 400, price_per_hour: "0.01", start: %s, end: %s}
plans:
  - name: starter
    versions:
      - from: %s
        prices:
          - {model: "gpt-*", input: "0.30", output: "1.20"}
          - {model: "claude-*", input: "4", output: "20"}
        markup: "+50%%"
  - name: growth-a
    versions:
      - from: %s
        markup: "+25%%"
        monthly_minimum: "20"
  - name: growth-b
    versions:
      - from: %s
        markup: "+40%%"
        monthly_minimum: "20"
targets:
  - {name: monthly-revenue, metric: revenue, goal: "%s"}
  - {name: new-tenants, metric: new_tenants, goal: "%d"}
`

// revenueGoal is the monthly revenue target in USD.
const revenueGoal = "50"
