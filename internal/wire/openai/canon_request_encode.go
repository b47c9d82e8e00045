package openai

import (
	"strconv"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
)

// EncodeRequest writes a canonical request as a Chat Completions body for an
// OpenAI-format cloud (OpenAI, Azure, vLLM, Ollama) when the client spoke
// another format. r.Model is the provider's model id (Azure's classic surface
// ignores it: the deployment is in the URL).
//
// Choices made where the formats differ:
//   - The length limit goes out as max_completion_tokens, which OpenAI's
//     reasoning models require (they reject max_tokens); Azure and vLLM accept
//     it too.
//   - A stream always asks for stream_options.include_usage: the gateway needs
//     the usage chunk for its books whether or not the client asked.
//   - A user message's tool results become "tool" messages placed before the
//     rest of that message: OpenAI wants them right after the assistant's
//     tool_calls.
//   - Thinking parts in assistant history are dropped. Chat Completions has
//     no field for past reasoning and OpenAI-format servers discard it from
//     the prompt anyway; a Signature only verifies with the provider that
//     issued it. The model would not have seen it, so nothing changes.
//   - A tool result's IsError is dropped: OpenAI's tool messages have no
//     status, the result's text already says what failed, and refusing it
//     would break every agent loop whose tool ever fails.
//
// Anything else OpenAI cannot say (images in tool results or assistant turns,
// r.Extra) is a *wire.Unsupported.
func EncodeRequest(r *wire.Request) ([]byte, error) {
	if len(r.Extra) > 0 {
		return nil, &wire.Unsupported{Format: wire.OpenAI, Field: r.Extra[0]}
	}
	b := make([]byte, 0, requestSize(r))
	b = append(b, `{"model":`...)
	b = appendJSONString(b, r.Model)
	b = append(b, `,"messages":[`...)
	first := true // no message written yet: the next needs no comma
	if len(r.System) > 0 {
		b = comma(b, &first)
		b = append(b, `{"role":"system","content":`...)
		for j, p := range r.System {
			if p.Kind != wire.Text {
				return nil, unsupported(idx("system", j), "a system prompt holds text only")
			}
		}
		b = appendTextContent(b, r.System)
		b = append(b, '}')
	}
	var err error
	for i := range r.Messages {
		m := &r.Messages[i]
		path := idx("messages", i)
		switch m.Role {
		case wire.User:
			b, err = appendUser(b, path, m, &first)
		case wire.Assistant:
			b, err = appendAssistant(b, path, m, &first)
		default:
			err = unsupported(path+".role", "unknown role")
		}
		if err != nil {
			return nil, err
		}
	}
	b = append(b, ']')
	if r.MaxTokens > 0 {
		b = append(b, `,"max_completion_tokens":`...)
		b = strconv.AppendInt(b, int64(r.MaxTokens), 10)
	}
	for _, f := range [...]struct {
		name string
		v    *float64
	}{{"temperature", r.Temperature}, {"top_p", r.TopP}} {
		if f.v == nil {
			continue
		}
		if !finite(*f.v) {
			return nil, unsupported(f.name, "not a finite number")
		}
		b = append(b, `,"`...)
		b = append(b, f.name...)
		b = append(b, `":`...)
		b = appendFloat(b, *f.v)
	}
	if len(r.Stop) > 0 {
		b = append(b, `,"stop":[`...)
		for j, s := range r.Stop {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	if b, err = appendTools(b, r); err != nil {
		return nil, err
	}
	if b, err = appendOutput(b, &r.Output); err != nil {
		return nil, err
	}
	if r.Stream {
		b = append(b, `,"stream":true,"stream_options":{"include_usage":true}`...)
	}
	return append(b, '}'), nil
}

// comma separates array elements: it writes one before every element but the
// first.
func comma(b []byte, first *bool) []byte {
	if !*first {
		b = append(b, ',')
	}
	*first = false
	return b
}

func unsupported(field, reason string) *wire.Unsupported {
	return &wire.Unsupported{Format: wire.OpenAI, Field: field, Reason: reason}
}

// requestSize estimates the body's length so it is built without regrowing.
func requestSize(r *wire.Request) int {
	n := 256 + len(r.Model)
	size := func(ps []wire.Part) {
		for i := range ps {
			p := &ps[i]
			n += 48 + len(p.Text) + len(p.Data) + len(p.URL) + len(p.ID) + len(p.Name) + len(p.MediaType) + 2*len(p.Args)
			for j := range p.Parts {
				n += 32 + len(p.Parts[j].Text)
			}
		}
	}
	size(r.System)
	for i := range r.Messages {
		n += 32
		size(r.Messages[i].Parts)
	}
	for _, t := range r.Tools {
		n += 64 + len(t.Name) + len(t.Description) + len(t.Schema)
	}
	return n + len(r.Output.Schema)
}

// appendTextContent writes text parts as a content string when there is one,
// else as an array of text parts (so that the boundaries survive).
func appendTextContent(b []byte, parts []wire.Part) []byte {
	if len(parts) == 1 {
		return appendJSONString(b, parts[0].Text)
	}
	b = append(b, '[')
	for j := range parts {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"text","text":`...)
		b = appendJSONString(b, parts[j].Text)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendUser(b []byte, path string, m *wire.Message, first *bool) ([]byte, error) {
	results, other := 0, 0
	for j := range m.Parts {
		p := &m.Parts[j]
		switch p.Kind {
		case wire.ToolResult:
			results++
			b = comma(b, first)
			var err error
			if b, err = appendToolMessage(b, idx(path+".content", j), p); err != nil {
				return nil, err
			}
		case wire.Text, wire.Image:
			other++
		default:
			return nil, unsupported(idx(path+".content", j), "a user message holds text, images and tool results only")
		}
	}
	if other == 0 && results > 0 {
		return b, nil
	}
	b = comma(b, first)
	b = append(b, `{"role":"user","content":`...)
	if other == 1 && len(m.Parts) == 1 && m.Parts[0].Kind == wire.Text {
		b = appendJSONString(b, m.Parts[0].Text)
		return append(b, '}'), nil
	}
	b = append(b, '[')
	n := 0
	for j := range m.Parts {
		p := &m.Parts[j]
		if p.Kind == wire.ToolResult {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		if p.Kind == wire.Text {
			b = append(b, `{"type":"text","text":`...)
			b = appendJSONString(b, p.Text)
			b = append(b, '}')
			continue
		}
		var err error
		if b, err = appendImage(b, idx(path+".content", j), p); err != nil {
			return nil, err
		}
	}
	return append(b, "]}"...), nil
}

func appendImage(b []byte, path string, p *wire.Part) ([]byte, error) {
	b = append(b, `{"type":"image_url","image_url":{"url":`...)
	switch {
	case p.Data != "":
		// A data URL; the media type may be empty ("data:;base64,…"), which
		// Ollama and OpenAI accept and sniff.
		b = append(b, `"data:`...)
		b = appendEscaped(b, p.MediaType)
		b = append(b, `;base64,`...)
		b = appendEscaped(b, p.Data)
		b = append(b, '"')
	case p.URL != "":
		b = appendJSONString(b, p.URL)
	default:
		return nil, unsupported(path, "an image with neither data nor a URL")
	}
	return append(b, "}}"...), nil
}

func appendToolMessage(b []byte, path string, p *wire.Part) ([]byte, error) {
	b = append(b, `{"role":"tool","tool_call_id":`...)
	b = appendJSONString(b, p.ID)
	b = append(b, `,"content":`...)
	if len(p.Parts) == 0 {
		b = appendJSONString(b, p.Text)
		return append(b, '}'), nil
	}
	// OpenAI's tool messages hold text parts only.
	b = append(b, '[')
	n := 0
	if p.Text != "" {
		b = append(b, `{"type":"text","text":`...)
		b = appendJSONString(b, p.Text)
		b = append(b, '}')
		n++
	}
	for k := range p.Parts {
		if p.Parts[k].Kind != wire.Text {
			return nil, unsupported(idx(path+".content", k), "OpenAI tool results carry text only")
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"type":"text","text":`...)
		b = appendJSONString(b, p.Parts[k].Text)
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

func appendAssistant(b []byte, path string, m *wire.Message, first *bool) ([]byte, error) {
	texts, calls := 0, 0
	for j := range m.Parts {
		switch m.Parts[j].Kind {
		case wire.Text:
			texts++
		case wire.ToolCall:
			calls++
		case wire.Thinking:
			// Dropped: see EncodeRequest.
		default:
			return nil, unsupported(idx(path+".content", j), "an assistant message holds text and tool calls only")
		}
	}
	if texts == 0 && calls == 0 && len(m.Parts) > 0 {
		return b, nil // only reasoning, which OpenAI does not take back
	}
	b = comma(b, first)
	b = append(b, `{"role":"assistant","content":`...)
	switch texts {
	case 0:
		b = append(b, "null"...)
	case 1:
		for j := range m.Parts {
			if m.Parts[j].Kind == wire.Text {
				b = appendJSONString(b, m.Parts[j].Text)
			}
		}
	default:
		b = append(b, '[')
		n := 0
		for j := range m.Parts {
			if m.Parts[j].Kind != wire.Text {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, `{"type":"text","text":`...)
			b = appendJSONString(b, m.Parts[j].Text)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if calls > 0 {
		b = append(b, `,"tool_calls":[`...)
		n := 0
		for j := range m.Parts {
			p := &m.Parts[j]
			if p.Kind != wire.ToolCall {
				continue
			}
			args := p.Args
			if len(args) == 0 {
				args = []byte("{}")
			} else if !jsoncheck.Valid(args) {
				return nil, unsupported(idx(path+".content", j), "the tool call's arguments are not valid JSON")
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendToolCall(b, p.ID, p.Name, args)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func appendTools(b []byte, r *wire.Request) ([]byte, error) {
	if len(r.Tools) > 0 {
		b = append(b, `,"tools":[`...)
		for i, t := range r.Tools {
			if t.Name == "" {
				return nil, unsupported(idx("tools", i), "a tool without a name")
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":"function","function":{"name":`...)
			b = appendJSONString(b, t.Name)
			if t.Description != "" {
				b = append(b, `,"description":`...)
				b = appendJSONString(b, t.Description)
			}
			if t.Schema != nil {
				if !jsonObject(t.Schema) {
					return nil, unsupported(idx("tools", i), "the input schema is not a JSON object")
				}
				b = append(b, `,"parameters":`...)
				b = append(b, t.Schema...)
			}
			b = append(b, "}}"...)
		}
		b = append(b, ']')
	}
	tc := r.ToolChoice
	switch tc.Mode {
	case 0:
	case wire.ToolAuto, wire.ToolNone:
		// Without tools "auto" and "none" mean the same, and OpenAI rejects a
		// tool_choice that comes without tools.
		if len(r.Tools) > 0 {
			if tc.Mode == wire.ToolAuto {
				b = append(b, `,"tool_choice":"auto"`...)
			} else {
				b = append(b, `,"tool_choice":"none"`...)
			}
		}
	case wire.ToolRequired:
		b = append(b, `,"tool_choice":"required"`...)
	case wire.ToolNamed:
		if tc.Name == "" {
			return nil, unsupported("tool_choice", "a named tool choice without a name")
		}
		b = append(b, `,"tool_choice":{"type":"function","function":{"name":`...)
		b = appendJSONString(b, tc.Name)
		b = append(b, "}}"...)
	default:
		return nil, unsupported("tool_choice", "unknown tool mode")
	}
	if tc.NoParallel && len(r.Tools) > 0 {
		b = append(b, `,"parallel_tool_calls":false`...)
	}
	return b, nil
}

func appendOutput(b []byte, o *wire.Output) ([]byte, error) {
	switch o.Kind {
	case 0:
	case wire.OutputJSON:
		b = append(b, `,"response_format":{"type":"json_object"}`...)
	case wire.OutputJSONSchema:
		name := o.Name
		if name == "" {
			name = "response" // OpenAI requires a name; other formats have none
		}
		b = append(b, `,"response_format":{"type":"json_schema","json_schema":{"name":`...)
		b = appendJSONString(b, name)
		if o.Schema != nil {
			if !jsonObject(o.Schema) {
				return nil, unsupported("response_format", "the output schema is not a JSON object")
			}
			b = append(b, `,"schema":`...)
			b = append(b, o.Schema...)
		}
		if o.Strict {
			b = append(b, `,"strict":true`...)
		}
		b = append(b, "}}"...)
	default:
		return nil, unsupported("response_format", "unknown output kind")
	}
	return b, nil
}

// appendToolCall appends one entry of a message's tool_calls: arguments travel
// as a JSON string, as OpenAI's format has them.
func appendToolCall(b []byte, id, name string, args []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"type":"function","function":{"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"arguments":`...)
	b = appendJSONString(b, bytesToString(args))
	return append(b, "}}"...)
}
