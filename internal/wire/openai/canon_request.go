package openai

import (
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
)

// DecodeRequest reads a Chat Completions request body into canonical form. It
// is the ingress side of a translation: the client spoke OpenAI, the chosen
// cloud speaks something else. Fields that change the answer but have no
// canonical slot (n > 1, logprobs, seed, penalties, audio, a system message in
// mid-conversation, …) are listed in Request.Extra by their OpenAI name so the
// target's encoder can refuse them; bookkeeping fields (user, metadata, store,
// service_tier, prompt_cache_key, name on messages, image detail) are
// dropped. A malformed body gets a *wire.Invalid naming the field.
func DecodeRequest(body []byte) (*wire.Request, error) {
	if inv := wire.CheckRequest(body, requestKeys); inv != nil {
		return nil, inv
	}
	// One copy of the body backs every string of the result: gjson hands out
	// substrings of the text it parses, and the caller may reuse body.
	root := gjson.Parse(string(body))
	if !root.IsObject() {
		return nil, &wire.Invalid{Reason: "the request body must be a JSON object, got " + typeName(root)}
	}
	// Collect the top-level fields first so that a repeated key means what it
	// means to OpenAI's parser (the last one wins).
	var fields []keyValue
	root.ForEach(func(k, v gjson.Result) bool {
		for i := range fields {
			if fields[i].key == k.Str {
				fields[i].val = v
				return true
			}
		}
		fields = append(fields, keyValue{k.Str, v})
		return true
	})
	d := reqDecoder{r: &wire.Request{}}
	haveModel, haveMessages := false, false
	var maxTokens, maxCompletion gjson.Result
	var includeUsage bool
	for _, f := range fields {
		var err error
		switch v := f.val; f.key {
		case "model":
			if v.Type != gjson.String {
				return nil, &wire.Invalid{Field: "model", Reason: "expected a string, got " + typeName(v)}
			}
			d.r.Model, haveModel = v.Str, v.Str != ""
		case "messages":
			haveMessages = true
			err = d.messages(v)
		case "max_tokens":
			maxTokens = v
		case "max_completion_tokens":
			maxCompletion = v
		case "temperature":
			d.r.Temperature, err = optFloat(f.key, v)
		case "top_p":
			d.r.TopP, err = optFloat(f.key, v)
		case "stop":
			err = d.stop(v)
		case "tools":
			err = d.tools(v)
		case "tool_choice":
			err = d.toolChoice(v)
		case "parallel_tool_calls":
			switch v.Type {
			case gjson.False:
				d.r.ToolChoice.NoParallel = true
			case gjson.True, gjson.Null:
			default:
				err = &wire.Invalid{Field: f.key, Reason: "expected a boolean, got " + typeName(v)}
			}
		case "response_format":
			err = d.responseFormat(v)
		case "stream":
			switch v.Type {
			case gjson.True:
				d.r.Stream = true
			case gjson.False, gjson.Null:
			default:
				err = &wire.Invalid{Field: f.key, Reason: "expected a boolean, got " + typeName(v)}
			}
		case "stream_options":
			switch {
			case v.Type == gjson.Null:
			case !v.IsObject():
				err = &wire.Invalid{Field: f.key, Reason: "expected an object, got " + typeName(v)}
			default:
				// include_obfuscation only pads chunks; nothing to carry.
				includeUsage = v.Get("include_usage").Type == gjson.True
			}
		case "n":
			if v.Type == gjson.Null {
				break
			}
			n, ok := nonNegInt(v)
			if !ok || n < 1 {
				err = &wire.Invalid{Field: f.key, Reason: "expected an integer of at least 1"}
			} else if n > 1 {
				d.extra("n")
			}
		case "logprobs":
			if v.Type == gjson.True {
				d.extra(f.key)
			}
		case "top_logprobs", "presence_penalty", "frequency_penalty":
			if v.Type != gjson.Null && !(v.Type == gjson.Number && v.Num == 0) {
				d.extra(f.key)
			}
		case "logit_bias":
			if v.Type != gjson.Null && !(v.IsObject() && isEmptyObject(v.Raw)) {
				d.extra(f.key)
			}
		case "modalities":
			if v.Type != gjson.Null && !textOnly(v) {
				d.extra(f.key)
			}
		case "user", "metadata", "store", "service_tier", "safety_identifier",
			"prompt_cache_key", "prompt_cache_retention":
			// Identity, storage and cost hints: they never change the answer.
		default:
			// seed, audio, prediction, reasoning_effort, web_search_options,
			// verbosity, legacy functions/function_call, and anything newer
			// or server-specific (vLLM's top_k, …): a translation cannot honour
			// them, so the target's encoder must refuse.
			if v.Type != gjson.Null {
				d.extra(f.key)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !haveModel:
		return nil, &wire.Invalid{Field: "model", Reason: "required"}
	case !haveMessages:
		return nil, &wire.Invalid{Field: "messages", Reason: "required"}
	}
	// max_completion_tokens replaces the deprecated max_tokens when both are set.
	for _, mt := range [...]struct {
		name string
		v    gjson.Result
	}{{"max_tokens", maxTokens}, {"max_completion_tokens", maxCompletion}} {
		if !mt.v.Exists() || mt.v.Type == gjson.Null {
			continue
		}
		n, ok := nonNegInt(mt.v)
		if !ok {
			return nil, &wire.Invalid{Field: mt.name, Reason: "expected a non-negative integer"}
		}
		d.r.MaxTokens = n
	}
	d.r.IncludeUsage = includeUsage && d.r.Stream
	return d.r, nil
}

type keyValue struct {
	key string
	val gjson.Result
}

type reqDecoder struct {
	r        *wire.Request
	prevTool bool // the previous message was a tool result: the next one joins it
}

func (d *reqDecoder) extra(name string) {
	for _, e := range d.r.Extra {
		if e == name {
			return
		}
	}
	d.r.Extra = append(d.r.Extra, name)
}

func optFloat(name string, v gjson.Result) (*float64, error) {
	switch {
	case v.Type == gjson.Null:
		return nil, nil
	case v.Type != gjson.Number:
		return nil, &wire.Invalid{Field: name, Reason: "expected a number, got " + typeName(v)}
	case !finite(v.Num):
		return nil, &wire.Invalid{Field: name, Reason: "number out of range"}
	}
	f := v.Num
	return &f, nil
}

func isEmptyObject(raw string) bool { return isEmptyArray(raw) } // "{ }": only blanks inside

func textOnly(v gjson.Result) bool {
	ok, n := true, 0
	v.ForEach(func(_, m gjson.Result) bool {
		n++
		ok = m.Type == gjson.String && m.Str == "text"
		return ok
	})
	return ok && n == 1
}

func (d *reqDecoder) messages(v gjson.Result) error {
	if !v.IsArray() {
		return &wire.Invalid{Field: "messages", Reason: "expected an array of message objects, got " + typeName(v)}
	}
	leading := true // no conversation message yet: system messages are the system prompt
	i := 0
	var err error
	v.ForEach(func(_, m gjson.Result) bool {
		err = d.message(idx("messages", i), m, &leading)
		i++
		return err == nil
	})
	if err == nil && i == 0 {
		err = &wire.Invalid{Field: "messages", Reason: "must not be empty"}
	}
	return err
}

func (d *reqDecoder) message(path string, m gjson.Result, leading *bool) error {
	if !m.IsObject() {
		return &wire.Invalid{Field: path, Reason: "expected a message object, got " + typeName(m)}
	}
	var role, content, toolCalls, toolCallID, refusal, functionCall, audio gjson.Result
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			role = v
		case "content":
			content = v
		case "tool_calls":
			toolCalls = v
		case "tool_call_id":
			toolCallID = v
		case "refusal":
			refusal = v
		case "function_call":
			functionCall = v
		case "audio":
			audio = v
		}
		// Dropped: "name" (a label for multi-user chats, which only OpenAI
		// reads) and assistant "reasoning_content"/"reasoning" that some
		// clients echo back from vLLM or DeepSeek: those servers strip past
		// reasoning from the prompt themselves, so the model never sees it.
		return true
	})
	if role.Type != gjson.String {
		return &wire.Invalid{Field: path + ".role", Reason: "required: a string"}
	}
	switch role.Str {
	case "system", "developer":
		if !*leading {
			// Only a leading system prompt has a canonical slot; one in the
			// middle of the conversation means something no other format says.
			d.extra(path + ".role=" + role.Str)
			return nil
		}
		return d.systemContent(path+".content", content)
	case "user", "assistant", "tool", "function":
	default:
		return &wire.Invalid{Field: path + ".role", Reason: fmt.Sprintf("unknown role %q", role.Str)}
	}
	*leading = false
	wasTool := d.prevTool
	d.prevTool = false
	switch role.Str {
	case "user":
		parts, err := d.userContent(path+".content", content)
		if err != nil {
			return err
		}
		d.r.Messages = append(d.r.Messages, wire.Message{Role: wire.User, Parts: parts})
	case "assistant":
		parts, err := d.assistant(path, content, refusal, toolCalls)
		if err != nil {
			return err
		}
		if functionCall.Exists() && functionCall.Type != gjson.Null {
			d.extra(path + ".function_call")
		}
		if audio.Exists() && audio.Type != gjson.Null {
			d.extra(path + ".audio")
		}
		d.r.Messages = append(d.r.Messages, wire.Message{Role: wire.Assistant, Parts: parts})
	case "tool":
		part, err := toolResult(path, toolCallID, content)
		if err != nil {
			return err
		}
		// OpenAI gives each result its own message; the canonical form (like
		// Anthropic and Gemini) puts a turn's results in one user message.
		if n := len(d.r.Messages); wasTool && n > 0 {
			d.r.Messages[n-1].Parts = append(d.r.Messages[n-1].Parts, part)
		} else {
			d.r.Messages = append(d.r.Messages, wire.Message{Role: wire.User, Parts: []wire.Part{part}})
		}
		d.prevTool = true
	case "function":
		d.extra(path + ".role=function") // the legacy function-calling protocol
	}
	return nil
}

