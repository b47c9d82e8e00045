package trace

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
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

// TestOTLPSpanContent checks what a collector gets, field by field: the
// request span under the incoming traceparent (its tracestate kept), the
// attempt under the request span, the gen_ai.* attributes once each, the
// error status, and the resource and scope.
func TestOTLPSpanContent(t *testing.T) {
	var (
		mu  sync.Mutex
		got []*coltrace.ExportTraceServiceRequest
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, &req)
		mu.Unlock()
	}))
	defer srv.Close()
	tr, err := New(Options{Endpoint: srv.URL, ServiceName: "sy"})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.Set("Tracestate", "vendor=x")
	ctx, req := tr.StartRequest(context.Background(), h, Request{Operation: "chat", Model: "gpt-4o", MaxTokens: 64, ID: "req_9"})
	End(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-4o-2024", Provider: "openai", Deployment: "east", Number: 1, MaxTokens: 64, RequestID: "req_9"}),
		Result{Status: 429, Outcome: "rate_limited", Err: "provider error HTTP 429"})
	End(req, Result{Status: 502, Deployment: "east", Attempts: 1, Err: "Bad Gateway"})
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0].ResourceSpans) != 1 || len(got[0].ResourceSpans[0].ScopeSpans) != 1 {
		t.Fatalf("collector got %d requests, want one with one resource and one scope", len(got))
	}
	rs := got[0].ResourceSpans[0]
	if a := rs.Resource.GetAttributes(); len(a) != 1 || a[0].Key != "service.name" || a[0].Value.GetStringValue() != "sy" {
		t.Errorf("resource = %v, want service.name sy", a)
	}
	ss := rs.ScopeSpans[0]
	if ss.Scope.GetName() != scopeName || len(ss.Spans) != 2 {
		t.Fatalf("scope %q with %d spans, want %q with 2", ss.Scope.GetName(), len(ss.Spans), scopeName)
	}
	att, root := ss.Spans[0], ss.Spans[1]
	if hex.EncodeToString(root.TraceId) != "4bf92f3577b34da6a3ce929d0e0e4736" || hex.EncodeToString(root.ParentSpanId) != "00f067aa0ba902b7" ||
		root.TraceState != "vendor=x" || root.Flags != 0x301 || root.Kind != tracepb.Span_SPAN_KIND_SERVER || root.Name != "chat gpt-4o" {
		t.Errorf("request span: trace %x parent %x state %q flags %#x kind %v name %q", root.TraceId, root.ParentSpanId, root.TraceState, root.Flags, root.Kind, root.Name)
	}
	if !bytes.Equal(att.TraceId, root.TraceId) || !bytes.Equal(att.ParentSpanId, root.SpanId) || att.Flags != 0x101 ||
		att.Kind != tracepb.Span_SPAN_KIND_CLIENT || att.Name != "chat gpt-4o-2024" || len(att.SpanId) != 8 || bytes.Equal(att.SpanId, root.SpanId) {
		t.Errorf("attempt span: trace %x parent %x id %x flags %#x kind %v name %q", att.TraceId, att.ParentSpanId, att.SpanId, att.Flags, att.Kind, att.Name)
	}
	if att.StartTimeUnixNano == 0 || att.EndTimeUnixNano < att.StartTimeUnixNano || root.StartTimeUnixNano > att.StartTimeUnixNano {
		t.Errorf("times: request %d-%d, attempt %d-%d", root.StartTimeUnixNano, root.EndTimeUnixNano, att.StartTimeUnixNano, att.EndTimeUnixNano)
	}
	for _, c := range []struct {
		s    *tracepb.Span
		want map[string]string
		msg  string
	}{
		{root, map[string]string{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.request.max_tokens": "64",
			"switchyard.request_id": "req_9", "http.response.status_code": "502", "switchyard.deployment": "east", "switchyard.attempts": "1",
			"error.type": "502"}, "Bad Gateway"},
		{att, map[string]string{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.system": "openai",
			"gen_ai.request.model": "gpt-4o-2024", "gen_ai.request.max_tokens": "64", "switchyard.deployment": "east", "switchyard.attempt": "1",
			"switchyard.request_id": "req_9", "http.response.status_code": "429", "switchyard.outcome": "rate_limited", "error.type": "429"},
			"provider error HTTP 429"},
	} {
		attrs := map[string]string{}
		for _, kv := range c.s.Attributes {
			if _, dup := attrs[kv.Key]; dup {
				t.Errorf("%s: %s twice", c.s.Name, kv.Key)
			}
			switch v := kv.Value.Value.(type) {
			case *commonpb.AnyValue_StringValue:
				attrs[kv.Key] = v.StringValue
			case *commonpb.AnyValue_IntValue:
				attrs[kv.Key] = strconv.FormatInt(v.IntValue, 10)
			}
		}
		if !maps.Equal(attrs, c.want) {
			t.Errorf("%s attributes = %v, want %v", c.s.Name, attrs, c.want)
		}
		if c.s.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || c.s.Status.GetMessage() != c.msg {
			t.Errorf("%s status = %v, want error %q", c.s.Name, c.s.Status, c.msg)
		}
	}
}

