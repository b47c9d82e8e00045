package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/internal/trace"
	"go.opentelemetry.io/otel"
)

// openTracing starts the OTLP exporter when tracing.otlp_endpoint is set;
// without it g.tracer stays nil and no span is ever made.
func (g *Gateway) openTracing() error {
	t := g.cfg.Tracing
	tr, err := trace.New(trace.Options{Endpoint: t.OTLPEndpoint, SampleRatio: t.SampleRatio, ServiceName: t.ServiceName})
	if err != nil {
		return fmt.Errorf("gateway: tracing: %w", err)
	}
	g.tracer = tr
	if tr != nil {
		// The SDK reports failed exports to a process-wide handler that
		// would print unstructured lines to stderr: send them to the log.
		log := g.log
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing: export failed", "err", err) }))
		g.log.Info("tracing", "otlp_endpoint", t.OTLPEndpoint, "sample_ratio", t.SampleRatio)
	}
	return nil
}

// closeTracing flushes the spans still queued, for at most five seconds: a
// collector that is down must not hold up a shutdown.
func (g *Gateway) closeTracing() {
	if g.tracer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.tracer.Shutdown(ctx); err != nil {
		g.log.Warn("spans not flushed", "err", err)
	}
	g.tracer = nil
}
