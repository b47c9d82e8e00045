package emulate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// converseRequest is a Converse request. The members that neither shape the
// answer nor are validated here are kept raw, only so that their names are
// known to checkMemberCase; they are accepted and ignored, as a model that
// does not use them would. Pointers tell absent from zero.
type converseRequest struct {
	AdditionalModelRequestFields      json.RawMessage `json:"additionalModelRequestFields"`
	AdditionalModelResponseFieldPaths json.RawMessage `json:"additionalModelResponseFieldPaths"`
	GuardrailConfig                   json.RawMessage `json:"guardrailConfig"`
	PerformanceConfig                 json.RawMessage `json:"performanceConfig"`
	PromptVariables                   json.RawMessage `json:"promptVariables"`
	RequestMetadata                   json.RawMessage `json:"requestMetadata"`
	ServiceTier                       json.RawMessage `json:"serviceTier"`

	Messages        []converseMessage `json:"messages"`
	System          []converseSystem  `json:"system"`
	InferenceConfig *struct {
		MaxTokens     *int      `json:"maxTokens"`
		Temperature   *float64  `json:"temperature"`
		TopP          *float64  `json:"topP"`
		StopSequences []*string `json:"stopSequences"`
	} `json:"inferenceConfig"`
	ToolConfig *struct {
		Tools      json.RawMessage `json:"tools"` // kept whole: its compact JSON counts as prompt tokens
		ToolChoice *struct {
			Auto *struct{} `json:"auto"`
			Any  *struct{} `json:"any"`
			Tool *struct {
				Name *string `json:"name"`
			} `json:"tool"`
		} `json:"toolChoice"`
	} `json:"toolConfig"`
	OutputConfig *struct {
		TextFormat *struct {
			Type      *string `json:"type"`
			Structure *struct {
				JSONSchema *struct {
					Schema *string `json:"schema"` // a JSON Schema, as a string
				} `json:"jsonSchema"`
			} `json:"structure"`
		} `json:"textFormat"`
	} `json:"outputConfig"`
}

type converseMessage struct {
	Role    *string         `json:"role"`
	Content []converseBlock `json:"content"`
}

// converseBlock is the ContentBlock union: exactly one member is set. Members
// that count nothing are kept raw, only to tell whether they are set.
type converseBlock struct {
	Text             *string             `json:"text"`
	Image            *converseImage      `json:"image"`
	ToolUse          *converseToolUse    `json:"toolUse"`
	ToolResult       *converseToolResult `json:"toolResult"`
	ReasoningContent *struct {
		ReasoningText *struct {
			Text string `json:"text"`
		} `json:"reasoningText"`
	} `json:"reasoningContent"`
	Document         json.RawMessage `json:"document"`
	Video            json.RawMessage `json:"video"`
	Audio            json.RawMessage `json:"audio"`
	GuardContent     json.RawMessage `json:"guardContent"`
	CachePoint       json.RawMessage `json:"cachePoint"`
	CitationsContent json.RawMessage `json:"citationsContent"`
	SearchResult     json.RawMessage `json:"searchResult"`
	ToolAddition     json.RawMessage `json:"toolAddition"`
	ToolRemoval      json.RawMessage `json:"toolRemoval"`
}

func (b *converseBlock) members() int {
	return unionBit(b.Text != nil) + unionBit(b.Image != nil) + unionBit(b.ToolUse != nil) + unionBit(b.ToolResult != nil) +
		unionBit(b.ReasoningContent != nil) + rawSet(b.Document) + rawSet(b.Video) + rawSet(b.Audio) +
		rawSet(b.GuardContent) + rawSet(b.CachePoint) + rawSet(b.CitationsContent) + rawSet(b.SearchResult) +
		rawSet(b.ToolAddition) + rawSet(b.ToolRemoval)
}

type converseImage struct {
	Format *string `json:"format"`
	Source *struct {
		Bytes      *string         `json:"bytes"` // base64, as restJson1 carries blobs
		S3Location json.RawMessage `json:"s3Location"`
	} `json:"source"`
}