// TestSampling: sample_ratio leaves a new trace out, its attempt follows
// it, and a sampled incoming parent is kept whatever the ratio.
func TestSampling(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, err := New(Options{Exporter: exp, SampleRatio: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	ctx, req := tr.StartRequest(context.Background(), http.Header{}, Request{Operation: "chat", Model: "m"})
	a := tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "n"})
	if req.IsRecording() || a.IsRecording() || req.SpanContext().IsSampled() || !req.SpanContext().IsValid() ||
		a.SpanContext().TraceID() != req.SpanContext().TraceID() {
		t.Errorf("left out: request recording %v sampled %v, attempt recording %v", req.IsRecording(), req.SpanContext().IsSampled(), a.IsRecording())
	}
	End(a, Result{Status: 200})
	End(req, Result{Status: 200})

	h := http.Header{}
	h.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ctx, req = tr.StartRequest(context.Background(), h, Request{Operation: "chat", Model: "m"})
	End(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "n"}), Result{Status: 200})
	End(req, Result{Status: 200})
	if n := len(exp.GetSpans()); n != 2 {
		t.Errorf("exported %d spans, want the 2 under the sampled parent only", n)
	}
}

// TestSpanAPI: the span honours the OpenTelemetry API as the SDK's does:
// a repeated key keeps its last value, Ok is a final status, a second End
// is ignored, and nothing changes an ended span.
func TestSpanAPI(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, err := New(Options{Exporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	ctx, req := tr.StartRequest(context.Background(), http.Header{}, Request{Operation: "chat", Model: "m", ID: "r"})
	req.SetAttributes(attribute.String("switchyard.request_id", "r2"), attribute.Bool("k", true))
	req.AddEvent("retry", trace.WithAttributes(attribute.Int("n", 2)))
	req.RecordError(errors.New("boom"))
	req.SetStatus(codes.Ok, "")
	req.SetStatus(codes.Error, "ignored after Ok")
	req.SetName("renamed")
	_, child := req.TracerProvider().Tracer("x").Start(ctx, "child", trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attribute.String("c", "1")))
	child.End()
	req.End()
	req.End()
	req.SetAttributes(attribute.String("late", "x"))

	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("exported %d spans, want 2", len(spans))
	}
	c, r := spans[0], spans[1]
	if c.Name != "child" || c.Parent.SpanID() != r.SpanContext.SpanID() || c.SpanKind != trace.SpanKindInternal || len(c.Attributes) != 1 {
		t.Errorf("child = %q parent %s kind %v attrs %v", c.Name, c.Parent.SpanID(), c.SpanKind, c.Attributes)
	}
	if r.Name != "renamed" || r.Status.Code != codes.Ok || len(r.Events) != 2 || r.Events[1].Name != "exception" {
		t.Errorf("request = %q status %v events %v", r.Name, r.Status, r.Events)
	}
	want := []attribute.KeyValue{attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", "m"),
		attribute.String("switchyard.request_id", "r2"), attribute.Bool("k", true)}
	if !slices.Equal(r.Attributes, want) {
		t.Errorf("attributes = %v, want %v", r.Attributes, want)
	}
}