// systemContent adds a leading system or developer message to the system
// prompt. Empty texts say nothing and are skipped.
func (d *reqDecoder) systemContent(path string, c gjson.Result) error {
	switch {
	case c.Type == gjson.String:
		if c.Str != "" {
			d.r.System = append(d.r.System, wire.Part{Kind: wire.Text, Text: c.Str})
		}
		return nil
	case !c.IsArray():
		return &wire.Invalid{Field: path, Reason: "expected a string or an array of text parts, got " + typeName(c)}
	}
	var err error
	j := 0
	c.ForEach(func(_, p gjson.Result) bool {
		var text string
		text, err = textPart(idx(path, j), p)
		if err == nil && text != "" {
			d.r.System = append(d.r.System, wire.Part{Kind: wire.Text, Text: text})
		}
		j++
		return err == nil
	})
	return err
}

// textPart reads a {"type":"text","text":…} content part.
func textPart(path string, p gjson.Result) (string, error) {
	typ, text := partFields(p)
	switch {
	case !p.IsObject():
		return "", &wire.Invalid{Field: path, Reason: "expected a content part object, got " + typeName(p)}
	case typ.Str != "text":
		return "", &wire.Invalid{Field: path + ".type", Reason: fmt.Sprintf("expected \"text\", got %s", typ.Raw)}
	case text.Type != gjson.String:
		return "", &wire.Invalid{Field: path + ".text", Reason: "required: a string"}
	}
	return text.Str, nil
}

