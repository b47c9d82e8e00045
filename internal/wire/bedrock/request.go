package bedrock

import (
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/switchyard/switchyard/internal/wire/jsoncheck"
	"github.com/tidwall/gjson"
)

// Converse request bodies (POST /model/{modelId}/converse and
// /converse-stream; protocols.md §3.2). The model id and the choice between
// a whole and a streamed answer live in the URL, so DecodeRequest leaves
// Request.Model and Request.Stream for the caller to set and EncodeRequest
// ignores them.
//
// Decisions where Converse and the canonical form do not line up:
//
//   - ToolNone: Converse has no "none" choice; the encoder omits toolConfig
//     so the model cannot call anything. Bedrock rejects a conversation that
//     holds toolUse/toolResult blocks without a toolConfig, and any toolConfig
//     lets the model call its tools, so ToolNone with tool history (and tool
//     history with no tools at all) is *wire.Unsupported rather than a
//     request that would either fail upstream or quietly allow calls.
//   - ToolChoice.NoParallel is dropped: Converse has no switch for it, and it
//     only narrows an answer every client must already handle (several
//     toolUse blocks in one turn).
//   - OutputJSON (any JSON object, without a schema) is *wire.Unsupported:
//     Converse structured output takes only a JSON schema.
//     OutputJSONSchema maps to outputConfig.textFormat, schema as a string;
//     Bedrock always enforces it, so DecodeRequest sets Output.Strict.
//   - Images must be inline: a URL image is *wire.Unsupported (Converse takes
//     bytes or S3 locations only).
//   - Empty text blocks are dropped (Bedrock rejects blank text), messages
//     left empty are dropped, and consecutive messages of one role are merged
//     into one (Bedrock requires alternating roles).
//   - A tool result's status is sent only for errors ("error"): Bedrock
//     accepts the field only for some model families, and success is the
//     default.
//   - Tool results: Converse content items {text}, {json} and {image} map to
//     the canonical Text (one text or JSON item; JSON as its text) or Parts;
//     an empty result is sent as "content":[] (Claude rejects blank text).
//   - A tool without a schema gets {"type":"object","properties":{}}:
//     inputSchema is required and Claude requires an object schema.
//
// Field names in *wire.Unsupported follow the OpenAI request the gateway is
// usually answering (tool_choice, tools, response_format, messages[i]...).