// TestExporterDrops: with the collector stuck, the queue takes maxQueue
// spans and drops the rest rather than block the request.
func TestExporterDrops(t *testing.T) {
	stuck := &stuckClient{release: make(chan struct{}), in: make(chan struct{}, 1)}
	tr, err := New(Options{client: stuck})
	if err != nil {
		t.Fatal(err)
	}
	e := tr.exp
	end := func() {
		_, s := tr.StartRequest(context.Background(), http.Header{}, Request{Operation: "chat", Model: "m"})
		End(s, Result{Status: 200})
	}
	for range maxBatch {
		end()
	}
	<-stuck.in // the first batch is being sent, and stays so
	for range maxQueue + 10 {
		end()
	}
	e.mu.Lock()
	queued, dropped := len(e.queue), e.dropped
	e.mu.Unlock()
	if queued != maxQueue || dropped != 10 {
		t.Errorf("queued %d dropped %d, want %d and 10", queued, dropped, maxQueue)
	}
	close(stuck.release)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := stuck.spans.Load(); n != maxBatch+maxQueue {
		t.Errorf("uploaded %d spans, want %d", n, maxBatch+maxQueue)
	}
}

// stuckClient is an OTLP client whose uploads wait for release.
type stuckClient struct {
	release chan struct{}
	in      chan struct{}
	spans   atomic.Int64
}

func (*stuckClient) Start(context.Context) error { return nil }
func (*stuckClient) Stop(context.Context) error  { return nil }
func (c *stuckClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	select {
	case c.in <- struct{}{}:
	default:
	}
	<-c.release
	raw, err := proto.Marshal(&coltrace.ExportTraceServiceRequest{ResourceSpans: rs})
	c.spans.Add(int64(countSpans(raw)))
	return err
}

// TestRepeatedKeyOnce: a result that names the attempt's deployment again
// leaves one switchyard.deployment, the result's.
func TestRepeatedKeyOnce(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr, err := New(Options{Exporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	ctx, req := tr.StartRequest(context.Background(), http.Header{}, Request{Operation: "chat", Model: "m"})
	End(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "n", Deployment: "east"}), Result{Status: 200, Deployment: "west"})
	End(req, Result{Status: 200})
	var got []string
	for _, kv := range exp.GetSpans()[0].Attributes {
		if kv.Key == "switchyard.deployment" {
			got = append(got, kv.Value.AsString())
		}
	}
	if !slices.Equal(got, []string{"west"}) {
		t.Errorf("switchyard.deployment = %q, want [west]", got)
	}
}

// A traceparent a client sends is untrusted: whatever its bytes, the request
// gets a valid span of its own, a fresh trace unless the header is valid.
func TestHostileTraceparent(t *testing.T) {
	for _, tc := range []struct{ name, parent, state string }{
		{"garbage", "not a traceparent", ""},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", ""},
		{"zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", ""},
		{"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""},
		{"too long", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" + string(bytes.Repeat([]byte("x"), 1<<16)), ""},
		{"invalid utf-8", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-\xff\xfe", ""},
		{"hostile tracestate", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", string(bytes.Repeat([]byte("k=\xff,"), 5000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tr, err := New(Options{Exporter: exp})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			h.Set("Traceparent", tc.parent)
			if tc.state != "" {
				h.Set("Tracestate", tc.state)
			}
			_, req := tr.StartRequest(context.Background(), h, Request{Operation: "chat", Model: "m", ID: "req_1"})
			End(req, Result{Status: 200})
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("spans = %d, want 1", len(spans))
			}
			if sc := spans[0].SpanContext; !sc.IsValid() {
				t.Errorf("request span context %v is not valid", sc)
			}
			if spans[0].Parent.IsValid() && tc.name != "hostile tracestate" {
				t.Errorf("malformed traceparent %.40q became the span's parent %v", tc.parent, spans[0].Parent)
			}
		})
	}
}
