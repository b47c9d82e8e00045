package trace

import (
	"context"
	"reflect"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// span is a recorded span. It is the OpenTelemetry SDK's recordingSpan cut
// down to what the gateway's spans need, so that a span is one small
// allocation and ending it is an append to the exporter's queue: the
// SDK's span cost 17 allocations and 4 KB, and at its end a
// de-duplication map and a snapshot copy, which made tracing the dearest
// feature on the request path. The gateway's own values are kept as they
// came (a and res) and become attributes only when exported, off the
// request path. It implements trace.Span in full; what it records is
// exported as the SDK would export it (see export.go and Tracer.stub).
type span struct {
	embedded.Span

	t      *Tracer
	sc     trace.SpanContext
	parent trace.SpanContext
	kind   trace.SpanKind
	shape  shape
	start  time.Time

	mu sync.Mutex
	// a is what a request (Operation, Native: the model, RequestID,
	// MaxTokens) or an attempt span started with; unused for others.
	a Attempt
	// name is the span's name when it is not "{operation} {model}" (a
	// span started through the OpenTelemetry API, or renamed): the
	// gateway's names are joined only when exported, so that starting a
	// span does not allocate the string.
	name      string
	renamed   bool
	ended     bool
	end       time.Time
	status    sdktrace.Status
	res       Result // set by End
	hasResult bool
	// extra are attributes set through the OpenTelemetry API. They may
	// repeat a key: the last value wins (see dedupe).
	extra  []attribute.KeyValue
	events []sdktrace.Event
	links  []sdktrace.Link
}

// shape says which of the gateway's spans a span is.
type shape uint8

const (
	shapeOther shape = iota
	shapeRequest
	shapeAttempt
)

var _ trace.Span = (*span)(nil)

// newSpan returns a recording span with sc under parent, started now.
func (t *Tracer) newSpan(sc, parent trace.SpanContext, kind trace.SpanKind, sh shape) *span {
	return &span{t: t, sc: sc, parent: parent, kind: kind, shape: sh, start: time.Now()}
}

// fullName is the span's name as exported.
func (s *span) fullName() string {
	if s.shape == shapeOther || s.renamed {
		return s.name
	}
	return s.a.Operation + " " + s.a.Native
}

// attrs appends the span's attributes to dst, each key once (dedupe):
// an ended span's, which need not be locked.
func (s *span) attrs(dst []attribute.KeyValue) []attribute.KeyValue {
	l := kvs(dst)
	s.writeStart(&l)
	l = append(l, s.extra...)
	if s.hasResult {
		writeResult(&l, &s.res)
	}
	if s.repeats() {
		return dedupe(l)
	}
	return l
}

// repeats says whether the span's attributes may hold a key twice. The
// gateway's own keys repeat only when a result names the attempt's
// deployment again.
func (s *span) repeats() bool {
	return len(s.extra) > 0 || s.shape == shapeAttempt && s.res.Deployment != ""
}

// attrWriter takes attributes one at a time: kvs keeps them as
// attribute.KeyValue, the encoder writes them straight into protobuf.
// Written once so, the gateway's attributes are listed in one place
// (writeStart, writeResult) for both.
type attrWriter interface {
	String(key, v string)
	Int64(key string, v int64)
}

type kvs []attribute.KeyValue

func (l *kvs) String(key, v string)      { *l = append(*l, attribute.String(key, v)) }
func (l *kvs) Int64(key string, v int64) { *l = append(*l, attribute.Int64(key, v)) }

// writeStart writes the attributes a request or attempt span started
// with.
func (s *span) writeStart(w attrWriter) {
	a := &s.a
	switch s.shape {
	case shapeRequest:
		w.String("gen_ai.operation.name", a.Operation)
		w.String("gen_ai.request.model", a.Native)
		w.String("switchyard.request_id", a.RequestID)
	case shapeAttempt:
		w.String("gen_ai.operation.name", a.Operation)
		w.String("gen_ai.provider.name", a.Provider)
		// gen_ai.system is the older name of gen_ai.provider.name, still
		// what many backends read.
		w.String("gen_ai.system", a.Provider)
		w.String("gen_ai.request.model", a.Native)
		w.String("switchyard.deployment", a.Deployment)
		w.Int64("switchyard.attempt", int64(a.Number))
		w.String("switchyard.request_id", a.RequestID)
	default:
		return
	}
	if a.MaxTokens > 0 {
		w.Int64("gen_ai.request.max_tokens", a.MaxTokens)
	}
}

// End ends the span and hands it to the exporter. Only the first call
// counts.
func (s *span) End(opts ...trace.SpanEndOption) {
	now := time.Now()
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	// Measured on the monotonic clock, as the SDK does, so that a step of
	// the wall clock cannot make a span end before it started.
	s.end = s.start.Add(now.Sub(s.start))
	if len(opts) > 0 {
		if c := trace.NewSpanEndConfig(opts...); !c.Timestamp().IsZero() {
			s.end = c.Timestamp()
		}
	}
	s.mu.Unlock()
	s.t.ended(s)
}

// endWith records r and ends the span: End's path for this package's
// spans, which builds no attribute on the request path.
func (s *span) endWith(r *Result) {
	now := time.Now()
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.res, s.hasResult = *r, true
	if r.Err != "" {
		s.setStatus(codes.Error, r.Err)
	}
	s.ended = true
	s.end = s.start.Add(now.Sub(s.start))
	s.mu.Unlock()
	s.t.ended(s)
}

func (s *span) IsRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

func (s *span) SpanContext() trace.SpanContext { return s.sc }

func (s *span) SetStatus(code codes.Code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.setStatus(code, description)
	}
}

