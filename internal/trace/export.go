package trace

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
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
// and the spans are encoded into a buffer reused from batch to batch
// (encoder) instead of as messages, three allocations per attribute.
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

// encoder turns spans into the OTLP request. The resource and scope are
// messages built once; the spans are encoded here, with protowire, into
// one buffer that is handed to the OTLP client as the scope message's
// unknown fields, which protobuf marshalling copies out verbatim: on the
// wire they are the scope's spans (field 2), as a collector reads them.
//
// Why by hand: the official marshalling of a span, built as tracepb
// messages, cost about 4 µs (reflection on every attribute's oneof value,
// three allocations per attribute to build it), about half of the CPU a
// traced request cost in all; this costs a few hundred nanoseconds and
// allocates nothing once the buffer has grown. TestExportMatchesSDK holds
// it to what the official exporter sends for the same spans.
type encoder struct {
	req   []*tracepb.ResourceSpans // one resource, one scope
	scope *tracepb.ScopeSpans
	buf   []byte               // the spans, each as field 2 of ScopeSpans
	span  []byte               // the span being encoded
	attrs []attribute.KeyValue // the span being encoded's
}

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

// encode returns the request for batch, valid until reset.
func (c *encoder) encode(batch []*span) []*tracepb.ResourceSpans {
	for _, s := range batch {
		c.span = c.span[:0]
		c.encodeSpan(s)
		c.buf = appendTag(c.buf, 2, protowire.BytesType) // ScopeSpans.spans
		c.buf = protowire.AppendBytes(c.buf, c.span)
	}
	c.scope.ProtoReflect().SetUnknown(c.buf)
	return c.req
}

func (c *encoder) reset() {
	c.scope.ProtoReflect().SetUnknown(nil)
	c.buf = c.buf[:0]
	clear(c.attrs[:cap(c.attrs)])
}

// encodeSpan writes s into c.span as an OTLP Span message's fields
// (trace.proto), as the official exporter writes them: zero values left
// out, as proto3 does, and a status always.
func (c *encoder) encodeSpan(s *span) {
	b := c.span
	tid, sid, psid := s.sc.TraceID(), s.sc.SpanID(), s.parent.SpanID()
	b = appendBytes(b, 1, tid[:])
	b = appendBytes(b, 2, sid[:])
	b = appendString(b, 3, s.sc.TraceState().String())
	if psid.IsValid() {
		b = appendBytes(b, 4, psid[:])
	}
	b = appendString(b, 5, s.fullName())
	if k := spanKind(s.kind); k != 0 {
		b = appendTag(b, 6, protowire.VarintType)
		b = appendVarint(b, uint64(k))
	}
	b = appendFixed64(b, 7, unixNano(s.start))
	b = appendFixed64(b, 8, unixNano(s.end))
	if s.repeats() {
		c.attrs = s.attrs(c.attrs[:0])
		for _, a := range c.attrs {
			b = appendKeyValue(b, 9, a)
		}
	} else {
		// The gateway's spans: straight from their values (the
		// encoder's String and Int64), no attribute.KeyValue between.
		c.span = b
		s.writeStart(c)
		if s.hasResult {
			writeResult(c, &s.res)
		}
		b = c.span
	}
	for _, ev := range s.events {
		// Event: time 1, name 2, attributes 3.
		var m []byte
		m = appendFixed64(m, 1, unixNano(ev.Time))
		m = appendString(m, 2, ev.Name)
		for _, a := range ev.Attributes {
			m = appendKeyValue(m, 3, a)
		}
		b = appendBytes(b, 11, m)
	}
	for _, l := range s.links {
		// Link: trace id 1, span id 2, trace state 3, attributes 4, flags 6.
		tid, sid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		var m []byte
		m = appendBytes(m, 1, tid[:])
		m = appendBytes(m, 2, sid[:])
		m = appendString(m, 3, l.SpanContext.TraceState().String())
		for _, a := range l.Attributes {
			m = appendKeyValue(m, 4, a)
		}
		m = appendFixed32(m, 6, spanFlags(l.SpanContext.TraceFlags(), l.SpanContext.IsRemote()))
		b = appendBytes(b, 13, m)
	}
	// Status: message 2, code 3.
	var code tracepb.Status_StatusCode
	msg := ""
	switch s.status.Code {
	case codes.Ok:
		code = tracepb.Status_STATUS_CODE_OK
	case codes.Error:
		code, msg = tracepb.Status_STATUS_CODE_ERROR, s.status.Description
	}
	msg = validUTF8(msg)
	n := 0
	if msg != "" {
		n += protowire.SizeTag(2) + protowire.SizeBytes(len(msg))
	}
	if code != 0 {
		n += protowire.SizeTag(3) + protowire.SizeVarint(uint64(code))
	}
	b = appendTag(b, 15, protowire.BytesType)
	b = appendVarint(b, uint64(n))
	b = appendString(b, 2, msg)
	if code != 0 {
		b = appendTag(b, 3, protowire.VarintType)
		b = appendVarint(b, uint64(code))
	}
	c.span = appendFixed32(b, 16, spanFlags(s.sc.TraceFlags(), s.parent.IsRemote()))
}