// partFields returns a content part's type and text (or refusal) fields.
func partFields(p gjson.Result) (typ, text gjson.Result) {
	p.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v
		case "text", "refusal":
			text = v
		}
		return true
	})
	return typ, text
}

func (d *reqDecoder) userContent(path string, c gjson.Result) ([]wire.Part, error) {
	switch {
	case c.Type == gjson.String:
		return []wire.Part{{Kind: wire.Text, Text: c.Str}}, nil
	case !c.IsArray():
		return nil, &wire.Invalid{Field: path, Reason: "expected a string or an array of content parts, got " + typeName(c)}
	}
	var parts []wire.Part
	var err error
	j := 0
	c.ForEach(func(_, p gjson.Result) bool {
		pp := idx(path, j)
		j++
		if !p.IsObject() {
			err = &wire.Invalid{Field: pp, Reason: "expected a content part object, got " + typeName(p)}
			return false
		}
		switch typ := p.Get("type"); typ.Str {
		case "text":
			var text string
			if text, err = textPart(pp, p); err == nil {
				parts = append(parts, wire.Part{Kind: wire.Text, Text: text})
			}
		case "image_url":
			var img wire.Part
			if img, err = imagePart(pp+".image_url", p.Get("image_url")); err == nil {
				parts = append(parts, img)
			}
		case "input_audio", "file":
			d.extra(pp + "." + typ.Str)
		default:
			err = &wire.Invalid{Field: pp + ".type", Reason: fmt.Sprintf("unknown content part type %s", orMissing(typ))}
		}
		return err == nil
	})
	return parts, err
}

func orMissing(v gjson.Result) string {
	if !v.Exists() {
		return "(missing)"
	}
	return v.Raw
}

