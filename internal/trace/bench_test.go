package trace

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkRequestSpans is what tracing adds to a request of one attempt
// when it is on and sampled: two spans made, attributed and ended (the
// exporter here does nothing with them).
func BenchmarkRequestSpans(b *testing.B) {
	benchRequestSpans(b, Options{Exporter: tracetest.NewNoopExporter()})
}

// BenchmarkRequestSpansUnsampled is a request that sample_ratio leaves out:
// its spans are not recorded, so tracing costs it only the sampling decision.
func BenchmarkRequestSpansUnsampled(b *testing.B) {
	benchRequestSpans(b, Options{Exporter: tracetest.NewNoopExporter(), SampleRatio: 1e-12})
}

// BenchmarkRequestSpansExported is BenchmarkRequestSpans with the real
// exporter: spans batched and sent over OTLP/HTTP to a collector that
// discards them. The CPU per op covers the request path and the background
// export (transform, protobuf, HTTP), which the gateway pays too.
func BenchmarkRequestSpansExported(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer sink.Close()
	benchRequestSpans(b, Options{Endpoint: sink.URL})
}

// benchRequestSpans traces a request of one attempt per op, as the gateway
// does, and reports this process's CPU per op: after the loop the tracer is
// shut down, so an exporter's queued work is counted too.
func benchRequestSpans(b *testing.B, o Options) {
	tr, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{}
	b.ReportAllocs()
	c0 := cpuNow()
	for b.Loop() {
		ctx, req := tr.StartRequest(context.Background(), h, Request{Operation: "chat", Model: "gpt", MaxTokens: 100, ID: "req_1"})
		End(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-x", Provider: "openai", Deployment: "d", Number: 1, RequestID: "req_1"}),
			Result{Status: 200, ResponseModel: "gpt-x", InputTokens: 10, OutputTokens: 5, Outcome: "completed"})
		End(req, Result{Status: 200, ResponseModel: "gpt", Deployment: "d", Attempts: 1, InputTokens: 10, OutputTokens: 5})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((cpuNow()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuNow is this process's CPU time, user and system.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
