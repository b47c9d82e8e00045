package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/switchyard/switchyard/bench/loadgen"
)

// The bar the verdict holds Switchyard to.
const (
	maxRatio = 1.3
	maxRSS   = 40 << 20
)

type report struct {
	o         *options
	goVersion string
	modes     []*mode
	results   []*scenario
	built     time.Duration
	total     time.Duration
	idle      float64       // the machine's load before the run, in cores
	waited    time.Duration // for other processes to go quiet
	spans     int64         // OTLP exports the trace sink received (not --plain)
	spanBytes int64
}

func (r *report) find(m *mode, rate float64, t target) *scenario {
	for _, s := range r.results {
		if s.mode == m && s.rate == rate && s.target == t {
			return s
		}
	}
	return nil
}

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	o := r.o

	w("# Switchyard gateway benchmark\n\n")
	args := ""
	if len(os.Args) > 1 {
		args = " " + strings.Join(os.Args[1:], " ")
	}
	w("`go run ./bench/run%s`, %s. ", args, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	if o.quick {
		w("**Quick mode: phases too short to measure anything; a smoke test only.** ")
	}
	if o.profile != "" {
		w("**CPU profiling on (--profile): the proxies' CPU numbers include the profiler's cost.** ")
	}
	w("Run took %s (build %s", r.total.Round(100*time.Millisecond), r.built.Round(100*time.Millisecond))
	if r.waited > 0 {
		w(", waiting for other processes to go quiet %s", r.waited.Round(100*time.Millisecond))
	}
	w(").\n\n")

	w("## Machine\n\n")
	w("- CPU: %s, %d cores\n", cpuModel(), runtime.NumCPU())
	w("- Kernel: Linux %s\n", readTrim("/proc/sys/kernel/osrelease"))
	w("- Go: %s\n", r.goVersion)
	w("- Load before the run (1 s, nothing of the benchmark running): %.0f%% of a core", 100*r.idle)
	if r.idle > 0.1 {
		w(" — **the machine was busy: expect noise**")
	}
	w("\n\n")

	w("## Set-up\n\n")
	if o.proxyCPU >= 0 {
		w("- Pinning: the proxy under test (bare proxy or Switchyard) runs alone on CPU %d with GOMAXPROCS=1; "+
			"the emulator and the load generator share CPU %d, each with GOMAXPROCS=1 (`taskset`).\n", o.proxyCPU, o.loadCPU)
	} else {
		w("- Pinning: **off** (--no-pin); every process has GOMAXPROCS=1.\n")
	}
	w("- Load: open loop at a constant rate; request *i* is sent at t0 + i/rate whatever is outstanding, and its latency "+
		"counts from that due time. Rates %s req/s; per scenario %s warm-up (not measured) then %s measured. "+
		"Each response is read to the end and verified.\n", joinRates(o.rates), o.warmup, o.duration)
	w("- Emulator (`switchyard emulate openai`, one process for the whole run): non-stream answers of %d tokens "+
		"(`max_tokens`) with ttft 0 and no pacing; streams of %s, with ttft %s and %g tokens/s, one SSE event per token "+
		"(plus a role event, a finish event and, for Switchyard, the usage event it asks for and strips).\n",
		o.nsTokens, r.streamLengths(), o.streamTTFT, o.streamTPS)
	for _, m := range r.modes {
		w("- %s request: %d bytes (system + user message, model bench-model", m.name, len(m.body(o.rates[0])))
		if m.stream {
			w(", `stream: true` without `stream_options.include_usage`")
		}
		w(").\n")
	}
	if o.plain {
		w("- Switchyard (`--plain`): `switchyard serve` with one config key and one priced deployment: every request is authenticated, its body parsed " +
			"and its model rewritten, usage and cost are journaled, stored and booked; for streams it asks the emulator for usage and strips the usage chunk. Log level warn.\n")
	} else {
		w("- Switchyard: `switchyard serve` with one priced deployment and everything on: a stored tenant and key (created through the admin API "+
			"before the load), each with rpm, tpm and concurrency limits and a hard budget, so every request is admitted, holds its worst-case cost "+
			"on both budgets and settles them; metrics; a trace per request with a span per attempt, exported over OTLP/HTTP to a sink in the "+
			"harness (%d exports, %.1f MB in the run); the journal, the SQLite store and the ledger. Every request is authenticated, its body "+
			"parsed and its model rewritten; for streams it asks the emulator for usage and strips the usage chunk. Log level warn.\n",
			r.spans, float64(r.spanBytes)/1e6)
	}
	w("- Bare proxy (`bench/bareproxy`): `httputil.ReverseProxy`, FlushInterval -1, the gateway's upstream transport settings; nothing else.\n")
	w("- Build: both proxies as the release image builds Switchyard, `CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\"` (static; `--switchyard` replaces the gateway's build).\n")
	w("- A fresh proxy process per scenario. **CPU µs/req**: the proxy's utime+stime (/proc/PID/stat, 10 ms ticks) over the " +
		"measurement window, divided by the requests completed in it. **RSS**: VmRSS at the end of the window; **peak**: VmHWM, " +
		"the process's peak over its (one-scenario) life. **core 0/core 1**: CPU time of the proxy / of the emulator plus load " +
		"generator over the window, as a share of one core; **other**: the CPU time of every other process on the machine over the window " +
		"(from /proc/stat), which should be near 0.\n")
	w("- **added** = the target's percentile minus the direct run's: a difference of percentiles of separate runs on the same " +
		"schedule, not a paired difference, so it is noisy at the µs scale and can come out negative.\n\n")

	for _, m := range r.modes {
		for _, rate := range o.rates {
			r.scenarioTable(&b, m, rate)
		}
	}
	r.verdict(&b)
	return b.String()
}

