// Package trace makes the gateway's OpenTelemetry spans: one server span per request, one client span per upstream attempt, with the GenAI semantic conventions.
package trace

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Options configure a Tracer.
type Options struct {
	// Endpoint is the OTLP/HTTP collector's URL: a base such as
	// http://127.0.0.1:4318 (spans go to /v1/traces) or the full path.
	Endpoint string
	// SampleRatio is the share of new traces kept; requests that arrive
	// with a traceparent follow their parent's decision. 0 means 1.
	SampleRatio float64
	// ServiceName is the service.name resource attribute.
	ServiceName string
	// Exporter, when set, replaces the OTLP exporter and is called
	// synchronously at each span's end: tests use an in-memory one.
	Exporter sdktrace.SpanExporter

	// client, when set, replaces the OTLP/HTTP client behind the
	// batching exporter (tests and benchmarks).
	client uploader
}

// Tracer makes spans. A nil *Tracer is tracing off: callers check for nil
// and do no work at all.
//
// Spans are this package's own implementation of the OpenTelemetry trace
// API (span.go), not the SDK's: the sampler, the W3C propagator and the
// OTLP/HTTP client are the official ones, and a span is exported as the
// SDK would export it, at a fifth of the CPU (BENCHMARKS.md, "Tracing CPU
// per request").
type Tracer struct {
	sampler sdktrace.Sampler
	prop    propagation.TraceContext
	res     *resource.Resource
	scope   instrumentation.Scope
	// Exactly one of these is set.
	sync sdktrace.SpanExporter // Options.Exporter: called at each span's end
	exp  *exporter             // batches to the OTLP endpoint
}

// scopeName is the instrumentation scope of every span.
const scopeName = "github.com/switchyard/switchyard"

// New returns a tracer, or nil (tracing off) when o names neither an
// endpoint nor an exporter.
func New(o Options) (*Tracer, error) {
	if o.Endpoint == "" && o.Exporter == nil && o.client == nil {
		return nil, nil
	}
	ratio := o.SampleRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	name := o.ServiceName
	if name == "" {
		name = "switchyard"
	}
	t := &Tracer{
		sampler: sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)),
		res:     resource.NewSchemaless(attribute.String("service.name", name)),
		scope:   instrumentation.Scope{Name: scopeName},
	}
	if o.Exporter != nil {
		t.sync = o.Exporter
		return t, nil
	}
	if o.client != nil {
		t.exp = newExporter(o.client, t.res, t.scope)
		return t, nil
	}
	u, err := tracesURL(o.Endpoint)
	if err != nil {
		return nil, err
	}
	// Uncompressed unless OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION=gzip
	// asks otherwise (the client reads it): gzip costs about 5 µs of CPU
	// a span, more than making, encoding and sending it uncompressed, to
	// save bandwidth to what is normally a loopback or same-host collector.
	client := otlptracehttp.NewClient(otlptracehttp.WithEndpointURL(u))
	if err := client.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("trace: otlp exporter: %w", err)
	}
	t.exp = newExporter(client, t.res, t.scope)
	return t, nil
}

// tracesURL is the collector's /v1/traces URL for a base URL without a path.
func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("trace: otlp endpoint %q: want an http:// or https:// URL", endpoint)
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// Shutdown flushes the spans still queued and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var err error
	if t.exp != nil {
		err = t.exp.shutdown(ctx)
	} else {
		err = t.sync.Shutdown(ctx)
	}
	if err != nil {
		return fmt.Errorf("trace: shutdown: %w", err)
	}
	return nil
}

// Request is what a request's span says when it starts.
type Request struct {
	Operation string // GenAI operation: chat, embeddings
	Model     string // the public model asked for
	MaxTokens int64  // 0 when the client named none
	ID        string // the gateway's request id
}

// StartRequest starts a request's server span, named "{operation} {model}",
// as a child of the incoming traceparent when h carries one.
func (t *Tracer) StartRequest(ctx context.Context, h http.Header, r Request) (context.Context, trace.Span) {
	// Looked up directly: the propagator's h.Get would canonicalise
	// "traceparent" into a new string on every request, and without a
	// traceparent it reads nothing else.
	if len(h["Traceparent"]) > 0 {
		ctx = t.prop.Extract(ctx, propagation.HeaderCarrier(h))
	}
	s, rec := t.begin(ctx, trace.SpanKindServer, shapeRequest)
	if rec != nil {
		rec.a = Attempt{Operation: r.Operation, Native: r.Model, MaxTokens: r.MaxTokens, RequestID: r.ID}
	}
	return trace.ContextWithSpan(ctx, s), s
}

