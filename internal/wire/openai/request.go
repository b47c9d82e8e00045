package openai

import (
	"fmt"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Request is what the gateway needs to know about a client's request body.
type Request struct {
	Model        string
	Stream       bool
	IncludeUsage bool  // stream_options.include_usage was true
	MaxTokens    int64 // max_completion_tokens, else max_tokens; 0 if absent
	N            int64 // choices asked for; 1 if absent

	// Byte offsets in the body, for rewriting without re-encoding.
	modelAt, modelEnd int // the model value, quotes included
	optsAt, optsEnd   int // the stream_options value, or -1
}

// Kinds of request body the gateway parses.
const (
	KindChat       = "chat"
	KindEmbeddings = "embeddings"
)

// ParseChat checks a Chat Completions body and extracts what routing and
// accounting need. Bad input gets an *Error naming the field.
func ParseChat(body []byte) (Request, *Error) { return parse(body, KindChat) }

// ParseEmbeddings checks an Embeddings body.
func ParseEmbeddings(body []byte) (Request, *Error) { return parse(body, KindEmbeddings) }

func parse(body []byte, kind string) (Request, *Error) {
	req := Request{N: 1, optsAt: -1, optsEnd: -1}
	if err := requestKeys.Check(body); err != nil {
		return req, jsonError(body, err)
	}
	root := gjson.Parse(bytesToString(body))
	if !root.IsObject() {
		return req, BadRequest("", "invalid_type", "The request body must be a JSON object.")
	}
	var haveModel, haveMessages, haveInput bool
	var bad *Error
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			if v.Type != gjson.String {
				bad = BadRequest("model", "invalid_type", "Invalid type for 'model': expected a string.")
				return false
			}
			haveModel = v.Str != ""
			req.Model = v.Str
			req.modelAt, req.modelEnd = v.Index, v.Index+len(v.Raw)
		case "stream":
			switch v.Type {
			case gjson.True:
				req.Stream = true
			case gjson.False, gjson.Null:
			default:
				bad = BadRequest("stream", "invalid_type", "Invalid type for 'stream': expected a boolean.")
				return false
			}
		case "stream_options":
			if v.Type == gjson.Null {
				break
			}
			if !v.IsObject() {
				bad = BadRequest("stream_options", "invalid_type", "Invalid type for 'stream_options': expected an object.")
				return false
			}
			req.optsAt, req.optsEnd = v.Index, v.Index+len(v.Raw)
			req.IncludeUsage = v.Get("include_usage").Type == gjson.True
		case "max_completion_tokens", "max_tokens":
			if v.Type == gjson.Null {
				break
			}
			// One rule for every model, whichever cloud serves it: a limit
			// of zero tokens is no answer at all, and clouds disagree on
			// whether to refuse it or ignore it.
			if !isNonNegInt(v) || v.Int() < 1 {
				bad = BadRequest(k.Str, "invalid_value", fmt.Sprintf("Invalid '%s': expected an integer of at least 1.", k.Str))
				return false
			}
			if k.Str == "max_completion_tokens" || req.MaxTokens == 0 {
				req.MaxTokens = v.Int()
			}
		case "n":
			if v.Type == gjson.Null {
				break
			}
			if !isNonNegInt(v) || v.Int() < 1 || v.Int() > 128 {
				bad = BadRequest("n", "invalid_value", "Invalid 'n': expected an integer between 1 and 128.")
				return false
			}
			req.N = v.Int()
		case "messages":
			if !v.IsArray() {
				bad = BadRequest("messages", "invalid_type", "Invalid type for 'messages': expected an array of message objects.")
				return false
			}
			haveMessages = len(v.Raw) > 2 && v.Get("#").Int() > 0
		case "input":
			haveInput = v.Type == gjson.String || (v.IsArray() && v.Get("#").Int() > 0)
		}
		return true
	})
	switch {
	case bad != nil:
		return req, bad
	case !haveModel:
		return req, BadRequest("model", "missing_required_parameter", "Missing required parameter: 'model'.")
	case kind == KindChat && !haveMessages:
		return req, BadRequest("messages", "missing_required_parameter", "Missing required parameter: 'messages' (a non-empty array).")
	case kind == KindEmbeddings && !haveInput:
		return req, BadRequest("input", "missing_required_parameter", "Missing required parameter: 'input' (a string or a non-empty array).")
	case kind == KindChat && !req.Stream && req.optsAt >= 0:
		// OpenAI rejects stream_options without stream; so do we, before spending an attempt.
		return req, BadRequest("stream_options", "invalid_value", "'stream_options' is only allowed when 'stream' is true.")
	}
	return req, nil
}

func isNonNegInt(v gjson.Result) bool {
	if v.Type != gjson.Number {
		return false
	}
	for i := 0; i < len(v.Raw); i++ {
		if c := v.Raw[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// bytesToString views b as a string without copying. The caller must not
// modify b while the string (or any gjson result taken from it) is in use.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
