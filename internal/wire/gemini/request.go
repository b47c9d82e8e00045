package gemini

import (
	"fmt"
	"math"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
)

// skipSignature is the value Google documents for a functionCall part's
// thoughtSignature when the call did not come from the model in this
// conversation (it was translated from another format, or its signature was
// lost): Gemini 3 and later reject a function-call turn without a signature,
// and accept this one in its place.
const skipSignature = "skip_thought_signature_validator"

// Tool results. Gemini's functionResponse.response must be a JSON object.
// Plain text is sent as {"result": text}, as in Google's function-calling
// guide (the SDK docs name "output" for the same purpose; the decoder reads
// both), and a failure as {"error": text}, the text embedded as an object
// when it is one. A result whose text is itself a JSON object is sent as is,
// unless it has exactly a wrapper's shape and would be read back as one.
// Images in a tool result go in functionResponse.parts, which Gemini 3 and
// later models accept.

// EncodeRequest returns the GenerateContentRequest JSON body for r. The model
// and the choice between generateContent and streamGenerateContent are in
// the URL, so r.Model and r.Stream are not written; r.Model is read only to
// decide whether function calls without a thought signature get Google's
// placeholder (Gemini 3 and later validate signatures).
//
// Consecutive messages of the same role are merged into one content (Gemini
// wants all the responses to one turn's function calls in one content), and
// empty text parts, which Gemini rejects, are left out. Anything Gemini cannot
// express is a *wire.Unsupported naming the canonical field.
func EncodeRequest(r *wire.Request) ([]byte, error) {
	if len(r.Extra) > 0 {
		return nil, unsupported(r.Extra[0], "")
	}
	e := reqEncoder{r: r, placeholder: validatesSignatures(r.Model)}
	b := make([]byte, 0, e.sizeHint())
	b = append(b, '{')
	var err error
	if b, err = e.contents(b); err != nil {
		return nil, err
	}
	if b, err = e.system(b); err != nil {
		return nil, err
	}
	if b, err = e.generationConfig(b); err != nil {
		return nil, err
	}
	if b, err = e.tools(b); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func unsupported(field, reason string) *wire.Unsupported {
	return &wire.Unsupported{Format: wire.Gemini, Field: field, Reason: reason}
}

// validatesSignatures reports whether a model checks the thought signatures
// of function calls: the Gemini families from 3 on do, and so do the
// "-latest" aliases, which point at them. 1.x and 2.x do not, and neither
// they nor models that are not Gemini's (Gemma, tuned models, an unknown
// id) are sent the placeholder, which they are not known to accept.
func validatesSignatures(model string) bool {
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
	}
	rest, ok := strings.CutPrefix(model, "gemini-")
	if !ok || rest == "" {
		return false
	}
	return rest[0] != '1' && rest[0] != '2'
}

type reqEncoder struct {
	r           *wire.Request
	placeholder bool
}

func (e *reqEncoder) sizeHint() int {
	n := 256
	for _, p := range e.r.System {
		n += len(p.Text) + 16
	}
	for _, m := range e.r.Messages {
		for i := range m.Parts {
			p := &m.Parts[i]
			n += len(p.Text) + len(p.Data) + len(p.URL) + len(p.Args) + len(p.Signature) + 64
			for j := range p.Parts {
				n += len(p.Parts[j].Text) + len(p.Parts[j].Data) + len(p.Parts[j].URL) + 48
			}
		}
	}
	for _, t := range e.r.Tools {
		n += len(t.Name) + len(t.Description) + len(t.Schema) + 64
	}
	return n + len(e.r.Output.Schema)
}

func roleName(r wire.Role) string {
	switch r {
	case wire.User:
		return "user"
	case wire.Assistant:
		return "model"
	}
	return ""
}