// streamLengths describes the stream answer length at each rate.
func (r *report) streamLengths() string {
	var parts []string
	for _, rate := range r.o.rates {
		parts = append(parts, fmt.Sprintf("%d tokens at %g req/s", r.o.streamTokensAt(rate), rate))
	}
	return strings.Join(parts, " and ")
}

func (r *report) scenarioTable(b *strings.Builder, m *mode, rate float64) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("## %s, %g req/s\n\n", m.name, rate)
	if m.stream {
		w("Streams of %d tokens.\n\n", r.o.streamTokensAt(rate))
	}
	d := r.find(m, rate, direct)
	if m.stream {
		w("| target | sent/s | ok | errors | late | TTFB p50 | TTFB p99 | TTFB p99.9 | end p50 | end p99 | end p99.9 | end max " +
			"| added TTFB p50 | added TTFB p99 | added end p50 | added end p99 | CPU µs/req | core 0 | RSS MB | peak MB | core 1 | other |\n")
		w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	} else {
		w("| target | sent/s | ok | errors | late | p50 | p99 | p99.9 | max | added p50 | added p99 | CPU µs/req | core 0 | RSS MB | peak MB | core 1 | other |\n")
		w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	}
	var notes []string
	for _, t := range r.o.targets() {
		s := r.find(m, rate, t)
		if s == nil {
			continue
		}
		if s.err != nil {
			w("| %s | failed: %s |\n", t, strings.ReplaceAll(firstLine(s.err.Error()), "|", "\\|"))
			notes = append(notes, fmt.Sprintf("%s failed: %s", t, indent(s.err.Error())))
			continue
		}
		res := s.out.Result
		w("| %s | %.0f | %d | %d | %d ", t, res.Achieved, res.OK, res.ErrorCount(), res.Late)
		added := func(get func(loadgen.Summary) time.Duration, sum func(*loadgen.Result) loadgen.Summary) string {
			if t == direct || d == nil || d.err != nil {
				return "—"
			}
			return fmtAdded(get(sum(res)) - get(sum(d.out.Result)))
		}
		if m.stream {
			w("| %s | %s | %s | %s | %s | %s | %s ", fmtDur(res.TTFB.P50), fmtDur(res.TTFB.P99), fmtDur(res.TTFB.P999),
				fmtDur(res.Total.P50), fmtDur(res.Total.P99), fmtDur(res.Total.P999), fmtDur(res.Total.Max))
			w("| %s | %s | %s | %s ", added(p50, ttfb), added(p99, ttfb), added(p50, total), added(p99, total))
		} else {
			w("| %s | %s | %s | %s ", fmtDur(res.Total.P50), fmtDur(res.Total.P99), fmtDur(res.Total.P999), fmtDur(res.Total.Max))
			w("| %s | %s ", added(p50, total), added(p99, total))
		}
		if px := s.out.Proxy; px != nil {
			w("| %s | %s | %s | %s ", fmtCPU(s), pct(px.CPU, res.Window), mb(px.RSS), mb(px.HWM))
		} else {
			w("| — | — | — | — ")
		}
		core1 := float64(s.out.Emu.CPU+s.out.Self.CPU) / float64(max(res.Window, 1))
		other := r.foreign(s)
		w("| %.0f%% | %.0f%% |\n", 100*core1, 100*other.total)
		notes = append(notes, scenarioNotes(s, core1, other)...)
	}
	w("\n")
	var split []string
	for _, t := range r.o.targets() {
		if s := r.find(m, rate, t); s != nil && s.err == nil {
			n := float64(max(s.out.Result.WindowCompleted, 1))
			split = append(split, fmt.Sprintf("%s %.0f / %.0f", t,
				float64(s.out.Emu.CPU.Microseconds())/n, float64(s.out.Self.CPU.Microseconds())/n))
		}
	}
	if len(split) > 0 {
		w("Core 1, CPU µs per request of the emulator / the load generator: %s.\n\n", strings.Join(split, "; "))
	}
	for _, n := range notes {
		w("- %s\n", n)
	}
	if len(notes) > 0 {
		w("\n")
	}
}

