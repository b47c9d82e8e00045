package gemini

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/internal/wire"
	"github.com/tidwall/gjson"
)

// DecodeRequest reads a GenerateContentRequest body into canonical form. The
// model and whether to stream are in the URL, so the caller sets r.Model
// (unless the body names one) and r.Stream. Field names may be lowerCamel or
// snake_case, as Google accepts both.
//
// Function calls that come without an id get "call_<content>_<part>", and a
// functionResponse without an id answers the first unanswered call of the
// same name in the model turn before it: the other formats pair results with
// calls by id. Fields that change the answer and that the canonical form
// cannot carry (topK, thinkingConfig, safetySettings, Google Search, a PDF …)
// are listed in r.Extra by their path here.
func DecodeRequest(body []byte) (*wire.Request, error) {
	if inv := wire.CheckRequest(body, requestKeys); inv != nil {
		return nil, inv
	}
	root := gjson.Parse(string(body)) // one copy: the strings kept below point into it
	if !root.IsObject() {
		return nil, &wire.Invalid{Reason: "the request body must be a JSON object"}
	}
	d := reqDecoder{r: &wire.Request{}}
	haveContents := false
	root.ForEach(func(k, v gjson.Result) bool {
		if v.Type == gjson.Null {
			return true
		}
		switch key := camel(k.Str); key {
		case "contents":
			haveContents = true
			d.contents(v)
		case "systemInstruction":
			d.system(v)
		case "generationConfig":
			d.generationConfig(v)
		case "tools":
			d.tools(v)
		case "toolConfig":
			d.toolConfig(v)
		case "model":
			if v.Type != gjson.String {
				d.fail("model", "expected a string")
				break
			}
			d.r.Model = strings.TrimPrefix(v.Str, "models/")
		case "labels", "serviceTier": // billing labels and the latency tier: bookkeeping only
		case "safetySettings":
			if v.IsArray() && len(v.Array()) == 0 {
				break
			}
			d.extra(k.Str)
		default:
			d.extra(k.Str)
		}
		return d.err == nil
	})
	if d.err != nil {
		return nil, d.err
	}
	if !haveContents || len(d.r.Messages) == 0 {
		return nil, &wire.Invalid{Field: "contents", Reason: "at least one content is required"}
	}
	return d.r, nil
}

type pendingCall struct {
	id, name string
	answered bool
}

type reqDecoder struct {
	r       *wire.Request
	err     error
	pending []pendingCall // the calls of the last model turn, for results without ids
}

func (d *reqDecoder) fail(field, reason string) {
	if d.err == nil {
		d.err = &wire.Invalid{Field: field, Reason: reason}
	}
}

func (d *reqDecoder) extra(field string) { d.r.Extra = append(d.r.Extra, field) }

func (d *reqDecoder) contents(v gjson.Result) {
	if !v.IsArray() {
		d.fail("contents", "expected an array")
		return
	}
	i := 0
	v.ForEach(func(_, c gjson.Result) bool {
		d.content(c, i)
		i++
		return d.err == nil
	})
}

func (d *reqDecoder) content(c gjson.Result, i int) {
	field := func() string { return "contents[" + strconv.Itoa(i) + "]" }
	if !c.IsObject() {
		d.fail(field(), "expected an object")
		return
	}
	role := wire.User
	var parts gjson.Result
	c.ForEach(func(k, v gjson.Result) bool {
		switch camel(k.Str) {
		case "role":
			if v.Type != gjson.String && v.Type != gjson.Null {
				d.fail(field()+".role", "expected a string")
				return false
			}
			switch v.Str {
			case "user", "", "function", "tool": // older API versions put function responses in role "function"
				role = wire.User
			case "model":
				role = wire.Assistant
			default:
				d.fail(field()+".role", fmt.Sprintf("unknown role %q: expected \"user\" or \"model\"", v.Str))
				return false
			}
		case "parts":
			parts = v
		default:
			d.extra(field() + "." + k.Str)
		}
		return true
	})
	if d.err != nil {
		return
	}
	if !parts.IsArray() {
		d.fail(field()+".parts", "expected an array of parts")
		return
	}
	if role == wire.Assistant {
		d.pending = d.pending[:0]
	}
	msg := wire.Message{Role: role}
	j := 0
	parts.ForEach(func(_, p gjson.Result) bool {
		d.part(&msg, p, i, j)
		j++
		return d.err == nil
	})
	if d.err != nil {
		return
	}
	if j == 0 {
		d.fail(field()+".parts", "must not be empty")
		return
	}
	// A content left with no parts held only empty text, or only what went
	// to Extra.
	if len(msg.Parts) > 0 {
		d.r.Messages = append(d.r.Messages, msg)
	}
}

