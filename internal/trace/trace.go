// Package trace makes the gateway's OpenTelemetry spans: one server span per request, one client span per upstream attempt, with the GenAI semantic conventions.
package trace

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
}

// Tracer makes spans. A nil *Tracer is tracing off: callers check for nil
// and do no work at all.
type Tracer struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// New returns a tracer, or nil (tracing off) when o names neither an
// endpoint nor an exporter.
func New(o Options) (*Tracer, error) {
	if o.Endpoint == "" && o.Exporter == nil {
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
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
	}
	if o.Exporter != nil {
		opts = append(opts, sdktrace.WithSyncer(o.Exporter))
	} else {
		u, err := tracesURL(o.Endpoint)
		if err != nil {
			return nil, err
		}
		exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(u))
		if err != nil {
			return nil, fmt.Errorf("trace: otlp exporter: %w", err)
		}
		// Batched: the request path only queues the span; the export runs
		// in the background and drops spans rather than block when the
		// collector is slow.
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracer{tp: tp, tracer: tp.Tracer("github.com/switchyard/switchyard"), prop: propagation.TraceContext{}}, nil
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
	if err := t.tp.Shutdown(ctx); err != nil {
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
	ctx = t.prop.Extract(ctx, propagation.HeaderCarrier(h))
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", r.Operation),
		attribute.String("gen_ai.request.model", r.Model),
		attribute.String("switchyard.request_id", r.ID),
	}
	if r.MaxTokens > 0 {
		attrs = append(attrs, attribute.Int64("gen_ai.request.max_tokens", r.MaxTokens))
	}
	return t.tracer.Start(ctx, r.Operation+" "+r.Model, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
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
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", a.Operation),
		attribute.String("gen_ai.provider.name", a.Provider),
		// gen_ai.system is the older name of gen_ai.provider.name, still
		// what many backends read.
		attribute.String("gen_ai.system", a.Provider),
		attribute.String("gen_ai.request.model", a.Native),
		attribute.String("switchyard.deployment", a.Deployment),
		attribute.Int("switchyard.attempt", a.Number),
		attribute.String("switchyard.request_id", a.RequestID),
	}
	if a.MaxTokens > 0 {
		attrs = append(attrs, attribute.Int64("gen_ai.request.max_tokens", a.MaxTokens))
	}
	_, s := t.tracer.Start(ctx, a.Operation+" "+a.Native, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return s
}
