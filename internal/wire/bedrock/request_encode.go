package bedrock

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
)

// EncodeRequest writes r as a Converse request body. It returns a
// *wire.Unsupported for anything Converse cannot express (see the notes at
// the top of request.go).
func EncodeRequest(r *wire.Request) ([]byte, error) {
	if len(r.Extra) > 0 {
		return nil, &wire.Unsupported{Format: wire.Bedrock, Field: r.Extra[0]}
	}
	history := false
	size := 256
	for i := range r.Messages {
		for j := range r.Messages[i].Parts {
			p := &r.Messages[i].Parts[j]
			size += len(p.Text) + len(p.Data) + len(p.Args) + len(p.ID) + len(p.Name) + len(p.Signature) + 64
			for k := range p.Parts {
				size += len(p.Parts[k].Text) + len(p.Parts[k].Data) + 64
			}
			if p.Kind == wire.ToolCall || p.Kind == wire.ToolResult {
				history = true
			}
		}
	}
	for i := range r.System {
		size += len(r.System[i].Text) + 16
	}
	for i := range r.Tools {
		size += len(r.Tools[i].Name) + len(r.Tools[i].Description) + len(r.Tools[i].Schema) + 64
	}
	size += len(r.Output.Schema) * 2

	dst := make([]byte, 0, size)
	dst = append(dst, `{"messages":`...)
	dst, err := appendMessages(dst, r.Messages)
	if err != nil {
		return nil, err
	}
	if dst, err = appendSystem(dst, r.System); err != nil {
		return nil, err
	}
	if dst, err = appendInference(dst, r); err != nil {
		return nil, err
	}
	if dst, err = appendToolConfig(dst, r, history); err != nil {
		return nil, err
	}
	if dst, err = appendOutputConfig(dst, &r.Output); err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

func unsupported(field, reason string) error {
	return &wire.Unsupported{Format: wire.Bedrock, Field: field, Reason: reason}
}

func appendMessages(dst []byte, msgs []wire.Message) ([]byte, error) {
	dst = append(dst, '[')
	open := false
	var cur wire.Role
	for i := range msgs {
		m := &msgs[i]
		if m.Role != wire.User && m.Role != wire.Assistant {
			return nil, unsupported(fmt.Sprintf("messages[%d].role", i), "only user and assistant turns")
		}
		for j := range m.Parts {
			p := &m.Parts[j]
			if p.Kind == wire.Text && p.Text == "" {
				continue
			}
			switch {
			case !open:
				dst = append(dst, `{"role":`...)
			case m.Role != cur:
				dst = append(dst, `]},{"role":`...)
			default:
				dst = append(dst, ',')
				goto block
			}
			if m.Role == wire.User {
				dst = append(dst, `"user","content":[`...)
			} else {
				dst = append(dst, `"assistant","content":[`...)
			}
			open, cur = true, m.Role
		block:
			var err error
			if dst, err = appendBlock(dst, p, i, j); err != nil {
				return nil, err
			}
		}
	}
	if open {
		dst = append(dst, ']', '}')
	}
	return append(dst, ']'), nil
}

func appendBlock(dst []byte, p *wire.Part, i, j int) ([]byte, error) {
	field := func() string { return fmt.Sprintf("messages[%d].content[%d]", i, j) }
	switch p.Kind {
	case wire.Text:
		dst = append(dst, `{"text":`...)
		dst = appendString(dst, p.Text)
		return append(dst, '}'), nil
	case wire.Image:
		return appendImage(dst, p, field)
	case wire.ToolCall:
		args := p.Args
		if len(args) == 0 {
			args = []byte("{}")
		} else if !jsoncheck.ValidObject(args) {
			return nil, unsupported(field(), "tool call arguments are not a JSON object")
		}
		dst = append(dst, `{"toolUse":{"toolUseId":`...)
		dst = appendString(dst, p.ID)
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, p.Name)
		dst = append(dst, `,"input":`...)
		dst = append(dst, args...)
		return append(dst, '}', '}'), nil
	case wire.ToolResult:
		dst = append(dst, `{"toolResult":{"toolUseId":`...)
		dst = appendString(dst, p.ID)
		dst = append(dst, `,"content":[`...)
		if len(p.Parts) == 0 {
			if p.Text != "" {
				dst = append(dst, `{"text":`...)
				dst = appendString(dst, p.Text)
				dst = append(dst, '}')
			}
		} else {
			for k := range p.Parts {
				if k > 0 {
					dst = append(dst, ',')
				}
				q := &p.Parts[k]
				switch q.Kind {
				case wire.Text:
					dst = append(dst, `{"text":`...)
					dst = appendString(dst, q.Text)
					dst = append(dst, '}')
				case wire.Image:
					var err error
					sub := func() string { return fmt.Sprintf("%s.content[%d]", field(), k) }
					if dst, err = appendImage(dst, q, sub); err != nil {
						return nil, err
					}
				default:
					return nil, unsupported(fmt.Sprintf("%s.content[%d]", field(), k), "a tool result holds only text and images")
				}
			}
		}
		dst = append(dst, ']')
		if p.IsError {
			dst = append(dst, `,"status":"error"`...)
		}
		return append(dst, '}', '}'), nil
	case wire.Thinking:
		dst = append(dst, `{"reasoningContent":{"reasoningText":{"text":`...)
		dst = appendString(dst, p.Text)
		if p.Signature != "" {
			dst = append(dst, `,"signature":`...)
			dst = appendString(dst, p.Signature)
		}
		return append(dst, '}', '}', '}'), nil
	}
	return nil, unsupported(field(), "unknown part kind "+strconv.Itoa(int(p.Kind)))
}