// contents writes "contents":[…], merging runs of messages of one role.
func (e *reqEncoder) contents(b []byte) ([]byte, error) {
	b = appendKey(b, "contents")
	b = append(b, '[')
	msgs := e.r.Messages
	first := true
	for i := 0; i < len(msgs); {
		role := roleName(msgs[i].Role)
		if role == "" {
			return nil, unsupported(fmt.Sprintf("messages[%d].role", i), "Gemini knows only the user and model roles")
		}
		j := i + 1
		for j < len(msgs) && msgs[j].Role == msgs[i].Role {
			j++
		}
		// A model turn whose calls carry no signature gets the placeholder on
		// its first call (for parallel calls Gemini signs only the first).
		sign := false
		if e.placeholder && msgs[i].Role == wire.Assistant {
			sign = true
			for _, m := range msgs[i:j] {
				for _, p := range m.Parts {
					if p.Kind == wire.ToolCall && p.Signature != "" {
						sign = false
					}
				}
			}
		}
		mark := len(b)
		if !first {
			b = append(b, ',')
		}
		b = append(b, `{"role":"`...)
		b = append(b, role...)
		b = append(b, `","parts":[`...)
		n := 0
		for mi := i; mi < j; mi++ {
			for pi := range msgs[mi].Parts {
				p := &msgs[mi].Parts[pi]
				if skipPart(p) {
					continue
				}
				if n > 0 {
					b = append(b, ',')
				}
				var err error
				if b, err = e.part(b, p, mi, pi, msgs[mi].Role, &sign); err != nil {
					return nil, err
				}
				n++
			}
		}
		if n == 0 { // nothing Gemini would accept: leave the turn out
			b = b[:mark]
		} else {
			b = append(b, ']', '}')
			first = false
		}
		i = j
	}
	if first {
		return nil, unsupported("messages", "Gemini needs at least one non-empty message")
	}
	return append(b, ']'), nil
}

// skipPart reports parts that carry nothing: Gemini rejects empty text.
func skipPart(p *wire.Part) bool {
	return (p.Kind == wire.Text || p.Kind == wire.Thinking) && p.Text == "" && p.Signature == ""
}

func (e *reqEncoder) part(b []byte, p *wire.Part, mi, pi int, role wire.Role, sign *bool) ([]byte, error) {
	field := func() string { return fmt.Sprintf("messages[%d].content[%d]", mi, pi) }
	switch p.Kind {
	case wire.Text:
		b = append(b, `{"text":`...)
		b = appendString(b, p.Text)
		b = appendSignature(b, p.Signature)
		return append(b, '}'), nil
	case wire.Thinking:
		if role != wire.Assistant {
			return nil, unsupported(field(), "reasoning can only be in a model turn")
		}
		b = append(b, `{"text":`...)
		b = appendString(b, p.Text)
		b = append(b, `,"thought":true`...)
		b = appendSignature(b, p.Signature)
		return append(b, '}'), nil
	case wire.Image:
		b = append(b, '{')
		b, err := appendMedia(b, p, field())
		if err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	case wire.ToolCall:
		if role != wire.Assistant {
			return nil, unsupported(field(), "a tool call can only be in a model turn")
		}
		if p.Name == "" {
			return nil, unsupported(field(), "a tool call needs a function name")
		}
		b = append(b, `{"functionCall":{`...)
		if p.ID != "" {
			b = append(b, `"id":`...)
			b = appendString(b, p.ID)
			b = append(b, ',')
		}
		b = append(b, `"name":`...)
		b = appendString(b, p.Name)
		b = append(b, `,"args":`...)
		switch {
		case len(p.Args) == 0:
			b = append(b, '{', '}')
		case isJSONObject(p.Args):
			b = append(b, p.Args...)
		default:
			return nil, unsupported(field(), "a tool call's arguments must be a JSON object")
		}
		b = append(b, '}')
		sig := p.Signature
		if sig == "" && *sign {
			sig = skipSignature
		}
		*sign = false
		b = appendSignature(b, sig)
		return append(b, '}'), nil
	case wire.ToolResult:
		if role != wire.User {
			return nil, unsupported(field(), "a tool result can only be in a user turn")
		}
		return e.toolResult(b, p, field)
	}
	return nil, unsupported(field(), "unknown part kind")
}

func appendSignature(b []byte, sig string) []byte {
	if sig == "" {
		return b
	}
	b = append(b, `,"thoughtSignature":`...)
	return appendString(b, sig)
}

