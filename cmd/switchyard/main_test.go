package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// binary is the switchyard binary built once for these tests: they check the
// command a user runs, exit codes included.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchyard-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "switchyard")
	// Built as the README says to build a static binary, with the commit
	// stamped in (when this is a git checkout; else without).
	build := func(vcs string) ([]byte, error) {
		cmd := exec.Command("go", "build", "-buildvcs="+vcs, "-o", binary, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		return cmd.CombinedOutput()
	}
	if _, err := build("true"); err != nil {
		if out, err := build("false"); err != nil {
			os.Stderr.Write(out)
			panic(err)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"demo", "--help"}, {"emulate", "--help"},
		{"simulate", "--help"}, {"config", "check", "--help"}, {"version", "--help"}} {
		out, code := run(t, nil, args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}

// TestSimulate replays a short stretch of the built-in month and checks the
// report compares the policies.
func TestSimulate(t *testing.T) {
	out, code := run(t, nil, "simulate", "--days", "2", "--policies", "cheapest,commitment")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"| cheapest |", "| commitment |", "Total cost against cheapest", "azure-macc"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

var exampleEnv = []string{
	"SWITCHYARD_ADMIN_TOKEN=admin-token", "SWITCHYARD_KEY=sk-sy-0123456789abcdef",
	"OPENAI_API_KEY=sk-x", "AZURE_EAST_API_KEY=a", "AZURE_WEST_ENTRA_TOKEN=b",
	"SWITCHYARD_EU_KEY=sk-sy-eu-0123456789abcdef", "AZURE_EU_API_KEY=c", "ANTHROPIC_API_KEY=d", "GEMINI_API_KEY=e",
	"AWS_ACCESS_KEY_ID=f", "AWS_SECRET_ACCESS_KEY=g",
}

func TestConfigCheck(t *testing.T) {
	out, code := run(t, exampleEnv, "config", "check", "../../examples/switchyard.yaml")
	if code != 0 || !strings.Contains(out, ": ok (") {
		t.Fatalf("example config: exit %d\n%s", code, out)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte(`listen: 127.0.0.1:8080
keys:
  - {name: dev, key: ${SWITCHYARD_KEY}}
providers:
  - {name: p, type: opnai, api_key: x}
models:
  - name: m
    deployments:
      - {provider: nobody, model: x, price: {input: "0.0375"}}
`), 0o600)
	out, code = run(t, []string{"SWITCHYARD_KEY=sk-sy-0123456789abcdef"}, "config", "check", bad)
	if code != 1 {
		t.Fatalf("bad config: exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		`bad.yaml:5:\d+: providers\[0\]\.type: .*opnai`,
		`bad.yaml:9:\d+: models\[0\]\.deployments\[0\]\.provider: .*nobody`,
		`bad.yaml:9:\d+: models\[0\]\.deployments\[0\]\.price\.input: .*0\.001 USD per million`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sk-sy-0123456789abcdef") {
		t.Error("a secret appeared in the error output")
	}

	// serve refuses to start on the same file, with the same messages.
	out, code = run(t, []string{"SWITCHYARD_KEY=sk-sy-0123456789abcdef"}, "serve", "--config", bad)
	if code != 1 || !strings.Contains(out, "bad.yaml:5:") {
		t.Errorf("serve on a bad config: exit %d\n%s", code, out)
	}
	out, code = run(t, nil, "serve", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != 1 || !strings.Contains(out, "missing.yaml") {
		t.Errorf("serve on a missing config: exit %d\n%s", code, out)
	}
}

// TestDemo runs the demo as the README tells newcomers to, shortened.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for several seconds")
	}
	data := t.TempDir()
	out, code := run(t, nil, "demo", "--duration", "4s", "--requests", "30", "--listen", "127.0.0.1:0", "--data", data)
	if code != 0 {
		t.Fatalf("demo exited %d\n%s", code, out)
	}
	for _, want := range []string{
		`(?m)^  export OPENAI_BASE_URL=http://127\.0\.0\.1:\d+/v1$`,
		`(?m)^  export OPENAI_API_KEY=sk-sy-\S+$`,
		`(?m)^  export ANTHROPIC_BASE_URL=http://127\.0\.0\.1:\d+$`,
		`(?m)^  export ANTHROPIC_API_KEY=sk-sy-\S+$`,
		`(?m)^  curl -s http://127\.0\.0\.1:\d+/v1/chat/completions`,
		`(?m)^Dashboard: http://127\.0\.0\.1:\d+/ui/ `,
		`(?m)^  export SWITCHYARD_ADMIN_URL=http://127\.0\.0\.1:\d+$`,
		`(?m)^  export SWITCHYARD_ADMIN_TOKEN=\S+$`,
		`(?m)^  tenant globex +plan growth-a +\(growth-markup arm a\) +signed up [A-Z][a-z]{2} \d+$`,
		// A month of history, synthesised through the simulator and the books.
		`(?m)^Synthesising the history, .* through the simulator and the gateway's books…$`,
		`(?m)^  \d{4,} requests \(\d+ attempts, \d+ retried elsewhere\), settled into the store and the ledger in `,
		`(?m)^new-tenants .* (at_risk|will_miss)$`,
		`(?m)^  switchyard report margin --data ` + regexp.QuoteMeta(data) + `$`,
		`30 answered, 0 failed`,
		`(?m)^Final summary:$`,
		`openai-east/gpt-4o-mini`, `azure-eu/gpt-4o-mini-prod`, `openai-west/gpt-4o-mini`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("demo output lacks %s:\n%s", want, out)
		}
	}

	// The books the demo printed the commands for: revenue per tenant,
	// the demo's tenants among them, and its targets from a month of
	// history, one on track, one on course to miss.
	margin, code := run(t, nil, "report", "margin", "--data", data, "--format", "csv")
	if code != 0 {
		t.Fatalf("report margin exited %d\n%s", code, margin)
	}
	tenants, nonZeroMargin := 0, false
	for _, line := range strings.Split(margin, "\n") {
		f := strings.Split(line, ",")
		if len(f) < 8 || !strings.HasPrefix(f[0], "t_") {
			continue // header, bootstrap key, total
		}
		if f[3] != "0" && f[3] != "0.00" {
			tenants++
		}
		if f[6] != "0" && f[6] != "0.00" {
			nonZeroMargin = true
		}
	}
	if tenants < 2 {
		t.Errorf("report margin shows revenue for %d demo tenants, want 2 or more:\n%s", tenants, margin)
	}
	targets, code := run(t, nil, "report", "targets", "--config", filepath.Join(data, "switchyard-demo.yaml"))
	if code != 0 {
		t.Fatalf("report targets exited %d\n%s", code, targets)
	}
	for _, want := range []string{`(?m)^monthly-revenue .* (on_track|met)$`, `(?m)^new-tenants .* (at_risk|will_miss)$`} {
		if !regexp.MustCompile(want).MatchString(targets) {
			t.Errorf("report targets lacks %s:\n%s", want, targets)
		}
	}
	t.Run("margin", func(t *testing.T) {
		if !nonZeroMargin {
			t.Errorf("report margin shows no tenant with a margin; the demo's plans charge above cost:\n%s", margin)
		}
	})
}
