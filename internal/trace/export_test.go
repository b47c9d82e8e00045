package trace

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is an OTLP/HTTP receiver that keeps what it was sent.
type collector struct {
	mu   sync.Mutex
	reqs []*coltrace.ExportTraceServiceRequest
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.reqs = append(c.reqs, &req)
	c.mu.Unlock()
}

// TestExportMatchesSDK: what the exporter sends a collector is, message
// for message, what the official OTLP exporter sends for the same spans:
// the gateway's spans, and spans made through the OpenTelemetry API with
// attributes of every type, events, links and statuses.
func TestExportMatchesSDK(t *testing.T) {
	ours, sdks := &collector{}, &collector{}
	oursSrv, sdkSrv := httptest.NewServer(ours), httptest.NewServer(sdks)
	defer oursSrv.Close()
	defer sdkSrv.Close()

	tr, err := New(Options{Endpoint: oursSrv.URL, ServiceName: "sy"})
	if err != nil {
		t.Fatal(err)
	}
	var made []*span
	keep := func(s trace.Span) trace.Span {
		made = append(made, s.(*span))
		return s
	}
	h := http.Header{}
	h.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.Set("Tracestate", "a=1,b=2")
	ctx, req := tr.StartRequest(context.Background(), h, Request{Operation: "chat", Model: "gpt-4o", MaxTokens: 64, ID: "req_1"})
	keep(req)
	End(keep(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-4o-x", Provider: "azure.ai.openai", Deployment: "east", Number: 1, MaxTokens: 64, RequestID: "req_1"})),
		Result{Status: 503, Outcome: "failed", Deployment: "east-2", Err: "provider error HTTP 503"})
	End(keep(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-4o-y", Provider: "openai", Deployment: "west", Number: 2, RequestID: "req_1"})),
		Result{Status: 200, ResponseModel: "gpt-4o-y", Outcome: "completed", InputTokens: 1 << 40, OutputTokens: -1})

	link := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled, Remote: true})
	_, other := tr.Start(trace.ContextWithSpan(context.Background(), req), "other", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithLinks(trace.Link{SpanContext: link, Attributes: []attribute.KeyValue{attribute.String("l", "v")}}),
		trace.WithAttributes(
			attribute.Bool("b", true), attribute.Int64("i", -7), attribute.Float64("f", 2.5), attribute.String("s", "é"),
			attribute.ByteSlice("bs", []byte{0, 1, 2}), attribute.BoolSlice("bsl", []bool{true, false}),
			attribute.Int64Slice("isl", []int64{1, -2}), attribute.Float64Slice("fsl", []float64{0.5}),
			attribute.StringSlice("ssl", []string{"x", ""}),
			attribute.Slice("sl", attribute.IntValue(1), attribute.StringValue("two"), attribute.SliceValue(attribute.BoolValue(false))),
			attribute.Map("m", attribute.String("k", "v"), attribute.Int("n", 3)),
			attribute.String("s", "last wins")))
	keep(other)
	other.AddEvent("ev", trace.WithAttributes(attribute.Int("n", 1)), trace.WithTimestamp(time.Unix(1700000000, 5)))
	other.RecordError(errors.New("boom"))
	other.SetStatus(codes.Ok, "")
	other.End()
	_, plain := tr.Start(context.Background(), "plain")
	keep(plain).End()
	End(req, Result{Status: 200, ResponseModel: "gpt-4o", Deployment: "west", Attempts: 2})
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(sdkSrv.URL+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	var ro []sdktrace.ReadOnlySpan
	for _, s := range made {
		ro = append(ro, tr.stub(s).Snapshot())
	}
	if err := exp.ExportSpans(context.Background(), ro); err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	if len(ours.reqs) != 1 || len(sdks.reqs) != 1 {
		t.Fatalf("requests: ours %d, the SDK's %d; want 1 each", len(ours.reqs), len(sdks.reqs))
	}
	o, s := ours.reqs[0].ResourceSpans, sdks.reqs[0].ResourceSpans
	if len(o) != 1 || len(s) != 1 || len(o[0].ScopeSpans) != 1 || len(s[0].ScopeSpans) != 1 {
		t.Fatalf("resources/scopes: ours %v, the SDK's %v", o, s)
	}
	if !proto.Equal(o[0].Resource, s[0].Resource) || o[0].SchemaUrl != s[0].SchemaUrl {
		t.Errorf("resource = %v, the SDK's %v", o[0].Resource, s[0].Resource)
	}
	os, ss := o[0].ScopeSpans[0], s[0].ScopeSpans[0]
	if !proto.Equal(os.Scope, ss.Scope) || os.SchemaUrl != ss.SchemaUrl {
		t.Errorf("scope = %v, the SDK's %v", os.Scope, ss.Scope)
	}
	if len(os.Spans) != len(made) || len(ss.Spans) != len(made) {
		t.Fatalf("spans: ours %d, the SDK's %d, want %d", len(os.Spans), len(ss.Spans), len(made))
	}
	bySpanID := map[string]int{}
	for i, sp := range ss.Spans {
		bySpanID[string(sp.SpanId)] = i
	}
	for _, sp := range os.Spans {
		i, ok := bySpanID[string(sp.SpanId)]
		if !ok {
			t.Errorf("span %q: not among the SDK's", sp.Name)
			continue
		}
		if !proto.Equal(sp, ss.Spans[i]) {
			t.Errorf("span %q:\nours      %v\nthe SDK's %v", sp.Name, sp, ss.Spans[i])
		}
	}
}

// TestInvalidUTF8: a string that is not UTF-8 (a model name as a client
// sent it, say) is sent with U+FFFD in place of the bad bytes, and the
// batch is accepted: protobuf strings must be UTF-8, and the official
// marshalling would refuse the whole batch.
func TestInvalidUTF8(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	tr, err := New(Options{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, req := tr.StartRequest(context.Background(), http.Header{}, Request{Operation: "chat", Model: "gpt\xff", ID: "r"})
	End(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "n"}), Result{Status: 500, Err: "bad \xfe answer"})
	End(req, Result{Status: 200})
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.reqs) != 1 {
		t.Fatalf("collector accepted %d requests, want 1", len(c.reqs))
	}
	spans := c.reqs[0].ResourceSpans[0].ScopeSpans[0].Spans
	if len(spans) != 2 || spans[1].Name != "chat gpt\uFFFD" || spans[0].Status.GetMessage() != "bad \uFFFD answer" {
		t.Errorf("spans = %v", spans)
	}
	for _, kv := range spans[1].Attributes {
		if kv.Key == "gen_ai.request.model" && kv.Value.GetStringValue() != "gpt\uFFFD" {
			t.Errorf("gen_ai.request.model = %q", kv.Value.GetStringValue())
		}
	}
}
