package emulate

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The fields of the messages a GenerateContentRequest is made of, as the
// Gemini API (v1beta) defines them.
var (
	geminiRequestFields = geminiFieldSet("model", "contents", "systemInstruction", "tools", "toolConfig",
		"safetySettings", "generationConfig", "cachedContent", "labels", "serviceTier", "continuationToken", "store")
	geminiCountFields   = geminiFieldSet("contents", "generateContentRequest")
	geminiContentFields = geminiFieldSet("role", "parts")
	geminiPartFields    = geminiFieldSet("text", "inlineData", "fileData", "functionCall", "functionResponse",
		"executableCode", "codeExecutionResult", "toolCall", "toolResponse", "thought", "thoughtSignature",
		"videoMetadata", "mediaResolution", "partMetadata")
	geminiBlobFields     = geminiFieldSet("mimeType", "data", "displayName")
	geminiFileFields     = geminiFieldSet("mimeType", "fileUri", "displayName")
	geminiCallFields     = geminiFieldSet("id", "name", "args", "partialArgs", "willContinue")
	geminiResponseFields = geminiFieldSet("id", "name", "response", "parts", "willContinue", "scheduling")
	geminiToolFields     = geminiFieldSet("functionDeclarations", "googleSearchRetrieval", "codeExecution",
		"googleSearch", "urlContext", "computerUse", "fileSearch", "googleMaps", "mcpServers",
		"enterpriseWebSearch", "retrieval", "parallelAiSearch", "exaAiSearch")
	geminiDeclFields = geminiFieldSet("name", "description", "parameters", "parametersJsonSchema", "response",
		"responseJsonSchema", "behavior")
	geminiToolConfigFields = geminiFieldSet("functionCallingConfig", "retrievalConfig", "includeServerSideToolInvocations")
	geminiCallingFields    = geminiFieldSet("mode", "allowedFunctionNames", "streamFunctionCallArguments")
	geminiConfigFields     = geminiFieldSet("stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema",
		"responseModalities", "candidateCount", "maxOutputTokens", "temperature", "topP", "topK", "seed",
		"presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs", "enableEnhancedCivicAnswers",
		"speechConfig", "thinkingConfig", "mediaResolution", "imageConfig", "audioTimestamp", "enableAffectiveDialog",
		"audioTranscriptionConfig")
	geminiThinkingFields = geminiFieldSet("includeThoughts", "thinkingBudget", "thinkingLevel")
	geminiSafetyFields   = geminiFieldSet("category", "threshold", "method")
)

// geminiDataFields are the members of a Part's data oneof: exactly one is set.
var geminiDataFields = []string{"text", "inlineData", "fileData", "functionCall", "functionResponse",
	"executableCode", "codeExecutionResult", "toolCall", "toolResponse"}

// geminiMimeTypes are the response MIME types the API accepts.
var geminiMimeTypes = map[string]bool{"text/plain": true, "application/json": true, "application/xml": true,
	"application/yaml": true, "text/x.enum": true}

// Limits of the Gemini API that the emulator enforces.
const (
	geminiMaxCandidates = 8
	geminiMaxStops      = 5
	geminiMaxNameLen    = 64
)

// geminiPrompt is a decoded GenerateContentRequest: the cloud-neutral prompt
// the answer is generated from, plus what only Gemini reports.
type geminiPrompt struct {
	prompt
	imageTokens int  // the prompt tokens images account for
	enum        bool // text/x.enum: answer the bare value
}

