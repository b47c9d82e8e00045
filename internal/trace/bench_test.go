package trace

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkRequestSpans is what tracing adds to a request of one attempt
// when it is on and sampled: two spans made, attributed and ended (the
// exporter here does nothing with them).
func BenchmarkRequestSpans(b *testing.B) {
	tr, err := New(Options{Exporter: tracetest.NewNoopExporter()})
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
	b.ReportMetric(float64((cpuNow()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkRequestSpansUnsampled is a request that sample_ratio leaves out:
// its spans are not recorded, so tracing costs it only the sampling decision.
func BenchmarkRequestSpansUnsampled(b *testing.B) {
	tr, err := New(Options{Exporter: tracetest.NewNoopExporter(), SampleRatio: 1e-12})
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
	b.ReportMetric(float64((cpuNow()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
