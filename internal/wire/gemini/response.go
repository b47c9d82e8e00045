package gemini

import (
	"encoding/json"
	"fmt"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
)

// Finish reasons (protocols.md §8). Gemini ends function calls with STOP:
// an answer that holds functionCall parts finished with tool_calls. Reasons
// with no OpenAI counterpart (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL,
// UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, NO_IMAGE …) read as stop: the
// model stopped and said what it said. CONTINUATION (the stream was cut and
// may be resumed) reads as length, since the answer is incomplete.
func finishOf(reason string) wire.Finish {
	switch reason {
	case "", "FINISH_REASON_UNSPECIFIED": // no finish yet (a checkpoint chunk)
		return 0
	case "MAX_TOKENS", "CONTINUATION":
		return wire.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return wire.FinishContentFilter
	}
	return wire.FinishStop
}

// finishWithCalls is the finish of an answer that made the given number of
// function calls: Gemini finishes them with STOP.
func finishWithCalls(f wire.Finish, calls int) wire.Finish {
	if f == wire.FinishStop && calls > 0 {
		return wire.FinishToolCalls
	}
	return f
}

func finishReason(f wire.Finish) string {
	switch f {
	case wire.FinishLength:
		return "MAX_TOKENS"
	case wire.FinishContentFilter:
		return "SAFETY"
	}
	return "STOP"
}

// usageOf maps usageMetadata (protocols.md §8): promptTokenCount already
// includes the cached tokens; candidatesTokenCount excludes the thoughts,
// which OpenAI counts as completion (reasoning) tokens. toolUsePromptTokenCount
// (the results of Google's own tools, billed as input) is added to the prompt
// so that Prompt + Completion is Google's totalTokenCount.
func usageOf(u gjson.Result) wire.Usage {
	var prompt, cand, thoughts, cached, toolUse int64
	u.ForEach(func(k, v gjson.Result) bool {
		switch camel(k.Str) {
		case "promptTokenCount":
			prompt = count(v)
		case "candidatesTokenCount":
			cand = count(v)
		case "thoughtsTokenCount":
			thoughts = count(v)
		case "cachedContentTokenCount":
			cached = count(v)
		case "toolUsePromptTokenCount":
			toolUse = count(v)
		}
		return true
	})
	return wire.Usage{Prompt: prompt + toolUse, Completion: cand + thoughts, Cached: cached, Reasoning: thoughts}
}

// count reads a token count (a number, or an int64 string), never negative.
func count(v gjson.Result) int64 {
	n, ok := intValue(v)
	if !ok || n < 0 {
		return 0
	}
	return n
}

func appendUsage(b []byte, u wire.Usage) []byte {
	cand := max(u.Completion-u.Reasoning, 0)
	b = append(b, `"usageMetadata":{"promptTokenCount":`...)
	b = appendInt(b, u.Prompt)
	b = append(b, `,"candidatesTokenCount":`...)
	b = appendInt(b, cand)
	b = append(b, `,"totalTokenCount":`...)
	b = appendInt(b, u.Prompt+cand+u.Reasoning)
	if u.Cached > 0 {
		b = append(b, `,"cachedContentTokenCount":`...)
		b = appendInt(b, u.Cached)
	}
	if u.Reasoning > 0 {
		b = append(b, `,"thoughtsTokenCount":`...)
		b = appendInt(b, u.Reasoning)
	}
	return append(b, '}')
}

// DecodeResponse reads a GenerateContentResponse. Only the first candidate
// is read (the encoder never asks for more). Function calls without an id
// get one made from the response id and their position (see callID). An
// error envelope in place of an answer comes back as a *wire.Error.
func DecodeResponse(body []byte) (*wire.Response, error) {
	if inv := wire.CheckAnswer("the response body", body); inv != nil {
		return nil, inv
	}
	root := gjson.Parse(string(body))
	if !root.IsObject() {
		return nil, &wire.Invalid{Reason: "the response body must be a JSON object"}
	}
	if e := root.Get("error"); e.IsObject() {
		return nil, errorFromObject(0, nil, e, body)
	}
	r := &wire.Response{}
	var cand, usage, block gjson.Result
	var bad *wire.Invalid
	root.ForEach(func(k, v gjson.Result) bool {
		switch camel(k.Str) {
		case "responseId":
			r.ID = v.String()
		case "modelVersion":
			r.Model = v.String()
		case "candidates":
			if !v.IsArray() && v.Type != gjson.Null {
				bad = &wire.Invalid{Field: "candidates", Reason: "expected an array"}
				return false
			}
			cand = v.Get("0")
		case "usageMetadata":
			usage = v
		case "promptFeedback":
			block = get(v, "blockReason", "block_reason")
		}
		return true
	})
	if bad != nil {
		return nil, bad
	}
	if usage.IsObject() {
		r.Usage = usageOf(usage)
	}
	if !cand.Exists() {
		if block.Exists() && block.String() != "" {
			r.Finish = wire.FinishContentFilter // the prompt was blocked
		}
		return r, nil
	}
	if !cand.IsObject() {
		return nil, &wire.Invalid{Field: "candidates[0]", Reason: "expected an object"}
	}
	parts := cand.Get("content.parts")
	calls := 0
	if parts.Exists() && !parts.IsArray() {
		return nil, &wire.Invalid{Field: "candidates[0].content.parts", Reason: "expected an array"}
	}
	i := 0
	parts.ForEach(func(_, p gjson.Result) bool {
		part, ok, err := responsePart(p, r.ID, &calls)
		if err != nil {
			bad = &wire.Invalid{Field: fmt.Sprintf("candidates[0].content.parts[%d]%s", i, err.Field), Reason: err.Reason}
			return false
		}
		if ok {
			r.Parts = append(r.Parts, part)
		}
		i++
		return true
	})
	if bad != nil {
		return nil, bad
	}
	r.Finish = finishWithCalls(finishOf(get(cand, "finishReason", "finish_reason").String()), calls)
	return r, nil
}

