package emulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// chatRequest is the part of an OpenAI chat completion request that shapes
// the answer. Other fields are accepted and ignored, as the real API passes
// over what a model does not use. Pointers tell absent from zero.
type chatRequest struct {
	Model               *string         `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	N                   *int            `json:"n"`
	Stop                json.RawMessage `json:"stop"`
	Stream              *bool           `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage *bool `json:"include_usage"`
	} `json:"stream_options"`
	Tools          json.RawMessage `json:"tools"`
	ToolChoice     json.RawMessage `json:"tool_choice"`
	ResponseFormat *struct {
		Type       *string `json:"type"`
		JSONSchema *struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

type chatMessage struct {
	Role       string         `json:"role"`
	Content    messageContent `json:"content"`
	ToolCalls  []toolCall     `json:"tool_calls"`
	ToolCallID *string        `json:"tool_call_id"`
}

// messageContent is a message's content: a string, an array of parts, or null.
// Decoding it in the same pass as the request spares a copy of every message.
type messageContent struct {
	present bool // and not null
	text    string
	parts   []contentPart
	isParts bool
}

var errContentType = errors.New("content must be a string or an array of parts")

func (c *messageContent) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n':
		return nil
	case '"':
		c.present = true
		if bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
			c.text = string(b[1 : len(b)-1]) // nothing to unescape
			return nil
		}
		return json.Unmarshal(b, &c.text)
	case '[':
		c.present, c.isParts = true, true
		return json.Unmarshal(b, &c.parts)
	}
	return errContentType
}

type contentPart struct {
	Type    *string `json:"type"`
	Text    *string `json:"text"`
	Refusal *string `json:"refusal"`
}

type toolCall struct {
	Function *struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
	Custom *struct {
		Name  string `json:"name"`
		Input string `json:"input"`
	} `json:"custom"`
}

type toolSpec struct {
	Type     *string `json:"type"`
	Function *struct {
		Name       *string         `json:"name"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"function"`
}

type toolChoiceSpec struct {
	Type     string `json:"type"`
	Function *struct {
		Name string `json:"name"`
	} `json:"function"`
	AllowedTools *struct {
		Mode  string `json:"mode"`
		Tools []struct {
			Function *struct {
				Name string `json:"name"`
			} `json:"function"`
		} `json:"tools"`
	} `json:"allowed_tools"`
}

// decodeChat reads a chat completion request into a prompt, or returns the
// 400 the real API would answer. deployment, when set, names the model (Azure's
// classic surface puts it in the path) and makes the body's model optional.
func decodeChat(body []byte, deployment string) (*prompt, *apiError) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, locateError(body, err)
	}
	p := &prompt{model: deployment, n: 1}
	if p.model == "" {
		if req.Model == nil || *req.Model == "" {
			return nil, invalid("model", "missing_required_parameter", "you must provide a model parameter")
		}
		p.model = *req.Model
	}
	if req.Messages == nil {
		return nil, missing("messages")
	}
	if len(req.Messages) == 0 {
		return nil, invalid("messages", "empty_array",
			"Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
	}
	if err := p.readMessages(req.Messages); err != nil {
		return nil, err
	}
	if err := p.readLimits(&req); err != nil {
		return nil, err
	}
	stop, err := stopStrings(req.Stop)
	if err != nil {
		return nil, err
	}
	p.stop = stop
	p.stream = req.Stream != nil && *req.Stream
	if req.StreamOptions != nil {
		if !p.stream {
			return nil, invalid("stream_options", "invalid_value",
				"The 'stream_options' parameter is only allowed when 'stream' is enabled.")
		}
		p.usage = req.StreamOptions.IncludeUsage != nil && *req.StreamOptions.IncludeUsage
	}
	if err := p.readTools(req.Tools, req.ToolChoice); err != nil {
		return nil, err
	}
	if rf := req.ResponseFormat; rf != nil {
		if rf.Type == nil {
			return nil, missing("response_format.type")
		}
		switch *rf.Type {
		case "text":
		case "json_object":
			p.format = formatJSONObject
		case "json_schema":
			if rf.JSONSchema == nil {
				return nil, missing("response_format.json_schema")
			}
			p.format, p.schema = formatJSONSchema, rf.JSONSchema.Schema
		default:
			return nil, invalid("response_format.type", "invalid_value",
				"Invalid value: '%s'. Supported values are: 'text', 'json_object', and 'json_schema'.", *rf.Type)
		}
	}
	return p, nil
}

var roles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true, "function": true}

// at names message i, or its field, in an error's param. Built only when a
// request is refused, so that valid requests pay nothing for it.
func at(i int, field string) string {
	return "messages[" + strconv.Itoa(i) + "]" + field
}