// decodeGemini reads a generateContent request for model, or returns the
// error the real API would answer. count is set for countTokens, whose body
// holds contents, or a whole request in generateContentRequest.
func decodeGemini(body []byte, model string, count bool) (*geminiPrompt, *geminiError) {
	if !json.Valid(body) {
		return nil, geminiPayload("", "Invalid JSON payload received. Unexpected token.")
	}
	fields := geminiRequestFields
	if count {
		fields = geminiCountFields
	}
	top, err := decodeProto(body, "", "GenerateContentRequest", fields)
	if err != nil {
		return nil, err
	}
	if count && top.has("generateContentRequest") {
		if top.has("contents") {
			return nil, geminiInvalid("* CountTokensRequest: contents and generate_content_request cannot both be set\n")
		}
		if top, err = decodeProto(top.m["generateContentRequest"], "generate_content_request", "GenerateContentRequest",
			geminiRequestFields); err != nil {
			return nil, err
		}
	}
	p := &geminiPrompt{prompt: prompt{model: model, n: 1}}
	w := geminiWalk{p: p, total: chatPrimingTokens, seed: fnvOffset}
	if _, err := top.str("model"); err != nil {
		return nil, err
	}
	if name, err := top.str("cachedContent"); err != nil {
		return nil, err
	} else if name != "" {
		// The emulator keeps no cached contents, so none can be found.
		return nil, &geminiError{code: http.StatusForbidden, status: "PERMISSION_DENIED",
			message: "CachedContent not found (or permission denied)"}
	}
	if err := w.tools(top); err != nil {
		return nil, err
	}
	if err := w.toolConfig(top); err != nil {
		return nil, err
	}
	if err := w.system(top); err != nil {
		return nil, err
	}
	if err := w.contents(top); err != nil {
		return nil, err
	}
	if err := p.generationConfig(top); err != nil {
		return nil, err
	}
	if err := geminiSafety(top); err != nil {
		return nil, err
	}
	p.tokens, p.seed, p.imageTokens = w.total, w.seed, w.images*chatImageTokens
	return p, nil
}

// geminiWalk reads the prompt, counting its tokens and hashing its text.
type geminiWalk struct {
	p      *geminiPrompt
	total  int    // prompt tokens so far
	seed   uint64 // FNV-1a of the conversation text so far
	images int
	msg    promptCounter // the text of the message being read
}

func (w *geminiWalk) tools(top *protoObj) *geminiError {
	tools, err := top.list("tools", geminiType("Tool"))
	if err != nil || tools == nil {
		return err
	}
	names := map[string]bool{}
	for i, rt := range tools {
		at := "tools[" + strconv.Itoa(i) + "]"
		t, err := decodeProto(rt, at, "Tool", geminiToolFields)
		if err != nil {
			return err
		}
		for name := range t.m {
			if name == "functionDeclarations" {
				continue
			}
			if _, err := t.object(name, strings.ToUpper(name[:1])+name[1:]); err != nil {
				return err
			}
		}
		decls, err := t.list("functionDeclarations", geminiType("FunctionDeclaration"))
		if err != nil {
			return err
		}
		for j, rd := range decls {
			if err := w.declaration(rd, t.path("functionDeclarations")+"["+strconv.Itoa(j)+"]", names); err != nil {
				return err
			}
		}
	}
	w.total += jsonTokens(top.m["tools"])
	return nil
}

func (w *geminiWalk) declaration(raw json.RawMessage, at string, names map[string]bool) *geminiError {
	d, err := decodeProto(raw, at, "FunctionDeclaration", geminiDeclFields)
	if err != nil {
		return err
	}
	name, err := d.str("name")
	if err != nil {
		return err
	}
	if !geminiFunctionName(name) {
		return geminiRule(d.path("name"), "Invalid function name. Must start with a letter or an underscore. Must be "+
			"alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:) or dashes (-), with a maximum length of %d.",
			geminiMaxNameLen)
	}
	if names[name] {
		return geminiRule(d.path("name"), "Duplicate function declaration found: %s", name)
	}
	names[name] = true
	if _, err := d.str("description"); err != nil {
		return err
	}
	if _, err := d.enum("behavior", "Behavior", "UNSPECIFIED", "BLOCKING", "NON_BLOCKING"); err != nil {
		return err
	}
	if d.has("parameters") && d.has("parametersJsonSchema") {
		return geminiRule(at, "parameters and parameters_json_schema cannot both be set")
	}
	if d.has("response") && d.has("responseJsonSchema") {
		return geminiRule(at, "response and response_json_schema cannot both be set")
	}
	if raw, ok := d.m["response"]; ok {
		if _, err := geminiSchema(raw, d.path("response")); err != nil {
			return err
		}
	}
	t := tool{name: name}
	switch {
	case d.has("parameters"):
		if t.params, err = geminiSchema(d.m["parameters"], d.path("parameters")); err != nil {
			return err
		}
	case d.has("parametersJsonSchema"):
		t.params = d.m["parametersJsonSchema"]
	}
	// A call's args are a Struct, so the parameters must describe an object.
	var root struct {
		Type json.RawMessage `json:"type"`
	}
	if t.params != nil && (jsonKind(t.params) != "an object" || json.Unmarshal(t.params, &root) != nil ||
		root.Type != nil && string(root.Type) != `"object"`) {
		field := "parameters"
		if !d.has(field) {
			field = "parametersJsonSchema"
		}
		return geminiRule(d.path(field), "the parameters schema must be of type OBJECT")
	}
	w.p.tools = append(w.p.tools, t)
	return nil
}