// appendMedia writes "inlineData":{…} or "fileData":{…} for an image.
func appendMedia(b []byte, p *wire.Part, field string) ([]byte, error) {
	mime, data := p.MediaType, p.Data
	if data == "" && p.URL != "" {
		if m, d, ok := parseDataURL(p.URL); ok {
			data = d
			if mime == "" {
				mime = m
			}
		} else {
			if !strings.HasPrefix(p.URL, "https://") {
				return nil, unsupported(field, "Gemini fetches images only from https URLs")
			}
			if mime == "" {
				mime = urlImageType(p.URL)
			}
			if mime == "" {
				return nil, unsupported(field, "Gemini needs an image URL's MIME type, and the URL has no known image extension")
			}
			b = append(b, `"fileData":{"mimeType":`...)
			b = appendString(b, mime)
			b = append(b, `,"fileUri":`...)
			b = appendString(b, p.URL)
			return append(b, '}'), nil
		}
	}
	if data == "" {
		return nil, unsupported(field, "an image needs data or a URL")
	}
	if mime == "" {
		mime = sniffImageType(data)
		if mime == "" {
			return nil, unsupported(field, "Gemini needs the image's MIME type")
		}
	}
	b = append(b, `"inlineData":{"mimeType":`...)
	b = appendString(b, mime)
	b = append(b, `,"data":`...)
	b = appendString(b, data)
	return append(b, '}'), nil
}

