// Command run is the gateway benchmark: one command that builds Switchyard and
// a bare reverse proxy, starts an emulated OpenAI upstream, and measures, on
// the same open-loop load, the emulator alone (direct), the bare proxy in
// front of it (the floor) and Switchyard in front of it, for non-stream and
// stream requests at fixed rates. It prints a markdown report and writes it
// to --out.
//
//	go run ./bench/run                      # the full run, under 3 minutes
//	go run ./bench/run --quick              # a smoke test of every scenario
//	go run ./bench/run --rates 1000 --duration 10s
//
// The proxy under test runs alone on CPU 0 with GOMAXPROCS=1; the emulator
// and the load generator share CPU 1. See bench/README.md.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	rates    []float64
	modes    map[string]bool
	warmup   time.Duration
	duration time.Duration
	drain    time.Duration
	out      string
	quick    bool
	noPin    bool
	keep     bool
	noAA     bool          // skip the second direct run
	quiet    time.Duration // total time the run may wait for other processes to go quiet
	syBin    string        // a prebuilt switchyard binary, instead of building one
	profile  string        // directory for CPU profiles of the proxies; empty: none
	jsonOut  string        // raw results, for analysis
	plain    bool          // issue 2's gateway set-up: a config key, no limits, budgets or traces

	proxyCPU, loadCPU int

	nsTokens     int           // non-stream answer length (max_tokens)
	streamTokens []rateTokens  // stream answer length (max_tokens) by rate
	streamTTFT   time.Duration // emulator knobs for streams
	streamTPS    float64
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		os.Exit(childMain())
	}
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	rates := fs.String("rates", "500,2000", "comma-separated request rates (req/s)")
	modes := fs.String("modes", "non-stream,stream", "comma-separated modes to run")
	fs.DurationVar(&o.warmup, "warmup", 1500*time.Millisecond, "warm-up per scenario (sent, not measured)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measurement phase per scenario")
	fs.DurationVar(&o.drain, "drain", 5*time.Second, "longest wait for outstanding answers after a scenario")
	fs.StringVar(&o.out, "out", "", "markdown report file (default bench/results.md in the module)")
	fs.BoolVar(&o.quick, "quick", false, "short phases (0.3s warm-up, 1s measured): a smoke test, not a measurement")
	fs.BoolVar(&o.noPin, "no-pin", false, "do not pin processes to CPUs (taskset)")
	fs.BoolVar(&o.noAA, "no-aa", false, "skip the second direct run that measures run-to-run noise (saves a quarter of the time)")
	fs.DurationVar(&o.quiet, "quiet-wait", 20*time.Second, "before each scenario, wait while other processes use over 10% of a core, up to this much in all (0: never wait)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp dir with binaries, configs and logs")
	fs.StringVar(&o.profile, "profile", "", "write CPU profiles of the proxies to this directory (Switchyard runs in-process via bench/gwprof); profiling costs CPU, so its numbers are not the benchmark's")
	fs.StringVar(&o.jsonOut, "json", "", "also write every run's raw results (percentiles, timeline, /proc samples) as JSON to this file")
	fs.BoolVar(&o.plain, "plain", false, "run Switchyard as issue 2 measured it: one config key, no tenant limits, budgets or traces (default: all on)")
	fs.StringVar(&o.syBin, "switchyard", "", "use this switchyard binary instead of building ./cmd/switchyard (e.g. to compare builds)")
	fs.IntVar(&o.proxyCPU, "proxy-cpu", 0, "CPU the proxy under test runs on")
	fs.IntVar(&o.loadCPU, "load-cpu", 1, "CPU the emulator and the load generator share")
	fs.IntVar(&o.nsTokens, "tokens", 64, "non-stream answer length (the request's max_tokens)")
	streamTokens := fs.String("stream-tokens", "500:20,2000:5", "stream answer length (the request's max_tokens; one SSE event each): N for every rate, "+
		"or RATE:N,... where each rate uses the entry of the highest RATE at or below it")
	fs.DurationVar(&o.streamTTFT, "stream-ttft", 10*time.Millisecond, "emulator time to first token for streams")
	fs.Float64Var(&o.streamTPS, "stream-tps", 500, "emulator tokens per second for streams")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for f := range strings.SplitSeq(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(r > 0) {
			return nil, fmt.Errorf("--rates: %q is not a positive number", f)
		}
		o.rates = append(o.rates, r)
	}
	o.modes = map[string]bool{}
	for f := range strings.SplitSeq(*modes, ",") {
		f = strings.TrimSpace(f)
		if f != "non-stream" && f != "stream" {
			return nil, fmt.Errorf("--modes: %q is neither non-stream nor stream", f)
		}
		o.modes[f] = true
	}
	if o.quick {
		o.warmup, o.duration, o.drain = 300*time.Millisecond, time.Second, 2*time.Second
	}
	if o.duration <= 0 || o.warmup < 0 {
		return nil, errors.New("--duration must be > 0 and --warmup ≥ 0")
	}
	if o.nsTokens < 1 {
		return nil, errors.New("--tokens must be ≥ 1")
	}
	var err error
	if o.streamTokens, err = parseRateTokens(*streamTokens); err != nil {
		return nil, fmt.Errorf("--stream-tokens: %w", err)
	}
	return o, nil
}