func (d *reqDecoder) part(msg *wire.Message, p gjson.Result, i, j int) {
	field := func() string { return "contents[" + strconv.Itoa(i) + "].parts[" + strconv.Itoa(j) + "]" }
	if !p.IsObject() {
		d.fail(field(), "expected an object")
		return
	}
	var text, inline, file, call, resp gjson.Result
	thought, sig, data := false, "", 0
	p.ForEach(func(k, v gjson.Result) bool {
		if v.Type == gjson.Null {
			return true
		}
		switch key := camel(k.Str); key {
		case "text":
			if v.Type != gjson.String {
				d.fail(field()+".text", "expected a string")
				return false
			}
			text, data = v, data+1
		case "thought":
			if v.Type != gjson.True && v.Type != gjson.False {
				d.fail(field()+".thought", "expected a boolean")
				return false
			}
			thought = v.Type == gjson.True
		case "thoughtSignature":
			if v.Type != gjson.String {
				d.fail(field()+".thoughtSignature", "expected a string")
				return false
			}
			sig = v.Str
		case "inlineData":
			inline, data = v, data+1
		case "fileData":
			file, data = v, data+1
		case "functionCall":
			call, data = v, data+1
		case "functionResponse":
			resp, data = v, data+1
		case "partMetadata": // the caller's own metadata, not shown to the model
		default: // executableCode, codeExecutionResult, videoMetadata, mediaResolution …
			d.extra(field() + "." + k.Str)
			data++
		}
		return true
	})
	if d.err != nil {
		return
	}
	if data == 0 {
		d.fail(field(), "a part needs one of text, inlineData, fileData, functionCall or functionResponse")
		return
	}
	if data > 1 {
		d.fail(field(), "a part may hold only one kind of data")
		return
	}
	if sig == skipSignature {
		sig = "" // the placeholder stands for no signature
	}
	switch {
	case text.Exists():
		if thought {
			if msg.Role != wire.Assistant {
				d.fail(field()+".thought", "thoughts can only be in a model turn")
				return
			}
			msg.Parts = append(msg.Parts, wire.Part{Kind: wire.Thinking, Text: text.Str, Signature: sig})
			return
		}
		if text.Str == "" && sig == "" {
			return
		}
		msg.Parts = append(msg.Parts, wire.Part{Kind: wire.Text, Text: text.Str, Signature: sig})
	case inline.Exists(), file.Exists():
		part, ok := d.media(inline, file, field)
		if ok {
			msg.Parts = append(msg.Parts, part)
		}
	case call.Exists():
		if msg.Role != wire.Assistant {
			d.fail(field()+".functionCall", "function calls can only be in a model turn")
			return
		}
		d.functionCall(msg, call, sig, i, j, field)
	case resp.Exists():
		if msg.Role != wire.User {
			d.fail(field()+".functionResponse", "function responses can only be in a user turn")
			return
		}
		d.functionResponse(msg, resp, i, j, field)
	}
}