// String and Int64 write a span attribute (Span field 9).
// The keys are the gateway's literals, valid UTF-8.
func (c *encoder) String(key, v string)      { c.span = appendKVString(c.span, 9, key, v) }
func (c *encoder) Int64(key string, v int64) { c.span = appendKVInt(c.span, 9, key, v) }

// spanFlags are a span's or link's flags as the official exporter writes
// them: the W3C trace flags, and whether the parent (or linked span) is
// remote, with the bit that says that is known.
func spanFlags(tf trace.TraceFlags, remote bool) uint32 {
	f := uint32(tf) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
	if remote {
		f |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
	}
	return f
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = appendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendString appends a string field, left out when empty.
func appendString(b []byte, num protowire.Number, v string) []byte {
	if v == "" {
		return b
	}
	b = appendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, validUTF8(v))
}

func appendFixed64(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func appendFixed32(b []byte, num protowire.Number, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

// validUTF8 is s, with any invalid UTF-8 replaced: a protobuf string must
// be valid, and a collector rejects the whole request otherwise (the
// official marshalling refuses the whole batch).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// appendKeyValue appends kv as a KeyValue message (key 1, value 2) in
// field num.
func appendKeyValue(b []byte, num protowire.Number, kv attribute.KeyValue) []byte {
	key := validUTF8(string(kv.Key))
	switch kv.Value.Type() {
	case attribute.STRING:
		return appendKVString(b, num, key, kv.Value.AsString())
	case attribute.INT64:
		return appendKVInt(b, num, key, kv.Value.AsInt64())
	}
	vn := sizeValue(kv.Value)
	b = appendTag(b, num, protowire.BytesType)
	b = appendVarint(b, uint64(sizeKey(key)+protowire.SizeTag(2)+protowire.SizeBytes(vn)))
	b = appendKey(b, key)
	b = appendTag(b, 2, protowire.BytesType)
	b = appendVarint(b, uint64(vn))
	return appendValue(b, kv.Value)
}

// appendKVString and appendKVInt are appendKeyValue for the gateway's
// types, with a key known to be valid UTF-8.
func appendKVString(b []byte, num protowire.Number, key, v string) []byte {
	v = validUTF8(v)
	b = appendKVHead(b, num, key, protowire.SizeTag(anyString)+protowire.SizeBytes(len(v)))
	b = appendTag(b, anyString, protowire.BytesType)
	return protowire.AppendString(b, v)
}

func appendKVInt(b []byte, num protowire.Number, key string, v int64) []byte {
	b = appendKVHead(b, num, key, protowire.SizeTag(anyInt)+protowire.SizeVarint(uint64(v)))
	b = appendTag(b, anyInt, protowire.VarintType)
	return appendVarint(b, uint64(v))
}

// appendKVHead writes a KeyValue's tag and length, its key, and the tag and
// length of its AnyValue, whose encoding is vn bytes long and follows.
func appendKVHead(b []byte, num protowire.Number, key string, vn int) []byte {
	b = appendTag(b, num, protowire.BytesType)
	b = appendVarint(b, uint64(sizeKey(key)+protowire.SizeTag(2)+protowire.SizeBytes(vn)))
	b = appendKey(b, key)
	b = appendTag(b, 2, protowire.BytesType)
	return appendVarint(b, uint64(vn))
}

// sizeKey is the size of a KeyValue's key field, left out when empty.
func sizeKey(key string) int {
	if key == "" {
		return 0
	}
	return protowire.SizeTag(1) + protowire.SizeBytes(len(key))
}

// appendVarint and appendTag are protowire's, with the one-byte case
// inlined: nearly every tag and length the encoder writes is one byte.
func appendVarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	return protowire.AppendVarint(b, v)
}

func appendTag(b []byte, num protowire.Number, typ protowire.Type) []byte {
	return appendVarint(b, protowire.EncodeTag(num, typ))
}

// appendKey appends a KeyValue's key, already valid UTF-8.
func appendKey(b []byte, key string) []byte {
	if key == "" {
		return b
	}
	b = appendTag(b, 1, protowire.BytesType)
	return protowire.AppendString(b, key)
}

// sizeKeyValue is the size of kv's KeyValue message.
func sizeKeyValue(kv attribute.KeyValue) int {
	return sizeKey(validUTF8(string(kv.Key))) + protowire.SizeTag(2) + protowire.SizeBytes(sizeValue(kv.Value))
}

// The AnyValue message's fields: which one is set says the type.
const (
	anyString = 1
	anyBool   = 2
	anyInt    = 3
	anyDouble = 4
	anyArray  = 5 // ArrayValue: values 1
	anyKVList = 6 // KeyValueList: values 1
	anyBytes  = 7
)

// sizeValue is the size of v's AnyValue message, as appendValue writes it.
// A oneof field is written even when it holds its zero value.
func sizeValue(v attribute.Value) int {
	switch v.Type() {
	case attribute.BOOL:
		return protowire.SizeTag(anyBool) + 1
	case attribute.INT64:
		return protowire.SizeTag(anyInt) + protowire.SizeVarint(uint64(v.AsInt64()))
	case attribute.FLOAT64:
		return protowire.SizeTag(anyDouble) + 8
	case attribute.STRING:
		return protowire.SizeTag(anyString) + protowire.SizeBytes(len(validUTF8(v.AsString())))
	case attribute.BYTESLICE:
		return protowire.SizeTag(anyBytes) + protowire.SizeBytes(len(v.AsByteSlice()))
	case attribute.EMPTY:
		return 0
	case attribute.MAP:
		n := 0
		for _, kv := range v.AsMap() {
			n += protowire.SizeTag(1) + protowire.SizeBytes(sizeKeyValue(kv))
		}
		return protowire.SizeTag(anyKVList) + protowire.SizeBytes(n)
	}
	if vs, ok := elements(v); ok {
		n := 0
		for _, e := range vs {
			n += protowire.SizeTag(1) + protowire.SizeBytes(sizeValue(e))
		}
		return protowire.SizeTag(anyArray) + protowire.SizeBytes(n)
	}
	return protowire.SizeTag(anyString) + protowire.SizeBytes(len("INVALID"))
}

// appendValue appends v's AnyValue message's fields, as the official
// exporter sets them.
func appendValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOL:
		b = appendTag(b, anyBool, protowire.VarintType)
		return appendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = appendTag(b, anyInt, protowire.VarintType)
		return appendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = appendTag(b, anyDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		b = appendTag(b, anyString, protowire.BytesType)
		return protowire.AppendString(b, validUTF8(v.AsString()))
	case attribute.BYTESLICE:
		return appendBytes(b, anyBytes, v.AsByteSlice())
	case attribute.EMPTY:
		return b
	case attribute.MAP:
		kvs := v.AsMap()
		n := 0
		for _, kv := range kvs {
			n += protowire.SizeTag(1) + protowire.SizeBytes(sizeKeyValue(kv))
		}
		b = appendTag(b, anyKVList, protowire.BytesType)
		b = appendVarint(b, uint64(n))
		for _, kv := range kvs {
			b = appendKeyValue(b, 1, kv)
		}
		return b
	}
	if vs, ok := elements(v); ok {
		n := 0
		for _, e := range vs {
			n += protowire.SizeTag(1) + protowire.SizeBytes(sizeValue(e))
		}
		b = appendTag(b, anyArray, protowire.BytesType)
		b = appendVarint(b, uint64(n))
		for _, e := range vs {
			b = appendTag(b, 1, protowire.BytesType)
			b = appendVarint(b, uint64(sizeValue(e)))
			b = appendValue(b, e)
		}
		return b
	}
	b = appendTag(b, anyString, protowire.BytesType)
	return protowire.AppendString(b, "INVALID")
}

// elements are an array value's elements, each as a Value.
func elements(v attribute.Value) ([]attribute.Value, bool) {
	switch v.Type() {
	case attribute.SLICE:
		return v.AsSlice(), true
	case attribute.BOOLSLICE:
		return values(v.AsBoolSlice(), attribute.BoolValue), true
	case attribute.INT64SLICE:
		return values(v.AsInt64Slice(), attribute.Int64Value), true
	case attribute.FLOAT64SLICE:
		return values(v.AsFloat64Slice(), attribute.Float64Value), true
	case attribute.STRINGSLICE:
		return values(v.AsStringSlice(), attribute.StringValue), true
	}
	return nil, false
}

func values[T any](vs []T, value func(T) attribute.Value) []attribute.Value {
	out := make([]attribute.Value, len(vs))
	for i, v := range vs {
		out[i] = value(v)
	}
	return out
}

// anyValue is v as an AnyValue message, for the resource's attributes.
func anyValue(v attribute.Value) *commonpb.AnyValue {
	var a commonpb.AnyValue
	if err := proto.Unmarshal(appendValue(nil, v), &a); err != nil {
		// appendValue writes only valid messages.
		panic(err)
	}
	return &a
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
