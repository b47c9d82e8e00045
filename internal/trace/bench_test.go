package trace

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
)

// BenchmarkRequestSpans is what tracing adds to a request of one attempt
// when it is on and sampled, short of sending: two spans made, ended,
// queued and encoded, and then discarded instead of marshalled and sent.
func BenchmarkRequestSpans(b *testing.B) {
	d := &discard{}
	benchRequestSpans(b, Options{client: d}, &d.spans)
}

// discard is an OTLP client that counts the spans it is given and sends
// nothing.
type discard struct{ spans atomic.Int64 }

func (*discard) Start(context.Context) error { return nil }
func (*discard) Stop(context.Context) error  { return nil }
func (d *discard) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	n := 0
	each(rs[0].ScopeSpans[0].ProtoReflect().GetUnknown(), 2, func([]byte) { n++ })
	d.spans.Add(int64(n))
	return nil
}

// BenchmarkRequestSpansUnsampled is a request that sample_ratio leaves out:
// its spans are not recorded, so tracing costs it only the sampling decision.
func BenchmarkRequestSpansUnsampled(b *testing.B) {
	benchRequestSpans(b, Options{Exporter: tracetest.NewNoopExporter(), SampleRatio: 1e-12}, nil)
}

// BenchmarkRequestSpansExported is BenchmarkRequestSpans with the real
// exporter: spans batched and sent over OTLP/HTTP to a collector that
// counts them. The CPU per op covers the request path and the background
// export (transform, protobuf, HTTP), which the gateway pays too, and the
// collector's reading of the body, which it does not. spans/op is what the
// collector got: under 2 means spans were dropped, and the CPU per op then
// flatters the exporter.
func BenchmarkRequestSpansExported(b *testing.B) {
	var got atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		got.Add(int64(countSpans(raw)))
	}))
	defer sink.Close()
	benchRequestSpans(b, Options{Endpoint: sink.URL}, &got)
}

// countSpans counts the spans in an uncompressed ExportTraceServiceRequest
// by walking its length-delimited fields (resource_spans 1 → scope_spans 2
// → spans 2) without decoding them, so the sink costs little CPU.
func countSpans(b []byte) int {
	n := 0
	each(b, 1, func(rs []byte) {
		each(rs, 2, func(ss []byte) {
			each(ss, 2, func([]byte) { n++ })
		})
	})
	return n
}

// each calls f with the bytes of every length-delimited field numbered num
// in the message b.
func each(b []byte, num protowire.Number, f func([]byte)) {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return
		}
		b = b[l:]
		if typ == protowire.BytesType && n == num {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return
			}
			f(v)
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return
		}
		b = b[l:]
	}
}

// benchRequestSpans traces a request of one attempt per op, as the gateway
// does, and reports this process's CPU per op: after the loop the tracer is
// shut down, so an exporter's queued work is counted too. Each op yields
// once, as a request does when it waits on its sockets. With exported set,
// the loop also waits (asleep, so at little CPU) whenever more than 1,024
// spans have not reached the collector: a loop that makes spans as fast as one
// core can outruns any exporter, whose queue would overflow and drop spans
// that a gateway serving requests at a rate it can sustain exports.
func benchRequestSpans(b *testing.B, o Options, exported *atomic.Int64) {
	tr, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{}
	b.ReportAllocs()
	c0 := cpuNow()
	made := int64(0)
	for b.Loop() {
		if made += 2; exported != nil && made%128 == 0 && made-exported.Load() > 1024 {
			// Until a batch has gone: fewer than a batch waiting are sent
			// only by the exporter's timer, seconds away.
			for made-exported.Load() > 768 {
				time.Sleep(200 * time.Microsecond)
			}
		}
		ctx, req := tr.StartRequest(context.Background(), h, Request{Operation: "chat", Model: "gpt", MaxTokens: 100, ID: "req_1"})
		End(tr.StartAttempt(ctx, Attempt{Operation: "chat", Native: "gpt-x", Provider: "openai", Deployment: "d", Number: 1, RequestID: "req_1"}),
			Result{Status: 200, ResponseModel: "gpt-x", InputTokens: 10, OutputTokens: 5, Outcome: "completed"})
		End(req, Result{Status: 200, ResponseModel: "gpt", Deployment: "d", Attempts: 1, InputTokens: 10, OutputTokens: 5})
		runtime.Gosched()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((cpuNow()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	if exported != nil {
		b.ReportMetric(float64(exported.Load())/float64(b.N), "spans/op")
	}
}

// cpuNow is this process's CPU time, user and system.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
