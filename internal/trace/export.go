package trace

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// The batching, as the SDK's batch span processor does it by default
// (OTEL_BSP_*): export when maxBatch spans wait or every interval, and
// drop spans rather than block a request when maxQueue are waiting.
const (
	maxQueue       = 2048
	maxBatch       = 512
	exportInterval = 5 * time.Second
	exportTimeout  = 30 * time.Second
)

// uploader is the official OTLP client (otlptracehttp.NewClient): it
// marshals the protobuf request, POSTs it and retries.
type uploader interface {
	Start(context.Context) error
	Stop(context.Context) error
	UploadTraces(context.Context, []*tracepb.ResourceSpans) error
}

// exporter batches ended spans and sends them with the OTLP client from
// one goroutine. It replaces the SDK's batch span processor and
// otlptrace.Exporter: ending a span is an append under a mutex, with one
// wake-up of the goroutine per batch instead of a channel send per span,
// and the protobuf messages are reused from batch to batch (encoder)
// instead of three allocations per attribute.
type exporter struct {
	client uploader
	wake   chan struct{} // a batch is ready
	stop   chan struct{} // closed by shutdown
	done   chan struct{} // closed when the goroutine has flushed and left

	mu       sync.Mutex
	queue    []*span
	stopped  bool
	stopCtx  context.Context // shutdown's, for the last flush
	dropped  int64
	reported int64 // dropped, as last reported

	enc encoder // the goroutine's alone
}

func newExporter(c uploader, res *resource.Resource, scope instrumentation.Scope) *exporter {
	e := &exporter{
		client: c,
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		queue:  make([]*span, 0, maxBatch),
	}
	e.enc.init(res, scope)
	go e.run()
	return e
}

// add queues an ended span, or drops it when the queue is full or the
// exporter stopped.
func (e *exporter) add(s *span) {
	e.mu.Lock()
	if e.stopped || len(e.queue) >= maxQueue {
		e.dropped++
		e.mu.Unlock()
		return
	}
	e.queue = append(e.queue, s)
	ready := len(e.queue) == maxBatch
	e.mu.Unlock()
	if ready {
		select {
		case e.wake <- struct{}{}:
		default: // already woken
		}
	}
}

func (e *exporter) run() {
	defer close(e.done)
	tick := time.NewTicker(exportInterval)
	defer tick.Stop()
	var spare []*span
	for {
		select {
		case <-e.stop:
			e.mu.Lock()
			ctx := e.stopCtx
			e.mu.Unlock()
			e.flush(ctx, spare)
			return
		case <-tick.C:
		case <-e.wake:
		}
		spare = e.flush(context.Background(), spare)
	}
}

// flush exports every span queued, in batches of at most maxBatch, and
// returns the emptied queue for reuse: the queue is swapped for spare so
// that requests go on queueing while this one is sent.
func (e *exporter) flush(ctx context.Context, spare []*span) []*span {
	e.mu.Lock()
	q := e.queue
	e.queue = spare[:0]
	if e.queue == nil {
		e.queue = make([]*span, 0, maxBatch)
	}
	dropped := e.dropped - e.reported
	e.reported = e.dropped
	e.mu.Unlock()
	if dropped > 0 {
		otel.Handle(fmt.Errorf("trace: %d spans dropped: the exporter's queue of %d was full", dropped, maxQueue))
	}
	for b := q; len(b) > 0; {
		n := min(len(b), maxBatch)
		e.upload(ctx, b[:n])
		b = b[n:]
	}
	clear(q) // let the spans go
	return q[:0]
}

func (e *exporter) upload(ctx context.Context, batch []*span) {
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	if err := e.client.UploadTraces(ctx, e.enc.encode(batch)); err != nil {
		otel.Handle(err)
	}
	e.enc.reset()
}

// shutdown exports the spans still queued and stops the client; spans
// ended from now on are dropped.
func (e *exporter) shutdown(ctx context.Context) error {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped, e.stopCtx = true, ctx
	e.mu.Unlock()
	close(e.stop)
	select {
	case <-e.done:
	case <-ctx.Done():
		return errors.Join(ctx.Err(), e.client.Stop(ctx))
	}
	return e.client.Stop(ctx)
}

