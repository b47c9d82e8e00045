// Command gwprof is `switchyard serve` with a CPU profile: it runs the gateway
// from a config file, in-process, exactly as cmd/switchyard does, and writes
// a pprof CPU profile (and, with GWPROF_TRACE=FILE, an execution trace)
// when SIGTERM or SIGINT stops it. bench/run uses it for
// --profile; the profile costs a few per cent of CPU, so a profiled run's
// numbers are not the benchmark's.
//
//	gwprof --config switchyard.yaml --cpuprofile cpu.pprof
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"syscall"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/gateway"
)

func main() {
	file := flag.String("config", "switchyard.yaml", "config file")
	profile := flag.String("cpuprofile", "", "write a CPU profile here on exit")
	flag.Parse()
	if err := run(*file, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "gwprof:", err)
		os.Exit(1)
	}
}

func run(file, profile string) error {
	cfg, err := config.Load(file)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	g, err := gateway.New(cfg, log)
	if err != nil {
		return err
	}
	if err := g.Listen(); err != nil {
		return err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	// GWPROF_TRACE=FILE also writes a runtime execution trace (go tool
	// trace): where the one P went while a request waited, which a CPU
	// profile cannot show. bench/run passes its environment through.
	if path := os.Getenv("GWPROF_TRACE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := trace.Start(f); err != nil {
			return err
		}
		defer func() {
			trace.Stop()
			f.Close()
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- g.Serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		// The benchmark is over: write the profiles, skip the graceful drain.
		if profile != "" {
			return writeHeap(profile + ".heap")
		}
		return nil
	}
}

// writeHeap writes a heap profile (what is live, and what the run
// allocated) beside the CPU profile, and prints where the process's memory
// went by the runtime's account: the peak RSS bench/run reports is this plus
// what the runtime has not returned to the OS.
func writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(os.Stderr, "gwprof: heap in use %d MiB, heap idle %d MiB (released %d MiB), stacks %d MiB, other runtime %d MiB, total from the OS %d MiB\n",
		m.HeapInuse>>20, m.HeapIdle>>20, m.HeapReleased>>20, m.StackSys>>20, (m.Sys-m.HeapSys-m.StackSys)>>20, m.Sys>>20)
	return pprof.WriteHeapProfile(f)
}
