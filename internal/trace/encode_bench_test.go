package trace

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// batchOf returns n ended spans of requests of one attempt, as the
// benchmarks make them.
func batchOf(b *testing.B, n int) (*Tracer, []*span) {
	tr, err := New(Options{Exporter: tracetest.NewNoopExporter()})
	if err != nil {
		b.Fatal(err)
	}
	var out []*span
	for len(out) < n {
		ctx, req := tr.StartRequest(context.Background(), http.Header{}, Request{Operation: "chat", Model: "gpt", MaxTokens: 100, ID: "req_1"})
		a := tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-x", Provider: "openai", Deployment: "d", Number: 1, RequestID: "req_1"})
		End(a, Result{Status: 200, ResponseModel: "gpt-x", InputTokens: 10, OutputTokens: 5, Outcome: "completed"})
		End(req, Result{Status: 200, ResponseModel: "gpt", Deployment: "d", Attempts: 1, InputTokens: 10, OutputTokens: 5})
		out = append(out, a.(*span), req.(*span))
	}
	return tr, out
}

// BenchmarkEncodeBatch is the exporter's work per span before HTTP:
// building the OTLP messages (encoder) and marshalling them as the OTLP
// client does.
func BenchmarkEncodeBatch(b *testing.B) {
	tr, batch := batchOf(b, 512)
	var enc encoder
	enc.init(tr.res, tr.scope)
	b.ReportAllocs()
	c0 := cpuNow()
	for b.Loop() {
		req := &coltrace.ExportTraceServiceRequest{ResourceSpans: enc.encode(batch)}
		if _, err := proto.Marshal(req); err != nil {
			b.Fatal(err)
		}
		enc.reset()
	}
	b.ReportMetric(float64((cpuNow()-c0).Nanoseconds())/float64(b.N*len(batch)), "cpu-ns/span")
}
