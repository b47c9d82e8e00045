package trace

import (
	"strconv"

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
	attrs := make(kvs, 0, 8)
	writeResult(&attrs, &r)
	s.SetAttributes(attrs...)
	if r.Err != "" {
		s.SetStatus(codes.Error, r.Err)
	}
	s.End()
}

// writeResult writes r's attributes.
func writeResult(w attrWriter, r *Result) {
	if r.Status != 0 {
		w.Int64("http.response.status_code", int64(r.Status))
	}
	if r.ResponseModel != "" {
		w.String("gen_ai.response.model", r.ResponseModel)
	}
	if r.Deployment != "" {
		w.String("switchyard.deployment", r.Deployment)
	}
	if r.Attempts != 0 {
		w.Int64("switchyard.attempts", int64(r.Attempts))
	}
	if r.Outcome != "" {
		w.String("switchyard.outcome", r.Outcome)
	}
	if r.InputTokens != 0 || r.OutputTokens != 0 {
		w.Int64("gen_ai.usage.input_tokens", r.InputTokens)
		w.Int64("gen_ai.usage.output_tokens", r.OutputTokens)
	}
	if r.Err != "" {
		w.String("error.type", errorType(*r))
	}
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