// encoder turns spans into the OTLP request's messages. Every message it
// hands out is taken from a free list that reset rewinds, so once the
// lists have grown to a batch's size an export allocates nothing here:
// the OTLP client has marshalled the messages by the time UploadTraces
// returns, and only the exporter's goroutine uses them.
type encoder struct {
	req    []*tracepb.ResourceSpans // one resource, one scope
	scope  *tracepb.ScopeSpans
	spans  list[tracepb.Span]
	status list[tracepb.Status]
	ids    list[[32]byte] // trace, span and parent span ids
	kvs    list[commonpb.KeyValue]
	values list[commonpb.AnyValue]
	strs   list[commonpb.AnyValue_StringValue]
	ints   list[commonpb.AnyValue_IntValue]
	// kvPtrs backs every span's Attributes; spanPtrs the scope's Spans.
	kvPtrs   []*commonpb.KeyValue
	spanPtrs []*tracepb.Span
	attrs    []attribute.KeyValue // the span being encoded's
}

// list is a free list of T: get hands out the next, reset takes them all
// back. A T handed out must have every field set by its taker.
type list[T any] struct {
	items []*T
	n     int
}

func (l *list[T]) get() *T {
	if l.n == len(l.items) {
		l.items = append(l.items, new(T))
	}
	x := l.items[l.n]
	l.n++
	return x
}

func (l *list[T]) reset() { l.n = 0 }

// init builds the resource and scope once: every span shares them.
func (c *encoder) init(res *resource.Resource, scope instrumentation.Scope) {
	rattrs := make([]*commonpb.KeyValue, 0, res.Len())
	for it := res.Iter(); it.Next(); {
		kv := it.Attribute()
		rattrs = append(rattrs, &commonpb.KeyValue{Key: string(kv.Key), Value: anyValue(kv.Value)})
	}
	c.scope = &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: scope.Name, Version: scope.Version}, SchemaUrl: scope.SchemaURL}
	c.req = []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: rattrs},
		ScopeSpans: []*tracepb.ScopeSpans{c.scope},
		SchemaUrl:  res.SchemaURL(),
	}}
}

func (c *encoder) reset() {
	c.spans.reset()
	c.status.reset()
	c.ids.reset()
	c.kvs.reset()
	c.values.reset()
	c.strs.reset()
	c.ints.reset()
	clear(c.kvPtrs)
	c.kvPtrs = c.kvPtrs[:0]
	clear(c.attrs[:cap(c.attrs)])
	clear(c.spanPtrs)
	c.spanPtrs = c.spanPtrs[:0]
	c.scope.Spans = nil
}

// encode returns the request for batch, valid until reset. Its fields are
// those the official exporter (otlptrace's tracetransform) writes.
func (c *encoder) encode(batch []*span) []*tracepb.ResourceSpans {
	for _, s := range batch {
		c.spanPtrs = append(c.spanPtrs, c.span(s))
	}
	c.scope.Spans = c.spanPtrs
	return c.req
}