// rateTokens is a stream answer length for the rates from rate up.
type rateTokens struct {
	rate   float64
	tokens int
}

// parseRateTokens parses "N" or "RATE:N,RATE:N,...", sorted by rate.
func parseRateTokens(spec string) ([]rateTokens, error) {
	var rts []rateTokens
	for f := range strings.SplitSeq(spec, ",") {
		r, n, found := strings.Cut(strings.TrimSpace(f), ":")
		if !found {
			r, n = "0", r
		}
		rate, err1 := strconv.ParseFloat(r, 64)
		tokens, err2 := strconv.Atoi(n)
		if err1 != nil || err2 != nil || rate < 0 || tokens < 1 {
			return nil, fmt.Errorf("%q is neither N nor RATE:N with N ≥ 1", f)
		}
		rts = append(rts, rateTokens{rate, tokens})
	}
	slices.SortFunc(rts, func(a, b rateTokens) int { return cmp.Compare(a.rate, b.rate) })
	return rts, nil
}

// streamTokensAt is the stream answer length at rate: the entry of the
// highest rate at or below it, else the lowest entry.
func (o *options) streamTokensAt(rate float64) int {
	n := o.streamTokens[0].tokens
	for _, rt := range o.streamTokens {
		if rt.rate <= rate {
			n = rt.tokens
		}
	}
	return n
}

// targets lists the targets of every scenario, in the order they run.
func (o *options) targets() []target {
	if o.noAA {
		return []target{direct, bare, switchyard}
	}
	return []target{direct, bare, switchyard, directAgain}
}

// Targets, in the order each scenario measures them.
type target int

const (
	direct target = iota
	bare
	switchyard
	directAgain // direct once more, after the proxies: the run-to-run noise
)

var targetNames = [...]string{"direct", "bare proxy", "switchyard", "direct again"}

func (t target) String() string { return targetNames[t] }

// mode is non-stream or stream: the emulator's knobs and the request body.
type mode struct {
	name   string
	stream bool
	knobs  string               // JSON for POST /emulator/knobs
	body   func(float64) string // the request at a rate
}

// scenario is one measurement: a target at a mode and rate.
type scenario struct {
	mode   *mode
	rate   float64
	target target
	out    *childOut // nil on error
	err    error
}

// The client key the gateway is configured with, and the Authorization every
// request carries (the emulator and the bare proxy ignore it).
const benchKey = "sk-sy-bench-0123456789abcdef"

// chatBody is a realistic small chat request: a system prompt and one user
// question, about 600 bytes.
func chatBody(stream bool, maxTokens int) string {
	req := map[string]any{
		"model": "bench-model",
		"messages": []map[string]string{
			{"role": "system", "content": "You are the support assistant of an online hardware store. Answer briefly and precisely, in plain English and without markdown. If you are not sure, say so and tell the customer where to find the answer. Never invent product codes, prices or stock levels."},
			{"role": "user", "content": "I am replacing the kitchen faucet in a house built in the 1990s. The supply lines under the sink have 3/8 inch compression fittings and the shut-off valves look original. Should I replace the valves too, and which tools should I have ready before I start?"},
		},
		"max_tokens":  maxTokens,
		"temperature": 0.7,
		"user":        "bench-user-42",
	}
	if stream {
		req["stream"] = true
	}
	b, _ := json.Marshal(req)
	return string(b)
}

type env struct {
	o       *options
	root    string // module root
	tmp     string
	sy, bp  string // binaries
	gwprof  string // with --profile
	emu     *proc
	emuURL  string
	loadLog *os.File
	goVer   string
	waited  time.Duration // spent in waitQuiet
	sink    *otlpSink     // the trace collector, unless --plain
}

