package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// noAWS clears every AWS credential variable a Bedrock provider reads.
var noAWS = []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_BEARER_TOKEN_BEDROCK="}

// TestConfigCheckParity: a config serve refuses (a Bedrock provider without
// credentials) fails config check too, with the same file:line message.
func TestConfigCheckParity(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bedrock.yaml")
	os.WriteFile(file, []byte(`listen: 127.0.0.1:0
data_dir: `+dir+`
admin: {listen: "127.0.0.1:0"}
keys:
  - {name: dev, key: sk-sy-0123456789abcdef}
providers:
  - name: aws
    type: bedrock
    region: us-east-1
models:
  - name: m
    deployments:
      - {provider: aws, model: x, price: {input: "1", output: "1"}}
`), 0o600)
	want := regexp.MustCompile(`bedrock\.yaml:7:\d+: providers\[0\]: provider aws \(bedrock\): no AWS credentials`)
	check, code := run(t, noAWS, "config", "check", file)
	if code != 1 || !want.MatchString(check) {
		t.Errorf("config check: exit %d, want 1 and %s:\n%s", code, want, check)
	}
	serve, code := run(t, noAWS, "serve", "--config", file)
	if code != 1 || !want.MatchString(serve) {
		t.Errorf("serve: exit %d, want 1 and %s:\n%s", code, want, serve)
	}
	with := append(slicesClone(noAWS), "AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b")
	if out, code := run(t, with, "config", "check", file); code != 0 {
		t.Errorf("with credentials, config check: exit %d\n%s", code, out)
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// TestREADMEConfigCheck runs the README's "Running it for real" block as
// written (the build step aside), with no other environment: the variables
// it exports must be all the example needs.
func TestREADMEConfigCheck(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var block string
	for _, b := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		if strings.Contains(b[1], "config check examples/switchyard.yaml") {
			block = b[1]
		}
	}
	if block == "" {
		t.Fatal("README has no sh block with config check examples/switchyard.yaml")
	}
	var script []string
	for _, line := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		// The binary is built already; serve would not return.
		if strings.Contains(line, "go build") || strings.HasPrefix(line, "./switchyard serve") {
			continue
		}
		script = append(script, strings.ReplaceAll(line, "./switchyard ", binary+" "))
	}
	cmd := exec.Command("sh", "-ec", strings.Join(script, "\n"))
	cmd.Dir = "../.."
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "examples/switchyard.yaml: ok (") {
		t.Fatalf("README block failed (%v):\n%s\n%s", err, strings.Join(script, "\n"), out)
	}
}

// TestSIGHUP sends real SIGHUPs to serve: a good config is reloaded, a
// broken one and a new listen address are refused with file:line, and the
// process lives on, serving, until SIGTERM.
func TestSIGHUP(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "switchyard.yaml")
	conf := func(listen, price string) string {
		return `listen: ` + listen + `
data_dir: ` + dir + `
admin: {listen: "127.0.0.1:0"}
log: {level: info, format: text}
keys:
  - {name: dev, key: sk-sy-0123456789abcdef}
providers:
  - {name: local, type: openai-compatible, base_url: "http://127.0.0.1:9/v1"}
models:
  - name: m
    deployments:
      - {name: d, provider: local, model: x, price: {input: "` + price + `", output: "1"}}
`
	}
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(conf("127.0.0.1:0", "1"))

	cmd := exec.Command(binary, "serve", "--config", file)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// await returns the next log line matching re; a bound keeps a broken
	// serve from hanging the suite.
	await := func(re string) string {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("serve exited before logging %s", re)
				}
				if regexp.MustCompile(re).MatchString(l) {
					return l
				}
			case <-timeout:
				t.Fatalf("serve never logged %s", re)
			}
		}
	}
	m := regexp.MustCompile(`listen=(127\.0\.0\.1:\d+)`).FindStringSubmatch(await(`msg=serving`))
	if m == nil {
		t.Fatal("serving line names no address")
	}
	healthz := func() {
		t.Helper()
		resp, err := http.Get("http://" + m[1] + "/healthz")
		if err != nil {
			t.Fatalf("gateway gone after SIGHUP: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	write(conf("127.0.0.1:0", "2"))
	cmd.Process.Signal(syscall.SIGHUP)
	await(`msg="config reloaded".*deployments=1`)
	healthz()

	write(conf("127.0.0.1:0", "0.0001")) // finer than a nano-dollar per token
	cmd.Process.Signal(syscall.SIGHUP)
	if l := await(`config reload refused`); !strings.Contains(l, "switchyard.yaml:12:") {
		t.Errorf("refusal does not name file:line: %s", l)
	}
	healthz()

	write(conf("127.0.0.1:1", "2"))
	cmd.Process.Signal(syscall.SIGHUP)
	if l := await(`config reload refused`); !strings.Contains(l, "listen") {
		t.Errorf("refusal does not name listen: %s", l)
	}
	healthz()

	cmd.Process.Signal(syscall.SIGTERM)
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
}

// TestDemoNoTraffic: --requests 0 sends nothing.
func TestDemoNoTraffic(t *testing.T) {
	out, code := run(t, nil, "demo", "--duration", "1s", "--requests", "0", "--listen", "127.0.0.1:0")
	if code != 0 {
		t.Fatalf("demo exited %d\n%s", code, out)
	}
	if !strings.Contains(out, "No sample traffic") || strings.Contains(out, "Sending") {
		t.Errorf("demo --requests 0 sent traffic:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^\s+total\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s`).MatchString(out) {
		t.Errorf("final summary counts attempts:\n%s", out)
	}
}
