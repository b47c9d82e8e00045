package api

import (
	"context"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/metrics"
	"github.com/switchyard/switchyard/internal/provider"
	"github.com/switchyard/switchyard/internal/route"
	"github.com/switchyard/switchyard/internal/trace"
	"github.com/switchyard/switchyard/internal/usage"
	"github.com/switchyard/switchyard/internal/wire"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// Observer counts finished requests and admission refusals: the gateway's
// Prometheus metrics (internal/metrics). Attempts are counted at the
// settlement point, not here.
type Observer interface {
	Request(model string, api metrics.API, status int, d time.Duration)
	Refused(reason string)
}

// observation is a call's metrics and trace state. With metrics and
// tracing off it costs two nil checks.
type observation struct {
	ctx     context.Context // carries the request span
	span    oteltrace.Span  // nil when tracing is off
	attempt oteltrace.Span  // the attempt in progress, nil when none
	model   string          // the model that answered, for the request span
}

// beginObserve starts the request's span.
func (c *call) beginObserve() {
	t := c.s.opts.Tracer
	if t == nil {
		return
	}
	c.obs.ctx, c.obs.span = t.StartRequest(c.r.Context(), c.r.Header,
		trace.Request{Operation: c.op.String(), Model: c.model.Name, MaxTokens: c.req.MaxTokens, ID: c.id})
}

// endObserve counts the request and ends its span, once its answer is
// written.
func (c *call) endObserve() {
	if m := c.s.opts.Metrics; m != nil {
		m.Request(c.model.Name, c.api(), c.status, time.Since(c.start))
	}
	if c.obs.span == nil {
		return
	}
	if c.obs.attempt != nil { // an attempt that never settled
		trace.End(c.obs.attempt, trace.Result{Err: "attempt abandoned"})
		c.obs.attempt = nil
	}
	r := trace.Result{Status: c.status, ResponseModel: c.obs.model, Deployment: c.served, Attempts: c.attempts,
		InputTokens: c.used.Prompt, OutputTokens: c.used.Completion}
	switch {
	case c.status >= http.StatusInternalServerError:
		r.Err = http.StatusText(c.status)
	case c.status == 0:
		r.Err = "client left before an answer"
	}
	trace.End(c.obs.span, r)
}

// api is the API the client spoke, for the metrics' api label.
func (c *call) api() metrics.API {
	switch {
	case c.in == wire.Anthropic:
		return metrics.Messages
	case c.op == provider.Embeddings:
		return metrics.Embeddings
	}
	return metrics.Chat
}

// beginAttempt starts attempt c.attempts's span on d.
func (c *call) beginAttempt(d *route.Deployment) {
	if c.obs.span == nil {
		return
	}
	c.obs.attempt = c.s.opts.Tracer.StartAttempt(c.obs.ctx, trace.Attempt{Operation: c.op.String(), Native: d.Native,
		Provider: genAIProvider(d.Provider), Deployment: d.Name, Number: c.attempts, MaxTokens: c.req.MaxTokens, RequestID: c.id})
}

// endAttempt ends the attempt's span with its settled event.
func (c *call) endAttempt(ev *usage.Event, d *route.Deployment) {
	if c.obs.attempt == nil {
		return
	}
	r := trace.Result{Status: ev.Status, Outcome: ev.Outcome.String(), InputTokens: ev.Usage.Prompt, OutputTokens: ev.Usage.Completion}
	if ev.Outcome == usage.Completed {
		r.ResponseModel = d.Native
		c.obs.model = d.Model
	} else {
		r.Err = ev.Error
		if r.Err == "" {
			r.Err = ev.Outcome.String()
		}
	}
	trace.End(c.obs.attempt, r)
	c.obs.attempt = nil
}

// genAIProvider is gen_ai.provider.name for a provider, as the GenAI
// semantic conventions name the clouds.
func genAIProvider(p provider.Provider) string {
	switch p.(type) {
	case *provider.Azure:
		return "azure.ai.openai"
	case *provider.Bedrock:
		return "aws.bedrock"
	case *provider.Anthropic:
		return "anthropic"
	case *provider.Gemini:
		return "gcp.gemini"
	case *provider.OpenAI:
		return "openai"
	}
	if p == nil {
		return "_OTHER"
	}
	return p.Name()
}

// refused counts an admission refusal.
func (c *call) refused(reason string) {
	if m := c.s.opts.Metrics; m != nil {
		m.Refused(reason)
	}
}