// media reads inlineData or fileData. Only images have a canonical form:
// other media (PDF, audio, video) go to Extra.
func (d *reqDecoder) media(inline, file gjson.Result, field func() string) (wire.Part, bool) {
	if inline.Exists() {
		if !inline.IsObject() {
			d.fail(field()+".inlineData", "expected an object")
			return wire.Part{}, false
		}
		mime, data := get(inline, "mimeType", "mime_type"), inline.Get("data")
		if mime.Type != gjson.String || mime.Str == "" {
			d.fail(field()+".inlineData.mimeType", "a MIME type string is required")
			return wire.Part{}, false
		}
		if data.Type != gjson.String {
			d.fail(field()+".inlineData.data", "base64 data is required")
			return wire.Part{}, false
		}
		if !isImageType(mime.Str) {
			d.extra(field() + ".inlineData")
			return wire.Part{}, false
		}
		return wire.Part{Kind: wire.Image, MediaType: mime.Str, Data: data.Str}, true
	}
	if !file.IsObject() {
		d.fail(field()+".fileData", "expected an object")
		return wire.Part{}, false
	}
	uri, mime := get(file, "fileUri", "file_uri"), get(file, "mimeType", "mime_type")
	if uri.Type != gjson.String || uri.Str == "" {
		d.fail(field()+".fileData.fileUri", "a URI string is required")
		return wire.Part{}, false
	}
	if mime.Exists() && mime.Type != gjson.String {
		d.fail(field()+".fileData.mimeType", "expected a string")
		return wire.Part{}, false
	}
	mt := mime.Str
	if mt == "" {
		mt = urlImageType(uri.Str)
	}
	if !isImageType(mt) {
		d.extra(field() + ".fileData")
		return wire.Part{}, false
	}
	return wire.Part{Kind: wire.Image, MediaType: mt, URL: uri.Str}, true
}

func (d *reqDecoder) functionCall(msg *wire.Message, call gjson.Result, sig string, i, j int, field func() string) {
	if !call.IsObject() {
		d.fail(field()+".functionCall", "expected an object")
		return
	}
	var name, id, args gjson.Result
	call.ForEach(func(k, v gjson.Result) bool {
		switch camel(k.Str) {
		case "name":
			name = v
		case "id":
			id = v
		case "args":
			args = v
		default: // partialArgs, willContinue: streaming-only fields
			d.extra(field() + ".functionCall." + k.Str)
		}
		return true
	})
	if name.Type != gjson.String || name.Str == "" {
		d.fail(field()+".functionCall.name", "a function name is required")
		return
	}
	if id.Exists() && id.Type != gjson.String && id.Type != gjson.Null {
		d.fail(field()+".functionCall.id", "expected a string")
		return
	}
	raw := json.RawMessage("{}")
	switch {
	case args.IsObject():
		raw = json.RawMessage(args.Raw)
	case args.Exists() && args.Type != gjson.Null:
		d.fail(field()+".functionCall.args", "expected an object")
		return
	}
	cid := id.Str
	if cid == "" {
		cid = "call_" + strconv.Itoa(i) + "_" + strconv.Itoa(j)
	}
	d.pending = append(d.pending, pendingCall{id: cid, name: name.Str})
	msg.Parts = append(msg.Parts, wire.Part{Kind: wire.ToolCall, ID: cid, Name: name.Str, Args: raw, Signature: sig})
}