// geminiFunctionName reports whether name starts with a letter or an
// underscore, has only letters, digits, _ . : and -, and is short enough.
func geminiFunctionName(name string) bool {
	if name == "" || len(name) > geminiMaxNameLen {
		return false
	}
	if c := name[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false
	}
	for _, c := range []byte(name) {
		if !anthropicIDByte(c) && c != '.' && c != ':' {
			return false
		}
	}
	return true
}

func (w *geminiWalk) toolConfig(top *protoObj) *geminiError {
	raw, ok := top.m["toolConfig"]
	if !ok {
		return nil
	}
	tc, err := decodeProto(raw, "tool_config", "ToolConfig", geminiToolConfigFields)
	if err != nil {
		return err
	}
	if _, err := tc.object("retrievalConfig", "RetrievalConfig"); err != nil {
		return err
	}
	if _, err := tc.boolean("includeServerSideToolInvocations"); err != nil {
		return err
	}
	raw, ok = tc.m["functionCallingConfig"]
	if !ok {
		return nil
	}
	fc, err := decodeProto(raw, "tool_config.function_calling_config", "FunctionCallingConfig", geminiCallingFields)
	if err != nil {
		return err
	}
	mode, err := fc.enum("mode", "FunctionCallingConfig.Mode", "MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED")
	if err != nil {
		return err
	}
	names, err := fc.strings("allowedFunctionNames")
	if err != nil {
		return err
	}
	if _, err := fc.boolean("streamFunctionCallArguments"); err != nil {
		return err
	}
	if mode != "" && mode != "MODE_UNSPECIFIED" && len(w.p.tools) == 0 {
		return geminiInvalid("Function calling config is set without function_declarations.")
	}
	switch mode {
	case "ANY":
		w.p.mode = toolRequired
	case "NONE":
		w.p.mode = toolNone
	}
	if len(names) > 0 {
		w.p.allowed = names
	}
	return nil
}

// system reads systemInstruction, which counts as a message when it has
// parts. Its role, whatever it says, is ignored.
func (w *geminiWalk) system(top *protoObj) *geminiError {
	raw, ok := top.m["systemInstruction"]
	if !ok {
		return nil
	}
	c, err := decodeProto(raw, "system_instruction", "Content", geminiContentFields)
	if err != nil {
		return err
	}
	if _, err := c.str("role"); err != nil {
		return err
	}
	parts, err := c.list("parts", geminiType("Part"))
	if err != nil || len(parts) == 0 {
		return err
	}
	for j, rp := range parts {
		at := c.path("parts") + "[" + strconv.Itoa(j) + "]"
		part, err := decodeProto(rp, at, "Part", geminiPartFields)
		if err != nil {
			return err
		}
		s, err := part.str("text")
		if err != nil {
			return err
		}
		if !part.has("text") {
			return geminiRule(at, "system_instruction parts must be text")
		}
		w.seed = fnvString(w.seed, s)
		w.msg.add(s)
	}
	w.total += chatMessageTokens + w.msg.take()
	return nil
}

