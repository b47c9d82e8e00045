package anthropic

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"

	"github.com/tidwall/gjson"
)

// DecodeRequest decodes the body of a client's POST /v1/messages into the
// canonical form. Malformed input is a *wire.Invalid naming the field in
// Anthropic's terms (e.g. "messages[1].content[0].type"); fields the canonical
// form cannot carry and that change the answer (top_k, extended thinking,
// server tools, documents, …) are listed in Request.Extra; bookkeeping
// (metadata, service_tier, cache_control, …) is dropped.
func DecodeRequest(body []byte) (*wire.Request, error) {
	return decodeRequest(body, true)
}

func decodeRequest(body []byte, needMaxTokens bool) (*wire.Request, error) {
	if inv := wire.CheckRequest(body, requestKeys); inv != nil {
		return nil, inv
	}
	// One copy of the body; every string of the canonical request that needs
	// no unescaping is a substring of it, so decoding allocates little more.
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, &wire.Invalid{Reason: "request body must be a JSON object"}
	}
	d := reqDecoder{r: &wire.Request{}}
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		err = d.field(k.Str, v)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case !d.haveModel:
		return nil, &wire.Invalid{Field: "model", Reason: "field required"}
	case needMaxTokens && !d.haveMaxTokens:
		return nil, &wire.Invalid{Field: "max_tokens", Reason: "field required"}
	case !d.haveMessages:
		return nil, &wire.Invalid{Field: "messages", Reason: "field required"}
	}
	r := d.r
	// The top-level system prompt comes first, then leading system-role
	// messages, whatever the order of the keys in the body.
	r.System = append(d.system, d.roleSystem...)
	// Gemini's function responses need the tool's name, which Anthropic's
	// tool_result leaves to the matching tool_use: fill it in while the
	// history is at hand.
	for i := range r.Messages {
		for j := range r.Messages[i].Parts {
			if p := &r.Messages[i].Parts[j]; p.Kind == wire.ToolResult && p.Name == "" {
				p.Name = r.ToolName(p.ID)
			}
		}
	}
	return r, nil
}

type reqDecoder struct {
	r                                      *wire.Request
	system, roleSystem                     []wire.Part
	haveModel, haveMaxTokens, haveMessages bool
}

func isNull(v gjson.Result) bool { return v.Type == gjson.Null }

