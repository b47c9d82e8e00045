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
	for b.Loop() {
		ctx, req := tr.StartRequest(context.Background(), h, Request{Operation: "chat", Model: "gpt", MaxTokens: 100, ID: "req_1"})
		End(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-x", Provider: "openai", Deployment: "d", Number: 1, RequestID: "req_1"}),
			Result{Status: 200, ResponseModel: "gpt-x", InputTokens: 10, OutputTokens: 5, Outcome: "completed"})
		End(req, Result{Status: 200, ResponseModel: "gpt", Deployment: "d", Attempts: 1, InputTokens: 10, OutputTokens: 5})
	}
}