// readMessages counts the prompt's tokens and hashes its text, message by
// message, without building the conversation's text.
func (p *prompt) readMessages(msgs []chatMessage) *apiError {
	count := newPromptCounter()
	h := uint64(fnvOffset)
	for i := range msgs {
		m := &msgs[i]
		if m.Role == "" {
			return missing(at(i, ".role"))
		}
		if !roles[m.Role] {
			return invalid(at(i, ".role"), "invalid_value", "Invalid value: '%s'. Supported values are: "+
				"'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", m.Role)
		}
		if !m.Content.present && m.Role != "assistant" && m.Role != "function" {
			return missing(at(i, ".content"))
		}
		images, err := m.Content.hash(&h, &count, i)
		if err != nil {
			return err
		}
		for _, tc := range m.ToolCalls {
			var name, args string
			switch {
			case tc.Function != nil:
				name, args = tc.Function.Name, tc.Function.Arguments
			case tc.Custom != nil:
				name, args = tc.Custom.Name, tc.Custom.Input
			}
			h = fnvString(fnvString(h, name), args)
			count.add(name)
			count.add(args)
		}
		if m.Role == "tool" {
			if m.ToolCallID == nil {
				return missing(at(i, ".tool_call_id"))
			}
			h = fnvString(h, *m.ToolCallID)
			count.add(*m.ToolCallID)
		}
		count.message(images)
	}
	last := &msgs[len(msgs)-1]
	p.lastRole = last.Role
	if last.Role == "user" {
		p.lastText = last.Content.String()
	}
	p.seed, p.tokens = h, count.total
	return nil
}

// hash adds the content's text to h and to count's current message, and
// returns the number of its image parts. Message i is named in errors.
func (c *messageContent) hash(h *uint64, count *promptCounter, i int) (images int, _ *apiError) {
	if !c.isParts {
		*h = fnvString(*h, c.text)
		count.add(c.text)
		return 0, nil
	}
	for j := range c.parts {
		part := &c.parts[j]
		if part.Type == nil {
			return 0, missing(at(i, ".content["+strconv.Itoa(j)+"].type"))
		}
		var s string
		switch *part.Type {
		case "text":
			if part.Text == nil {
				return 0, missing(at(i, ".content["+strconv.Itoa(j)+"].text"))
			}
			s = *part.Text
		case "refusal":
			if part.Refusal != nil {
				s = *part.Refusal
			}
		case "image_url":
			images++
		case "input_audio", "file":
			// Counted as nothing: the rule has no price for them.
		default:
			return 0, invalid(at(i, ".content["+strconv.Itoa(j)+"].type"), "invalid_value",
				"Invalid value: '%s'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', and 'file'.",
				*part.Type)
		}
		*h = fnvString(*h, s)
		count.add(s)
	}
	return images, nil
}

// String returns the content's text: the string, or its text parts joined.
func (c *messageContent) String() string {
	if !c.isParts {
		return c.text
	}
	var b strings.Builder
	for _, part := range c.parts {
		switch {
		case part.Type == nil:
		case *part.Type == "text" && part.Text != nil:
			b.WriteString(*part.Text)
		case *part.Type == "refusal" && part.Refusal != nil:
			b.WriteString(*part.Refusal)
		}
	}
	return b.String()
}

// locateError turns a failed decoding of a chat request into the 400 the
// real API would answer, naming the offending field with its indices. It
// decodes the request again level by level, which only refused requests pay.
func locateError(body []byte, err error) *apiError {
	var outer struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if json.Unmarshal(body, &outer) != nil {
		return decodeError(err, "")
	}
	for i, raw := range outer.Messages {
		var m chatMessage
		merr := json.Unmarshal(raw, &m)
		if merr == nil {
			continue
		}
		if jsonKind(raw) != "an object" {
			return wrongType(at(i, ""), "an object", raw)
		}
		var fields struct {
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(raw, &fields) == nil && errors.Is(merr, errContentType) {
			return wrongType(at(i, ".content"), "one of a string or array of objects", fields.Content)
		}
		if jsonKind(fields.Content) == "an array" {
			var parts []json.RawMessage
			_ = json.Unmarshal(fields.Content, &parts)
			for j, rp := range parts {
				var part contentPart
				if perr := json.Unmarshal(rp, &part); perr != nil {
					pat := at(i, ".content["+strconv.Itoa(j)+"]")
					if jsonKind(rp) != "an object" {
						return wrongType(pat, "an object", rp)
					}
					return decodeError(perr, pat)
				}
			}
		}
		return decodeError(merr, at(i, ""))
	}
	return decodeError(err, "")
}

// readLimits reads n and the maximum answer length.
func (p *prompt) readLimits(req *chatRequest) *apiError {
	if req.N != nil {
		if *req.N < 1 {
			return belowMin("n", *req.N, 1)
		}
		if *req.N > maxChoices {
			return invalid("n", "integer_above_max_value", "Invalid 'n': integer above maximum value. "+
				"Expected a value <= %d, but got %d instead.", maxChoices, *req.N)
		}
		p.n = *req.N
	}
	for _, l := range [...]struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if l.v == nil {
			continue
		}
		if *l.v < 1 {
			return belowMin(l.name, *l.v, 1)
		}
		if *l.v > maxOutputTokens {
			return invalid(l.name, "invalid_value", "%s is too large: %d. This model supports at most %d "+
				"completion tokens, whereas you provided %d.", l.name, *l.v, maxOutputTokens, *l.v)
		}
		p.max = *l.v // max_completion_tokens, read last, wins
	}
	if p.n*max(p.max, 1) > maxAnswerTokens {
		return invalid("n", "invalid_value", "n × max tokens is %d; this emulator answers at most %d tokens a request.",
			p.n*p.max, maxAnswerTokens)
	}
	return nil
}

