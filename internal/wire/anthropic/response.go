package anthropic

import (
	"fmt"

	"github.com/switchyard/switchyard/internal/wire"

	"github.com/tidwall/gjson"
)

// DecodeResponse decodes a non-stream answer of POST /v1/messages (a message
// object). Blocks the canonical form has no place for (server tool calls and
// their results, which only a request with server tools can produce) are
// skipped; a body that is an error envelope comes back as its *wire.Error.
func DecodeResponse(body []byte) (*wire.Response, error) {
	if inv := wire.CheckAnswer("response body", body); inv != nil {
		return nil, inv
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, &wire.Invalid{Reason: "response body must be a JSON object"}
	}
	if t := root.Get("type"); t.Str == "error" {
		return nil, DecodeError(0, nil, body)
	}
	resp := &wire.Response{}
	if id := root.Get("id"); id.Type == gjson.String {
		resp.ID = id.Str
	}
	if m := root.Get("model"); m.Type == gjson.String {
		resp.Model = m.Str
	}
	content := root.Get("content")
	if !content.IsArray() {
		return nil, invalid("content", "must be an array")
	}
	var err error
	i := 0
	content.ForEach(func(_, b gjson.Result) bool {
		var p wire.Part
		p, err = responseBlock(b, i)
		if p.Kind != 0 {
			resp.Parts = append(resp.Parts, p)
		}
		i++
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	sr := root.Get("stop_reason")
	if sr.Exists() && !isNull(sr) && sr.Type != gjson.String {
		return nil, invalid("stop_reason", "must be a string")
	}
	resp.Finish = finishOf(sr.Str)
	if ss := root.Get("stop_sequence"); ss.Type == gjson.String {
		resp.StopSequence = ss.Str
	}
	u := root.Get("usage")
	if u.Exists() && !isNull(u) && !u.IsObject() {
		return nil, invalid("usage", "must be an object")
	}
	var au usage
	readUsage(u, &au)
	resp.Usage = au.canonical()
	resp.Estimated = !u.Exists()
	return resp, nil
}

// responseBlock decodes content block i of a message; a zero Part means the
// block has no canonical equivalent.
func responseBlock(b gjson.Result, i int) (wire.Part, error) {
	path := func(sub string) string { return fmt.Sprintf("content[%d]%s", i, sub) }
	if !b.IsObject() {
		return wire.Part{}, invalid(path(""), "must be an object")
	}
	switch t := b.Get("type"); t.Str {
	case "text":
		tx := b.Get("text")
		if tx.Type != gjson.String {
			return wire.Part{}, invalid(path(".text"), "must be a string")
		}
		return wire.Part{Kind: wire.Text, Text: tx.Str}, nil
	case "thinking":
		th := b.Get("thinking")
		if th.Type != gjson.String {
			return wire.Part{}, invalid(path(".thinking"), "must be a string")
		}
		return wire.Part{Kind: wire.Thinking, Text: th.Str, Signature: b.Get("signature").Str}, nil
	case "redacted_thinking":
		data := b.Get("data")
		if data.Type != gjson.String {
			return wire.Part{}, invalid(path(".data"), "must be a string")
		}
		return wire.Part{Kind: wire.Thinking, Signature: RedactedPrefix + data.Str}, nil
	case "tool_use":
		return toolUseBlock(b, path)
	default:
		if t.Type != gjson.String {
			return wire.Part{}, invalid(path(".type"), "field required")
		}
		return wire.Part{}, nil
	}
}

// readUsage reads the count fields present in an Anthropic usage object into
// u, leaving the absent ones as they are: a stream's message_delta may resend
// only some of them.
func readUsage(v gjson.Result, u *usage) {
	if !v.IsObject() {
		return
	}
	v.ForEach(func(k, n gjson.Result) bool {
		switch k.Str {
		case "input_tokens":
			u.input = count(n, u.input)
		case "cache_creation_input_tokens":
			u.cacheWrite = count(n, u.cacheWrite)
		case "cache_read_input_tokens":
			u.cacheRead = count(n, u.cacheRead)
		case "output_tokens":
			u.output = count(n, u.output)
		case "output_tokens_details":
			if t := n.Get("thinking_tokens"); t.Type == gjson.Number {
				u.thinking = count(t, u.thinking)
			}
		}
		return true
	})
}

// count reads a token count; null or a value that is not a sane count keeps
// the previous one.
func count(n gjson.Result, prev int64) int64 {
	if n.Type != gjson.Number || n.Num < 0 || n.Num > 1e15 {
		return prev
	}
	return int64(n.Num)
}

// EncodeResponse encodes a canonical answer as an Anthropic message object,
// making up an id when the answer has none. Empty text parts are left out,
// since a client sends the content back on its next turn and Anthropic
// rejects empty text blocks there.
func EncodeResponse(r *wire.Response) ([]byte, error) {
	n := 256 + len(r.Model) + len(r.StopSequence)
	for i := range r.Parts {
		n += partSize(&r.Parts[i])
	}
	dst := make([]byte, 0, n)
	id := r.ID
	if id == "" {
		id = newID("msg_")
	}
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, id)
	dst = append(dst, `,"type":"message","role":"assistant","model":`...)
	dst = appendString(dst, r.Model)
	dst = append(dst, `,"content":[`...)
	mark := len(dst)
	for i := range r.Parts {
		p := &r.Parts[i]
		if p.Kind == wire.Text && p.Text == "" {
			continue
		}
		if len(dst) > mark {
			dst = append(dst, ',')
		}
		switch p.Kind {
		case wire.Text:
			dst = appendTextBlock(dst, p.Text)
		case wire.Thinking:
			if data, ok := isRedacted(p.Signature); ok {
				dst = append(dst, `{"type":"redacted_thinking","data":`...)
				dst = appendString(dst, data)
			} else {
				dst = append(dst, `{"type":"thinking","thinking":`...)
				dst = appendString(dst, p.Text)
				dst = append(dst, `,"signature":`...)
				dst = appendString(dst, p.Signature)
			}
			dst = append(dst, '}')
		case wire.ToolCall:
			args, ok := argsObject(p.Args)
			if !ok {
				if r.Finish != wire.FinishLength {
					return nil, &wire.Unsupported{Format: wire.Anthropic, Field: fmt.Sprintf("content[%d].input", i), Reason: "tool call arguments are not a JSON object"}
				}
				// Cut off by max_tokens: Anthropic's SDKs turn such
				// input into {} as well.
				args = []byte("{}")
			}
			callID := p.ID
			if callID == "" {
				callID = newID("toolu_")
			}
			dst = append(dst, `{"type":"tool_use","id":`...)
			dst = appendString(dst, callID)
			dst = append(dst, `,"name":`...)
			dst = appendString(dst, p.Name)
			dst = append(dst, `,"input":`...)
			dst = append(dst, args...)
			dst = append(dst, '}')
		default:
			return nil, &wire.Unsupported{Format: wire.Anthropic, Field: fmt.Sprintf("content[%d]", i), Reason: "an answer holds text, thinking and tool calls only"}
		}
	}
	dst = append(dst, `],"stop_reason":`...)
	dst = appendString(dst, stopReason(r.Finish, r.StopSequence))
	dst = append(dst, `,"stop_sequence":`...)
	dst = appendStringOrNull(dst, r.StopSequence)
	dst = append(dst, `,"usage":{`...)
	dst = appendUsage(dst, fromCanonical(r.Usage))
	return append(dst, "}}"...), nil
}