// imagePart reads image_url, a URL string or {"url":…,"detail":…}. The detail
// is a resolution (cost) hint with no canonical slot; other formats choose
// their own resolution, so it is dropped.
func imagePart(path string, v gjson.Result) (wire.Part, error) {
	u := v
	if v.IsObject() {
		u = v.Get("url")
		path += ".url"
	}
	if u.Type != gjson.String {
		return wire.Part{}, &wire.Invalid{Field: path, Reason: "required: a URL string"}
	}
	s := u.Str
	if len(s) >= 5 && strings.EqualFold(s[:5], "data:") {
		meta, data, ok := strings.Cut(s[5:], ",")
		media, isBase64 := strings.CutSuffix(meta, ";base64")
		switch {
		case !ok || !isBase64:
			return wire.Part{}, &wire.Invalid{Field: path, Reason: "a data URL must be base64 (data:<media type>;base64,<data>)"}
		case data == "":
			return wire.Part{}, &wire.Invalid{Field: path, Reason: "the data URL holds no data"}
		}
		return wire.Part{Kind: wire.Image, MediaType: media, Data: data}, nil
	}
	if hasPrefixFold(s, "https://") || hasPrefixFold(s, "http://") {
		return wire.Part{Kind: wire.Image, URL: s}, nil
	}
	return wire.Part{}, &wire.Invalid{Field: path, Reason: "expected an http(s) URL or a base64 data URL"}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func (d *reqDecoder) assistant(path string, content, refusal, toolCalls gjson.Result) ([]wire.Part, error) {
	var parts []wire.Part
	// An empty text says nothing; other formats reject empty text blocks.
	addText := func(s string) {
		if s != "" {
			parts = append(parts, wire.Part{Kind: wire.Text, Text: s})
		}
	}
	cpath := path + ".content"
	switch {
	case content.Type == gjson.String:
		addText(content.Str)
	case content.Type == gjson.Null || !content.Exists():
	case content.IsArray():
		var err error
		j := 0
		content.ForEach(func(_, p gjson.Result) bool {
			pp := idx(cpath, j)
			j++
			typ, text := partFields(p)
			switch {
			case !p.IsObject():
				err = &wire.Invalid{Field: pp, Reason: "expected a content part object, got " + typeName(p)}
			case typ.Str != "text" && typ.Str != "refusal":
				err = &wire.Invalid{Field: pp + ".type", Reason: "an assistant message holds text and refusal parts only, got " + orMissing(typ)}
			case text.Type != gjson.String:
				err = &wire.Invalid{Field: pp + "." + typ.Str, Reason: "required: a string"}
			default:
				addText(text.Str)
			}
			return err == nil
		})
		if err != nil {
			return nil, err
		}
	default:
		return nil, &wire.Invalid{Field: cpath, Reason: "expected a string, an array of parts or null, got " + typeName(content)}
	}
	switch refusal.Type {
	case gjson.String:
		addText(refusal.Str) // the canonical form has no refusal: it is what the model said
	case gjson.Null:
	default:
		if refusal.Exists() {
			return nil, &wire.Invalid{Field: path + ".refusal", Reason: "expected a string, got " + typeName(refusal)}
		}
	}
	if !toolCalls.Exists() || toolCalls.Type == gjson.Null {
		return parts, nil
	}
	tpath := path + ".tool_calls"
	if !toolCalls.IsArray() {
		return nil, &wire.Invalid{Field: tpath, Reason: "expected an array, got " + typeName(toolCalls)}
	}
	var err error
	j := 0
	toolCalls.ForEach(func(_, c gjson.Result) bool {
		cp := idx(tpath, j)
		j++
		var call wire.Part
		var custom bool
		call, custom, err = toolCall(cp, c)
		switch {
		case custom:
			d.extra(cp + ".type=custom") // free-text tools: no canonical form
		case err == nil:
			parts = append(parts, call)
		}
		return err == nil
	})
	return parts, err
}

// toolCall reads {"id","type":"function","function":{"name","arguments"}}.
// The arguments, a string holding JSON, become the canonical JSON object.
func toolCall(path string, c gjson.Result) (p wire.Part, custom bool, err error) {
	if !c.IsObject() {
		return p, false, &wire.Invalid{Field: path, Reason: "expected a tool call object, got " + typeName(c)}
	}
	var id, typ, fn gjson.Result
	c.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			id = v
		case "type":
			typ = v
		case "function":
			fn = v
		}
		return true
	})
	if id.Type != gjson.String || id.Str == "" {
		return p, false, &wire.Invalid{Field: path + ".id", Reason: "required: a non-empty string"}
	}
	switch {
	case typ.Type == gjson.String && typ.Str == "custom":
		return p, true, nil
	case typ.Exists() && typ.Str != "function":
		return p, false, &wire.Invalid{Field: path + ".type", Reason: "expected \"function\", got " + typ.Raw}
	case !fn.IsObject():
		return p, false, &wire.Invalid{Field: path + ".function", Reason: "required: an object"}
	}
	name, args := fn.Get("name"), fn.Get("arguments")
	if name.Type != gjson.String || name.Str == "" {
		return p, false, &wire.Invalid{Field: path + ".function.name", Reason: "required: a non-empty string"}
	}
	p = wire.Part{Kind: wire.ToolCall, ID: id.Str, Name: name.Str}
	switch {
	case args.Type == gjson.Null || !args.Exists() || (args.Type == gjson.String && strings.TrimSpace(args.Str) == ""):
		p.Args = []byte("{}") // a call without arguments
	case args.Type != gjson.String:
		return p, false, &wire.Invalid{Field: path + ".function.arguments", Reason: "expected a string holding a JSON object, got " + typeName(args)}
	default:
		p.Args = []byte(args.Str)
		if !jsonObject(p.Args) {
			// Other formats carry arguments as a JSON object and cannot hold
			// anything else, so a call with broken arguments cannot be sent on.
			return p, false, &wire.Invalid{Field: path + ".function.arguments", Reason: "not a JSON object"}
		}
	}
	return p, false, nil
}