func (w *geminiWalk) contents(top *protoObj) *geminiError {
	contents, err := top.list("contents", geminiType("Content"))
	if err != nil {
		return err
	}
	if len(contents) == 0 {
		return geminiRule("contents", "contents is not specified")
	}
	prevRole := ""
	pending := 0 // function calls of the previous turn, which this one must answer
	for i, rc := range contents {
		at := "contents[" + strconv.Itoa(i) + "]"
		c, err := decodeProto(rc, at, "Content", geminiContentFields)
		if err != nil {
			return err
		}
		role, err := c.str("role")
		if err != nil {
			return err
		}
		switch role {
		case "", "user", "function":
			role = "user"
		case "model":
		default:
			return geminiInvalid("Please use a valid role: user, model.")
		}
		parts, err := c.list("parts", geminiType("Part"))
		if err != nil {
			return err
		}
		if len(parts) == 0 {
			return geminiRule(c.path("parts"), "contents.parts must not be empty.")
		}
		t, err := w.content(c.path("parts"), role, parts, i == len(contents)-1)
		if err != nil {
			return err
		}
		if t.calls > 0 && prevRole != "user" {
			return geminiInvalid("Please ensure that function call turn comes immediately after a user turn or after a function response turn.")
		}
		if (pending > 0 || t.responses > 0) && t.responses != pending {
			return geminiInvalid("Please ensure that the number of function response parts is equal to the number of " +
				"function call parts of the function call turn.")
		}
		pending, prevRole = t.calls, role
	}
	return nil
}

// geminiTurn is what one content holds that the next one must answer.
type geminiTurn struct{ calls, responses int }

// content reads the parts of one content.
func (w *geminiWalk) content(at, role string, parts []json.RawMessage, last bool) (geminiTurn, *geminiError) {
	var t geminiTurn
	images := 0
	lastResponse := -1
	var after strings.Builder
	for j, rp := range parts {
		pat := at + "[" + strconv.Itoa(j) + "]"
		part, err := decodeProto(rp, pat, "Part", geminiPartFields)
		if err != nil {
			return t, err
		}
		data := ""
		for _, f := range geminiDataFields {
			if part.has(f) {
				if data != "" {
					return t, geminiPayload(pat, "Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '"+f+"'")
				}
				data = f
			}
		}
		if data == "" {
			return t, geminiRule(pat+".data", "required oneof field 'data' must have one initialized field")
		}
		thought, err := part.boolean("thought")
		if err != nil {
			return t, err
		}
		if part.has("thoughtSignature") {
			if err := part.bytes("thoughtSignature"); err != nil {
				return t, err
			}
		}
		switch data {
		case "text":
			s, err := part.str("text")
			if err != nil {
				return t, err
			}
			if !thought { // thoughts count nothing, as an Anthropic thinking block
				w.seed = fnvString(w.seed, s)
				w.msg.add(s)
				after.WriteString(s)
			}
		case "inlineData", "fileData":
			isImage, err := geminiMedia(part, data)
			if err != nil {
				return t, err
			}
			if isImage {
				images++
			}
		case "functionCall":
			if role != "model" {
				return t, geminiRule(part.path(data), "function_call parts can only be in model turns")
			}
			if err := w.call(part); err != nil {
				return t, err
			}
			t.calls++
		case "functionResponse":
			if role != "user" {
				return t, geminiRule(part.path(data), "function_response parts can only be in user turns")
			}
			if err := w.response(part); err != nil {
				return t, err
			}
			t.responses++
			lastResponse = j
			after.Reset()
		default:
			if _, err := part.object(data, strings.ToUpper(data[:1])+data[1:]); err != nil {
				return t, err
			}
		}
	}
	if last {
		w.p.lastRole = role
		if role == "model" {
			w.p.lastRole = "assistant"
		} else {
			w.p.lastText = after.String()
			if lastResponse >= 0 && after.Len() == 0 {
				w.p.lastRole = "tool" // answered in words
			}
		}
	}
	w.images += images
	w.total += chatMessageTokens + w.msg.take() + images*chatImageTokens
	return t, nil
}