// waitQuiet waits, within the run's budget (--quiet-wait), until the
// processes outside the benchmark use less than 10% of a core: the
// benchmark's own are idle between scenarios.
func (e *env) waitQuiet() {
	const sample = 200 * time.Millisecond
	for e.waited < e.o.quiet {
		a, err1 := cpuStats()
		emu0, err2 := cpuTime(e.emu.pid())
		time.Sleep(sample)
		b, err3 := cpuStats()
		emu1, err4 := cpuTime(e.emu.pid())
		if errors.Join(err1, err2, err3, err4) != nil {
			return
		}
		var busy time.Duration
		for cpu, st := range b {
			busy += st.Task - a[cpu].Task
		}
		busy -= emu1 - emu0
		if float64(busy) < 0.1*float64(sample) {
			return
		}
		e.waited += sample
		if e.waited == sample {
			fmt.Fprintln(os.Stderr, "bench: waiting for other processes to go quiet")
		}
	}
}

func run(ctx context.Context, o *options) error {
	began := time.Now()
	e := &env{o: o}
	if err := e.setup(); err != nil {
		return err
	}
	defer e.cleanup()
	fmt.Fprintf(os.Stderr, "bench: building into %s\n", e.tmp)
	if err := e.build(); err != nil {
		return err
	}
	built := time.Since(began)
	idle := idleLoad()
	if idle > 0.1 {
		fmt.Fprintf(os.Stderr, "bench: warning: other processes use %.0f%% of a core: results will be noisy\n", 100*idle)
	}
	if err := e.startEmulator(); err != nil {
		return err
	}
	defer e.emu.stop()
	if !o.plain {
		var err error
		if e.sink, err = startSink(); err != nil {
			return err
		}
		defer e.sink.close()
	}

	modes := []*mode{
		{name: "non-stream", knobs: `{"ttft":"0s","tps":0}`,
			body: func(float64) string { return chatBody(false, o.nsTokens) }},
		{name: "stream", stream: true, knobs: fmt.Sprintf(`{"ttft":%q,"tps":%g}`, o.streamTTFT.String(), o.streamTPS),
			body: func(rate float64) string { return chatBody(true, o.streamTokensAt(rate)) }},
	}
	var results []*scenario
	modes = slices.DeleteFunc(modes, func(m *mode) bool { return !o.modes[m.name] })
	for _, m := range modes {
		if err := e.setKnobs(m.knobs); err != nil {
			return err
		}
		for _, rate := range o.rates {
			for _, t := range o.targets() {
				if err := ctx.Err(); err != nil {
					return err
				}
				s := &scenario{mode: m, rate: rate, target: t}
				e.waitQuiet()
				fmt.Fprintf(os.Stderr, "bench: %-10s %6g req/s  %-10s ", m.name, rate, t)
				s.out, s.err = e.measure(ctx, s)
				if s.err != nil {
					fmt.Fprintf(os.Stderr, "FAILED: %v\n", s.err)
				} else {
					r := s.out.Result
					perReq := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(r.WindowCompleted, 1)) }
					fmt.Fprintf(os.Stderr, "ok %d, errors %d, late %d, p50 %s, p99 %s; CPU µs/req: emulator %.0f, load generator %.0f",
						r.OK, r.ErrorCount(), r.Late, fmtDur(r.Total.P50), fmtDur(r.Total.P99), perReq(s.out.Emu.CPU), perReq(s.out.Self.CPU))
					if s.out.Proxy != nil {
						fmt.Fprintf(os.Stderr, ", proxy %.0f", perReq(s.out.Proxy.CPU))
					}
					fmt.Fprintln(os.Stderr)
				}
				results = append(results, s)
			}
		}
	}
	rep := &report{o: o, goVersion: e.goVer, modes: modes, results: results, built: built, total: time.Since(began), idle: idle, waited: e.waited}
	if e.sink != nil {
		rep.spans, rep.spanBytes = e.sink.exports.Load(), e.sink.bytes.Load()
	}
	md := rep.markdown()
	fmt.Print(md)
	out := o.out
	if out == "" {
		out = filepath.Join(e.root, "bench", "results.md")
	}
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return err
	}
	if o.jsonOut != "" {
		type raw struct {
			Mode   string    `json:"mode"`
			Rate   float64   `json:"rate"`
			Target string    `json:"target"`
			Out    *childOut `json:"out,omitempty"`
			Err    string    `json:"err,omitempty"`
		}
		var rs []raw
		for _, s := range results {
			r := raw{Mode: s.mode.name, Rate: s.rate, Target: s.target.String(), Out: s.out}
			if s.err != nil {
				r.Err = s.err.Error()
			}
			rs = append(rs, r)
		}
		b, err := json.MarshalIndent(rs, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "bench: report written to %s; total %s\n", out, time.Since(began).Round(100*time.Millisecond))
	return nil
}

