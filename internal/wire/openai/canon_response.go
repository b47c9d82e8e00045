package openai

import (
	"strconv"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
)

// DecodeResponse reads a chat.completion body from an OpenAI-format cloud.
// The canonical answer is the first choice: a translated request never asks
// for more (n > 1 is refused on the way in), so a body with several choices
// is an error rather than something to trim silently. Reasoning (vLLM's
// reasoning_content, Ollama's and newer vLLM's reasoning) becomes a Thinking
// part ahead of the text; a refusal becomes text, since the canonical form
// has no refusal. Azure's content-filter annotations are ignored. A body that
// holds an error envelope instead of an answer comes back as a *wire.Error.
func DecodeResponse(body []byte) (*wire.Response, error) {
	if inv := wire.CheckAnswer("the response body", body); inv != nil {
		return nil, inv
	}
	root := gjson.Parse(string(body))
	if !root.IsObject() {
		return nil, &wire.Invalid{Reason: "the response body must be a JSON object, got " + typeName(root)}
	}
	r := &wire.Response{}
	var choices, errv gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			r.ID = v.String()
		case "model":
			r.Model = v.String()
		case "choices":
			choices = v
		case "usage":
			if v.IsObject() {
				r.Usage = parseUsage(v)
			}
		case "error":
			errv = v
		}
		return true
	})
	if !choices.Exists() && (errv.IsObject() || (errv.Type == gjson.String && errv.Str != "")) {
		return nil, DecodeError(0, nil, body)
	}
	switch {
	case choices.Type == gjson.Null || !choices.Exists():
		return r, nil // nothing to say (e.g. a prompt blocked before generation)
	case !choices.IsArray():
		return nil, &wire.Invalid{Field: "choices", Reason: "expected an array, got " + typeName(choices)}
	}
	n := 0
	var err error
	choices.ForEach(func(_, c gjson.Result) bool {
		if n++; n > 1 {
			err = &wire.Invalid{Field: "choices", Reason: "several choices cannot be translated"}
			return false
		}
		err = decodeChoice(r, c)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func decodeChoice(r *wire.Response, c gjson.Result) error {
	if !c.IsObject() {
		return &wire.Invalid{Field: "choices[0]", Reason: "expected an object, got " + typeName(c)}
	}
	var msg gjson.Result
	c.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "message":
			msg = v
		case "finish_reason":
			r.Finish = finishOf(v)
		case "stop_reason":
			// vLLM: the stop string that ended the answer (or a token id).
			if v.Type == gjson.String {
				r.StopSequence = v.Str
			}
		}
		return true
	})
	if !msg.Exists() || msg.Type == gjson.Null {
		return nil
	}
	if !msg.IsObject() {
		return &wire.Invalid{Field: "choices[0].message", Reason: "expected an object, got " + typeName(msg)}
	}
	var content, refusal, reasoning, toolCalls gjson.Result
	msg.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "content":
			content = v
		case "refusal":
			refusal = v
		case "reasoning_content", "reasoning":
			if v.Type == gjson.String && v.Str != "" {
				reasoning = v
			}
		case "tool_calls":
			toolCalls = v
		}
		return true
	})
	if reasoning.Exists() {
		r.Parts = append(r.Parts, wire.Part{Kind: wire.Thinking, Text: reasoning.Str})
	}
	const path = "choices[0].message"
	switch {
	case content.Type == gjson.String:
		if content.Str != "" {
			r.Parts = append(r.Parts, wire.Part{Kind: wire.Text, Text: content.Str})
		}
	case content.IsArray():
		// Some OpenAI-compatible servers answer with text parts.
		var err error
		j := 0
		content.ForEach(func(_, p gjson.Result) bool {
			var text string
			text, err = textPart(idx(path+".content", j), p)
			j++
			if err == nil && text != "" {
				r.Parts = append(r.Parts, wire.Part{Kind: wire.Text, Text: text})
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	case content.Exists() && content.Type != gjson.Null:
		return &wire.Invalid{Field: path + ".content", Reason: "expected a string or null, got " + typeName(content)}
	}
	if refusal.Type == gjson.String && refusal.Str != "" {
		r.Parts = append(r.Parts, wire.Part{Kind: wire.Text, Text: refusal.Str})
	}
	if !toolCalls.Exists() || toolCalls.Type == gjson.Null {
		return nil
	}
	if !toolCalls.IsArray() {
		return &wire.Invalid{Field: path + ".tool_calls", Reason: "expected an array, got " + typeName(toolCalls)}
	}
	var err error
	j := 0
	toolCalls.ForEach(func(_, c gjson.Result) bool {
		var p wire.Part
		var custom bool
		cp := idx(path+".tool_calls", j)
		j++
		p, custom, err = toolCall(cp, c)
		if custom {
			err = &wire.Invalid{Field: cp + ".type", Reason: "custom tool calls cannot be translated"}
		}
		if err == nil {
			r.Parts = append(r.Parts, p)
		}
		return err == nil
	})
	return err
}

// finishOf maps a finish_reason. The legacy "function_call" is a tool call;
// anything unknown (vLLM's "abort", …) is treated as a plain stop.
func finishOf(v gjson.Result) wire.Finish {
	if v.Type != gjson.String {
		return 0
	}
	switch v.Str {
	case "stop":
		return wire.FinishStop
	case "length":
		return wire.FinishLength
	case "tool_calls", "function_call":
		return wire.FinishToolCalls
	case "content_filter":
		return wire.FinishContentFilter
	}
	return wire.FinishStop
}

// EncodeResponse writes a canonical answer as a chat.completion body for an
// OpenAI client. r.Model is the name the client asked for. An empty r.ID gets
// a made-up "chatcmpl-…" id; "created" is the current time (from clock).
// Text parts are joined into content; Thinking parts go out as
// "reasoning_content", the field vLLM and DeepSeek use and OpenAI clients
// ignore when they do not know it. system_fingerprint is omitted.
func EncodeResponse(r *wire.Response) ([]byte, error) {
	n := 320 + len(r.ID) + len(r.Model)
	for i := range r.Parts {
		n += 64 + len(r.Parts[i].Text) + len(r.Parts[i].ID) + len(r.Parts[i].Name) + 2*len(r.Parts[i].Args)
	}
	b := make([]byte, 0, n)
	id := r.ID
	if id == "" {
		id = newID()
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, clock(), 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, r.Model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	texts, calls, thinking := 0, 0, 0
	for i := range r.Parts {
		switch r.Parts[i].Kind {
		case wire.Text:
			texts++
		case wire.ToolCall:
			calls++
		case wire.Thinking:
			thinking++
		default:
			return nil, unsupported(idx("content", i), "an answer holds text, reasoning and tool calls only")
		}
	}
	b = appendJoined(b, r.Parts, wire.Text, texts, calls > 0)
	b = append(b, `,"refusal":null`...)
	if thinking > 0 {
		b = append(b, `,"reasoning_content":`...)
		b = appendJoined(b, r.Parts, wire.Thinking, thinking, false)
	}
	if calls > 0 {
		b = append(b, `,"tool_calls":[`...)
		k := 0
		for i := range r.Parts {
			p := &r.Parts[i]
			if p.Kind != wire.ToolCall {
				continue
			}
			args := p.Args
			if len(args) == 0 {
				args = []byte("{}")
			}
			if k > 0 {
				b = append(b, ',')
			}
			k++
			b = appendToolCall(b, p.ID, p.Name, args)
		}
		b = append(b, ']')
	}
	b = append(b, `},"logprobs":null,"finish_reason":`...)
	b = appendFinish(b, r.Finish, calls > 0)
	b = append(b, `}],"usage":`...)
	b = appendUsage(b, r.Usage)
	return append(b, '}'), nil
}

// appendJoined writes the text of the parts of one kind as a single string;
// null when there are none and null is what OpenAI would send (content of a
// pure tool-call answer).
func appendJoined(b []byte, parts []wire.Part, kind wire.PartKind, count int, nullIfNone bool) []byte {
	if count == 0 {
		if nullIfNone {
			return append(b, "null"...)
		}
		return append(b, `""`...)
	}
	b = append(b, '"')
	for i := range parts {
		if parts[i].Kind == kind {
			b = appendEscaped(b, parts[i].Text)
		}
	}
	return append(b, '"')
}

// appendFinish writes a finish_reason. An answer always has one for an OpenAI
// client: unset means the model stopped (having called tools, if it did).
func appendFinish(b []byte, f wire.Finish, calledTools bool) []byte {
	s := f.String()
	if s == "" {
		s = "stop"
		if calledTools {
			s = "tool_calls"
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendUsage writes a usage object the way OpenAI does, with the detail
// objects always present and cache_write_tokens only when there were some.
func appendUsage(b []byte, u wire.Usage) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, u.Prompt, 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, u.Completion, 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, u.Total(), 10)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, u.Cached, 10)
	if u.CacheWrite != 0 {
		b = append(b, `,"cache_write_tokens":`...)
		b = strconv.AppendInt(b, u.CacheWrite, 10)
	}
	b = append(b, `},"completion_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, u.Reasoning, 10)
	return append(b, "}}"...)
}