// setStatus follows the SDK's rules: Ok is final, Unset never overrides,
// and only an Error keeps its description.
func (s *span) setStatus(code codes.Code, description string) {
	if s.status.Code == codes.Ok || code < s.status.Code {
		return
	}
	st := sdktrace.Status{Code: code}
	if code == codes.Error {
		st.Description = description
	}
	s.status = st
}

func (s *span) SetAttributes(kv ...attribute.KeyValue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	for _, a := range kv {
		if a.Valid() {
			s.extra = append(s.extra, a)
		}
	}
}

func (s *span) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.name, s.renamed = name, true
	}
}

func (s *span) AddEvent(name string, opts ...trace.EventOption) {
	c := trace.NewEventConfig(opts...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.events = append(s.events, sdktrace.Event{Name: name, Time: c.Timestamp(), Attributes: c.Attributes()})
	}
}

// RecordError records err as an "exception" event, as the SDK does.
func (s *span) RecordError(err error, opts ...trace.EventOption) {
	if err == nil {
		return
	}
	opts = append(opts, trace.WithAttributes(
		attribute.String("exception.type", typeName(err)),
		attribute.String("exception.message", err.Error()),
	))
	s.AddEvent("exception", opts...)
}

func (s *span) AddLink(l trace.Link) {
	if !l.SpanContext.IsValid() && len(l.Attributes) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.links = append(s.links, sdktrace.Link{SpanContext: l.SpanContext, Attributes: l.Attributes})
	}
}

func (s *span) TracerProvider() trace.TracerProvider { return provider{t: s.t} }

// dedupe returns the span's attributes with each key once, its last
// value kept where it was first set, as the SDK reports them. The
// gateway's spans repeat no key, so this is a quadratic scan over at most
// a few dozen attributes that allocates nothing when there is no
// repeat, rather than the SDK's map per span.
func dedupe(attrs []attribute.KeyValue) []attribute.KeyValue {
	for i := 1; i < len(attrs); i++ {
		for j := 0; j < i; j++ {
			if attrs[j].Key == attrs[i].Key {
				return dedupeSlow(attrs)
			}
		}
	}
	return attrs
}

func dedupeSlow(attrs []attribute.KeyValue) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(attrs))
	at := make(map[attribute.Key]int, len(attrs))
	for _, a := range attrs {
		if i, ok := at[a.Key]; ok {
			out[i] = a
			continue
		}
		at[a.Key] = len(out)
		out = append(out, a)
	}
	return out
}

// noSpan is a span that sampling left out: it carries its span context
// to its children and records nothing.
type noSpan struct {
	embedded.Span
	t  *Tracer
	sc trace.SpanContext
}

func (*noSpan) End(...trace.SpanEndOption)              {}
func (*noSpan) AddEvent(string, ...trace.EventOption)   {}
func (*noSpan) AddLink(trace.Link)                      {}
func (*noSpan) IsRecording() bool                       { return false }
func (*noSpan) RecordError(error, ...trace.EventOption) {}
func (s *noSpan) SpanContext() trace.SpanContext        { return s.sc }
func (*noSpan) SetStatus(codes.Code, string)            {}
func (*noSpan) SetName(string)                          {}
func (*noSpan) SetAttributes(...attribute.KeyValue)     {}
func (s *noSpan) TracerProvider() trace.TracerProvider  { return provider{t: s.t} }

// provider and tracer make the Tracer usable through the OpenTelemetry
// API (a span's TracerProvider), for spans other than the gateway's own.
type provider struct {
	embedded.TracerProvider
	t *Tracer
}

func (p provider) Tracer(string, ...trace.TracerOption) trace.Tracer { return tracer{t: p.t} }

type tracer struct {
	embedded.Tracer
	t *Tracer
}

func (t tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return t.t.Start(ctx, name, opts...)
}

// typeName is exception.type for err, as the SDK writes it.
func typeName(err error) string {
	t := reflect.TypeOf(err)
	if t.PkgPath() == "" && t.Name() == "" {
		// Likely a builtin type.
		return t.String()
	}
	return t.PkgPath() + "." + t.Name()
}