// Attempt is what an attempt's span says when it starts.
type Attempt struct {
	Operation  string
	Native     string // the provider's model id
	Provider   string // gen_ai.provider.name: openai, azure.ai.openai, aws.bedrock, anthropic, gcp.gemini
	Deployment string
	Number     int // 1-based attempt number
	MaxTokens  int64
	RequestID  string
}

// StartAttempt starts an upstream attempt's client span, named
// "{operation} {native model}", under the request's span in ctx.
func (t *Tracer) StartAttempt(ctx context.Context, a Attempt) trace.Span {
	s, rec := t.begin(ctx, trace.SpanKindClient, shapeAttempt)
	if rec != nil {
		rec.a = a
	}
	return s
}

// Start starts a span as an OpenTelemetry tracer does, for spans other
// than the gateway's request and attempt spans.
func (t *Tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	c := trace.NewSpanStartConfig(opts...)
	if c.NewRoot() {
		ctx = trace.ContextWithSpanContext(ctx, trace.SpanContext{})
	}
	s, rec := t.begin(ctx, c.SpanKind(), shapeOther)
	if rec != nil {
		rec.name = name
		if ts := c.Timestamp(); !ts.IsZero() {
			rec.start = ts
		}
		rec.SetAttributes(c.Attributes()...)
		for _, l := range c.Links() {
			rec.AddLink(l)
		}
	}
	return trace.ContextWithSpan(ctx, s), s
}

// begin makes a span under the span context in ctx, as the SDK's tracer
// does: the parent's trace or a new one, a new span id, and the sampler's
// decision. rec is the span when it records, else nil.
func (t *Tracer) begin(ctx context.Context, kind trace.SpanKind, sh shape) (s trace.Span, rec *span) {
	psc := trace.SpanContextFromContext(ctx)
	tid := psc.TraceID()
	if !tid.IsValid() {
		tid = newTraceID()
	}
	sr := t.sampler.ShouldSample(sdktrace.SamplingParameters{
		// Name is left out: building it would cost the request an
		// allocation, and neither ParentBased nor TraceIDRatioBased reads
		// it.
		ParentContext: ctx, TraceID: tid, Kind: kind,
	})
	scc := trace.SpanContextConfig{TraceID: tid, SpanID: newSpanID(), TraceState: sr.Tracestate, TraceFlags: psc.TraceFlags() &^ trace.FlagsSampled}
	if sr.Decision == sdktrace.RecordAndSample {
		scc.TraceFlags |= trace.FlagsSampled
	}
	sc := trace.NewSpanContext(scc)
	if sr.Decision == sdktrace.Drop {
		return &noSpan{t: t, sc: sc}, nil
	}
	rec = t.newSpan(sc, psc, trace.ValidateSpanKind(kind), sh)
	rec.extra = slices.Clip(sr.Attributes) // appended to, never written through
	return rec, rec
}

// newTraceID and newSpanID draw ids from the runtime's per-thread ChaCha8
// generator: random as W3C trace context asks, and without the lock
// around the SDK's shared math/rand source.
func newTraceID() (id trace.TraceID) {
	for !id.IsValid() {
		binary.NativeEndian.PutUint64(id[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

func newSpanID() (id trace.SpanID) {
	for !id.IsValid() {
		binary.NativeEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

// ended takes a span that has just ended to its exporter.
func (t *Tracer) ended(s *span) {
	if t.exp != nil {
		if s.sc.IsSampled() { // as the SDK's batcher, which skips record-only spans
			t.exp.add(s)
		}
		return
	}
	if err := t.sync.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{t.stub(s).Snapshot()}); err != nil {
		otel.Handle(err)
	}
}

// stub is s as the SDK would have reported it to an exporter.
func (t *Tracer) stub(s *span) tracetest.SpanStub {
	return tracetest.SpanStub{
		Name: s.fullName(), SpanContext: s.sc, Parent: s.parent, SpanKind: s.kind,
		StartTime: s.start, EndTime: s.end, Attributes: s.attrs(nil),
		Events: s.events, Links: s.links, Status: s.status,
		Resource: t.res, InstrumentationScope: t.scope,
	}
}