// scenarioNotes flags what makes a row less trustworthy.
func scenarioNotes(s *scenario, core1 float64, other foreignLoad) []string {
	var notes []string
	res := s.out.Result
	if n := res.ErrorCount(); n > 0 {
		var kinds []string
		for k, c := range res.Errors {
			kinds = append(kinds, fmt.Sprintf("%s ×%d (%.200s)", k, c, res.ErrorSamples[k]))
		}
		sort.Strings(kinds)
		notes = append(notes, fmt.Sprintf("%s: %d errors: %s", s.target, n, strings.Join(kinds, "; ")))
	}
	if res.WarmupErrors > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d errors during warm-up", s.target, res.WarmupErrors))
	}
	if res.Late > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d of %d sends more than 1 ms behind schedule (worst %s); their delay counts in the latencies",
			s.target, res.Late, res.Sent, fmtDur(res.MaxLate)))
	}
	if other.total > 0.05 || other.steal > 0.05 {
		notes = append(notes, fmt.Sprintf("%s: **other processes ran during the window**: %.0f%% of a core besides the benchmark's own (CPU %d: %.0f%%, CPU %d: %.0f%%), "+
			"%.0f%% stolen by the hypervisor: this row is disturbed", s.target, 100*other.total, other.proxyCPU, 100*other.proxy, other.loadCPU, 100*other.load, 100*other.steal))
	}
	if tl := transient(res); tl != "" {
		notes = append(notes, fmt.Sprintf("%s: the p99 comes from a transient; p99 of each %s of the window: %s", s.target, res.TimelineStep, tl))
	}
	if core1 > 0.9 {
		notes = append(notes, fmt.Sprintf("%s: core 1 (emulator + load generator) %.0f%% busy: client-side queueing inflates the latencies", s.target, 100*core1))
	}
	if px := s.out.Proxy; px != nil {
		if c0 := float64(px.CPU) / float64(max(res.Window, 1)); c0 > 0.9 {
			notes = append(notes, fmt.Sprintf("%s: its core is %.0f%% busy: saturated", s.target, 100*c0))
		}
		if px.Err != "" {
			notes = append(notes, fmt.Sprintf("%s: sampling /proc failed: %s", s.target, px.Err))
		}
	}
	return notes
}

// foreignLoad is the CPU time that processes other than the benchmark's used
// during a scenario's window, as shares of one core. Interrupt time is left
// out: the loopback traffic of the benchmark itself is accounted there.
type foreignLoad struct {
	total, steal      float64
	proxy, load       float64 // on the proxy's CPU and on the load CPU
	proxyCPU, loadCPU int
}

func (r *report) foreign(s *scenario) foreignLoad {
	win := float64(max(s.out.Result.Window, 1))
	var task, steal time.Duration
	for _, st := range s.out.CPUs {
		task += st.Task
		steal += st.Steal
	}
	ours := s.out.Emu.CPU + s.out.Self.CPU
	var px time.Duration
	if s.out.Proxy != nil {
		px = s.out.Proxy.CPU
	}
	f := foreignLoad{total: max(float64(task-ours-px)/win, 0), steal: float64(steal) / win,
		proxyCPU: r.o.proxyCPU, loadCPU: r.o.loadCPU}
	if r.o.proxyCPU >= 0 {
		f.proxy = max(float64(s.out.CPUs[r.o.proxyCPU].Task-px)/win, 0)
		f.load = max(float64(s.out.CPUs[r.o.loadCPU].Task-ours)/win, 0)
	}
	return f
}

