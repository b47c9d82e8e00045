package trace

import (
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Result is how a request or an attempt ended.
type Result struct {
	Status        int    // HTTP status: the client's (request) or the cloud's (attempt); 0 when none
	ResponseModel string // the model that answered
	Deployment    string // the deployment that answered (request spans)
	Attempts      int    // attempts made (request spans)
	InputTokens   int64
	OutputTokens  int64
	Outcome       string // the attempt's outcome (attempt spans)
	// Err, when not empty, marks the span as failed with this description.
	Err string
}

// End sets the result's attributes on s and ends it.
func End(s trace.Span, r Result) {
	if sp, ok := s.(*span); ok {
		// This package's span: the attributes go straight into its own
		// storage, without a slice built for SetAttributes.
		sp.endWith(&r)
		return
	}
	if !s.IsRecording() {
		// Left out by sampling: its attributes would be dropped unread.
		s.End()
		return
	}
	s.SetAttributes(appendResult(make([]attribute.KeyValue, 0, 8), &r)...)
	if r.Err != "" {
		s.SetStatus(codes.Error, r.Err)
	}
	s.End()
}

// appendResult appends r's attributes to attrs.
func appendResult(attrs []attribute.KeyValue, r *Result) []attribute.KeyValue {
	if r.Status != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", r.Status))
	}
	if r.ResponseModel != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.model", r.ResponseModel))
	}
	if r.Deployment != "" {
		attrs = append(attrs, attribute.String("switchyard.deployment", r.Deployment))
	}
	if r.Attempts != 0 {
		attrs = append(attrs, attribute.Int("switchyard.attempts", r.Attempts))
	}
	if r.Outcome != "" {
		attrs = append(attrs, attribute.String("switchyard.outcome", r.Outcome))
	}
	if r.InputTokens != 0 || r.OutputTokens != 0 {
		attrs = append(attrs, attribute.Int64("gen_ai.usage.input_tokens", r.InputTokens),
			attribute.Int64("gen_ai.usage.output_tokens", r.OutputTokens))
	}
	if r.Err != "" {
		attrs = append(attrs, attribute.String("error.type", errorType(*r)))
	}
	return attrs
}

// errorType is error.type: the status code when there is one, else the
// outcome.
func errorType(r Result) string {
	if r.Status >= 400 {
		return strconv.Itoa(r.Status)
	}
	if r.Outcome != "" {
		return r.Outcome
	}
	return "_OTHER"
}