func appendImage(dst []byte, p *wire.Part, field func() string) ([]byte, error) {
	mt, data := p.MediaType, p.Data
	if data == "" && strings.HasPrefix(p.URL, "data:") {
		// Defensive: a data: URL is inline data in disguise.
		meta, payload, ok := strings.Cut(p.URL[len("data:"):], ",")
		if ok && strings.HasSuffix(meta, ";base64") {
			mt, data = strings.TrimSuffix(meta, ";base64"), payload
		}
	}
	if data == "" {
		if p.URL != "" {
			return nil, unsupported(field(), "Bedrock takes inline image bytes or S3 locations, not image URLs")
		}
		return nil, unsupported(field(), "the image has no data")
	}
	format := imageFormat(mt)
	if format == "" {
		return nil, unsupported(field(), "image media type "+strconv.Quote(mt)+" (Bedrock takes png, jpeg, gif and webp)")
	}
	dst = append(dst, `{"image":{"format":"`...)
	dst = append(dst, format...)
	dst = append(dst, `","source":{"bytes":`...)
	dst = appendString(dst, data)
	return append(dst, '}', '}', '}'), nil
}

func appendSystem(dst []byte, sys []wire.Part) ([]byte, error) {
	first := true
	for i := range sys {
		p := &sys[i]
		if p.Kind != wire.Text {
			return nil, unsupported(fmt.Sprintf("system[%d]", i), "system prompts hold text only")
		}
		if p.Text == "" {
			continue // Bedrock rejects blank system text; it says nothing.
		}
		if first {
			dst = append(dst, `,"system":[`...)
			first = false
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"text":`...)
		dst = appendString(dst, p.Text)
		dst = append(dst, '}')
	}
	if !first {
		dst = append(dst, ']')
	}
	return dst, nil
}

func appendInference(dst []byte, r *wire.Request) ([]byte, error) {
	stops := 0
	for _, s := range r.Stop {
		if s != "" {
			stops++
		}
	}
	if r.MaxTokens <= 0 && r.Temperature == nil && r.TopP == nil && stops == 0 {
		return dst, nil
	}
	dst = append(dst, `,"inferenceConfig":{`...)
	first := true
	if r.MaxTokens > 0 {
		if r.MaxTokens > math.MaxInt32 {
			return nil, unsupported("max_tokens", "more than Bedrock's 32-bit maxTokens")
		}
		dst = appendKey(dst, &first, "maxTokens")
		dst = strconv.AppendInt(dst, int64(r.MaxTokens), 10)
	}
	if r.Temperature != nil {
		if math.IsNaN(*r.Temperature) || math.IsInf(*r.Temperature, 0) {
			return nil, unsupported("temperature", "not a finite number")
		}
		dst = appendKey(dst, &first, "temperature")
		dst = appendFloat(dst, *r.Temperature)
	}
	if r.TopP != nil {
		if math.IsNaN(*r.TopP) || math.IsInf(*r.TopP, 0) {
			return nil, unsupported("top_p", "not a finite number")
		}
		dst = appendKey(dst, &first, "topP")
		dst = appendFloat(dst, *r.TopP)
	}
	if stops > 0 {
		dst = appendKey(dst, &first, "stopSequences")
		dst = append(dst, '[')
		n := 0
		for _, s := range r.Stop {
			if s == "" {
				continue // Bedrock rejects empty stop sequences; they stop nothing.
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
			n++
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), nil
}

func appendToolConfig(dst []byte, r *wire.Request, history bool) ([]byte, error) {
	tc := r.ToolChoice
	if tc.Mode == wire.ToolNone {
		if history {
			return nil, unsupported("tool_choice", `Bedrock has no tool choice "none", and a conversation with tool calls or results needs a toolConfig that lets the model call tools`)
		}
		return dst, nil
	}
	if len(r.Tools) == 0 {
		switch {
		case tc.Mode == wire.ToolRequired || tc.Mode == wire.ToolNamed:
			return nil, unsupported("tool_choice", "a tool choice without tools")
		case history:
			return nil, unsupported("tools", "Bedrock requires the tool definitions when the conversation holds tool calls or results")
		}
		return dst, nil
	}
	dst = append(dst, `,"toolConfig":{"tools":[`...)
	for i := range r.Tools {
		t := &r.Tools[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"toolSpec":{"name":`...)
		dst = appendString(dst, t.Name)
		if t.Description != "" {
			dst = append(dst, `,"description":`...)
			dst = appendString(dst, t.Description)
		}
		dst = append(dst, `,"inputSchema":{"json":`...)
		if len(t.Schema) == 0 {
			dst = append(dst, `{"type":"object","properties":{}}`...)
		} else {
			if !jsoncheck.ValidObject(t.Schema) {
				return nil, unsupported(fmt.Sprintf("tools[%d].parameters", i), "the schema is not a JSON object")
			}
			dst = append(dst, t.Schema...)
		}
		dst = append(dst, '}', '}', '}')
	}
	dst = append(dst, ']')
	switch tc.Mode {
	case wire.ToolAuto:
		dst = append(dst, `,"toolChoice":{"auto":{}}`...)
	case wire.ToolRequired:
		dst = append(dst, `,"toolChoice":{"any":{}}`...)
	case wire.ToolNamed:
		dst = append(dst, `,"toolChoice":{"tool":{"name":`...)
		dst = appendString(dst, tc.Name)
		dst = append(dst, '}', '}')
	}
	return append(dst, '}'), nil
}

func appendOutputConfig(dst []byte, o *wire.Output) ([]byte, error) {
	switch o.Kind {
	case 0:
		return dst, nil
	case wire.OutputJSON:
		return nil, unsupported("response_format", "Bedrock Converse structured output needs a JSON schema")
	case wire.OutputJSONSchema:
		if len(o.Schema) == 0 || !jsoncheck.ValidObject(o.Schema) {
			return nil, unsupported("response_format", "the JSON schema is missing or not an object")
		}
		dst = append(dst, `,"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":`...)
		dst = appendString(dst, view(o.Schema))
		if o.Name != "" {
			dst = append(dst, `,"name":`...)
			dst = appendString(dst, o.Name)
		}
		return append(dst, '}', '}', '}', '}'), nil
	}
	return nil, unsupported("response_format", "unknown output kind")
}