// geminiMedia checks an inlineData or fileData part and reports whether it
// is an image.
func geminiMedia(part *protoObj, field string) (bool, *geminiError) {
	fields, typ := geminiBlobFields, "Blob"
	if field == "fileData" {
		fields, typ = geminiFileFields, "FileData"
	}
	m, err := decodeProto(part.m[field], part.path(field), typ, fields)
	if err != nil {
		return false, err
	}
	mime, err := m.str("mimeType")
	if err != nil {
		return false, err
	}
	if mime == "" {
		return false, geminiRule(m.path("mimeType"), "mime_type must be set")
	}
	if field == "inlineData" {
		if err := m.bytes("data"); err != nil {
			return false, err
		}
		if !m.has("data") {
			return false, geminiRule(m.path("data"), "data must be set")
		}
	} else {
		uri, err := m.str("fileUri")
		if err != nil {
			return false, err
		}
		if uri == "" {
			return false, geminiRule(m.path("fileUri"), "file_uri must be set")
		}
	}
	return strings.HasPrefix(mime, "image/"), nil
}

// call reads a functionCall part: its text is its name and then its args as
// compact JSON, added to the message's.
func (w *geminiWalk) call(part *protoObj) *geminiError {
	c, err := decodeProto(part.m["functionCall"], part.path("functionCall"), "FunctionCall", geminiCallFields)
	if err != nil {
		return err
	}
	name, err := c.str("name")
	if err != nil {
		return err
	}
	if name == "" {
		return geminiRule(c.path("name"), "Name cannot be empty.")
	}
	if _, err := c.str("id"); err != nil {
		return err
	}
	args, err := c.object("args", "Struct")
	if err != nil {
		return geminiBadValue(c.path("args"), "type.googleapis.com/google.protobuf.Struct", c.m["args"])
	}
	w.seed = fnvString(w.seed, name)
	w.seed, _ = fnvCompact(w.seed, args)
	w.msg.add(name)
	w.msg.addJSON(args)
	return nil
}

// response reads a functionResponse part: its text is its response as
// compact JSON and then its name, as an OpenAI tool message's is its content
// and then its call id, added to the message's.
func (w *geminiWalk) response(part *protoObj) *geminiError {
	r, err := decodeProto(part.m["functionResponse"], part.path("functionResponse"), "FunctionResponse", geminiResponseFields)
	if err != nil {
		return err
	}
	name, err := r.str("name")
	if err != nil {
		return err
	}
	if name == "" {
		return geminiRule(r.path("name"), "Name cannot be empty.")
	}
	if _, err := r.str("id"); err != nil {
		return err
	}
	resp, err := r.object("response", "Struct")
	if err != nil {
		return geminiBadValue(r.path("response"), "type.googleapis.com/google.protobuf.Struct", r.m["response"])
	}
	w.seed, _ = fnvCompact(w.seed, resp)
	w.seed = fnvString(w.seed, name)
	w.msg.addJSON(resp)
	w.msg.add(name)
	return nil
}