type converseToolUse struct {
	ToolUseID *string         `json:"toolUseId"`
	Name      *string         `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type converseToolResult struct {
	ToolUseID *string               `json:"toolUseId"`
	Content   []converseResultBlock `json:"content"`
	Status    *string               `json:"status"`
}

type converseResultBlock struct {
	Text         *string         `json:"text"`
	JSON         json.RawMessage `json:"json"`
	Image        *converseImage  `json:"image"`
	Document     json.RawMessage `json:"document"`
	Video        json.RawMessage `json:"video"`
	SearchResult json.RawMessage `json:"searchResult"`
}

func (b *converseResultBlock) members() int {
	return unionBit(b.Text != nil) + rawSet(b.JSON) + unionBit(b.Image != nil) + rawSet(b.Document) +
		rawSet(b.Video) + rawSet(b.SearchResult)
}

type converseSystem struct {
	Text         *string         `json:"text"`
	GuardContent json.RawMessage `json:"guardContent"`
	CachePoint   json.RawMessage `json:"cachePoint"`
}

type converseTool struct {
	ToolSpec *struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
		InputSchema *struct {
			JSON json.RawMessage `json:"json"`
		} `json:"inputSchema"`
	} `json:"toolSpec"`
	SystemTool json.RawMessage `json:"systemTool"`
	CachePoint json.RawMessage `json:"cachePoint"`
}

func unionBit(ok bool) int {
	if ok {
		return 1
	}
	return 0
}

// rawSet reports whether a raw union member was sent with a value: JSON
// null, like absence, leaves a member unset.
func rawSet(raw json.RawMessage) int {
	return unionBit(len(raw) > 0 && !bytes.Equal(raw, []byte("null")))
}

// Patterns and lengths of Bedrock's identifiers.
const (
	toolNamePattern  = "[a-zA-Z0-9_-]+"
	toolUseIDPattern = "[a-zA-Z0-9_.:-]+"
	maxIdentifierLen = 64
)

// identifierChars reports whether s is made only of ASCII letters, digits and the
// bytes in extra: the character classes of Bedrock's identifier patterns.
func identifierChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// checkAWSIdentifier checks a tool name or tool use id against its pattern and
// length limits.
func checkAWSIdentifier(v *string, path, pattern, extra string) *bedrockError {
	switch {
	case v == nil:
		return awsNotNull(path)
	case len(*v) < 1:
		return awsTooShort(*v, path, 1)
	case len(*v) > maxIdentifierLen:
		return awsTooLong(*v, path, maxIdentifierLen)
	case !identifierChars(*v, extra):
		return awsPattern(*v, path, pattern)
	}
	return nil
}

// converse is a decoded Converse request: the cloud-neutral prompt and what
// only Bedrock has.
type converse struct {
	prompt
	stops []string // stopSequences, applied after generation so that a cut can be told apart
}

// decodeConverse reads a Converse request for model into a prompt, or returns
// the ValidationException Bedrock would answer. It checks members' constraints
// first and the conversation's rules after, as Bedrock does, and counts the
// prompt's tokens and hashes its text as it goes (see the Bedrock rule in
// bedrock.go).
func decodeConverse(body []byte, model string) (*converse, *bedrockError) {
	var req converseRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, converseJSONError(err, "")
	}
	if err := checkMemberCase(body, reflect.TypeFor[converseRequest](), ""); err != nil {
		return nil, err
	}
	cv := &converse{prompt: prompt{model: model, n: 1}}
	p := &cv.prompt
	if err := cv.readInference(&req); err != nil {
		return nil, err
	}
	tools, err := cv.readToolConfig(&req)
	if err != nil {
		return nil, err
	}
	if err := cv.readOutputConfig(&req); err != nil {
		return nil, err
	}

	count := newPromptCounter()
	h := uint64(fnvOffset)
	sysText := false
	for i := range req.System {
		s := &req.System[i]
		at := "system." + strconv.Itoa(i) + ".member"
		if n := unionBit(s.Text != nil) + rawSet(s.GuardContent) + rawSet(s.CachePoint); n != 1 {
			return nil, awsUnionError(at, n)
		}
		if s.Text != nil {
			if *s.Text == "" {
				return nil, awsTooShort("", at+".text", 1)
			}
			h = fnvString(h, *s.Text)
			count.add(*s.Text)
			sysText = true
		}
	}
	if sysText {
		// The system prompt counts as one message, as an OpenAI system message does.
		count.message(0)
	}

	var scratch bytes.Buffer
	toolBlocks := false
	for i := range req.Messages {
		m := &req.Messages[i]
		at := "messages." + strconv.Itoa(i) + ".member"
		if m.Role == nil {
			return nil, awsNotNull(at + ".role")
		}
		if *m.Role != "user" && *m.Role != "assistant" && *m.Role != "system" {
			return nil, awsEnum(*m.Role, at+".role", "user, assistant, system")
		}
		if m.Content == nil {
			return nil, awsNotNull(at + ".content")
		}
		images := 0
		for j := range m.Content {
			imgs, tool, err := m.Content[j].read(&h, &count, &scratch, at+".content."+strconv.Itoa(j)+".member", i, j)
			if err != nil {
				return nil, err
			}
			images += imgs
			toolBlocks = toolBlocks || tool
		}
		count.message(images)
	}
	if err := checkConverseTurns(req.Messages, toolBlocks, tools); err != nil {
		return nil, err
	}

	last := &req.Messages[len(req.Messages)-1]
	p.lastRole = *last.Role
	if p.lastRole == "user" {
		var text strings.Builder
		for j := range last.Content {
			b := &last.Content[j]
			if b.ToolResult != nil {
				p.lastRole = "tool" // a tool's result is answered in words, as after an OpenAI tool message
			}
			if b.Text != nil {
				text.WriteString(*b.Text)
			}
		}
		p.lastText = text.String()
	}
	if tools != nil {
		count.total += jsonTokens(tools)
	}
	p.seed, p.tokens = h, count.total
	return cv, nil
}

// converseJSONError turns an encoding/json error into Bedrock's 400. Members
// inside what was decoded are named after prefix, such as "toolConfig.tools".
func converseJSONError(err error, prefix string) *bedrockError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		at := te.Field
		if prefix != "" {
			at = strings.TrimSuffix(prefix+"."+te.Field, ".")
		}
		if at == "" {
			return awsMalformed("expected a JSON object, but got " + article(te.Value))
		}
		return awsMalformed("expected " + goKind(te.Type.Kind().String()) + " at '" + at + "', but got " + article(te.Value))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return awsMalformed("the body is not valid JSON (" + se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10) + ")")
	}
	return awsMalformed(err.Error())
}

// awsUnionError answers a union with no member or several set.
func awsUnionError(path string, n int) *bedrockError {
	if n == 0 {
		return bedrockInvalid("The union at '%s' sets none of its members. Set exactly one member and try again.", path)
	}
	return bedrockInvalid("The union at '%s' sets %d members. Set exactly one member and try again.", path, n)
}

// read checks content block j of message i, whose constraint path is at, adds
// its text to h and to count's current message, and returns its images and
// whether it is a tool use or result.
func (b *converseBlock) read(h *uint64, count *promptCounter, scratch *bytes.Buffer, at string, i, j int) (images int, tool bool, _ *bedrockError) {
	if k := b.members(); k != 1 {
		return 0, false, awsUnionError(at, k)
	}
	where := "messages." + strconv.Itoa(i) + ".content." + strconv.Itoa(j)
	switch {
	case b.Text != nil:
		if strings.TrimSpace(*b.Text) == "" {
			return 0, false, bedrockInvalid("The text field in the ContentBlock object at %s is blank. "+
				"Add text to the text field, and try again.", where)
		}
		*h = fnvString(*h, *b.Text)
		count.add(*b.Text)
		return 0, false, nil
	case b.Image != nil:
		if err := b.Image.check(at + ".image"); err != nil {
			return 0, false, err
		}
		return 1, false, nil
	case b.ReasoningContent != nil:
		if rt := b.ReasoningContent.ReasoningText; rt != nil {
			*h = fnvString(*h, rt.Text)
			count.add(rt.Text)
		}
		return 0, false, nil
	case b.ToolUse != nil:
		u := b.ToolUse
		if err := checkAWSIdentifier(u.ToolUseID, at+".toolUse.toolUseId", toolUseIDPattern, "_.:-"); err != nil {
			return 0, false, err
		}
		if err := checkAWSIdentifier(u.Name, at+".toolUse.name", toolNamePattern, "_-"); err != nil {
			return 0, false, err
		}
		if rawSet(u.Input) == 0 {
			return 0, false, awsNotNull(at + ".toolUse.input")
		}
		if jsonKind(u.Input) != "an object" {
			return 0, false, awsNotObject(where + ".toolUse.input")
		}
		scratch.Reset()
		_ = json.Compact(scratch, u.Input) // valid: it was decoded
		*h = fnvBytes(fnvString(*h, *u.Name), scratch.Bytes())
		count.add(*u.Name)
		count.add(scratch.String())
		return 0, true, nil
	case b.ToolResult != nil:
		images, err := b.ToolResult.read(h, count, scratch, at+".toolResult", where+".toolResult")
		return images, true, err
	}
	return 0, false, nil // documents, video, audio, cache points and the rest count nothing
}

// read checks a tool result and adds its text to h: its content's texts and
// JSON, then its toolUseId, as an OpenAI tool message's content and then its
// tool_call_id.
func (r *converseToolResult) read(h *uint64, count *promptCounter, scratch *bytes.Buffer, at, where string) (images int, _ *bedrockError) {
	if err := checkAWSIdentifier(r.ToolUseID, at+".toolUseId", toolUseIDPattern, "_.:-"); err != nil {
		return 0, err
	}
	if r.Content == nil {
		return 0, awsNotNull(at + ".content")
	}
	if r.Status != nil && *r.Status != "success" && *r.Status != "error" {
		return 0, awsEnum(*r.Status, at+".status", "success, error")
	}
	if r.Status != nil && *r.Status == "error" && len(r.Content) == 0 {
		return 0, bedrockInvalid("The content field at %s cannot be empty when status value is error.", where)
	}
	for k := range r.Content {
		c := &r.Content[k]
		cat := at + ".content." + strconv.Itoa(k) + ".member"
		if m := c.members(); m != 1 {
			return 0, awsUnionError(cat, m)
		}
		switch {
		case c.Text != nil:
			*h = fnvString(*h, *c.Text)
			count.add(*c.Text)
		case rawSet(c.JSON) == 1:
			if jsonKind(c.JSON) != "an object" {
				return 0, awsNotObject(where + ".content." + strconv.Itoa(k) + ".json")
			}
			scratch.Reset()
			_ = json.Compact(scratch, c.JSON)
			*h = fnvBytes(*h, scratch.Bytes())
			count.add(scratch.String())
		case c.Image != nil:
			if err := c.Image.check(cat + ".image"); err != nil {
				return 0, err
			}
			images++
		}
	}
	*h = fnvString(*h, *r.ToolUseID)
	count.add(*r.ToolUseID)
	return images, nil
}

// check validates an image block: a known format and exactly one source,
// whose bytes, if that is the source, must be base64.
func (img *converseImage) check(at string) *bedrockError {
	if img.Format == nil {
		return awsNotNull(at + ".format")
	}
	switch *img.Format {
	case "png", "jpeg", "gif", "webp":
	default:
		return awsEnum(*img.Format, at+".format", "png, jpeg, gif, webp")
	}
	if img.Source == nil {
		return awsNotNull(at + ".source")
	}
	if n := unionBit(img.Source.Bytes != nil) + rawSet(img.Source.S3Location); n != 1 {
		return awsUnionError(at+".source", n)
	}
	if b := img.Source.Bytes; b != nil {
		if *b == "" {
			return awsTooShort("", at+".source.bytes", 1)
		}
		if _, err := base64.StdEncoding.DecodeString(*b); err != nil {
			return awsMalformed("the value at '" + at + ".source.bytes' is not valid base64 (" + err.Error() + ")")
		}
	}
	return nil
}

// checkConverseTurns applies Bedrock's rules for a conversation as a whole:
// it starts with the user and alternates, no message is empty, tool blocks
// need a toolConfig, and each turn after tool uses answers every one of them.
func checkConverseTurns(msgs []converseMessage, toolBlocks bool, tools json.RawMessage) *bedrockError {
	if len(msgs) == 0 || *msgs[0].Role != "user" {
		return bedrockInvalid("A conversation must start with a user message. Try again with a conversation " +
			"that starts with a user message.")
	}
	for i := range msgs {
		if *msgs[i].Role == "system" {
			return bedrockInvalid("The message at messages.%d has the role system, which this model does not "+
				"support in messages. Put system prompts in the system field and try again.", i)
		}
		if i > 0 && *msgs[i].Role == *msgs[i-1].Role {
			return bedrockInvalid("A conversation must alternate between user and assistant roles. Make sure " +
				"the conversation alternates between user and assistant roles and try again.")
		}
		if len(msgs[i].Content) == 0 {
			return bedrockInvalid("The content field in the Message object at messages.%d is empty. Add a "+
				"ContentBlock object to the content field and try again.", i)
		}
	}
	if toolBlocks && tools == nil {
		return bedrockInvalid("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
	}
	for i := range msgs {
		if *msgs[i].Role != "user" {
			continue
		}
		var uses []string
		if i > 0 {
			for _, b := range msgs[i-1].Content {
				if b.ToolUse != nil {
					uses = append(uses, *b.ToolUse.ToolUseID)
				}
			}
		}
		results := map[string]bool{}
		for _, b := range msgs[i].Content {
			if b.ToolResult != nil {
				results[*b.ToolResult.ToolUseID] = true
			}
		}
		if len(results) > len(uses) {
			return bedrockInvalid("The number of toolResult blocks at messages.%d.content exceeds the number of "+
				"toolUse blocks of previous turn.", i)
		}
		var unanswered []string
		for _, id := range uses {
			if !results[id] {
				unanswered = append(unanswered, id)
			}
		}
		if len(unanswered) > 0 {
			return bedrockInvalid("Expected toolResult blocks at messages.%d.content for the following Ids: %s",
				i, strings.Join(unanswered, ", "))
		}
	}
	return nil
}

// readInference reads maxTokens, the sampling ranges and the stop sequences.
func (cv *converse) readInference(req *converseRequest) *bedrockError {
	ic := req.InferenceConfig
	if ic == nil {
		return nil
	}
	if ic.MaxTokens != nil {
		v := *ic.MaxTokens
		if v < 1 {
			return awsBelow(v, "inferenceConfig.maxTokens", 1)
		}
		if v > maxOutputTokens {
			return bedrockInvalid("The maximum tokens you requested exceeds the model limit of %d. Try again "+
				"with a maximum tokens value that is at most %d.", maxOutputTokens, maxOutputTokens)
		}
		cv.max = v
	}
	for _, f := range [...]struct {
		name string
		v    *float64
	}{{"inferenceConfig.temperature", ic.Temperature}, {"inferenceConfig.topP", ic.TopP}} {
		switch {
		case f.v == nil:
		case *f.v < 0:
			return awsBelow(strconv.FormatFloat(*f.v, 'g', -1, 64), f.name, 0)
		case *f.v > 1:
			return awsAbove(strconv.FormatFloat(*f.v, 'g', -1, 64), f.name, 1)
		}
	}
	for i, s := range ic.StopSequences {
		at := "inferenceConfig.stopSequences." + strconv.Itoa(i) + ".member"
		if s == nil {
			return awsNotNull(at)
		}
		if *s == "" {
			return awsTooShort("", at, 1)
		}
		cv.stops = append(cv.stops, *s)
	}
	return nil
}

// readToolConfig reads the tools and toolChoice, and returns the tools array
// as sent, or nil without a toolConfig.
func (cv *converse) readToolConfig(req *converseRequest) (json.RawMessage, *bedrockError) {
	tc := req.ToolConfig
	if tc == nil {
		return nil, nil
	}
	if rawSet(tc.Tools) == 0 {
		return nil, awsNotNull("toolConfig.tools")
	}
	if kind := jsonKind(tc.Tools); kind != "an array" {
		return nil, awsMalformed("expected an array at 'toolConfig.tools', but got " + kind)
	}
	var specs []converseTool
	if err := json.Unmarshal(tc.Tools, &specs); err != nil {
		return nil, converseJSONError(err, "toolConfig.tools")
	}
	if err := checkMemberCase(tc.Tools, reflect.TypeFor[[]converseTool](), "toolConfig.tools"); err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return nil, awsTooShort("[]", "toolConfig.tools", 1)
	}
	for i := range specs {
		t := &specs[i]
		at := "toolConfig.tools." + strconv.Itoa(i) + ".member"
		if n := unionBit(t.ToolSpec != nil) + rawSet(t.SystemTool) + rawSet(t.CachePoint); n != 1 {
			return nil, awsUnionError(at, n)
		}
		s := t.ToolSpec
		if s == nil {
			continue // system tools and cache points are never called
		}
		if err := checkAWSIdentifier(s.Name, at+".toolSpec.name", toolNamePattern, "_-"); err != nil {
			return nil, err
		}
		if s.Description != nil && *s.Description == "" {
			return nil, awsTooShort("", at+".toolSpec.description", 1)
		}
		if s.InputSchema == nil {
			return nil, awsNotNull(at + ".toolSpec.inputSchema")
		}
		if rawSet(s.InputSchema.JSON) == 0 {
			return nil, awsUnionError(at+".toolSpec.inputSchema", 0)
		}
		if jsonKind(s.InputSchema.JSON) != "an object" {
			return nil, awsNotObject("toolConfig.tools." + strconv.Itoa(i) + ".toolSpec.inputSchema.json")
		}
		cv.tools = append(cv.tools, tool{name: *s.Name, params: s.InputSchema.JSON})
	}
	if ch := tc.ToolChoice; ch != nil {
		if n := unionBit(ch.Auto != nil) + unionBit(ch.Any != nil) + unionBit(ch.Tool != nil); n != 1 {
			return nil, awsUnionError("toolConfig.toolChoice", n)
		}
		switch {
		case ch.Any != nil:
			cv.mode = toolRequired
		case ch.Tool != nil:
			if err := checkAWSIdentifier(ch.Tool.Name, "toolConfig.toolChoice.tool.name", toolNamePattern, "_-"); err != nil {
				return nil, err
			}
			if cv.find(*ch.Tool.Name) == nil {
				return nil, bedrockInvalid("The tool %s named in toolConfig.toolChoice is not one of the tools in "+
					"toolConfig.tools. Name a tool you defined and try again.", *ch.Tool.Name)
			}
			cv.mode, cv.named = toolRequired, *ch.Tool.Name
		}
	}
	return tc.Tools, nil
}

// readOutputConfig reads a structured-output schema, which Bedrock takes as a
// string holding the JSON Schema.
func (cv *converse) readOutputConfig(req *converseRequest) *bedrockError {
	if req.OutputConfig == nil || req.OutputConfig.TextFormat == nil {
		return nil
	}
	tf := req.OutputConfig.TextFormat
	const at = "outputConfig.textFormat"
	if tf.Type == nil {
		return awsNotNull(at + ".type")
	}
	if *tf.Type != "json_schema" {
		return awsEnum(*tf.Type, at+".type", "json_schema")
	}
	if tf.Structure == nil {
		return awsNotNull(at + ".structure")
	}
	if tf.Structure.JSONSchema == nil {
		return awsUnionError(at+".structure", 0)
	}
	s := tf.Structure.JSONSchema.Schema
	if s == nil {
		return awsNotNull(at + ".structure.jsonSchema.schema")
	}
	if !json.Valid([]byte(*s)) || jsonKind([]byte(*s)) != "an object" {
		return bedrockInvalid("The value at %s.structure.jsonSchema.schema is not a JSON Schema: provide a JSON "+
			"object, as a string, and try again.", at)
	}
	cv.format, cv.schema = formatJSONSchema, json.RawMessage(*s)
	return nil
}