func toolResult(path string, id, c gjson.Result) (wire.Part, error) {
	if id.Type != gjson.String || id.Str == "" {
		return wire.Part{}, &wire.Invalid{Field: path + ".tool_call_id", Reason: "required: a non-empty string"}
	}
	p := wire.Part{Kind: wire.ToolResult, ID: id.Str}
	cpath := path + ".content"
	switch {
	case c.Type == gjson.String:
		p.Text = c.Str
		return p, nil
	case !c.IsArray():
		return p, &wire.Invalid{Field: cpath, Reason: "expected a string or an array of text parts, got " + typeName(c)}
	}
	var err error
	j := 0
	c.ForEach(func(_, tp gjson.Result) bool {
		var text string
		text, err = textPart(idx(cpath, j), tp)
		j++
		if err == nil {
			p.Parts = append(p.Parts, wire.Part{Kind: wire.Text, Text: text})
		}
		return err == nil
	})
	return p, err
}

func (d *reqDecoder) stop(v gjson.Result) error {
	switch {
	case v.Type == gjson.Null:
		return nil
	case v.Type == gjson.String:
		d.r.Stop = []string{v.Str}
		return nil
	case !v.IsArray():
		return &wire.Invalid{Field: "stop", Reason: "expected a string or an array of strings, got " + typeName(v)}
	}
	var err error
	d.r.Stop = d.r.Stop[:0]
	j := 0
	v.ForEach(func(_, s gjson.Result) bool {
		if s.Type != gjson.String {
			err = &wire.Invalid{Field: idx("stop", j), Reason: "expected a string, got " + typeName(s)}
			return false
		}
		d.r.Stop = append(d.r.Stop, s.Str)
		j++
		return true
	})
	if len(d.r.Stop) == 0 {
		d.r.Stop = nil
	}
	return err
}

func (d *reqDecoder) tools(v gjson.Result) error {
	switch {
	case v.Type == gjson.Null:
		return nil
	case !v.IsArray():
		return &wire.Invalid{Field: "tools", Reason: "expected an array, got " + typeName(v)}
	}
	var err error
	i := 0
	v.ForEach(func(_, t gjson.Result) bool {
		path := idx("tools", i)
		i++
		if !t.IsObject() {
			err = &wire.Invalid{Field: path, Reason: "expected a tool object, got " + typeName(t)}
			return false
		}
		switch typ := t.Get("type"); {
		case typ.Type != gjson.String:
			err = &wire.Invalid{Field: path + ".type", Reason: "required: a string"}
			return false
		case typ.Str != "function":
			d.extra(path + ".type=" + typ.Str) // custom and hosted tools
			return true
		}
		fn := t.Get("function")
		if !fn.IsObject() {
			err = &wire.Invalid{Field: path + ".function", Reason: "required: an object"}
			return false
		}
		var tool wire.Tool
		fn.ForEach(func(k, f gjson.Result) bool {
			switch k.Str {
			case "name":
				if f.Type != gjson.String || f.Str == "" {
					err = &wire.Invalid{Field: path + ".function.name", Reason: "required: a non-empty string"}
				}
				tool.Name = f.Str
			case "description":
				if f.Type != gjson.String && f.Type != gjson.Null {
					err = &wire.Invalid{Field: path + ".function.description", Reason: "expected a string, got " + typeName(f)}
				}
				tool.Description = f.Str
			case "parameters":
				switch {
				case f.IsObject():
					tool.Schema = []byte(f.Raw)
				case f.Type != gjson.Null:
					err = &wire.Invalid{Field: path + ".function.parameters", Reason: "expected a JSON Schema object, got " + typeName(f)}
				}
			case "strict":
				// Dropped: it asks OpenAI to guarantee that the arguments
				// match the schema. Elsewhere they still follow the schema,
				// only without that guarantee, and agent frameworks set it on
				// every tool by default: refusing it would refuse nearly every
				// tool-using request.
			}
			return err == nil
		})
		if err == nil && tool.Name == "" {
			err = &wire.Invalid{Field: path + ".function.name", Reason: "required: a non-empty string"}
		}
		d.r.Tools = append(d.r.Tools, tool)
		return err == nil
	})
	return err
}

