package bedrock

import (
	"fmt"
	"strconv"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
)

// Whole Converse answers (protocols.md §3.2). Converse bodies carry neither
// an answer id nor the model name, so DecodeResponse leaves Response.ID and
// Model empty and EncodeResponse does not write them.
//
// Usage (protocols.md §11 leaves open whether inputTokens includes the cache
// counts): the decoder reads inputTokens as excluding cacheReadInputTokens
// and cacheWriteInputTokens, as Anthropic's input_tokens does, so
// Prompt = inputTokens + cacheRead + cacheWrite, Cached = cacheRead,
// CacheWrite = cacheWrite. totalTokens serves as a witness: when it equals
// inputTokens + outputTokens although cache counts are present (and
// inputTokens is at least their sum), inputTokens already included them and
// is taken as Prompt. The encoder writes the same reading back:
// inputTokens = Prompt - Cached - CacheWrite, totalTokens = Prompt + Completion.
// Converse reports no reasoning tokens, so Usage.Reasoning stays 0.

// finishOf maps a Converse stopReason to the canonical finish (§8).
// malformed_model_output and malformed_tool_use end the turn without an
// answer the client could act on; they map to stop, as an unknown reason does.
func finishOf(reason string) wire.Finish {
	switch reason {
	case "max_tokens", "model_context_window_exceeded":
		return wire.FinishLength
	case "tool_use":
		return wire.FinishToolCalls
	case "guardrail_intervened", "content_filtered":
		return wire.FinishContentFilter
	}
	return wire.FinishStop
}

// stopReason maps a canonical finish back to Converse. A known stop sequence
// means the answer ended on it.
func stopReason(f wire.Finish, stopSeq string) string {
	switch f {
	case wire.FinishLength:
		return "max_tokens"
	case wire.FinishToolCalls:
		return "tool_use"
	case wire.FinishContentFilter:
		return "content_filtered"
	}
	if stopSeq != "" {
		return "stop_sequence"
	}
	return "end_turn"
}

// decodeUsage reads a TokenUsage object.
func decodeUsage(v gjson.Result, field string) (wire.Usage, error) {
	var u wire.Usage
	if !v.IsObject() {
		return u, &wire.Invalid{Field: field, Reason: "expected an object"}
	}
	var in, out, total, cr, cw int64
	var err error
	v.ForEach(func(k, x gjson.Result) bool {
		var dst *int64
		switch k.Str {
		case "inputTokens":
			dst = &in
		case "outputTokens":
			dst = &out
		case "totalTokens":
			dst = &total
		case "cacheReadInputTokens":
			dst = &cr
		case "cacheWriteInputTokens":
			dst = &cw
		default:
			return true // cacheDetails and anything newer
		}
		if x.Type == gjson.Null {
			return true
		}
		if !isInt(x) || x.Int() < 0 {
			err = &wire.Invalid{Field: field + "." + k.Str, Reason: "expected a non-negative integer"}
			return false
		}
		*dst = x.Int()
		return true
	})
	if err != nil {
		return u, err
	}
	u.Prompt = in + cr + cw
	if cr+cw > 0 && total != 0 && total == in+out && in >= cr+cw {
		u.Prompt = in
	}
	u.Completion = out
	u.Cached = cr
	u.CacheWrite = cw
	return u, nil
}

// appendUsage writes a TokenUsage object.
func appendUsage(dst []byte, u *wire.Usage) []byte {
	in := u.Prompt - u.Cached - u.CacheWrite
	if in < 0 {
		in = 0
	}
	dst = append(dst, `{"inputTokens":`...)
	dst = strconv.AppendInt(dst, in, 10)
	dst = append(dst, `,"outputTokens":`...)
	dst = strconv.AppendInt(dst, u.Completion, 10)
	dst = append(dst, `,"totalTokens":`...)
	dst = strconv.AppendInt(dst, in+u.Cached+u.CacheWrite+u.Completion, 10)
	if u.Cached > 0 {
		dst = append(dst, `,"cacheReadInputTokens":`...)
		dst = strconv.AppendInt(dst, u.Cached, 10)
	}
	if u.CacheWrite > 0 {
		dst = append(dst, `,"cacheWriteInputTokens":`...)
		dst = strconv.AppendInt(dst, u.CacheWrite, 10)
	}
	return append(dst, '}')
}

// stopSequenceOf returns the stop sequence Claude models report in
// additionalModelResponseFields when the request asked for "/stop_sequence".
func stopSequenceOf(fields gjson.Result) string {
	if s := fields.Get("stop_sequence"); s.Type == gjson.String {
		return str(s)
	}
	return ""
}

