//go:build unix

package journal

import (
	"context"
	"fmt"
	"github.com/switchyard/switchyard/internal/usage"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAppend measures the journal's cost on the request path: encoding
// one event and write(2)-ing it, per fsync policy. The bar is 10 µs
// of CPU per request with SyncInterval. Besides wall time per op it reports
// cpu-ns/op, the process's user+system CPU (fsync goroutine included) per
// event, which is the figure the bar is about on a shared machine.
func BenchmarkAppend(b *testing.B) {
	for _, pol := range []Sync{SyncInterval, SyncNone, SyncAlways} {
		b.Run(pol.String(), func(b *testing.B) {
			j, err := Open(Options{Dir: b.TempDir(), Sync: pol, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			e := event("req_0123456789abcdef")
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if err := j.Append(e); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
	b.Run("interval/parallel", func(b *testing.B) {
		j, err := Open(Options{Dir: b.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		defer j.Close()
		b.ReportAllocs()
		cpu := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op") }()
		b.RunParallel(func(pb *testing.PB) {
			e := event(fmt.Sprintf("req_%p", pb))
			for pb.Next() {
				if err := j.Append(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// cpuTime is the process's user plus system CPU time so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkReplay measures Run's side: reading, checking and decoding
// journaled events into batches (with an apply that does nothing), per event.
func BenchmarkReplay(b *testing.B) {
	dir := b.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	j, err := Open(Options{Dir: dir, Sync: SyncNone, Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		if err := j.Append(event(fmt.Sprintf("req-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := j.Run(ctx, func(context.Context, []usage.Event) error { return nil }, 1000, time.Hour); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	if lag := j.Lag(); lag != 0 {
		b.Fatalf("lag %d after replay", lag)
	}
	j.Close()
}
