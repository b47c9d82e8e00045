package anthropic

import (
	"fmt"

	"github.com/switchyard/switchyard/internal/wire"

	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
)

// DefaultMaxTokens is the max_tokens sent when the canonical request sets
// none: Anthropic requires the field, and 4096 fits every current model.
const DefaultMaxTokens = 4096

// EncodeRequest encodes a canonical request as the body of POST /v1/messages
// for an Anthropic provider; r.Model is the provider's model id.
//
// Choices the format forces:
//   - Consecutive messages of one role are merged into one turn. The API
//     merges them itself nowadays, but Bedrock and Vertex deployments and
//     older API versions reject them, and an OpenAI conversation with parallel
//     tool calls becomes one user message per tool result, which Anthropic
//     wants as one message holding every tool_result of the turn. In a user
//     turn the tool_result blocks go first, as Anthropic requires.
//   - Empty text parts are left out (Anthropic rejects empty text blocks), and
//     a message left with no content is dropped.
//   - Thinking parts without a signature are left out: Anthropic refuses
//     unsigned thinking blocks and ignores earlier turns' thinking anyway.
//   - OutputJSON (any JSON object, no schema) is *wire.Unsupported: Anthropic
//     has no JSON mode, and the would-be equivalents are not: structured
//     outputs expect closed object schemas (additionalProperties false), so
//     no schema there means "any object", and forcing a tool call changes
//     the shape of the answer.
//   - temperature above 1 is *wire.Unsupported (Anthropic's range is 0–1), so
//     that the gateway can try another provider instead of a certain 400.
func EncodeRequest(r *wire.Request) ([]byte, error) {
	unsupported := func(field, reason string) error {
		return &wire.Unsupported{Format: wire.Anthropic, Field: field, Reason: reason}
	}
	if len(r.Extra) > 0 {
		return nil, unsupported(r.Extra[0], "")
	}
	if r.Output.Kind == wire.OutputJSON {
		return nil, unsupported("response_format", "Anthropic has no JSON mode without a schema")
	}
	if t := r.Temperature; t != nil && (!finite(*t) || *t < 0 || *t > 1) {
		return nil, unsupported("temperature", "Anthropic accepts 0 to 1")
	}
	if p := r.TopP; p != nil && (!finite(*p) || *p < 0 || *p > 1) {
		return nil, unsupported("top_p", "must be between 0 and 1")
	}

	dst := make([]byte, 0, requestSize(r))
	dst = append(dst, '{')
	dst = appendKey(dst, "model")
	dst = appendString(dst, r.Model)
	dst = appendKey(dst, "max_tokens")
	maxTokens := r.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	dst = appendInt(dst, int64(maxTokens))

	nonEmpty := false
	for i := range r.System {
		if r.System[i].Kind != wire.Text {
			return nil, unsupported(fmt.Sprintf("system[%d]", i), "system prompts hold text only")
		}
		nonEmpty = nonEmpty || r.System[i].Text != ""
	}
	if nonEmpty {
		// The array form, as the SDKs send it; empty parts are left out.
		dst = appendKey(dst, "system")
		dst = append(dst, '[')
		mark := len(dst)
		for i := range r.System {
			p := &r.System[i]
			if p.Text == "" {
				continue
			}
			if len(dst) > mark {
				dst = append(dst, ',')
			}
			dst = appendTextBlock(dst, p.Text)
		}
		dst = append(dst, ']')
	}

	var err error
	if dst, err = appendMessages(dst, r.Messages); err != nil {
		return nil, err
	}

	if len(r.Stop) > 0 {
		dst = appendKey(dst, "stop_sequences")
		dst = append(dst, '[')
		for i, s := range r.Stop {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		dst = append(dst, ']')
	}
	if r.Temperature != nil {
		dst = appendKey(dst, "temperature")
		dst = appendFloat(dst, *r.Temperature)
	}
	if r.TopP != nil {
		dst = appendKey(dst, "top_p")
		dst = appendFloat(dst, *r.TopP)
	}

	if len(r.Tools) > 0 {
		dst = appendKey(dst, "tools")
		dst = append(dst, '[')
		for i := range r.Tools {
			t := &r.Tools[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = appendString(dst, t.Name)
			if t.Description != "" {
				dst = appendKey(dst, "description")
				dst = appendString(dst, t.Description)
			}
			dst = appendKey(dst, "input_schema")
			if emptyObject(t.Schema) {
				// No parameters: Anthropic insists on an object schema.
				dst = append(dst, `{"type":"object","properties":{}}`...)
			} else if !isObject(t.Schema) {
				return nil, unsupported(fmt.Sprintf("tools[%d].parameters", i), "the schema is not a JSON object")
			} else {
				dst = append(dst, t.Schema...)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if tc := r.ToolChoice; len(r.Tools) > 0 || tc.Mode == wire.ToolNamed || tc.Mode == wire.ToolRequired {
		// Without tools, auto and none say nothing; required and named
		// are passed on so that the provider reports the client's mistake.
		if tc.Mode != 0 || tc.NoParallel {
			dst = appendKey(dst, "tool_choice")
			switch tc.Mode {
			case wire.ToolNone:
				dst = append(dst, `{"type":"none"`...)
			case wire.ToolRequired:
				dst = append(dst, `{"type":"any"`...)
			case wire.ToolNamed:
				dst = append(dst, `{"type":"tool","name":`...)
				dst = appendString(dst, tc.Name)
			default:
				dst = append(dst, `{"type":"auto"`...)
			}
			// {"type":"none"} takes no such flag: with no tool calls at
			// all there is nothing to keep from running in parallel.
			if tc.NoParallel && tc.Mode != wire.ToolNone {
				dst = append(dst, `,"disable_parallel_tool_use":true`...)
			}
			dst = append(dst, '}')
		}
	}
	if r.Output.Kind == wire.OutputJSONSchema {
		if !isObject(r.Output.Schema) {
			return nil, unsupported("response_format", "the JSON schema is not an object")
		}
		// Structured outputs are always enforced: Output.Strict and the
		// schema's Name have no counterpart.
		dst = appendKey(dst, "output_config")
		dst = append(dst, `{"format":{"type":"json_schema","schema":`...)
		dst = append(dst, r.Output.Schema...)
		dst = append(dst, "}}"...)
	} else if r.Output.Kind != 0 {
		return nil, unsupported("response_format", "unknown output kind")
	}
	if r.Stream {
		dst = appendKey(dst, "stream")
		dst = append(dst, "true"...)
	}
	return append(dst, '}'), nil
}

// requestSize estimates the encoded size, so that the body is built in one
// allocation even when it holds megabytes of images.
func requestSize(r *wire.Request) int {
	n := 256 + len(r.Model)
	for i := range r.System {
		n += len(r.System[i].Text) + 32
	}
	for i := range r.Messages {
		n += 32
		for j := range r.Messages[i].Parts {
			n += partSize(&r.Messages[i].Parts[j])
		}
	}
	for i := range r.Tools {
		t := &r.Tools[i]
		n += len(t.Name) + len(t.Description) + len(t.Schema) + 64
	}
	for _, s := range r.Stop {
		n += len(s) + 4
	}
	return n + len(r.Output.Schema)
}

func partSize(p *wire.Part) int {
	// Escaping may add a little; append grows the slice if it must.
	n := 64 + len(p.Text) + len(p.MediaType) + len(p.Data) + len(p.URL) + len(p.ID) + len(p.Name) + len(p.Args) + len(p.Signature)
	for i := range p.Parts {
		n += partSize(&p.Parts[i])
	}
	return n
}

// emits reports whether a part produces a content block.
func emits(p *wire.Part) bool {
	switch p.Kind {
	case wire.Text:
		return p.Text != ""
	case wire.Thinking:
		return p.Signature != ""
	}
	return true
}

func hasContent(m *wire.Message) bool {
	for i := range m.Parts {
		if emits(&m.Parts[i]) {
			return true
		}
	}
	return false
}

func appendMessages(dst []byte, msgs []wire.Message) ([]byte, error) {
	dst = appendKey(dst, "messages")
	dst = append(dst, '[')
	first := true
	for i := 0; i < len(msgs); {
		if !hasContent(&msgs[i]) {
			i++
			continue
		}
		role := msgs[i].Role
		if role != wire.User && role != wire.Assistant {
			return nil, &wire.Unsupported{Format: wire.Anthropic, Field: fmt.Sprintf("messages[%d].role", i), Reason: "only user and assistant turns exist"}
		}
		// The turn: this message and the following ones of the same role
		// (messages with nothing to send do not break it).
		j := i + 1
		for j < len(msgs) && (msgs[j].Role == role || !hasContent(&msgs[j])) {
			j++
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		if role == wire.User {
			dst = append(dst, `{"role":"user","content":[`...)
		} else {
			dst = append(dst, `{"role":"assistant","content":[`...)
		}
		mark := len(dst)
		var err error
		if role == wire.User {
			// tool_result blocks first, then the rest, each in order.
			if dst, err = appendParts(dst, msgs, i, j, role, mark, true); err != nil {
				return nil, err
			}
			if dst, err = appendParts(dst, msgs, i, j, role, mark, false); err != nil {
				return nil, err
			}
		} else if dst, err = appendParts(dst, msgs, i, j, role, mark, false); err != nil {
			return nil, err
		}
		dst = append(dst, "]}"...)
		i = j
	}
	return append(dst, ']'), nil
}

// appendParts appends the blocks of messages [i, j). For a user turn it is
// called twice: once for the tool results (results true), once for the rest.
func appendParts(dst []byte, msgs []wire.Message, i, j int, role wire.Role, mark int, results bool) ([]byte, error) {
	for mi := i; mi < j; mi++ {
		for pi := range msgs[mi].Parts {
			p := &msgs[mi].Parts[pi]
			if role == wire.User && (p.Kind == wire.ToolResult) != results {
				continue
			}
			if !emits(p) {
				continue
			}
			if len(dst) > mark {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendPart(dst, p, role, mi, pi); err != nil {
				return nil, err
			}
		}
	}
	return dst, nil
}

func appendPart(dst []byte, p *wire.Part, role wire.Role, mi, pi int) ([]byte, error) {
	field := func(sub string) string { return fmt.Sprintf("messages[%d].content[%d]%s", mi, pi, sub) }
	wrongRole := func() error {
		return &wire.Unsupported{Format: wire.Anthropic, Field: field(""), Reason: fmt.Sprintf("Anthropic does not accept this kind of content in a %s message", role)}
	}
	switch p.Kind {
	case wire.Text:
		return appendTextBlock(dst, p.Text), nil
	case wire.Image:
		if role != wire.User {
			return nil, wrongRole()
		}
		return appendImage(dst, p, field)
	case wire.ToolCall:
		if role != wire.Assistant {
			return nil, wrongRole()
		}
		if p.ID == "" || p.Name == "" {
			return nil, &wire.Unsupported{Format: wire.Anthropic, Field: field(""), Reason: "a tool call needs an id and a name"}
		}
		dst = append(dst, `{"type":"tool_use","id":`...)
		dst = appendString(dst, p.ID)
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, p.Name)
		dst = append(dst, `,"input":`...)
		args, ok := argsObject(p.Args)
		if !ok {
			return nil, &wire.Unsupported{Format: wire.Anthropic, Field: field(".arguments"), Reason: "tool call arguments are not a JSON object"}
		}
		dst = append(dst, args...)
		return append(dst, '}'), nil
	case wire.ToolResult:
		if role != wire.User {
			return nil, wrongRole()
		}
		if p.ID == "" {
			return nil, &wire.Unsupported{Format: wire.Anthropic, Field: field(""), Reason: "a tool result needs the id of its call"}
		}
		dst = append(dst, `{"type":"tool_result","tool_use_id":`...)
		dst = appendString(dst, p.ID)
		if len(p.Parts) > 0 {
			dst = append(dst, `,"content":[`...)
			mark := len(dst)
			if p.Text != "" {
				dst = appendTextBlock(dst, p.Text)
			}
			for k := range p.Parts {
				sp := &p.Parts[k]
				if sp.Kind == wire.Text && sp.Text == "" {
					continue
				}
				if len(dst) > mark {
					dst = append(dst, ',')
				}
				switch sp.Kind {
				case wire.Text:
					dst = appendTextBlock(dst, sp.Text)
				case wire.Image:
					var err error
					sub := func(s string) string { return field(fmt.Sprintf(".content[%d]%s", k, s)) }
					if dst, err = appendImage(dst, sp, sub); err != nil {
						return nil, err
					}
				default:
					return nil, &wire.Unsupported{Format: wire.Anthropic, Field: field(fmt.Sprintf(".content[%d]", k)), Reason: "tool results hold text and images only"}
				}
			}
			dst = append(dst, ']')
		} else if p.Text != "" {
			dst = append(dst, `,"content":`...)
			dst = appendString(dst, p.Text)
		}
		if p.IsError {
			dst = append(dst, `,"is_error":true`...)
		}
		return append(dst, '}'), nil
	case wire.Thinking:
		if role != wire.Assistant {
			return nil, wrongRole()
		}
		if data, ok := isRedacted(p.Signature); ok {
			dst = append(dst, `{"type":"redacted_thinking","data":`...)
			dst = appendString(dst, data)
			return append(dst, '}'), nil
		}
		dst = append(dst, `{"type":"thinking","thinking":`...)
		dst = appendString(dst, p.Text)
		dst = append(dst, `,"signature":`...)
		dst = appendString(dst, p.Signature)
		return append(dst, '}'), nil
	}
	return nil, &wire.Unsupported{Format: wire.Anthropic, Field: field(""), Reason: "unknown part kind"}
}

func appendTextBlock(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"text","text":`...)
	dst = appendString(dst, text)
	return append(dst, '}')
}

func appendImage(dst []byte, p *wire.Part, field func(string) string) ([]byte, error) {
	if p.Data != "" {
		mt := p.MediaType
		if mt == "" {
			mt = sniffImage(p.Data)
		}
		if mt == "" {
			return nil, &wire.Unsupported{Format: wire.Anthropic, Field: field(""), Reason: "the image's media type is unknown"}
		}
		dst = append(dst, `{"type":"image","source":{"type":"base64","media_type":`...)
		dst = appendString(dst, mt)
		dst = append(dst, `,"data":`...)
		dst = appendString(dst, p.Data)
		return append(dst, "}}"...), nil
	}
	if p.URL == "" {
		return nil, &wire.Unsupported{Format: wire.Anthropic, Field: field(""), Reason: "an image needs data or a URL"}
	}
	dst = append(dst, `{"type":"image","source":{"type":"url","url":`...)
	dst = appendString(dst, p.URL)
	return append(dst, "}}"...), nil
}

// sniffImage names the media type of base64 image data from its first
// bytes, for canonical images that arrived without one.
func sniffImage(b64 string) string {
	switch {
	case len(b64) >= 8 && b64[:8] == "iVBORw0K":
		return "image/png"
	case len(b64) >= 4 && b64[:4] == "/9j/":
		return "image/jpeg"
	case len(b64) >= 6 && b64[:6] == "R0lGOD":
		return "image/gif"
	case len(b64) >= 16 && b64[:4] == "UklG" && b64[12:16] == "RUJQ": // RIFF....WEBP
		return "image/webp"
	}
	return ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace[T ~string | ~[]byte](b T) T {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func skipSpaceRight[T ~string | ~[]byte](b T) T {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// isObject reports whether b is a valid JSON object.
func isObject(b []byte) bool {
	return jsoncheck.ValidObject(b)
}

// emptyObject reports whether b is nothing, null or {}.
func emptyObject[T ~string | ~[]byte](b T) bool {
	t := skipSpaceRight(skipSpace(b))
	if len(t) == 0 || string(t) == "null" {
		return true
	}
	if t[0] != '{' || t[len(t)-1] != '}' {
		return false
	}
	return len(skipSpace(t[1:len(t)-1])) == 0
}

// argsObject returns the tool call's arguments as a JSON object: empty
// arguments (a tool without parameters) are {}.
func argsObject(args []byte) ([]byte, bool) {
	if len(skipSpace(args)) == 0 {
		return []byte("{}"), true
	}
	return args, isObject(args)
}