func invalid(field, format string, args ...any) *wire.Invalid {
	return &wire.Invalid{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// field decodes one top-level field.
func (d *reqDecoder) field(key string, v gjson.Result) error {
	r := d.r
	switch key {
	case "model":
		if v.Type != gjson.String || v.Str == "" {
			return invalid("model", "must be a non-empty string")
		}
		r.Model, d.haveModel = v.Str, true
	case "max_tokens":
		if v.Type != gjson.Number || v.Num != math.Trunc(v.Num) || v.Num < 1 || v.Num > math.MaxInt32 {
			return invalid("max_tokens", "must be a positive integer")
		}
		r.MaxTokens, d.haveMaxTokens = int(v.Num), true
	case "messages":
		d.haveMessages = true
		return d.messages(v)
	case "system":
		// A repeated key replaces the earlier value, as in encoding/json.
		var err error
		d.system, err = textBlocks(v, "system")
		return err
	case "stop_sequences":
		if isNull(v) {
			return nil
		}
		if !v.IsArray() {
			return invalid("stop_sequences", "must be an array of strings")
		}
		r.Stop = nil
		var err error
		i := 0
		v.ForEach(func(_, s gjson.Result) bool {
			if s.Type != gjson.String {
				err = invalid(fmt.Sprintf("stop_sequences[%d]", i), "must be a string")
				return false
			}
			r.Stop = append(r.Stop, s.Str)
			i++
			return true
		})
		return err
	case "temperature", "top_p":
		if isNull(v) {
			return nil
		}
		if v.Type != gjson.Number {
			return invalid(key, "must be a number")
		}
		f := v.Num
		if key == "temperature" {
			r.Temperature = &f
		} else {
			r.TopP = &f
		}
	case "stream":
		if isNull(v) {
			return nil
		}
		if !v.IsBool() {
			return invalid("stream", "must be a boolean")
		}
		// Anthropic streams always carry usage; say so, so that an OpenAI
		// upstream is asked for it too.
		r.Stream = v.Bool()
		r.IncludeUsage = r.Stream
	case "tools":
		return d.tools(v)
	case "tool_choice":
		return d.toolChoice(v)
	case "thinking":
		if isNull(v) {
			return nil
		}
		if !v.IsObject() {
			return invalid("thinking", "must be an object")
		}
		// Extended thinking changes the answer (thinking blocks, a token
		// budget); only "disabled" is the canonical default.
		if t := v.Get("type"); t.Str != "disabled" {
			r.Extra = append(r.Extra, "thinking")
		}
	case "output_config":
		if isNull(v) {
			return nil
		}
		if !v.IsObject() {
			return invalid("output_config", "must be an object")
		}
		var err error
		v.ForEach(func(k, sub gjson.Result) bool {
			switch {
			case isNull(sub):
			case k.Str == "format":
				err = d.outputFormat(sub, "output_config.format")
			default: // effort and whatever comes next change the answer
				r.Extra = append(r.Extra, "output_config."+k.Str)
			}
			return err == nil
		})
		return err
	case "output_format": // the structured-outputs beta's name for output_config.format
		if isNull(v) {
			return nil
		}
		return d.outputFormat(v, "output_format")
	case "metadata", "service_tier", "cache_control", "diagnostics", "speed":
		// Bookkeeping, caching and latency hints: the answer is the same
		// without them.
	default:
		// top_k, inference_geo (where the model may run), container,
		// context_management, mcp_servers and any field added later: the
		// canonical form cannot carry them, and dropping them could change
		// the answer or break a promise to the client.
		if !isNull(v) {
			r.Extra = append(r.Extra, key)
		}
	}
	return nil
}

func (d *reqDecoder) outputFormat(v gjson.Result, field string) error {
	if !v.IsObject() {
		return invalid(field, "must be an object")
	}
	if t := v.Get("type"); t.Str != "json_schema" {
		return invalid(field+".type", "must be \"json_schema\"")
	}
	s := v.Get("schema")
	if !s.IsObject() {
		return invalid(field+".schema", "must be a JSON Schema object")
	}
	// Anthropic's structured outputs are always enforced, hence Strict.
	d.r.Output = wire.Output{Kind: wire.OutputJSONSchema, Schema: json.RawMessage(s.Raw), Strict: true}
	return nil
}

// textBlocks decodes a string or an array of text blocks (system prompts and
// system-role messages).
func textBlocks(v gjson.Result, field string) ([]wire.Part, error) {
	switch {
	case isNull(v):
		return nil, nil
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil
		}
		return []wire.Part{{Kind: wire.Text, Text: v.Str}}, nil
	case !v.IsArray():
		return nil, invalid(field, "must be a string or an array of text blocks")
	}
	var parts []wire.Part
	var err error
	i := 0
	v.ForEach(func(_, b gjson.Result) bool {
		if !b.IsObject() {
			err = invalid(fmt.Sprintf("%s[%d]", field, i), "must be an object")
			return false
		}
		if t := b.Get("type"); t.Str != "text" {
			err = invalid(fmt.Sprintf("%s[%d].type", field, i), "must be \"text\"")
			return false
		}
		t := b.Get("text")
		if t.Type != gjson.String {
			err = invalid(fmt.Sprintf("%s[%d].text", field, i), "must be a string")
			return false
		}
		parts = append(parts, wire.Part{Kind: wire.Text, Text: t.Str})
		i++
		return true
	})
	return parts, err
}

func (d *reqDecoder) messages(v gjson.Result) error {
	if !v.IsArray() {
		return invalid("messages", "must be an array")
	}
	r := d.r
	r.Messages, d.roleSystem = nil, nil
	var err error
	i := 0
	conversation := false // a user or assistant turn has been seen
	v.ForEach(func(_, m gjson.Result) bool {
		if !m.IsObject() {
			err = invalid(fmt.Sprintf("messages[%d]", i), "must be an object")
			return false
		}
		var role wire.Role
		switch rv := m.Get("role"); rv.Str {
		case "user":
			role = wire.User
		case "assistant":
			role = wire.Assistant
		case "system":
			// Mid-conversation system messages (2026) have no canonical
			// equivalent; leading ones are just more system prompt.
			if conversation {
				r.Extra = append(r.Extra, fmt.Sprintf("messages[%d].role", i))
			} else {
				var parts []wire.Part
				parts, err = textBlocks(m.Get("content"), fmt.Sprintf("messages[%d].content", i))
				d.roleSystem = append(d.roleSystem, parts...)
			}
			i++
			return err == nil
		default:
			if rv.Type != gjson.String {
				err = invalid(fmt.Sprintf("messages[%d].role", i), "field required")
			} else {
				err = invalid(fmt.Sprintf("messages[%d].role", i), "must be \"user\" or \"assistant\", not %q", rv.Str)
			}
			return false
		}
		conversation = true
		msg := wire.Message{Role: role}
		c := m.Get("content")
		switch {
		case c.Type == gjson.String:
			msg.Parts = []wire.Part{{Kind: wire.Text, Text: c.Str}}
		case c.IsArray():
			msg.Parts, err = d.blocks(c, i, role)
		default:
			err = invalid(fmt.Sprintf("messages[%d].content", i), "must be a string or an array of content blocks")
		}
		if err != nil {
			return false
		}
		r.Messages = append(r.Messages, msg)
		i++
		return true
	})
	if err == nil && len(r.Messages) == 0 {
		err = invalid("messages", "at least one user or assistant message is required")
	}
	return err
}

// blocks decodes the content blocks of message i.
func (d *reqDecoder) blocks(c gjson.Result, i int, role wire.Role) ([]wire.Part, error) {
	var parts []wire.Part
	var err error
	j := 0
	c.ForEach(func(_, b gjson.Result) bool {
		path := func(sub string) string { return fmt.Sprintf("messages[%d].content[%d]%s", i, j, sub) }
		if !b.IsObject() {
			err = invalid(path(""), "must be an object")
			return false
		}
		t := b.Get("type")
		wrongRole := func(want string) bool {
			err = invalid(path(".type"), "a %s block belongs in a %s message", t.Str, want)
			return false
		}
		switch t.Str {
		case "text":
			tx := b.Get("text")
			if tx.Type != gjson.String {
				err = invalid(path(".text"), "must be a string")
				return false
			}
			parts = append(parts, wire.Part{Kind: wire.Text, Text: tx.Str})
		case "image":
			var p wire.Part
			p, err = imageBlock(b, path)
			if err != nil {
				return false
			}
			if p.Kind == 0 {
				d.r.Extra = append(d.r.Extra, path(".source"))
			} else {
				parts = append(parts, p)
			}
		case "tool_use":
			if role != wire.Assistant {
				return wrongRole("assistant")
			}
			var p wire.Part
			if p, err = toolUseBlock(b, path); err != nil {
				return false
			}
			parts = append(parts, p)
		case "tool_result":
			if role != wire.User {
				return wrongRole("user")
			}
			var p wire.Part
			if p, err = d.toolResultBlock(b, path); err != nil {
				return false
			}
			parts = append(parts, p)
		case "thinking":
			if role != wire.Assistant {
				return wrongRole("assistant")
			}
			th, sig := b.Get("thinking"), b.Get("signature")
			if th.Type != gjson.String {
				err = invalid(path(".thinking"), "must be a string")
				return false
			}
			if sig.Exists() && !isNull(sig) && sig.Type != gjson.String {
				err = invalid(path(".signature"), "must be a string")
				return false
			}
			parts = append(parts, wire.Part{Kind: wire.Thinking, Text: th.Str, Signature: sig.Str})
		case "redacted_thinking":
			if role != wire.Assistant {
				return wrongRole("assistant")
			}
			data := b.Get("data")
			if data.Type != gjson.String {
				err = invalid(path(".data"), "must be a string")
				return false
			}
			parts = append(parts, wire.Part{Kind: wire.Thinking, Signature: RedactedPrefix + data.Str})
		case "document", "search_result", "container_upload", "server_tool_use",
			"web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
			"bash_code_execution_tool_result", "text_editor_code_execution_tool_result",
			"tool_search_tool_result", "mcp_tool_use", "mcp_tool_result":
			// Real Anthropic blocks the canonical form has no place for.
			d.r.Extra = append(d.r.Extra, path(""))
		default:
			if t.Type != gjson.String {
				err = invalid(path(".type"), "field required")
			} else {
				err = invalid(path(".type"), "unknown content block type %q", t.Str)
			}
			return false
		}
		j++
		return true
	})
	return parts, err
}

// imageBlock decodes an image block. A source the canonical form cannot
// carry (a Files API file_id) gives a zero Part and no error.
func imageBlock(b gjson.Result, path func(string) string) (wire.Part, error) {
	src := b.Get("source")
	if !src.IsObject() {
		return wire.Part{}, invalid(path(".source"), "must be an object")
	}
	switch st := src.Get("type"); st.Str {
	case "base64":
		mt, data := src.Get("media_type"), src.Get("data")
		if mt.Type != gjson.String || mt.Str == "" {
			return wire.Part{}, invalid(path(".source.media_type"), "must be a non-empty string")
		}
		if data.Type != gjson.String || data.Str == "" {
			return wire.Part{}, invalid(path(".source.data"), "must be a non-empty string")
		}
		return wire.Part{Kind: wire.Image, MediaType: mt.Str, Data: data.Str}, nil
	case "url":
		u := src.Get("url")
		if u.Type != gjson.String || u.Str == "" {
			return wire.Part{}, invalid(path(".source.url"), "must be a non-empty string")
		}
		// A data: URL is an inline image by another name.
		if mt, data, ok := parseDataURL(u.Str); ok {
			return wire.Part{Kind: wire.Image, MediaType: mt, Data: data}, nil
		}
		return wire.Part{Kind: wire.Image, URL: u.Str}, nil
	case "file":
		return wire.Part{}, nil
	default:
		return wire.Part{}, invalid(path(".source.type"), "must be \"base64\", \"url\" or \"file\"")
	}
}

// parseDataURL splits "data:image/png;base64,AAAA".
func parseDataURL(s string) (mediaType, data string, ok bool) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return "", "", false
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return "", "", false
	}
	mediaType, ok = strings.CutSuffix(meta, ";base64")
	if !ok || mediaType == "" || data == "" {
		return "", "", false
	}
	return mediaType, data, true
}