func (d *reqDecoder) functionResponse(msg *wire.Message, fr gjson.Result, i, j int, field func() string) {
	if !fr.IsObject() {
		d.fail(field()+".functionResponse", "expected an object")
		return
	}
	var name, id, resp, parts gjson.Result
	fr.ForEach(func(k, v gjson.Result) bool {
		switch camel(k.Str) {
		case "name":
			name = v
		case "id":
			id = v
		case "response":
			resp = v
		case "parts":
			parts = v
		default: // willContinue, scheduling: non-blocking calls
			d.extra(field() + ".functionResponse." + k.Str)
		}
		return true
	})
	if name.Exists() && name.Type != gjson.String {
		d.fail(field()+".functionResponse.name", "expected a string")
		return
	}
	if id.Exists() && id.Type != gjson.String && id.Type != gjson.Null {
		d.fail(field()+".functionResponse.id", "expected a string")
		return
	}
	p := wire.Part{Kind: wire.ToolResult, ID: id.Str, Name: name.Str}
	// Pair the response with its call.
	for k := range d.pending {
		c := &d.pending[k]
		if c.answered {
			continue
		}
		if (p.ID != "" && c.id == p.ID) || (p.ID == "" && c.name == p.Name) {
			c.answered = true
			if p.ID == "" {
				p.ID = c.id
			}
			if p.Name == "" {
				p.Name = c.name
			}
			break
		}
	}
	if p.Name == "" {
		d.fail(field()+".functionResponse.name", "a function name is required")
		return
	}
	if p.ID == "" {
		p.ID = "call_" + strconv.Itoa(i) + "_" + strconv.Itoa(j)
	}
	// The response object: {"result": text} and {"output": text} are plain
	// text, {"error": …} a failure, anything else is the result as JSON.
	text := ""
	switch {
	case resp.IsObject():
		n, key := 0, ""
		var val gjson.Result
		resp.ForEach(func(k, v gjson.Result) bool {
			n++
			key, val = k.Str, v
			return n < 2
		})
		switch {
		case n == 1 && key == "error":
			p.IsError = true
			if val.Type == gjson.String {
				text = val.Str
			} else {
				text = val.Raw
			}
		case n == 1 && (key == "output" || key == "result") && val.Type == gjson.String:
			text = val.Str
		default:
			text = resp.Raw
		}
	case resp.Exists() && resp.Type != gjson.Null:
		d.fail(field()+".functionResponse.response", "expected an object")
		return
	}
	if parts.Exists() && parts.Type != gjson.Null {
		if !parts.IsArray() {
			d.fail(field()+".functionResponse.parts", "expected an array")
			return
		}
		if text != "" {
			p.Parts = append(p.Parts, wire.Part{Kind: wire.Text, Text: text})
		}
		k := 0
		parts.ForEach(func(_, rp gjson.Result) bool {
			sub := func() string { return field() + ".functionResponse.parts[" + strconv.Itoa(k) + "]" }
			k++
			if !rp.IsObject() {
				d.fail(sub(), "expected an object")
				return false
			}
			img, ok := d.media(get(rp, "inlineData", "inline_data"), get(rp, "fileData", "file_data"), sub)
			if ok {
				p.Parts = append(p.Parts, img)
			}
			return d.err == nil
		})
		if d.err != nil {
			return
		}
		if len(p.Parts) > 0 && p.Parts[0].Kind != wire.Text || len(p.Parts) > 1 {
			text = ""
		} else {
			p.Parts = nil
		}
	}
	p.Text = text
	msg.Parts = append(msg.Parts, p)
}

func (d *reqDecoder) system(v gjson.Result) {
	if !v.IsObject() {
		d.fail("systemInstruction", "expected a content object")
		return
	}
	parts := v.Get("parts")
	if !parts.IsArray() {
		d.fail("systemInstruction.parts", "expected an array of parts")
		return
	}
	j := 0
	parts.ForEach(func(_, p gjson.Result) bool {
		field := "systemInstruction.parts[" + strconv.Itoa(j) + "]"
		j++
		t := p.Get("text")
		switch {
		case !p.IsObject():
			d.fail(field, "expected an object")
		case t.Type == gjson.String:
			if t.Str != "" {
				d.r.System = append(d.r.System, wire.Part{Kind: wire.Text, Text: t.Str})
			}
		case t.Exists():
			d.fail(field+".text", "expected a string")
		default:
			d.extra(field)
		}
		return d.err == nil
	})
}