// stopStrings reads stop: a string, an array of strings, or null.
func stopStrings(raw json.RawMessage) ([]string, *apiError) {
	switch jsonKind(raw) {
	case "nothing", "null":
		return nil, nil
	case "a string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, decodeError(err, "stop")
		}
		return []string{s}, nil
	case "an array":
		var l []string
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, decodeError(err, "stop")
		}
		return l, nil
	}
	return nil, wrongType("stop", "one of a string or array of strings", raw)
}

// readTools reads the function tools and tool_choice. Custom tools are
// accepted but never called: their answers have another shape.
func (p *prompt) readTools(rawTools, rawChoice json.RawMessage) *apiError {
	hasTools := jsonKind(rawTools) != "nothing" && jsonKind(rawTools) != "null"
	if hasTools {
		if jsonKind(rawTools) != "an array" {
			return wrongType("tools", "an array", rawTools)
		}
		var specs []json.RawMessage
		if err := json.Unmarshal(rawTools, &specs); err != nil {
			return decodeError(err, "tools")
		}
		for i, rs := range specs {
			at := "tools[" + strconv.Itoa(i) + "]"
			var t toolSpec
			if err := json.Unmarshal(rs, &t); err != nil {
				if jsonKind(rs) != "an object" {
					return wrongType(at, "an object", rs)
				}
				return decodeError(err, at)
			}
			if t.Type == nil {
				return missing(at + ".type")
			}
			switch *t.Type {
			case "function":
				if t.Function == nil {
					return missing(at + ".function")
				}
				if t.Function.Name == nil || *t.Function.Name == "" {
					return missing(at + ".function.name")
				}
				p.tools = append(p.tools, tool{name: *t.Function.Name, params: t.Function.Parameters})
			case "custom":
			default:
				return invalid(at+".type", "invalid_value",
					"Invalid value: '%s'. Supported values are: 'function' and 'custom'.", *t.Type)
			}
		}
		p.tokens += jsonTokens(rawTools)
	}

	switch jsonKind(rawChoice) {
	case "nothing", "null":
		return nil // auto, when there are tools
	case "a string", "an object":
		if !hasTools {
			return invalid("tool_choice", "invalid_value",
				"Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.")
		}
	default:
		return wrongType("tool_choice", "one of a string or an object", rawChoice)
	}
	var mode string
	if json.Unmarshal(rawChoice, &mode) == nil {
		switch mode {
		case "auto":
		case "none":
			p.mode = toolNone
		case "required":
			p.mode = toolRequired
		default:
			return invalid("tool_choice", "invalid_value",
				"Invalid value: '%s'. Supported values are: 'none', 'auto', and 'required'.", mode)
		}
		return nil
	}
	var tc toolChoiceSpec
	if err := json.Unmarshal(rawChoice, &tc); err != nil {
		return decodeError(err, "tool_choice")
	}
	switch tc.Type {
	case "function":
		if tc.Function == nil || tc.Function.Name == "" {
			return missing("tool_choice.function.name")
		}
		if p.find(tc.Function.Name) == nil {
			return invalid("tool_choice", "invalid_value",
				"Invalid value for 'tool_choice': no function named '%s' was specified in 'tools'.", tc.Function.Name)
		}
		p.mode, p.named = toolRequired, tc.Function.Name
	case "allowed_tools":
		if tc.AllowedTools == nil {
			return missing("tool_choice.allowed_tools")
		}
		p.allowed = []string{}
		for _, t := range tc.AllowedTools.Tools {
			if t.Function != nil {
				p.allowed = append(p.allowed, t.Function.Name)
			}
		}
		if tc.AllowedTools.Mode == "required" {
			p.mode = toolRequired
		}
	case "custom":
		p.mode = toolNone // a custom tool's call is not a function call; answer in words
	default:
		return invalid("tool_choice.type", "invalid_value",
			"Invalid value: '%s'. Supported values are: 'function', 'allowed_tools', and 'custom'.", tc.Type)
	}
	return nil
}