func (c *encoder) span(s *span) *tracepb.Span {
	p := c.spans.get()
	ids := c.ids.get()
	tid, sid, psid := s.sc.TraceID(), s.sc.SpanID(), s.parent.SpanID()
	copy(ids[0:16], tid[:])
	copy(ids[16:24], sid[:])
	p.TraceId, p.SpanId = ids[0:16:16], ids[16:24:24]
	p.ParentSpanId = nil
	if psid.IsValid() {
		copy(ids[24:32], psid[:])
		p.ParentSpanId = ids[24:32:32]
	}
	p.TraceState = s.sc.TraceState().String()
	p.Flags = uint32(s.sc.TraceFlags()) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
	if s.parent.IsRemote() {
		p.Flags |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
	}
	p.Name = s.fullName()
	p.Kind = spanKind(s.kind)
	p.StartTimeUnixNano = unixNano(s.start)
	p.EndTimeUnixNano = unixNano(s.end)

	first := len(c.kvPtrs)
	c.attrs = s.attrs(c.attrs[:0])
	for _, a := range c.attrs {
		kv := c.kvs.get()
		kv.Key = string(a.Key)
		kv.Value = c.value(a.Value)
		c.kvPtrs = append(c.kvPtrs, kv)
	}
	p.Attributes = c.kvPtrs[first:len(c.kvPtrs):len(c.kvPtrs)]
	p.DroppedAttributesCount = 0

	// Events and links are not on the gateway's spans: built plainly.
	p.Events = nil
	for _, ev := range s.events {
		p.Events = append(p.Events, &tracepb.Span_Event{Name: ev.Name, TimeUnixNano: unixNano(ev.Time), Attributes: keyValues(ev.Attributes)})
	}
	p.DroppedEventsCount = 0
	p.Links = nil
	for _, l := range s.links {
		tid, sid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		flags := uint32(l.SpanContext.TraceFlags()) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
		if l.SpanContext.IsRemote() {
			flags |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
		}
		p.Links = append(p.Links, &tracepb.Span_Link{TraceId: tid[:], SpanId: sid[:], TraceState: l.SpanContext.TraceState().String(),
			Attributes: keyValues(l.Attributes), Flags: flags})
	}
	p.DroppedLinksCount = 0

	st := c.status.get()
	st.Message = ""
	switch s.status.Code {
	case codes.Ok:
		st.Code = tracepb.Status_STATUS_CODE_OK
	case codes.Error:
		st.Code, st.Message = tracepb.Status_STATUS_CODE_ERROR, s.status.Description
	default:
		st.Code = tracepb.Status_STATUS_CODE_UNSET
	}
	p.Status = st
	return p
}

// value is v from the free lists for the attribute types the gateway
// sets, else built plainly.
func (c *encoder) value(v attribute.Value) *commonpb.AnyValue {
	switch v.Type() {
	case attribute.STRING:
		w := c.strs.get()
		w.StringValue = v.AsString()
		a := c.values.get()
		a.Value = w
		return a
	case attribute.INT64:
		w := c.ints.get()
		w.IntValue = v.AsInt64()
		a := c.values.get()
		a.Value = w
		return a
	}
	return anyValue(v)
}

// anyValue is v as the official exporter writes it.
func anyValue(v attribute.Value) *commonpb.AnyValue {
	switch v.Type() {
	case attribute.BOOL:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v.AsInt64()}}
	case attribute.FLOAT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.STRING:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.AsString()}}
	case attribute.BYTESLICE:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: v.AsByteSlice()}}
	case attribute.MAP:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: keyValues(v.AsMap())}}}
	case attribute.BOOLSLICE:
		return arrayValue(v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		return arrayValue(v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		return arrayValue(v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		return arrayValue(v.AsStringSlice(), attribute.StringValue)
	case attribute.SLICE:
		return arrayValue(v.AsSlice(), func(v attribute.Value) attribute.Value { return v })
	case attribute.EMPTY:
		return &commonpb.AnyValue{}
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "INVALID"}}
}

func arrayValue[T any](vs []T, value func(T) attribute.Value) *commonpb.AnyValue {
	out := make([]*commonpb.AnyValue, len(vs))
	for i, v := range vs {
		out[i] = anyValue(value(v))
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: out}}}
}

func keyValues(kvs []attribute.KeyValue) []*commonpb.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, len(kvs))
	for i, kv := range kvs {
		out[i] = &commonpb.KeyValue{Key: string(kv.Key), Value: anyValue(kv.Value)}
	}
	return out
}

func spanKind(k trace.SpanKind) tracepb.Span_SpanKind {
	switch k {
	case trace.SpanKindInternal:
		return tracepb.Span_SPAN_KIND_INTERNAL
	case trace.SpanKindClient:
		return tracepb.Span_SPAN_KIND_CLIENT
	case trace.SpanKindServer:
		return tracepb.Span_SPAN_KIND_SERVER
	case trace.SpanKindProducer:
		return tracepb.Span_SPAN_KIND_PRODUCER
	case trace.SpanKindConsumer:
		return tracepb.Span_SPAN_KIND_CONSUMER
	}
	return tracepb.Span_SPAN_KIND_UNSPECIFIED
}

func unixNano(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(max(0, t.UnixNano()))
}
