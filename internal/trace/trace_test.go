package trace

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestOffWithoutEndpoint(t *testing.T) {
	tr, err := New(Options{})
	if err != nil || tr != nil {
		t.Fatalf("New(no endpoint) = %v, %v; want nil, nil", tr, err)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRequestWithAttempts(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, err := New(Options{Exporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	h.Set("Traceparent", parent)
	ctx, req := tr.StartRequest(context.Background(), h, Request{Operation: "chat", Model: "gpt-4o", MaxTokens: 64, ID: "req_1"})
	a1 := tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-4o-2024", Provider: "openai", Deployment: "east", Number: 1, RequestID: "req_1"})
	End(a1, Result{Status: 503, Outcome: "failed", Err: "provider error HTTP 503"})
	a2 := tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-4o", Provider: "azure.ai.openai", Deployment: "west", Number: 2, RequestID: "req_1"})
	End(a2, Result{Status: 200, ResponseModel: "gpt-4o", Outcome: "completed", InputTokens: 10, OutputTokens: 5})
	End(req, Result{Status: 200, ResponseModel: "gpt-4o", Deployment: "west", Attempts: 2, InputTokens: 10, OutputTokens: 5})

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("spans = %d, want 3", len(spans))
	}
	root := spans[2]
	if root.Name != "chat gpt-4o" || root.SpanKind != trace.SpanKindServer {
		t.Errorf("request span = %q kind %v, want \"chat gpt-4o\" server", root.Name, root.SpanKind)
	}
	if got := root.Parent.TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" || !root.Parent.IsRemote() {
		t.Errorf("request span's parent trace = %s (remote %v), want the incoming traceparent's", got, root.Parent.IsRemote())
	}
	for i, s := range spans[:2] {
		if s.Parent.SpanID() != root.SpanContext.SpanID() || s.SpanKind != trace.SpanKindClient {
			t.Errorf("attempt %d: parent %s kind %v, want child of the request span, client", i+1, s.Parent.SpanID(), s.SpanKind)
		}
	}
	if spans[0].Name != "chat gpt-4o-2024" || spans[0].Status.Code != codes.Error {
		t.Errorf("failed attempt = %q status %v, want \"chat gpt-4o-2024\" error", spans[0].Name, spans[0].Status.Code)
	}
	attrs := map[string]string{}
	for _, kv := range spans[1].Attributes {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	want := map[string]string{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "azure.ai.openai", "gen_ai.system": "azure.ai.openai",
		"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o", "gen_ai.usage.input_tokens": "10",
		"gen_ai.usage.output_tokens": "5", "switchyard.deployment": "west", "switchyard.attempt": "2",
		"switchyard.request_id": "req_1", "http.response.status_code": "200",
	}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("attempt 2 %s = %q, want %q", k, attrs[k], v)
		}
	}
}

// TestOTLPExport proves the exporter wiring: spans reach a local OTLP/HTTP
// receiver as the protobuf POST a collector takes at /v1/traces.
func TestOTLPExport(t *testing.T) {
	var spans atomic.Int64
	var path atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path.Store(r.URL.Path)
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, _ := io.ReadAll(body)
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				spans.Add(int64(len(ss.Spans)))
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Write(b)
	}))
	defer srv.Close()

	tr, err := New(Options{Endpoint: srv.URL, ServiceName: "switchyard-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, req := tr.StartRequest(context.Background(), http.Header{}, Request{Operation: "chat", Model: "m", ID: "req_2"})
	End(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "n", Provider: "openai", Deployment: "d", Number: 1}), Result{Status: 200})
	End(req, Result{Status: 200})
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if n := spans.Load(); n != 2 {
		t.Fatalf("receiver got %d spans, want 2", n)
	}
	if p, _ := path.Load().(string); p != "/v1/traces" {
		t.Errorf("exporter posted to %q, want /v1/traces", p)
	}
}