func toolUseBlock(b gjson.Result, path func(string) string) (wire.Part, error) {
	id, name, input := b.Get("id"), b.Get("name"), b.Get("input")
	if id.Type != gjson.String || id.Str == "" {
		return wire.Part{}, invalid(path(".id"), "must be a non-empty string")
	}
	if name.Type != gjson.String || name.Str == "" {
		return wire.Part{}, invalid(path(".name"), "must be a non-empty string")
	}
	if !input.IsObject() {
		return wire.Part{}, invalid(path(".input"), "must be an object")
	}
	return wire.Part{Kind: wire.ToolCall, ID: id.Str, Name: name.Str, Args: json.RawMessage(input.Raw)}, nil
}

func (d *reqDecoder) toolResultBlock(b gjson.Result, path func(string) string) (wire.Part, error) {
	id := b.Get("tool_use_id")
	if id.Type != gjson.String || id.Str == "" {
		return wire.Part{}, invalid(path(".tool_use_id"), "must be a non-empty string")
	}
	p := wire.Part{Kind: wire.ToolResult, ID: id.Str}
	if e := b.Get("is_error"); e.Exists() && !isNull(e) {
		if !e.IsBool() {
			return wire.Part{}, invalid(path(".is_error"), "must be a boolean")
		}
		p.IsError = e.Bool()
	}
	c := b.Get("content")
	switch {
	case !c.Exists() || isNull(c):
	case c.Type == gjson.String:
		p.Text = c.Str
	case c.IsArray():
		var err error
		k := 0
		c.ForEach(func(_, cb gjson.Result) bool {
			sub := func(s string) string { return path(fmt.Sprintf(".content[%d]%s", k, s)) }
			if !cb.IsObject() {
				err = invalid(sub(""), "must be an object")
				return false
			}
			switch t := cb.Get("type"); t.Str {
			case "text":
				tx := cb.Get("text")
				if tx.Type != gjson.String {
					err = invalid(sub(".text"), "must be a string")
					return false
				}
				p.Parts = append(p.Parts, wire.Part{Kind: wire.Text, Text: tx.Str})
			case "image":
				var ip wire.Part
				if ip, err = imageBlock(cb, sub); err != nil {
					return false
				}
				if ip.Kind == 0 {
					d.r.Extra = append(d.r.Extra, sub(".source"))
				} else {
					p.Parts = append(p.Parts, ip)
				}
			case "document", "search_result", "tool_reference", "browser_state":
				d.r.Extra = append(d.r.Extra, sub(""))
			default:
				err = invalid(sub(".type"), "unknown tool result content type %q", t.Str)
				return false
			}
			k++
			return true
		})
		if err != nil {
			return wire.Part{}, err
		}
	default:
		return wire.Part{}, invalid(path(".content"), "must be a string or an array of content blocks")
	}
	return p, nil
}