func (e *env) setup() error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	e.root = filepath.Dir(strings.TrimSpace(string(gomod)))
	if e.root == "." || e.root == "" {
		return errors.New("run from inside the switchyard module")
	}
	if v, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		e.goVer = strings.TrimSpace(string(v))
	}
	if !e.o.noPin {
		if _, err := exec.LookPath("taskset"); err != nil {
			return errors.New("taskset not found (util-linux); install it or pass --no-pin")
		}
	} else {
		e.o.proxyCPU, e.o.loadCPU = -1, -1
	}
	if e.o.profile != "" {
		if e.o.profile, err = filepath.Abs(e.o.profile); err != nil {
			return err
		}
		if err := os.MkdirAll(e.o.profile, 0o755); err != nil {
			return err
		}
	}
	if e.tmp, err = os.MkdirTemp("", "switchyard-bench-"); err != nil {
		return err
	}
	e.loadLog, err = os.Create(filepath.Join(e.tmp, "loadgen.log"))
	return err
}

func (e *env) cleanup() {
	if e.loadLog != nil {
		e.loadLog.Close()
	}
	if e.o.keep {
		fmt.Fprintf(os.Stderr, "bench: kept %s\n", e.tmp)
		return
	}
	os.RemoveAll(e.tmp)
}

func (e *env) build() error {
	e.sy = filepath.Join(e.tmp, "switchyard")
	e.bp = filepath.Join(e.tmp, "bareproxy")
	builds := []struct{ out, pkg string }{{e.bp, "./bench/bareproxy"}}
	if e.o.profile != "" {
		e.gwprof = filepath.Join(e.tmp, "gwprof")
		builds = append(builds, struct{ out, pkg string }{e.gwprof, "./bench/gwprof"})
	}
	if e.o.syBin != "" {
		abs, err := filepath.Abs(e.o.syBin)
		if err != nil {
			return err
		}
		e.sy = abs
	} else {
		builds = append(builds, struct{ out, pkg string }{e.sy, "./cmd/switchyard"})
	}
	for _, b := range builds {
		// Built as the release is (Dockerfile): static, without cgo. A cgo
		// build links libc and the dynamic loader, whose pages add about
		// 2.5 MB to the resident set the run measures.
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", b.out, b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = e.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return nil
}

func (e *env) startEmulator() error {
	addr, err := freePort()
	if err != nil {
		return err
	}
	e.emu, err = start("emulator", e.tmp, e.o.loadCPU, e.sy, "emulate", "openai", "--listen", addr,
		"--output-tokens", strconv.Itoa(e.o.nsTokens))
	if err != nil {
		return err
	}
	e.emuURL = "http://" + addr
	return e.emu.waitReady(10*time.Second, func() error { return httpOK(e.emuURL + "/emulator/knobs") })
}

// setKnobs changes the emulator's knobs for the next mode.
func (e *env) setKnobs(knobs string) error {
	resp, err := http.Post(e.emuURL+"/emulator/knobs", "application/json", strings.NewReader(knobs))
	if err != nil {
		return fmt.Errorf("emulator knobs: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emulator knobs %s: HTTP %d: %s", knobs, resp.StatusCode, b)
	}
	return nil
}

// measure runs one scenario: it starts the target's proxy (a fresh process),
// runs the load against it and stops it.
func (e *env) measure(ctx context.Context, s *scenario) (*childOut, error) {
	spec := childSpec{
		Body:   s.mode.body(s.rate),
		Header: map[string]string{"Authorization": "Bearer " + benchKey, "Content-Type": "application/json"},
		Stream: s.mode.stream, Rate: s.rate,
		Warmup: e.o.warmup, Duration: e.o.duration, Drain: e.o.drain,
		EmuPID: e.emu.pid(),
	}
	var p *proc
	switch s.target {
	case direct, directAgain:
		spec.URL = e.emuURL + "/v1/chat/completions"
	case bare:
		addr, err := freePort()
		if err != nil {
			return nil, err
		}
		argv := []string{e.bp, "--listen", addr, "--upstream", e.emuURL}
		if e.o.profile != "" {
			argv = append(argv, "--cpuprofile", e.profilePath("bare", s))
		}
		if p, err = start("bareproxy", e.tmp, e.o.proxyCPU, argv...); err != nil {
			return nil, err
		}
		defer e.stop(p)
		if err := p.waitReady(10*time.Second, func() error { return tcpOpen(addr) }); err != nil {
			return nil, err
		}
		spec.URL = "http://" + addr + "/v1/chat/completions"
	case switchyard:
		cfg, addr, admin, err := e.gatewayConfig()
		if err != nil {
			return nil, err
		}
		argv := []string{e.sy, "serve", "--config", cfg}
		if e.o.profile != "" {
			argv = []string{e.gwprof, "--config", cfg, "--cpuprofile", e.profilePath("switchyard", s)}
		}
		if p, err = start("switchyard", e.tmp, e.o.proxyCPU, argv...); err != nil {
			return nil, err
		}
		defer e.stop(p)
		if err := p.waitReady(10*time.Second, func() error { return httpOK("http://" + addr + "/readyz") }); err != nil {
			return nil, err
		}
		spec.URL = "http://" + addr + "/v1/chat/completions"
		if !e.o.plain {
			key, err := provision(admin)
			if err != nil {
				return nil, fmt.Errorf("%w\n%s", err, p.logTail())
			}
			spec.Header["Authorization"] = "Bearer " + key
		}
	}
	if err := smoke(spec); err != nil {
		if p != nil {
			return nil, fmt.Errorf("%w\n%s", err, p.logTail())
		}
		return nil, err
	}
	if p != nil {
		spec.ProxyPID = p.pid()
	}
	out, err := runChild(e.o.loadCPU, spec, e.loadLog)
	if err == nil && p != nil && p.exited() {
		err = fmt.Errorf("%s exited during the run (%v):\n%s", p.name, p.err, p.logTail())
	}
	return out, err
}

// idleLoad is the share of a core the machine's processes used over a
// second before the run, when the benchmark runs nothing.
func idleLoad() float64 {
	a, err := cpuStats()
	if err != nil {
		return 0
	}
	time.Sleep(time.Second)
	b, err := cpuStats()
	if err != nil {
		return 0
	}
	var busy time.Duration
	for cpu, st := range b {
		busy += st.Task - a[cpu].Task
	}
	return busy.Seconds()
}

// stop ends a proxy: at once, or with SIGTERM when it has a profile to write.
func (e *env) stop(p *proc) {
	if e.o.profile == "" {
		p.stop()
		return
	}
	p.terminate(5 * time.Second)
}

func (e *env) profilePath(who string, s *scenario) string {
	return filepath.Join(e.o.profile, fmt.Sprintf("%s-%s-%g.pprof", who, s.mode.name, s.rate))
}

// gatewayConfig writes a config for a fresh gateway and returns its path,
// API address and admin address.
func (e *env) gatewayConfig() (path, addr, admin string, err error) {
	if addr, err = freePort(); err != nil {
		return "", "", "", err
	}
	if admin, err = freePort(); err != nil {
		return "", "", "", err
	}
	// A data directory of its own: each scenario's gateway starts on an
	// empty store, as its process is fresh, and provisions its own tenant.
	data, err := os.MkdirTemp(e.tmp, "data-")
	if err != nil {
		return "", "", "", err
	}
	tracing := ""
	if e.sink != nil {
		tracing = fmt.Sprintf("tracing: {otlp_endpoint: %q, sample_ratio: 1.0}\n", e.sink.url)
	}
	cfg := fmt.Sprintf(`# written by bench/run
listen: %s
admin: {listen: %s, token: %s}
%sdata_dir: %s
log: {level: warn}
keys:
  - {name: bench, key: %s}
providers:
  - {name: emu, type: openai, base_url: %s/v1, api_key: emulated}
models:
  - name: bench-model
    deployments:
      - {provider: emu, model: bench-model, price: {input: "0.15", output: "0.60"}}
`, addr, admin, benchAdminToken, tracing, data, benchKey, e.emuURL)
	path = filepath.Join(e.tmp, "switchyard.yaml")
	return path, addr, admin, os.WriteFile(path, []byte(cfg), 0o600)
}

// smoke sends one request the way the load generator will, so that a
// misconfigured target fails with its answer rather than as a column of
// errors.
func smoke(spec childSpec) error {
	req, err := http.NewRequest(http.MethodPost, spec.URL, strings.NewReader(spec.Body))
	if err != nil {
		return err
	}
	for k, v := range spec.Header {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("smoke request: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("smoke request: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("smoke request: HTTP %d: %.300s", resp.StatusCode, b)
	}
	if spec.Stream && !bytes.HasSuffix(b, []byte("data: [DONE]\n\n")) {
		return fmt.Errorf("smoke request: stream did not end with [DONE]: %.300s", b)
	}
	return nil
}