func (d *reqDecoder) generationConfig(v gjson.Result) {
	if !v.IsObject() {
		d.fail("generationConfig", "expected an object")
		return
	}
	mime := ""
	var schema []byte
	v.ForEach(func(k, val gjson.Result) bool {
		if val.Type == gjson.Null {
			return true
		}
		field := "generationConfig." + k.Str
		switch camel(k.Str) {
		case "maxOutputTokens":
			n, ok := intValue(val)
			if !ok || n < 0 {
				d.fail(field, "expected a non-negative integer")
				return false
			}
			d.r.MaxTokens = int(n)
		case "temperature":
			f, ok := floatValue(val)
			if !ok {
				d.fail(field, "expected a number")
				return false
			}
			d.r.Temperature = &f
		case "topP":
			f, ok := floatValue(val)
			if !ok {
				d.fail(field, "expected a number")
				return false
			}
			d.r.TopP = &f
		case "stopSequences":
			if !val.IsArray() {
				d.fail(field, "expected an array of strings")
				return false
			}
			val.ForEach(func(_, s gjson.Result) bool {
				if s.Type != gjson.String {
					d.fail(field, "expected an array of strings")
					return false
				}
				d.r.Stop = append(d.r.Stop, s.Str)
				return true
			})
		case "responseMimeType":
			if val.Type != gjson.String {
				d.fail(field, "expected a string")
				return false
			}
			mime = val.Str
			if mime != "" && mime != "text/plain" && mime != "application/json" {
				d.extra(field) // text/x.enum
			}
		case "responseJsonSchema":
			if !val.IsObject() {
				d.fail(field, "expected a JSON Schema object")
				return false
			}
			schema = []byte(val.Raw)
		case "responseSchema":
			if !val.IsObject() {
				d.fail(field, "expected a schema object")
				return false
			}
			schema = appendSchema(nil, val)
		case "candidateCount":
			if n, ok := intValue(val); !ok || n != 1 {
				d.extra(field)
			}
		case "responseModalities":
			if !isTextOnly(val) {
				d.extra(field)
			}
		default: // topK, seed, penalties, thinkingConfig, logprobs, speechConfig …
			d.extra(field)
		}
		return d.err == nil
	})
	switch {
	case schema != nil:
		d.r.Output = wire.Output{Kind: wire.OutputJSONSchema, Schema: schema}
	case mime == "application/json":
		d.r.Output = wire.Output{Kind: wire.OutputJSON}
	}
}

func isTextOnly(v gjson.Result) bool {
	if !v.IsArray() {
		return false
	}
	ok := true
	v.ForEach(func(_, m gjson.Result) bool {
		ok = m.Type == gjson.String && strings.EqualFold(m.Str, "TEXT")
		return ok
	})
	return ok
}