// DecodeRequest parses a Converse request body into canonical form. Fields
// that change the answer but have no canonical home (guardrailConfig,
// additionalModelRequestFields, documents, S3 images, ...) are listed in
// Request.Extra; cache points and bookkeeping (requestMetadata,
// performanceConfig, serviceTier) are dropped.
func DecodeRequest(body []byte) (*wire.Request, error) {
	if inv := wire.CheckRequest(body, requestKeys); inv != nil {
		return nil, inv
	}
	// One copy of the body backs every string of the result: gjson hands
	// out escape-free strings as slices of its input.
	root := gjson.Parse(string(body))
	if !root.IsObject() {
		return nil, &wire.Invalid{Reason: "the body must be a JSON object"}
	}
	r := &wire.Request{}
	var err error
	haveMessages := false
	root.ForEach(func(k, v gjson.Result) bool {
		if v.Type == gjson.Null {
			return true
		}
		switch k.Str {
		case "messages":
			haveMessages = true
			err = decodeMessages(r, v)
		case "system":
			err = decodeSystem(r, v)
		case "inferenceConfig":
			err = decodeInference(r, v)
		case "toolConfig":
			err = decodeToolConfig(r, v)
		case "outputConfig":
			err = decodeOutputConfig(r, v)
		case "additionalModelRequestFields", "promptVariables":
			if !v.IsObject() {
				err = &wire.Invalid{Field: k.Str, Reason: "expected an object"}
			} else if !emptyObject(v) {
				r.Extra = append(r.Extra, k.Str)
			}
		case "additionalModelResponseFieldPaths":
			err = decodeResponseFieldPaths(r, v)
		case "requestMetadata", "performanceConfig", "serviceTier":
			// Bookkeeping, latency and cost hints: they do not change the answer.
		default:
			r.Extra = append(r.Extra, k.Str)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if !haveMessages {
		return nil, &wire.Invalid{Field: "messages", Reason: "missing required field"}
	}
	return r, nil
}

func decodeResponseFieldPaths(r *wire.Request, v gjson.Result) error {
	if !v.IsArray() {
		return &wire.Invalid{Field: "additionalModelResponseFieldPaths", Reason: "expected an array of strings"}
	}
	var err error
	extra := false
	i := 0
	v.ForEach(func(_, p gjson.Result) bool {
		if p.Type != gjson.String {
			err = &wire.Invalid{Field: fmt.Sprintf("additionalModelResponseFieldPaths[%d]", i), Reason: "expected a string"}
			return false
		}
		// The stop sequence is carried by the canonical answer and written
		// back by EncodeResponse; other paths ask for model-native fields
		// the canonical form cannot return.
		if p.Str != "/stop_sequence" {
			extra = true
		}
		i++
		return true
	})
	if err == nil && extra {
		r.Extra = append(r.Extra, "additionalModelResponseFieldPaths")
	}
	return err
}

func decodeMessages(r *wire.Request, v gjson.Result) error {
	if !v.IsArray() {
		return &wire.Invalid{Field: "messages", Reason: "expected an array"}
	}
	var err error
	i := 0
	v.ForEach(func(_, m gjson.Result) bool {
		var msg wire.Message
		msg, err = decodeMessage(r, m, i)
		if err != nil {
			return false
		}
		r.Messages = append(r.Messages, msg)
		i++
		return true
	})
	return err
}

func decodeMessage(r *wire.Request, m gjson.Result, i int) (wire.Message, error) {
	var msg wire.Message
	if !m.IsObject() {
		return msg, &wire.Invalid{Field: fmt.Sprintf("messages[%d]", i), Reason: "expected an object"}
	}
	role := m.Get("role")
	switch {
	case role.Type == gjson.String && role.Str == "user":
		msg.Role = wire.User
	case role.Type == gjson.String && role.Str == "assistant":
		msg.Role = wire.Assistant
	default:
		return msg, &wire.Invalid{Field: fmt.Sprintf("messages[%d].role", i), Reason: `expected "user" or "assistant"`}
	}
	content := m.Get("content")
	if !content.IsArray() {
		return msg, &wire.Invalid{Field: fmt.Sprintf("messages[%d].content", i), Reason: "expected an array of content blocks"}
	}
	var err error
	j := 0
	content.ForEach(func(_, b gjson.Result) bool {
		err = decodeBlock(r, &msg, b, i, j)
		j++
		return err == nil
	})
	return msg, err
}

// decodeBlock appends the part a message content block holds to msg, or
// names it in r.Extra when the canonical form has no such part.
func decodeBlock(r *wire.Request, msg *wire.Message, b gjson.Result, i, j int) error {
	field := func(sub string) string { return blockField(i, j, sub) }
	if !b.IsObject() {
		return &wire.Invalid{Field: field(""), Reason: "expected an object"}
	}
	var err error
	members := 0
	b.ForEach(func(k, v gjson.Result) bool {
		if v.Type == gjson.Null {
			return true
		}
		if members++; members > 1 {
			return false
		}
		switch k.Str {
		case "text":
			if v.Type != gjson.String {
				err = &wire.Invalid{Field: field(".text"), Reason: "expected a string"}
				return false
			}
			msg.Parts = append(msg.Parts, wire.Part{Kind: wire.Text, Text: v.Str})
		case "image":
			var p wire.Part
			var extra bool
			p, extra, err = decodeImage(v, field(".image"))
			if err != nil {
				return false
			}
			if extra {
				r.Extra = append(r.Extra, field(".image.source.s3Location"))
			} else {
				msg.Parts = append(msg.Parts, p)
			}
		case "toolUse":
			if t := v.Get("type"); t.Exists() && t.Type != gjson.Null {
				// Server-side tools run inside Bedrock; no canonical form.
				r.Extra = append(r.Extra, field(".toolUse.type"))
				return true
			}
			var p wire.Part
			p, err = decodeToolUse(v, field(".toolUse"))
			if err != nil {
				return false
			}
			msg.Parts = append(msg.Parts, p)
		case "toolResult":
			var p wire.Part
			p, err = decodeToolResult(r, v, field(".toolResult"))
			if err != nil {
				return false
			}
			msg.Parts = append(msg.Parts, p)
		case "reasoningContent":
			if !v.IsObject() {
				err = &wire.Invalid{Field: field(".reasoningContent"), Reason: "expected an object"}
				return false
			}
			rt := v.Get("reasoningText")
			if !rt.Exists() {
				// redactedContent: encrypted reasoning the canonical form cannot carry.
				r.Extra = append(r.Extra, field(".reasoningContent.redactedContent"))
				return true
			}
			text, sig := rt.Get("text"), rt.Get("signature")
			if !rt.IsObject() || text.Type != gjson.String || (sig.Exists() && sig.Type != gjson.String) {
				err = &wire.Invalid{Field: field(".reasoningContent.reasoningText"), Reason: "expected {text, signature} strings"}
				return false
			}
			msg.Parts = append(msg.Parts, wire.Part{Kind: wire.Thinking, Text: text.Str, Signature: sig.Str})
		case "cachePoint":
			// A prompt-cache marker: a cost hint only.
		default:
			// document, video, audio, guardContent, citationsContent,
			// searchResult, ...: content the canonical form cannot carry.
			r.Extra = append(r.Extra, field("."+k.Str))
		}
		return true
	})
	if err == nil && members != 1 {
		err = &wire.Invalid{Field: field(""), Reason: "a content block must have exactly one member"}
	}
	return err
}

func blockField(i, j int, sub string) string {
	return fmt.Sprintf("messages[%d].content[%d]%s", i, j, sub)
}

// decodeImage reads {format, source:{bytes}}. extra reports an S3 source,
// which the canonical form cannot carry.
func decodeImage(v gjson.Result, field string) (p wire.Part, extra bool, err error) {
	if !v.IsObject() {
		return p, false, &wire.Invalid{Field: field, Reason: "expected an object"}
	}
	format := v.Get("format")
	mt := mediaTypeOf(format.Str)
	if format.Type != gjson.String || mt == "" {
		return p, false, &wire.Invalid{Field: field + ".format", Reason: `expected "png", "jpeg", "gif" or "webp"`}
	}
	src := v.Get("source")
	if !src.IsObject() {
		return p, false, &wire.Invalid{Field: field + ".source", Reason: "expected an object"}
	}
	if src.Get("s3Location").Exists() {
		return p, true, nil
	}
	data := src.Get("bytes")
	if data.Type != gjson.String || data.Str == "" {
		return p, false, &wire.Invalid{Field: field + ".source.bytes", Reason: "expected base64 image data"}
	}
	return wire.Part{Kind: wire.Image, MediaType: mt, Data: data.Str}, false, nil
}

func mediaTypeOf(format string) string {
	switch format {
	case "png":
		return "image/png"
	case "jpeg":
		return "image/jpeg"
	case "gif":
		return "image/gif"
	case "webp":
		return "image/webp"
	}
	return ""
}

// imageFormat is the Converse image format of a media type, or "".
func imageFormat(mediaType string) string {
	switch strings.ToLower(mediaType) {
	case "image/png":
		return "png"
	case "image/jpeg", "image/jpg":
		return "jpeg"
	case "image/gif":
		return "gif"
	case "image/webp":
		return "webp"
	}
	return ""
}

func decodeToolUse(v gjson.Result, field string) (wire.Part, error) {
	if !v.IsObject() {
		return wire.Part{}, &wire.Invalid{Field: field, Reason: "expected an object"}
	}
	id, name, input := v.Get("toolUseId"), v.Get("name"), v.Get("input")
	if id.Type != gjson.String || id.Str == "" {
		return wire.Part{}, &wire.Invalid{Field: field + ".toolUseId", Reason: "expected a non-empty string"}
	}
	if name.Type != gjson.String || name.Str == "" {
		return wire.Part{}, &wire.Invalid{Field: field + ".name", Reason: "expected a non-empty string"}
	}
	p := wire.Part{Kind: wire.ToolCall, ID: id.Str, Name: name.Str}
	switch {
	case !input.Exists() || input.Type == gjson.Null:
		p.Args = []byte("{}")
	case input.IsObject():
		p.Args = raw(input)
	default:
		return wire.Part{}, &wire.Invalid{Field: field + ".input", Reason: "expected a JSON object"}
	}
	return p, nil
}

func decodeToolResult(r *wire.Request, v gjson.Result, field string) (wire.Part, error) {
	if !v.IsObject() {
		return wire.Part{}, &wire.Invalid{Field: field, Reason: "expected an object"}
	}
	id := v.Get("toolUseId")
	if id.Type != gjson.String || id.Str == "" {
		return wire.Part{}, &wire.Invalid{Field: field + ".toolUseId", Reason: "expected a non-empty string"}
	}
	p := wire.Part{Kind: wire.ToolResult, ID: id.Str}
	switch status := v.Get("status"); {
	case !status.Exists() || status.Type == gjson.Null:
	case status.Type == gjson.String && status.Str == "success":
	case status.Type == gjson.String && status.Str == "error":
		p.IsError = true
	default:
		return wire.Part{}, &wire.Invalid{Field: field + ".status", Reason: `expected "success" or "error"`}
	}
	content := v.Get("content")
	if !content.IsArray() {
		return wire.Part{}, &wire.Invalid{Field: field + ".content", Reason: "expected an array"}
	}
	var err error
	k := 0
	content.ForEach(func(_, c gjson.Result) bool {
		n := k
		k++
		cf := func() string { return fmt.Sprintf("%s.content[%d]", field, n) }
		if !c.IsObject() {
			err = &wire.Invalid{Field: cf(), Reason: "expected an object"}
			return false
		}
		members := 0
		c.ForEach(func(key, x gjson.Result) bool {
			if x.Type == gjson.Null {
				return true
			}
			if members++; members > 1 {
				return false
			}
			switch key.Str {
			case "text":
				if x.Type != gjson.String {
					err = &wire.Invalid{Field: cf() + ".text", Reason: "expected a string"}
					return false
				}
				p.Parts = append(p.Parts, wire.Part{Kind: wire.Text, Text: x.Str})
			case "json":
				// A JSON result travels as its text: every format can carry that.
				p.Parts = append(p.Parts, wire.Part{Kind: wire.Text, Text: x.Raw})
			case "image":
				img, extra, ierr := decodeImage(x, cf()+".image")
				if ierr != nil {
					err = ierr
					return false
				}
				if extra {
					r.Extra = append(r.Extra, cf()+".image.source.s3Location")
				} else {
					p.Parts = append(p.Parts, img)
				}
			default:
				// document, video, searchResult, ...
				r.Extra = append(r.Extra, cf()+"."+key.Str)
			}
			return true
		})
		if err == nil && members != 1 {
			err = &wire.Invalid{Field: cf(), Reason: "a content block must have exactly one member"}
		}
		return err == nil
	})
	if err != nil {
		return wire.Part{}, err
	}
	// One text item is the common case and every format's plain-text result.
	if len(p.Parts) == 1 && p.Parts[0].Kind == wire.Text {
		p.Text = p.Parts[0].Text
		p.Parts = nil
	}
	return p, nil
}

func decodeSystem(r *wire.Request, v gjson.Result) error {
	if !v.IsArray() {
		return &wire.Invalid{Field: "system", Reason: "expected an array of system content blocks"}
	}
	var err error
	i := 0
	v.ForEach(func(_, b gjson.Result) bool {
		field := func() string { return fmt.Sprintf("system[%d]", i) }
		switch {
		case !b.IsObject():
			err = &wire.Invalid{Field: field(), Reason: "expected an object"}
		case b.Get("text").Exists():
			t := b.Get("text")
			if t.Type != gjson.String {
				err = &wire.Invalid{Field: field() + ".text", Reason: "expected a string"}
				break
			}
			r.System = append(r.System, wire.Part{Kind: wire.Text, Text: t.Str})
		case b.Get("cachePoint").Exists():
			// Cost hint only.
		default:
			// guardContent and anything newer.
			r.Extra = append(r.Extra, field())
		}
		i++
		return err == nil
	})
	return err
}

func decodeInference(r *wire.Request, v gjson.Result) error {
	if !v.IsObject() {
		return &wire.Invalid{Field: "inferenceConfig", Reason: "expected an object"}
	}
	var err error
	v.ForEach(func(k, x gjson.Result) bool {
		if x.Type == gjson.Null {
			return true
		}
		switch k.Str {
		case "maxTokens":
			if !isInt(x) || x.Int() < 1 {
				err = &wire.Invalid{Field: "inferenceConfig.maxTokens", Reason: "expected a positive integer"}
				return false
			}
			r.MaxTokens = int(x.Int())
		case "temperature", "topP":
			if x.Type != gjson.Number {
				err = &wire.Invalid{Field: "inferenceConfig." + k.Str, Reason: "expected a number"}
				return false
			}
			f := x.Float()
			if k.Str == "temperature" {
				r.Temperature = &f
			} else {
				r.TopP = &f
			}
		case "stopSequences":
			if !x.IsArray() {
				err = &wire.Invalid{Field: "inferenceConfig.stopSequences", Reason: "expected an array of strings"}
				return false
			}
			i := 0
			x.ForEach(func(_, s gjson.Result) bool {
				if s.Type != gjson.String {
					err = &wire.Invalid{Field: fmt.Sprintf("inferenceConfig.stopSequences[%d]", i), Reason: "expected a string"}
					return false
				}
				r.Stop = append(r.Stop, s.Str)
				i++
				return true
			})
			return err == nil
		default:
			r.Extra = append(r.Extra, "inferenceConfig."+k.Str)
		}
		return true
	})
	return err
}

func decodeToolConfig(r *wire.Request, v gjson.Result) error {
	if !v.IsObject() {
		return &wire.Invalid{Field: "toolConfig", Reason: "expected an object"}
	}
	tools := v.Get("tools")
	if !tools.IsArray() {
		return &wire.Invalid{Field: "toolConfig.tools", Reason: "expected an array"}
	}
	var err error
	i := 0
	tools.ForEach(func(_, t gjson.Result) bool {
		n := i
		field := func() string { return fmt.Sprintf("toolConfig.tools[%d]", n) }
		i++
		if !t.IsObject() {
			err = &wire.Invalid{Field: field(), Reason: "expected an object"}
			return false
		}
		spec := t.Get("toolSpec")
		if !spec.Exists() {
			if !t.Get("cachePoint").Exists() {
				// systemTool and other Bedrock-side tools.
				r.Extra = append(r.Extra, field())
			}
			return true
		}
		var tool wire.Tool
		tool, err = decodeToolSpec(r, spec, field)
		if err != nil {
			return false
		}
		r.Tools = append(r.Tools, tool)
		return true
	})
	if err != nil {
		return err
	}
	choice := v.Get("toolChoice")
	if !choice.Exists() || choice.Type == gjson.Null {
		return nil
	}
	if !choice.IsObject() {
		return &wire.Invalid{Field: "toolConfig.toolChoice", Reason: "expected an object"}
	}
	switch {
	case choice.Get("auto").IsObject():
		r.ToolChoice.Mode = wire.ToolAuto
	case choice.Get("any").IsObject():
		r.ToolChoice.Mode = wire.ToolRequired
	case choice.Get("tool").IsObject():
		name := choice.Get("tool.name")
		if name.Type != gjson.String || name.Str == "" {
			return &wire.Invalid{Field: "toolConfig.toolChoice.tool.name", Reason: "expected a non-empty string"}
		}
		r.ToolChoice = wire.ToolChoice{Mode: wire.ToolNamed, Name: name.Str}
	default:
		return &wire.Invalid{Field: "toolConfig.toolChoice", Reason: "expected one of auto, any or tool"}
	}
	return nil
}

// decodeToolSpec reads one toolSpec; tool names the tool's entry in
// toolConfig.tools, built only when an error or extra needs it.
func decodeToolSpec(r *wire.Request, spec gjson.Result, tool func() string) (wire.Tool, error) {
	var t wire.Tool
	field := func(sub string) string { return tool() + ".toolSpec" + sub }
	if !spec.IsObject() {
		return t, &wire.Invalid{Field: field(""), Reason: "expected an object"}
	}
	name := spec.Get("name")
	if name.Type != gjson.String || name.Str == "" {
		return t, &wire.Invalid{Field: field(".name"), Reason: "expected a non-empty string"}
	}
	t.Name = name.Str
	if d := spec.Get("description"); d.Exists() && d.Type != gjson.Null {
		if d.Type != gjson.String {
			return t, &wire.Invalid{Field: field(".description"), Reason: "expected a string"}
		}
		t.Description = d.Str
	}
	schema := spec.Get("inputSchema.json")
	if !schema.IsObject() {
		return t, &wire.Invalid{Field: field(".inputSchema.json"), Reason: "expected a JSON schema object"}
	}
	t.Schema = raw(schema)
	if spec.Get("strict").Type == gjson.True {
		// Strict decoding guarantees schema-valid arguments; the canonical
		// tool cannot ask for it, so a translation must not drop it silently.
		r.Extra = append(r.Extra, field(".strict"))
	}
	return t, nil
}

func decodeOutputConfig(r *wire.Request, v gjson.Result) error {
	if !v.IsObject() {
		return &wire.Invalid{Field: "outputConfig", Reason: "expected an object"}
	}
	var err error
	v.ForEach(func(k, x gjson.Result) bool {
		if x.Type == gjson.Null {
			return true
		}
		switch k.Str {
		case "textFormat":
			err = decodeTextFormat(r, x)
		default:
			// effort and anything newer change the answer.
			r.Extra = append(r.Extra, "outputConfig."+k.Str)
		}
		return err == nil
	})
	return err
}

func decodeTextFormat(r *wire.Request, x gjson.Result) error {
	const field = "outputConfig.textFormat"
	if !x.IsObject() {
		return &wire.Invalid{Field: field, Reason: "expected an object"}
	}
	if t := x.Get("type"); t.Type != gjson.String || t.Str != "json_schema" {
		return &wire.Invalid{Field: field + ".type", Reason: `expected "json_schema"`}
	}
	js := x.Get("structure.jsonSchema")
	if !js.IsObject() {
		return &wire.Invalid{Field: field + ".structure.jsonSchema", Reason: "expected an object"}
	}
	schema := js.Get("schema")
	if schema.Type != gjson.String || !jsoncheck.ValidObject([]byte(schema.Str)) {
		return &wire.Invalid{Field: field + ".structure.jsonSchema.schema", Reason: "expected a JSON schema object as a string"}
	}
	r.Output = wire.Output{Kind: wire.OutputJSONSchema, Schema: []byte(schema.Str), Strict: true}
	if n := js.Get("name"); n.Exists() && n.Type != gjson.Null {
		if n.Type != gjson.String {
			return &wire.Invalid{Field: field + ".structure.jsonSchema.name", Reason: "expected a string"}
		}
		r.Output.Name = n.Str
	}
	if d := js.Get("description"); d.Exists() && d.Type != gjson.Null {
		r.Extra = append(r.Extra, field+".structure.jsonSchema.description")
	}
	return nil
}