func (d *reqDecoder) toolChoice(v gjson.Result) error {
	tc := &d.r.ToolChoice
	switch {
	case v.Type == gjson.Null:
		return nil
	case v.Type == gjson.String:
		switch v.Str {
		case "auto":
			tc.Mode = wire.ToolAuto
		case "none":
			tc.Mode = wire.ToolNone
		case "required":
			tc.Mode = wire.ToolRequired
		default:
			return &wire.Invalid{Field: "tool_choice", Reason: fmt.Sprintf("expected \"auto\", \"none\", \"required\" or an object, got %q", v.Str)}
		}
		return nil
	case !v.IsObject():
		return &wire.Invalid{Field: "tool_choice", Reason: "expected a string or an object, got " + typeName(v)}
	}
	switch typ := v.Get("type"); typ.Str {
	case "function":
		name := v.Get("function.name")
		if name.Type != gjson.String || name.Str == "" {
			return &wire.Invalid{Field: "tool_choice.function.name", Reason: "required: a non-empty string"}
		}
		tc.Mode, tc.Name = wire.ToolNamed, name.Str
	case "allowed_tools", "custom":
		d.extra("tool_choice.type=" + typ.Str)
	default:
		return &wire.Invalid{Field: "tool_choice.type", Reason: "expected \"function\", \"allowed_tools\" or \"custom\", got " + orMissing(typ)}
	}
	return nil
}

func (d *reqDecoder) responseFormat(v gjson.Result) error {
	switch {
	case v.Type == gjson.Null:
		return nil
	case !v.IsObject():
		return &wire.Invalid{Field: "response_format", Reason: "expected an object, got " + typeName(v)}
	}
	out := &d.r.Output
	switch typ := v.Get("type"); typ.Str {
	case "text":
		*out = wire.Output{}
	case "json_object":
		*out = wire.Output{Kind: wire.OutputJSON}
	case "json_schema":
		js := v.Get("json_schema")
		if !js.IsObject() {
			return &wire.Invalid{Field: "response_format.json_schema", Reason: "required: an object"}
		}
		*out = wire.Output{Kind: wire.OutputJSONSchema}
		var err error
		js.ForEach(func(k, f gjson.Result) bool {
			path := "response_format.json_schema." + k.Str
			switch k.Str {
			case "name":
				if f.Type != gjson.String {
					err = &wire.Invalid{Field: path, Reason: "expected a string, got " + typeName(f)}
				}
				out.Name = f.Str
			case "schema":
				switch {
				case f.IsObject():
					out.Schema = []byte(f.Raw)
				case f.Type != gjson.Null:
					err = &wire.Invalid{Field: path, Reason: "expected a JSON Schema object, got " + typeName(f)}
				}
			case "strict":
				switch f.Type {
				case gjson.True:
					out.Strict = true
				case gjson.False, gjson.Null:
				default:
					err = &wire.Invalid{Field: path, Reason: "expected a boolean, got " + typeName(f)}
				}
			case "description":
				// Guidance to the model about the answer, with no canonical slot.
				if f.Type == gjson.String && f.Str != "" {
					d.extra(path)
				}
			}
			return err == nil
		})
		return err
	default:
		return &wire.Invalid{Field: "response_format.type", Reason: "expected \"text\", \"json_object\" or \"json_schema\", got " + orMissing(typ)}
	}
	return nil
}