func (e *reqEncoder) toolResult(b []byte, p *wire.Part, field func() string) ([]byte, error) {
	name := p.Name
	if name == "" {
		name = e.r.ToolName(p.ID)
	}
	if name == "" {
		return nil, unsupported(field(), fmt.Sprintf("Gemini needs the function name of a tool result, and no earlier tool call has id %q", p.ID))
	}
	text := p.Text
	var images []int
	if len(p.Parts) > 0 {
		var sb strings.Builder
		for k := range p.Parts {
			switch p.Parts[k].Kind {
			case wire.Text:
				if sb.Len() > 0 {
					sb.WriteByte('\n')
				}
				sb.WriteString(p.Parts[k].Text)
			case wire.Image:
				images = append(images, k)
			default:
				return nil, unsupported(fmt.Sprintf("%s.content[%d]", field(), k), "a tool result may hold only text and images")
			}
		}
		text = sb.String()
	}
	b = append(b, `{"functionResponse":{`...)
	if p.ID != "" {
		b = append(b, `"id":`...)
		b = appendString(b, p.ID)
		b = append(b, ',')
	}
	b = append(b, `"name":`...)
	b = appendString(b, name)
	b = append(b, `,"response":`...)
	obj := isJSONObjectString(text)
	switch {
	case p.IsError && obj:
		b = append(b, `{"error":`...)
		b = append(b, text...)
		b = append(b, '}')
	case p.IsError:
		b = append(b, `{"error":`...)
		b = appendString(b, text)
		b = append(b, '}')
	case obj && !wrapperShape(text):
		b = append(b, text...)
	default:
		b = append(b, `{"result":`...)
		b = appendString(b, text)
		b = append(b, '}')
	}
	if len(images) > 0 {
		b = append(b, `,"parts":[`...)
		for n, k := range images {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			var err error
			if b, err = appendMedia(b, &p.Parts[k], fmt.Sprintf("%s.content[%d]", field(), k)); err != nil {
				return nil, err
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}', '}'), nil
}

// wrapperShape reports whether a JSON object would be read back as one of
// the wrappers a tool result is put in ({"result": string}, {"output":
// string} or {"error": …}) rather than as the object itself.
func wrapperShape(obj string) bool {
	n := 0
	var key string
	var val gjson.Result
	gjson.Parse(obj).ForEach(func(k, v gjson.Result) bool {
		n++
		key, val = k.Str, v
		return n < 2
	})
	if n != 1 {
		return false
	}
	switch key {
	case "error":
		return true
	case "output", "result":
		return val.Type == gjson.String
	}
	return false
}

func (e *reqEncoder) system(b []byte) ([]byte, error) {
	n := 0
	for i := range e.r.System {
		p := &e.r.System[i]
		if p.Kind != wire.Text {
			return nil, unsupported(fmt.Sprintf("system[%d]", i), "a system instruction may hold only text")
		}
		if p.Text == "" {
			continue
		}
		if n == 0 {
			b = append(b, `,"systemInstruction":{"parts":[`...)
		} else {
			b = append(b, ',')
		}
		b = append(b, `{"text":`...)
		b = appendString(b, p.Text)
		b = append(b, '}')
		n++
	}
	if n > 0 {
		b = append(b, ']', '}')
	}
	return b, nil
}

func (e *reqEncoder) generationConfig(b []byte) ([]byte, error) {
	r := e.r
	mark := len(b)
	b = append(b, `,"generationConfig":{`...)
	start := len(b)
	sep := func() {
		if len(b) > start {
			b = append(b, ',')
		}
	}
	if r.MaxTokens < 0 {
		return nil, unsupported("max_tokens", "must not be negative")
	}
	if r.MaxTokens > 0 {
		sep()
		b = append(b, `"maxOutputTokens":`...)
		b = appendInt(b, int64(r.MaxTokens))
	}
	for _, f := range []struct {
		name  string
		field string
		v     *float64
	}{{"temperature", "temperature", r.Temperature}, {"topP", "top_p", r.TopP}} {
		if f.v == nil {
			continue
		}
		if math.IsNaN(*f.v) || math.IsInf(*f.v, 0) {
			return nil, unsupported(f.field, "not a finite number")
		}
		sep()
		b = appendKey(b, f.name)
		b = appendFloat(b, *f.v)
	}
	if len(r.Stop) > 0 {
		sep()
		b = append(b, `"stopSequences":[`...)
		for i, s := range r.Stop {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		b = append(b, ']')
	}
	switch r.Output.Kind {
	case 0:
	case wire.OutputJSON:
		sep()
		b = append(b, `"responseMimeType":"application/json"`...)
	case wire.OutputJSONSchema:
		if !isJSONObject(r.Output.Schema) {
			return nil, unsupported("response_format.json_schema", "the schema must be a JSON object")
		}
		sep()
		b = append(b, `"responseMimeType":"application/json","responseJsonSchema":`...)
		b = append(b, r.Output.Schema...)
	default:
		return nil, unsupported("response_format", "unknown output kind")
	}
	if len(b) == start {
		return b[:mark], nil
	}
	return append(b, '}'), nil
}

func (e *reqEncoder) tools(b []byte) ([]byte, error) {
	r := e.r
	tc := r.ToolChoice
	if len(r.Tools) == 0 {
		switch tc.Mode {
		case wire.ToolRequired, wire.ToolNamed:
			return nil, unsupported("tool_choice", "a tool is required but the request has no tools")
		}
		return b, nil
	}
	b = append(b, `,"tools":[{"functionDeclarations":[`...)
	for i := range r.Tools {
		t := &r.Tools[i]
		if t.Name == "" {
			return nil, unsupported(fmt.Sprintf("tools[%d].name", i), "a tool needs a name")
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, t.Name)
		if t.Description != "" {
			b = append(b, `,"description":`...)
			b = appendString(b, t.Description)
		}
		if len(t.Schema) > 0 {
			if !isJSONObject(t.Schema) {
				return nil, unsupported(fmt.Sprintf("tools[%d].parameters", i), "the schema must be a JSON object")
			}
			b = append(b, `,"parametersJsonSchema":`...)
			b = append(b, t.Schema...)
		}
		b = append(b, '}')
	}
	b = append(b, ']', '}', ']')
	if tc.NoParallel && tc.Mode != wire.ToolNone {
		// Gemini may call several functions in one turn and has no switch to
		// stop it; sending the request anyway could break a client that
		// asked for one call at a time.
		return nil, unsupported("parallel_tool_calls", "Gemini cannot be limited to one function call per turn")
	}
	switch tc.Mode {
	case 0:
	case wire.ToolAuto:
		b = append(b, `,"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}`...)
	case wire.ToolNone:
		b = append(b, `,"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}`...)
	case wire.ToolRequired:
		b = append(b, `,"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}`...)
	case wire.ToolNamed:
		if tc.Name == "" {
			return nil, unsupported("tool_choice", "a named tool choice needs a name")
		}
		b = append(b, `,"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":[`...)
		b = appendString(b, tc.Name)
		b = append(b, `]}}`...)
	default:
		return nil, unsupported("tool_choice", "unknown tool mode")
	}
	return b, nil
}
