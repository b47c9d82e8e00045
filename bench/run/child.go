package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/bench/loadgen"
)

// childArg makes the benchmark binary run one load-generation scenario: it
// re-executes itself with it under taskset, so that the load generator runs
// on the load CPU in a fresh process while the orchestrator does not.
const childArg = "__loadgen-child"

// childSpec is what the orchestrator asks a child for, on its stdin.
type childSpec struct {
	URL      string            `json:"url"`
	Body     string            `json:"body"`
	Header   map[string]string `json:"header"`
	Stream   bool              `json:"stream"`
	Rate     float64           `json:"rate"`
	Warmup   time.Duration     `json:"warmup"`
	Duration time.Duration     `json:"duration"`
	Drain    time.Duration     `json:"drain"`
	ProxyPID int               `json:"proxy_pid"` // 0: none (the direct target)
	EmuPID   int               `json:"emu_pid"`
}

// usage is what one process consumed over the measurement window.
type usage struct {
	CPU time.Duration `json:"cpu"` // utime+stime delta over the window
	RSS int64         `json:"rss"` // VmRSS at the end of the window
	HWM int64         `json:"hwm"` // VmHWM (peak RSS) at the end of the window
	Err string        `json:"err,omitempty"`
}

// childOut is what a child reports, on its stdout.
type childOut struct {
	Result *loadgen.Result `json:"result"`
	Proxy  *usage          `json:"proxy,omitempty"`
	Emu    usage           `json:"emu"`
	Self   usage           `json:"self"` // the load generator
	// CPUs is every CPU's time over the window, from /proc/stat: what the
	// machine did besides the benchmark's own processes.
	CPUs map[int]cpuStat `json:"cpus"`
	Err  string          `json:"err,omitempty"`
}

// probe samples a process's CPU time at the start of the window and its CPU
// time and memory at the end.
type probe struct {
	pid   int
	start time.Duration
	u     usage
}

func (p *probe) mark(ph loadgen.Phase) {
	cpu, err := cpuTime(p.pid)
	if err != nil {
		p.u.Err = err.Error()
		return
	}
	if ph == loadgen.MeasureStart {
		p.start = cpu
		return
	}
	p.u.CPU = cpu - p.start
	if p.u.RSS, p.u.HWM, err = memory(p.pid); err != nil {
		p.u.Err = err.Error()
	}
}

func childMain() int {
	var spec childSpec
	out := childOut{}
	defer func() {
		_ = json.NewEncoder(os.Stdout).Encode(&out)
	}()
	if err := json.NewDecoder(os.Stdin).Decode(&spec); err != nil {
		out.Err = "spec: " + err.Error()
		return 1
	}
	// The generator allocates little per request, but it shares a core with
	// the emulator: fewer collections mean less noise in the client's clock.
	debug.SetGCPercent(400)

	h := http.Header{}
	for k, v := range spec.Header {
		h.Set(k, v)
	}
	var cpus0 map[int]cpuStat
	probes := []*probe{{pid: os.Getpid()}, {pid: spec.EmuPID}}
	if spec.ProxyPID != 0 {
		probes = append(probes, &probe{pid: spec.ProxyPID})
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := loadgen.Run(ctx, loadgen.Config{
		URL: spec.URL, Body: []byte(spec.Body), Header: h, Stream: spec.Stream,
		Rate: spec.Rate, Warmup: spec.Warmup, Duration: spec.Duration, Drain: spec.Drain,
		OnPhase: func(ph loadgen.Phase) {
			for _, p := range probes {
				p.mark(ph)
			}
			stats, err := cpuStats()
			if err != nil {
				return
			}
			if ph == loadgen.MeasureStart {
				cpus0 = stats
				return
			}
			out.CPUs = map[int]cpuStat{}
			for cpu, st := range stats {
				out.CPUs[cpu] = st.sub(cpus0[cpu])
			}
		},
	})
	if err != nil {
		out.Err = err.Error()
		return 1
	}
	out.Result = res
	out.Self, out.Emu = probes[0].u, probes[1].u
	if spec.ProxyPID != 0 {
		out.Proxy = &probes[2].u
	}
	return 0
}

// runChild runs one scenario's load in a child process pinned to cpu.
func runChild(cpu int, spec childSpec, logFile *os.File) (*childOut, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	argv := pinned(cpu, []string{self, childArg})
	cmd := exec.Command(argv[0], argv[1:]...)
	// One P, like every process here: while the scheduler's thread sleeps in
	// the kernel (loadgen's sleepFor) the runtime hands the P to the request
	// goroutines. Two Ps on one CPU measured no better and cost more CPU.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdin = bytes.NewReader(in)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = logFile
	cmd.WaitDelay = time.Second
	runErr := cmd.Run()
	var out childOut
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("load generator: %v; output %q: %w", runErr, stdout.String(), err)
	}
	if out.Err != "" {
		return nil, fmt.Errorf("load generator: %s", out.Err)
	}
	if runErr != nil {
		return nil, fmt.Errorf("load generator: %w", runErr)
	}
	return &out, nil
}