// responsePart reads one part of an answer. Parts the canonical form has no
// place for (executableCode and codeExecutionResult from Google's own
// tools) are skipped; they only appear when the request enabled those tools,
// which the encoder never does.
func responsePart(p gjson.Result, responseID string, calls *int) (wire.Part, bool, *wire.Invalid) {
	if !p.IsObject() {
		return wire.Part{}, false, &wire.Invalid{Reason: "expected an object"}
	}
	var text, call, inline gjson.Result
	thought, sig := false, ""
	p.ForEach(func(k, v gjson.Result) bool {
		switch camel(k.Str) {
		case "text":
			text = v
		case "thought":
			thought = v.Type == gjson.True
		case "thoughtSignature":
			sig = v.String()
		case "functionCall":
			call = v
		case "inlineData":
			inline = v
		}
		return true
	})
	if sig == skipSignature {
		sig = ""
	}
	switch {
	case call.Exists():
		if !call.IsObject() {
			return wire.Part{}, false, &wire.Invalid{Field: ".functionCall", Reason: "expected an object"}
		}
		name := call.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return wire.Part{}, false, &wire.Invalid{Field: ".functionCall.name", Reason: "a function name is required"}
		}
		args := call.Get("args")
		raw := json.RawMessage("{}")
		if args.IsObject() {
			raw = json.RawMessage(args.Raw)
		} else if args.Exists() && args.Type != gjson.Null {
			return wire.Part{}, false, &wire.Invalid{Field: ".functionCall.args", Reason: "expected an object"}
		}
		id := call.Get("id").String()
		if id == "" {
			id = callID(responseID, *calls)
		}
		*calls++
		return wire.Part{Kind: wire.ToolCall, ID: id, Name: name.Str, Args: raw, Signature: sig}, true, nil
	case text.Exists():
		if text.Type != gjson.String {
			return wire.Part{}, false, &wire.Invalid{Field: ".text", Reason: "expected a string"}
		}
		if thought {
			return wire.Part{Kind: wire.Thinking, Text: text.Str, Signature: sig}, text.Str != "" || sig != "", nil
		}
		return wire.Part{Kind: wire.Text, Text: text.Str, Signature: sig}, text.Str != "" || sig != "", nil
	case inline.IsObject():
		mime, data := get(inline, "mimeType", "mime_type").String(), inline.Get("data").String()
		if isImageType(mime) && data != "" {
			return wire.Part{Kind: wire.Image, MediaType: mime, Data: data}, true, nil
		}
	case sig != "":
		// A signature on a part of its own: keep it for the next turn.
		return wire.Part{Kind: wire.Text, Signature: sig}, true, nil
	}
	return wire.Part{}, false, nil
}

// EncodeResponse writes r as a GenerateContentResponse, with one candidate.
// r.Model is shown as modelVersion; a response id is made up when r.ID is
// empty.
func EncodeResponse(r *wire.Response) ([]byte, error) {
	id := r.ID
	if id == "" {
		id = newResponseID()
	}
	n := 256 + len(r.Model) + len(id)
	for i := range r.Parts {
		n += len(r.Parts[i].Text) + len(r.Parts[i].Args) + len(r.Parts[i].Data) + len(r.Parts[i].Signature) + 64
	}
	b := make([]byte, 0, n)
	b = append(b, `{"candidates":[{`...)
	if len(r.Parts) > 0 {
		b = append(b, `"content":{"parts":[`...)
		for i := range r.Parts {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendAnswerPart(b, &r.Parts[i], fmt.Sprintf("parts[%d]", i)); err != nil {
				return nil, err
			}
		}
		b = append(b, `],"role":"model"},`...)
	}
	b = append(b, `"finishReason":"`...)
	b = append(b, finishReason(r.Finish)...)
	b = append(b, `","index":0}],`...)
	b = appendUsage(b, r.Usage)
	b = append(b, `,"modelVersion":`...)
	b = appendString(b, r.Model)
	b = append(b, `,"responseId":`...)
	b = appendString(b, id)
	return append(b, '}'), nil
}

// appendAnswerPart writes one part of a model answer.
func appendAnswerPart(b []byte, p *wire.Part, field string) ([]byte, error) {
	switch p.Kind {
	case wire.Text, wire.Thinking:
		b = append(b, `{"text":`...)
		b = appendString(b, p.Text)
		if p.Kind == wire.Thinking {
			b = append(b, `,"thought":true`...)
		}
	case wire.ToolCall:
		b = appendCall(b, p.ID, p.Name, p.Args)
	case wire.Image:
		b = append(b, '{')
		var err error
		if b, err = appendMedia(b, p, field); err != nil {
			return nil, err
		}
	default:
		return nil, unsupported(field, "an answer holds only text, reasoning, images and tool calls")
	}
	b = appendSignature(b, p.Signature)
	return append(b, '}'), nil
}

// appendCall writes {"functionCall":{…} without the closing brace of the
// part. Arguments that are not a JSON object (a broken upstream) are sent as
// an empty object rather than as bytes that would break the frame.
func appendCall(b []byte, id, name string, args []byte) []byte {
	b = append(b, `{"functionCall":{`...)
	if id != "" {
		b = append(b, `"id":`...)
		b = appendString(b, id)
		b = append(b, ',')
	}
	b = append(b, `"name":`...)
	b = appendString(b, name)
	b = append(b, `,"args":`...)
	if isJSONObject(args) {
		b = append(b, args...)
	} else {
		b = append(b, '{', '}')
	}
	return append(b, '}')
}