// intValue reads an integer, also from a string (proto JSON writes int64 as
// a string and accepts either).
func intValue(v gjson.Result) (int64, bool) {
	s := v.Raw
	switch v.Type {
	case gjson.Number:
	case gjson.String:
		s = v.Str
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return n, err == nil
}

func floatValue(v gjson.Result) (float64, bool) {
	if v.Type != gjson.Number {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.Raw, 64)
	return f, err == nil
}

func (d *reqDecoder) tools(v gjson.Result) {
	if !v.IsArray() {
		d.fail("tools", "expected an array")
		return
	}
	i := 0
	v.ForEach(func(_, t gjson.Result) bool {
		field := "tools[" + strconv.Itoa(i) + "]"
		i++
		if !t.IsObject() {
			d.fail(field, "expected an object")
			return false
		}
		t.ForEach(func(k, val gjson.Result) bool {
			if val.Type == gjson.Null {
				return true
			}
			if camel(k.Str) != "functionDeclarations" { // googleSearch, codeExecution, urlContext …
				d.extra(field + "." + k.Str)
				return true
			}
			if !val.IsArray() {
				d.fail(field+"."+k.Str, "expected an array")
				return false
			}
			j := 0
			val.ForEach(func(_, fd gjson.Result) bool {
				d.declaration(fd, field+"."+k.Str+"["+strconv.Itoa(j)+"]")
				j++
				return d.err == nil
			})
			return d.err == nil
		})
		return d.err == nil
	})
}

func (d *reqDecoder) declaration(fd gjson.Result, field string) {
	if !fd.IsObject() {
		d.fail(field, "expected an object")
		return
	}
	var t wire.Tool
	fd.ForEach(func(k, v gjson.Result) bool {
		if v.Type == gjson.Null {
			return true
		}
		switch camel(k.Str) {
		case "name":
			if v.Type != gjson.String {
				d.fail(field+".name", "expected a string")
				return false
			}
			t.Name = v.Str
		case "description":
			if v.Type != gjson.String {
				d.fail(field+".description", "expected a string")
				return false
			}
			t.Description = v.Str
		case "parametersJsonSchema":
			if !v.IsObject() {
				d.fail(field+"."+k.Str, "expected a JSON Schema object")
				return false
			}
			t.Schema = json.RawMessage(v.Raw)
		case "parameters":
			if !v.IsObject() {
				d.fail(field+"."+k.Str, "expected a schema object")
				return false
			}
			t.Schema = appendSchema(nil, v)
		default: // response, responseJsonSchema, behavior
			d.extra(field + "." + k.Str)
		}
		return true
	})
	if d.err != nil {
		return
	}
	if t.Name == "" {
		d.fail(field+".name", "a function name is required")
		return
	}
	d.r.Tools = append(d.r.Tools, t)
}

func (d *reqDecoder) toolConfig(v gjson.Result) {
	if !v.IsObject() {
		d.fail("toolConfig", "expected an object")
		return
	}
	v.ForEach(func(k, val gjson.Result) bool {
		if val.Type == gjson.Null {
			return true
		}
		if camel(k.Str) != "functionCallingConfig" { // retrievalConfig and the like
			d.extra("toolConfig." + k.Str)
			return true
		}
		field := "toolConfig." + k.Str
		if !val.IsObject() {
			d.fail(field, "expected an object")
			return false
		}
		mode := ""
		var names []string
		val.ForEach(func(ck, cv gjson.Result) bool {
			switch camel(ck.Str) {
			case "mode":
				if cv.Type != gjson.String {
					d.fail(field+".mode", "expected a string")
					return false
				}
				mode = cv.Str
			case "allowedFunctionNames":
				if !cv.IsArray() {
					d.fail(field+"."+ck.Str, "expected an array of strings")
					return false
				}
				cv.ForEach(func(_, n gjson.Result) bool {
					if n.Type != gjson.String {
						d.fail(field+"."+ck.Str, "expected an array of strings")
						return false
					}
					names = append(names, n.Str)
					return true
				})
			default:
				d.extra(field + "." + ck.Str)
			}
			return d.err == nil
		})
		if d.err != nil {
			return false
		}
		tc := &d.r.ToolChoice
		switch mode {
		case "AUTO", "MODE_UNSPECIFIED", "":
			tc.Mode = wire.ToolAuto
			if len(names) > 0 {
				d.extra(field + ".allowedFunctionNames")
			}
		case "NONE":
			tc.Mode = wire.ToolNone
		case "ANY":
			switch len(names) {
			case 0:
				tc.Mode = wire.ToolRequired
			case 1:
				tc.Mode, tc.Name = wire.ToolNamed, names[0]
			default: // a subset of the tools: the canonical form names one or all
				tc.Mode = wire.ToolRequired
				d.extra(field + ".allowedFunctionNames")
			}
		case "VALIDATED":
			tc.Mode = wire.ToolAuto
			d.extra(field + ".mode")
		default:
			d.fail(field+".mode", fmt.Sprintf("unknown mode %q", mode))
			return false
		}
		return true
	})
}

// get returns an object's field by its JSON name or its proto name.
func get(obj gjson.Result, name, protoName string) gjson.Result {
	v := obj.Get(name)
	if !v.Exists() {
		v = obj.Get(protoName)
	}
	return v
}