func (d *reqDecoder) tools(v gjson.Result) error {
	if isNull(v) {
		return nil
	}
	if !v.IsArray() {
		return invalid("tools", "must be an array")
	}
	r := d.r
	r.Tools = nil
	var err error
	i := 0
	v.ForEach(func(_, t gjson.Result) bool {
		path := func(sub string) string { return fmt.Sprintf("tools[%d]%s", i, sub) }
		if !t.IsObject() {
			err = invalid(path(""), "must be an object")
			return false
		}
		if typ := t.Get("type"); typ.Exists() && !isNull(typ) && typ.Str != "custom" {
			// A server tool (web_search_…, bash_…, text_editor_…): Anthropic
			// runs it, no other provider can.
			r.Extra = append(r.Extra, path(".type"))
			i++
			return true
		}
		name, desc, schema := t.Get("name"), t.Get("description"), t.Get("input_schema")
		if name.Type != gjson.String || name.Str == "" {
			err = invalid(path(".name"), "must be a non-empty string")
			return false
		}
		if desc.Exists() && !isNull(desc) && desc.Type != gjson.String {
			err = invalid(path(".description"), "must be a string")
			return false
		}
		if !schema.IsObject() {
			err = invalid(path(".input_schema"), "must be a JSON Schema object")
			return false
		}
		// Tool search, programmatic calling and input examples change what
		// the model does; strict, eager_input_streaming and cache_control
		// only change enforcement, streaming granularity and cost.
		if dl := t.Get("defer_loading"); dl.Type == gjson.True {
			r.Extra = append(r.Extra, path(".defer_loading"))
		}
		for _, k := range [...]string{"allowed_callers", "input_examples"} {
			if x := t.Get(k); x.Exists() && !isNull(x) {
				r.Extra = append(r.Extra, path("."+k))
			}
		}
		r.Tools = append(r.Tools, wire.Tool{Name: name.Str, Description: desc.Str, Schema: json.RawMessage(schema.Raw)})
		i++
		return true
	})
	return err
}

func (d *reqDecoder) toolChoice(v gjson.Result) error {
	if isNull(v) {
		return nil
	}
	if !v.IsObject() {
		return invalid("tool_choice", "must be an object")
	}
	tc := &d.r.ToolChoice
	switch t := v.Get("type"); t.Str {
	case "auto":
		tc.Mode = wire.ToolAuto
	case "any":
		tc.Mode = wire.ToolRequired
	case "none":
		tc.Mode = wire.ToolNone
	case "tool":
		n := v.Get("name")
		if n.Type != gjson.String || n.Str == "" {
			return invalid("tool_choice.name", "must be a non-empty string")
		}
		tc.Mode, tc.Name = wire.ToolNamed, n.Str
	default:
		return invalid("tool_choice.type", "must be \"auto\", \"any\", \"tool\" or \"none\"")
	}
	if p := v.Get("disable_parallel_tool_use"); p.Exists() && !isNull(p) {
		if !p.IsBool() {
			return invalid("tool_choice.disable_parallel_tool_use", "must be a boolean")
		}
		tc.NoParallel = p.Bool()
	}
	return nil
}