// transient lists the measurement window's p99 step by step when one step's
// is more than three times the median step's, else "".
func transient(res *loadgen.Result) string {
	if res.TimelineStep <= 0 {
		return ""
	}
	skip := int(res.Warmup / res.TimelineStep)
	if skip >= len(res.Timeline) {
		return ""
	}
	var p99s []time.Duration
	for _, b := range res.Timeline[skip:] {
		if b.N > 0 {
			p99s = append(p99s, b.P99)
		}
	}
	if len(p99s) < 3 {
		return ""
	}
	sorted := slices.Clone(p99s)
	slices.Sort(sorted)
	if sorted[len(sorted)-1] <= 3*sorted[len(sorted)/2] {
		return ""
	}
	var parts []string
	for _, p := range p99s {
		parts = append(parts, fmtDur(p))
	}
	return strings.Join(parts, ", ")
}

// criterion is one line of the verdict.
type criterion struct {
	mode, metric         string
	rate                 float64
	bare, sy             string
	ratio, target, state string
	noise                string
}

func (r *report) verdict(b *strings.Builder) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	var cs []criterion
	for _, m := range r.modes {
		for _, rate := range r.o.rates {
			cs = append(cs, r.criteria(m, rate)...)
		}
	}
	met, missed, na := 0, 0, 0
	for _, c := range cs {
		switch {
		case strings.HasPrefix(c.state, "met"):
			met++
		case strings.HasPrefix(c.state, "**missed**"):
			missed++
		default:
			na++
		}
	}
	w("## Verdict\n\n")
	w("Switchyard against the bare proxy, on the same load: CPU per request and added latency within %.1f× of the bare proxy's, "+
		"peak RSS under %d MB. Added latencies are printed next to their ratio: when the bare proxy adds only a few µs, the ratio "+
		"amplifies noise. **A/A noise** is how far the second direct run's percentile landed from the first's: differences "+
		"between the proxies smaller than that are not resolved by this run (a miss is then marked *within noise*).\n\n", maxRatio, maxRSS>>20)
	w("| mode | rate | metric | bare proxy | switchyard | switchyard / bare | A/A noise | target | result |\n")
	w("|---|--:|---|--:|--:|--:|--:|---|---|\n")
	for _, c := range cs {
		if c.noise == "" {
			c.noise = "—"
		}
		w("| %s | %g | %s | %s | %s | %s | %s | %s | %s |\n", c.mode, c.rate, c.metric, c.bare, c.sy, c.ratio, c.noise, c.target, c.state)
	}
	w("\n**%d met, %d missed, %d not assessable** (of %d).\n", met, missed, na, len(cs))
	disturbed := 0
	for _, s := range r.results {
		if s.err == nil {
			if f := r.foreign(s); f.total > 0.05 || f.steal > 0.05 {
				disturbed++
			}
		}
	}
	if disturbed > 0 {
		w("\n**%d of %d runs were disturbed by other processes** (over 5%% of a core; see the notes under the tables): "+
			"their numbers, and the verdicts that use them, are not reliable. Re-run on a quiet machine.\n", disturbed, len(r.results))
	}
}