// DecodeResponse parses a Converse response body.
func DecodeResponse(body []byte) (*wire.Response, error) {
	if inv := wire.CheckAnswer("the body", body); inv != nil {
		return nil, inv
	}
	// One copy of the body backs every string of the result.
	root := gjson.Parse(string(body))
	if !root.IsObject() {
		return nil, &wire.Invalid{Reason: "the body must be a JSON object"}
	}
	resp := &wire.Response{}
	reason := root.Get("stopReason")
	if reason.Type != gjson.String {
		return nil, &wire.Invalid{Field: "stopReason", Reason: "expected a string"}
	}
	resp.Finish = finishOf(reason.Str)
	if u := root.Get("usage"); u.Exists() && u.Type != gjson.Null {
		var err error
		if resp.Usage, err = decodeUsage(u, "usage"); err != nil {
			return nil, err
		}
	}
	resp.StopSequence = stopSequenceOf(root.Get("additionalModelResponseFields"))

	msg := root.Get("output.message")
	if !msg.IsObject() {
		return nil, &wire.Invalid{Field: "output.message", Reason: "expected an object"}
	}
	if role := msg.Get("role"); role.Exists() && (role.Type != gjson.String || role.Str != "assistant") {
		return nil, &wire.Invalid{Field: "output.message.role", Reason: `expected "assistant"`}
	}
	content := msg.Get("content")
	if !content.IsArray() {
		return nil, &wire.Invalid{Field: "output.message.content", Reason: "expected an array"}
	}
	var err error
	i := 0
	content.ForEach(func(_, b gjson.Result) bool {
		n := i
		field := func() string { return fmt.Sprintf("output.message.content[%d]", n) }
		i++
		if !b.IsObject() {
			err = &wire.Invalid{Field: field(), Reason: "expected an object"}
			return false
		}
		switch {
		case b.Get("text").Exists():
			t := b.Get("text")
			if t.Type != gjson.String {
				err = &wire.Invalid{Field: field() + ".text", Reason: "expected a string"}
				return false
			}
			resp.Parts = append(resp.Parts, wire.Part{Kind: wire.Text, Text: t.Str})
		case b.Get("toolUse").Exists():
			var p wire.Part
			if p, err = decodeToolUse(b.Get("toolUse"), field()+".toolUse"); err != nil {
				return false
			}
			resp.Parts = append(resp.Parts, p)
		case b.Get("reasoningContent.reasoningText").Exists():
			rt := b.Get("reasoningContent.reasoningText")
			text, sig := rt.Get("text"), rt.Get("signature")
			if text.Type != gjson.String || (sig.Exists() && sig.Type != gjson.String) {
				err = &wire.Invalid{Field: field() + ".reasoningContent.reasoningText", Reason: "expected {text, signature} strings"}
				return false
			}
			resp.Parts = append(resp.Parts, wire.Part{Kind: wire.Thinking, Text: text.Str, Signature: sig.Str})
		default:
			// Redacted reasoning, citations, images: nothing a canonical
			// answer carries. They add nothing a client of another format
			// could show, so they are skipped rather than failing the answer.
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// EncodeResponse writes r as a Converse response body. metrics.latencyMs is
// 0: the canonical answer does not carry the upstream latency.
func EncodeResponse(r *wire.Response) ([]byte, error) {
	size := 256
	for i := range r.Parts {
		size += len(r.Parts[i].Text) + len(r.Parts[i].Args) + len(r.Parts[i].Signature) + 64
	}
	dst := make([]byte, 0, size)
	dst = append(dst, `{"output":{"message":{"role":"assistant","content":[`...)
	for i := range r.Parts {
		p := &r.Parts[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		switch p.Kind {
		case wire.Text, wire.Thinking, wire.ToolCall:
			var err error
			if dst, err = appendBlock(dst, p, 0, i); err != nil {
				if u, ok := err.(*wire.Unsupported); ok {
					u.Field = fmt.Sprintf("content[%d]", i)
				}
				return nil, err
			}
		default:
			return nil, unsupported(fmt.Sprintf("content[%d]", i), "an answer holds only text, reasoning and tool calls")
		}
	}
	dst = append(dst, `]}},"stopReason":"`...)
	dst = append(dst, stopReason(r.Finish, r.StopSequence)...)
	dst = append(dst, `","usage":`...)
	dst = appendUsage(dst, &r.Usage)
	dst = append(dst, `,"metrics":{"latencyMs":0}`...)
	if r.StopSequence != "" {
		dst = append(dst, `,"additionalModelResponseFields":{"stop_sequence":`...)
		dst = appendString(dst, r.StopSequence)
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}
