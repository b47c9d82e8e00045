package openai

import (
	"errors"

	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
)

// requestKeys are the fields of a Chat Completions or Embeddings body that
// the gateway routes, prices, estimates or rewrites on (ParseChat,
// ParseEmbeddings, DecodeRequest, the provider's max_tokens rewrite), plus
// the sampling and tool fields a translation re-encodes. Each must come once
// and spelled exactly: with {"model":"a","Model":"b"} the gateway would route
// and price "a" while a cloud whose parser folds case or keeps the other
// copy ran "b".
var requestKeys = jsoncheck.NewWatch(
	"model", "messages", "input",
	"stream", "stream_options.include_usage",
	"max_tokens", "max_completion_tokens", "n",
	"tools", "tool_choice", "functions", "function_call", "parallel_tool_calls",
	"temperature", "top_p", "stop", "response_format",
	"reasoning_effort", "modalities", "audio", "prediction",
)

// jsonError is the 400 for a body that fails the JSON checks: it names the
// byte where the body breaks, the nesting limit, or the repeated key.
func jsonError(body []byte, err error) *Error {
	var dup *jsoncheck.DupError
	switch {
	case errors.As(err, &dup):
		return BadRequest(dup.Param(), "duplicate_key", dup.Error()+".")
	case len(body) == 0:
		return BadRequest("", "invalid_json", "The request body is empty; expected a JSON object.")
	}
	return BadRequest("", "invalid_json", "We could not parse the JSON body of your request: "+err.Error()+".")
}