// generationConfig reads the answer's shape: its length, stops, candidates
// and format.
func (p *geminiPrompt) generationConfig(top *protoObj) *geminiError {
	raw, ok := top.m["generationConfig"]
	if !ok {
		return nil
	}
	g, err := decodeProto(raw, "generation_config", "GenerationConfig", geminiConfigFields)
	if err != nil {
		return err
	}
	if n, ok, err := g.integer("candidateCount", "TYPE_INT32"); err != nil {
		return err
	} else if ok && n != 0 {
		if n < 1 || n > geminiMaxCandidates {
			return geminiRule(g.path("candidateCount"), "candidate_count must be between 1 and %d, got %d", geminiMaxCandidates, n)
		}
		p.n = int(n)
	}
	if n, ok, err := g.integer("maxOutputTokens", "TYPE_INT32"); err != nil {
		return err
	} else if ok && n != 0 {
		if n < 0 {
			return geminiRule(g.path("maxOutputTokens"), "max_output_tokens must be positive")
		}
		if n > maxOutputTokens {
			return geminiInvalid("The input max_output_tokens (%d) exceeds the maximum number of tokens allowed (%d).", n, maxOutputTokens)
		}
		p.max = int(n)
	}
	stops, err := g.strings("stopSequences")
	if err != nil {
		return err
	}
	if len(stops) > geminiMaxStops {
		return geminiRule(g.path("stopSequences"), "the number of stop sequences must be at most %d", geminiMaxStops)
	}
	p.stop = stops
	for _, f := range []struct {
		name   string
		lo, hi float64
	}{{"temperature", 0, 2}, {"topP", 0, 1}, {"presencePenalty", -2, 2}, {"frequencyPenalty", -2, 2}} {
		v, ok, err := g.number(f.name)
		if err != nil {
			return err
		}
		if ok && (v < f.lo || v > f.hi) {
			return geminiRule(g.path(f.name), "%s must be in the range [%g, %g], got %g", geminiSnake(f.name), f.lo, f.hi, v)
		}
	}
	for _, name := range []string{"topK", "seed", "logprobs"} {
		if _, _, err := g.integer(name, "TYPE_INT32"); err != nil {
			return err
		}
	}
	if raw, ok := g.m["thinkingConfig"]; ok {
		t, err := decodeProto(raw, g.path("thinkingConfig"), "ThinkingConfig", geminiThinkingFields)
		if err != nil {
			return err
		}
		if _, err := t.boolean("includeThoughts"); err != nil {
			return err
		}
		if _, _, err := t.integer("thinkingBudget", "TYPE_INT32"); err != nil {
			return err
		}
		if _, err := t.enum("thinkingLevel", "ThinkingLevel", "THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"); err != nil {
			return err
		}
	}
	return p.responseFormat(g)
}

// responseFormat reads responseMimeType and the response schemas.
func (p *geminiPrompt) responseFormat(g *protoObj) *geminiError {
	mime, err := g.str("responseMimeType")
	if err != nil {
		return err
	}
	if mime != "" && !geminiMimeTypes[mime] {
		return geminiRule(g.path("responseMimeType"), "allowed mimetypes are `text/plain`, `application/json`, "+
			"`application/xml`, `application/yaml` and `text/x.enum`.")
	}
	if g.has("responseSchema") && g.has("responseJsonSchema") {
		return geminiRule(g.path("responseSchema"), "response_schema and response_json_schema cannot both be set")
	}
	var schema []byte
	switch {
	case g.has("responseSchema"):
		if schema, err = geminiSchema(g.m["responseSchema"], g.path("responseSchema")); err != nil {
			return err
		}
	case g.has("responseJsonSchema"):
		schema = g.m["responseJsonSchema"]
	}
	if schema != nil && mime != "application/json" && mime != "text/x.enum" {
		return geminiRule(g.path("responseMimeType"), "response_mime_type must be application/json or text/x.enum "+
			"when a response schema is set")
	}
	switch {
	case schema != nil:
		p.format, p.schema = formatJSONSchema, schema
		p.enum = mime == "text/x.enum"
	case mime == "application/json":
		p.format = formatJSONObject
	case mime == "text/x.enum":
		return geminiRule(g.path("responseSchema"), "response_schema with an enum is required for text/x.enum")
	}
	return nil
}

var geminiThresholds = []string{"HARM_BLOCK_THRESHOLD_UNSPECIFIED", "BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE",
	"BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF"}

// geminiSafety checks safetySettings, which the emulator's answers, always
// safe, do not depend on.
func geminiSafety(top *protoObj) *geminiError {
	settings, err := top.list("safetySettings", geminiType("SafetySetting"))
	if err != nil {
		return err
	}
	for i, rs := range settings {
		s, err := decodeProto(rs, "safety_settings["+strconv.Itoa(i)+"]", "SafetySetting", geminiSafetyFields)
		if err != nil {
			return err
		}
		cat, err := s.str("category")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(cat, "HARM_CATEGORY_") {
			return geminiBadValue(s.path("category"), geminiType("HarmCategory"), s.m["category"])
		}
		if _, err := s.enum("threshold", "SafetySetting.HarmBlockThreshold", geminiThresholds...); err != nil {
			return err
		}
		if _, err := s.str("method"); err != nil {
			return err
		}
	}
	return nil
}