func (r *report) criteria(m *mode, rate float64) []criterion {
	d, bp, sy, d2 := r.find(m, rate, direct), r.find(m, rate, bare), r.find(m, rate, switchyard), r.find(m, rate, directAgain)
	base := criterion{mode: m.name, rate: rate}
	if bp == nil || sy == nil || bp.err != nil || sy.err != nil || bp.out.Proxy == nil || sy.out.Proxy == nil {
		c := base
		c.metric, c.state = "all", "n/a (a run failed)"
		return []criterion{c}
	}
	var cs []criterion

	// CPU per request.
	c := base
	c.metric, c.target = "CPU µs/req", fmt.Sprintf("≤ %.1f×", maxRatio)
	bc, sc := cpuPerReq(bp), cpuPerReq(sy)
	c.bare, c.sy = fmt.Sprintf("%.1f", bc), fmt.Sprintf("%.1f", sc)
	c.ratio, c.state = ratio(sc, bc)
	cs = append(cs, c)

	// Added latency.
	if d != nil && d.err == nil {
		type lat struct {
			name string
			sum  func(*loadgen.Result) loadgen.Summary
			get  func(loadgen.Summary) time.Duration
		}
		var lats []lat
		if m.stream {
			lats = []lat{{"added TTFB p50", ttfb, p50}, {"added TTFB p99", ttfb, p99}, {"added end p50", total, p50}, {"added end p99", total, p99}}
		} else {
			lats = []lat{{"added p50", total, p50}, {"added p99", total, p99}}
		}
		for _, l := range lats {
			c := base
			c.metric, c.target = l.name, fmt.Sprintf("≤ %.1f×", maxRatio)
			ref := l.get(l.sum(d.out.Result))
			ba, sa := l.get(l.sum(bp.out.Result))-ref, l.get(l.sum(sy.out.Result))-ref
			c.bare, c.sy = fmtAdded(ba), fmtAdded(sa)
			c.ratio, c.state = ratio(float64(sa), float64(ba))
			if d2 != nil && d2.err == nil {
				noise := l.get(l.sum(d2.out.Result)) - ref
				noise = max(noise, -noise)
				c.noise = fmtDur(noise)
				if strings.HasPrefix(c.state, "**missed**") && sa-ba <= noise {
					c.state += " (within noise)"
				}
			}
			cs = append(cs, c)
		}
	}

	// Memory.
	c = base
	c.metric, c.target = "peak RSS MB", fmt.Sprintf("< %d MB", maxRSS>>20)
	c.bare, c.sy, c.ratio = mb(bp.out.Proxy.HWM), mb(sy.out.Proxy.HWM), fmt.Sprintf("%.2f×", float64(sy.out.Proxy.HWM)/float64(bp.out.Proxy.HWM))
	c.state = "met"
	if sy.out.Proxy.HWM >= maxRSS {
		c.state = "**missed**"
	}
	cs = append(cs, c)
	return cs
}

// ratio formats sy/bare and judges it against maxRatio. A bare value at or
// below zero (an added latency lost in the noise) has no meaningful ratio.
func ratio(sy, bare float64) (string, string) {
	if bare <= 0 {
		if sy <= 0 {
			return "n/a", "met (neither adds measurably)"
		}
		return "n/a", "n/a (bare adds ≤ 0)"
	}
	q := sy / bare
	state := "met"
	if q > maxRatio {
		state = "**missed**"
	}
	return fmt.Sprintf("%.2f×", q), state
}

func cpuPerReq(s *scenario) float64 {
	n := s.out.Result.WindowCompleted
	if n == 0 || s.out.Proxy == nil {
		return 0
	}
	return float64(s.out.Proxy.CPU.Microseconds()) / float64(n)
}

func fmtCPU(s *scenario) string { return fmt.Sprintf("%.1f", cpuPerReq(s)) }

func ttfb(r *loadgen.Result) loadgen.Summary  { return r.TTFB }
func total(r *loadgen.Result) loadgen.Summary { return r.Total }
func p50(s loadgen.Summary) time.Duration     { return s.P50 }
func p99(s loadgen.Summary) time.Duration     { return s.P99 }
func pct(part, whole time.Duration) string {
	return fmt.Sprintf("%.0f%%", 100*float64(part)/float64(max(whole, 1)))
}
func mb(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }
func joinRates(rs []float64) string {
	return strings.Trim(strings.ReplaceAll(fmt.Sprint(rs), " ", ", "), "[]")
}
func fmtAdded(d time.Duration) string { return sign(d) + fmtDur(d) }
func sign(d time.Duration) string     { return map[bool]string{true: "+", false: ""}[d >= 0] }
func firstLine(s string) string       { l, _, _ := strings.Cut(s, "\n"); return l }
func indent(s string) string          { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ") }
func readTrim(path string) string     { b, _ := os.ReadFile(path); return strings.TrimSpace(string(b)) }

// fmtDur prints a latency in µs below a millisecond and in ms above.
func fmtDur(d time.Duration) string {
	a := d
	if a < 0 {
		a = -a
	}
	var s string
	switch {
	case a < time.Millisecond:
		s = fmt.Sprintf("%dµs", a.Microseconds())
	case a < 10*time.Millisecond:
		s = fmt.Sprintf("%.2fms", float64(a)/1e6)
	case a < time.Second:
		s = fmt.Sprintf("%.1fms", float64(a)/1e6)
	default:
		s = fmt.Sprintf("%.2fs", a.Seconds())
	}
	if d < 0 {
		return "−" + s
	}
	return s
}

func cpuModel() string {
	for line := range strings.SplitSeq(readTrim("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
