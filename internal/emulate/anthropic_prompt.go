package emulate

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/switchyard/switchyard/internal/tokens"
)

type anthropicMessage struct {
	Role    *string         `json:"role"`
	Content json.RawMessage `json:"content"`
}

// anthropicBlock holds the members of every content block type the emulator
// models; anthropicBlockFields says which belong to which type.
type anthropicBlock struct {
	Type         *string         `json:"type"`
	Text         *string         `json:"text"`
	Source       json.RawMessage `json:"source"`
	ID           *string         `json:"id"`
	Name         *string         `json:"name"`
	Input        json.RawMessage `json:"input"`
	ToolUseID    *string         `json:"tool_use_id"`
	Content      json.RawMessage `json:"content"`
	IsError      *bool           `json:"is_error"`
	Thinking     *string         `json:"thinking"`
	Signature    *string         `json:"signature"`
	Data         *string         `json:"data"`
	CacheControl json.RawMessage `json:"cache_control"`
	Citations    json.RawMessage `json:"citations"`
	Title        json.RawMessage `json:"title"`
	Context      json.RawMessage `json:"context"`
	Caller       json.RawMessage `json:"caller"`
}

var anthropicBlockFields = [...]struct {
	name string
	has  func(*anthropicBlock) bool
}{
	{"text", func(b *anthropicBlock) bool { return b.Text != nil }},
	{"source", func(b *anthropicBlock) bool { return b.Source != nil }},
	{"id", func(b *anthropicBlock) bool { return b.ID != nil }},
	{"name", func(b *anthropicBlock) bool { return b.Name != nil }},
	{"input", func(b *anthropicBlock) bool { return b.Input != nil }},
	{"tool_use_id", func(b *anthropicBlock) bool { return b.ToolUseID != nil }},
	{"content", func(b *anthropicBlock) bool { return b.Content != nil }},
	{"is_error", func(b *anthropicBlock) bool { return b.IsError != nil }},
	{"thinking", func(b *anthropicBlock) bool { return b.Thinking != nil }},
	{"signature", func(b *anthropicBlock) bool { return b.Signature != nil }},
	{"data", func(b *anthropicBlock) bool { return b.Data != nil }},
	{"cache_control", func(b *anthropicBlock) bool { return b.CacheControl != nil }},
	{"citations", func(b *anthropicBlock) bool { return b.Citations != nil }},
	{"title", func(b *anthropicBlock) bool { return b.Title != nil }},
	{"context", func(b *anthropicBlock) bool { return b.Context != nil }},
	{"caller", func(b *anthropicBlock) bool { return b.Caller != nil }},
}

// anthropicBlockTypes lists, for each modelled block type, the members it may
// have besides type.
var anthropicBlockTypes = map[string]string{
	"text":              " text cache_control citations ",
	"image":             " source cache_control ",
	"document":          " source cache_control citations title context ",
	"tool_use":          " id name input cache_control caller ",
	"tool_result":       " tool_use_id content is_error cache_control ",
	"thinking":          " thinking signature ",
	"redacted_thinking": " data ",
}

// anthropicOpaqueBlocks are block types of server tools and newer features:
// accepted as they are, and counted as nothing.
var anthropicOpaqueBlocks = map[string]bool{
	"search_result": true, "server_tool_use": true, "web_search_tool_result": true,
	"web_fetch_tool_result": true, "code_execution_tool_result": true,
	"bash_code_execution_tool_result": true, "text_editor_code_execution_tool_result": true,
	"tool_search_tool_result": true, "mcp_tool_use": true, "mcp_tool_result": true,
	"container_upload": true, "tool_reference": true, "compaction": true,
}

const anthropicBlockTags = "'text', 'image', 'document', 'search_result', 'thinking', 'redacted_thinking', " +
	"'tool_use', 'tool_result', 'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result', " +
	"'code_execution_tool_result', 'mcp_tool_use', 'mcp_tool_result', 'container_upload'"

// anthropicTool is a client tool definition.
type anthropicTool struct {
	Type                *string         `json:"type"`
	Name                *string         `json:"name"`
	Description         *string         `json:"description"`
	InputSchema         json.RawMessage `json:"input_schema"`
	CacheControl        json.RawMessage `json:"cache_control"`
	Strict              *bool           `json:"strict"`
	InputExamples       json.RawMessage `json:"input_examples"`
	DeferLoading        *bool           `json:"defer_loading"`
	AllowedCallers      json.RawMessage `json:"allowed_callers"`
	EagerInputStreaming *bool           `json:"eager_input_streaming"`
}

// anthropicWalk reads the prompt in cache order (tools, system, messages),
// counting its tokens, hashing its text for the answer's seed, and recording
// every block boundary for the prompt cache.
type anthropicWalk struct {
	p     *anthropicPrompt
	total int    // prompt tokens of the sections read so far
	seed  uint64 // FNV-1a of the conversation text so far
	chash uint64 // hash of the cacheable prefix so far
	plan  anthropicCachePlan

	nested *bool // a cache_control inside the tool_result just read: whether its ttl is an hour

	hasTools    bool   // the request defines tools
	toolBlockAt string // the first tool_use or tool_result block, which needs tools defined
}

// bound records a block boundary: the prefix so far, worth tokens tokens.
func (w *anthropicWalk) bound(tokens int) {
	w.plan.bounds = append(w.plan.bounds, anthropicCacheBound{hash: w.chash, tokens: tokens})
}

// mark makes the last boundary a cache breakpoint.
func (w *anthropicWalk) mark(ttl1h bool) {
	w.plan.breaks = append(w.plan.breaks, anthropicCacheBreak{at: len(w.plan.bounds) - 1, ttl1h: ttl1h})
}

// anthropicMix adds s to a hash, followed by a byte that valid UTF-8 never
// contains, so that different splits of the same bytes hash differently.
func anthropicMix(h uint64, s string) uint64 {
	h = fnvString(h, s)
	h ^= 0xff
	return h * fnvPrime
}

// fnvCompact adds valid JSON to h with insignificant whitespace removed,
// and returns its compact length, without building the compact text.
func fnvCompact(h uint64, raw []byte) (uint64, int) {
	n, inString, escaped := 0, false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		default:
			inString = c == '"'
		}
		h ^= uint64(c)
		h *= fnvPrime
		n++
	}
	return h, n
}

func (w *anthropicWalk) tools(raw json.RawMessage) *anthropicError {
	switch jsonKind(raw) {
	case "nothing", "null":
		return nil
	case "an array":
	default:
		return anthropicWant("tools", "list")
	}
	var specs []json.RawMessage
	if err := json.Unmarshal(raw, &specs); err != nil {
		return anthropicDecodeError(err, "tools")
	}
	names := make(map[string]bool, len(specs))
	prefix := []byte{'['} // the compact array up to the current tool
	for i, rs := range specs {
		at := anthropicIndex("tools", i)
		if jsonKind(rs) != "an object" {
			return anthropicWant(at, "dictionary")
		}
		var peek struct {
			Type *string         `json:"type"`
			Name json.RawMessage `json:"name"`
		}
		_ = json.Unmarshal(rs, &peek) // an object: only mistyped members fail, and they are checked below
		var name string
		var cc json.RawMessage
		if peek.Type == nil || *peek.Type == "custom" {
			var t anthropicTool
			if err := anthropicStrict(rs, at+".custom", &t); err != nil {
				return err
			}
			if err := checkAnthropicTool(&t, at+".custom"); err != nil {
				return err
			}
			name, cc = *t.Name, t.CacheControl
			w.p.tools = append(w.p.tools, tool{name: name, params: t.InputSchema})
		} else {
			if !anthropicServerTool(*peek.Type) {
				return anthropicInvalid("%s: Input tag '%s' found using 'type' does not match any of the expected tags", at, *peek.Type)
			}
			var st struct {
				Name         *string         `json:"name"`
				CacheControl json.RawMessage `json:"cache_control"`
			}
			_ = json.Unmarshal(rs, &st)
			if st.Name == nil {
				return anthropicRequired(at + "." + *peek.Type + ".name")
			}
			name, cc = *st.Name, st.CacheControl
		}
		if names[name] {
			return anthropicInvalid("tools: Tool names must be unique.")
		}
		names[name] = true
		w.chash, _ = fnvCompact(w.chash, rs)
		if i > 0 {
			prefix = append(prefix, ',')
		}
		prefix = appendCompact(prefix, rs)
		w.bound(chatPrimingTokens + textTokens(string(prefix)+"]"))
		if cc != nil && string(cc) != "null" {
			ttl1h, err := anthropicCacheControl(cc, at+".cache_control")
			if err != nil {
				return err
			}
			w.mark(ttl1h)
		}
	}
	w.total += jsonTokens(raw)
	w.hasTools = true
	return nil
}

// anthropicServerTool reports whether a tool type names a server or
// Anthropic-defined tool: a versioned name such as web_search_20250305.
func anthropicServerTool(typ string) bool {
	if typ == "mcp_toolset" {
		return true
	}
	i := strings.LastIndexByte(typ, '_')
	if i <= 0 || len(typ)-i-1 != 8 {
		return false
	}
	for _, c := range typ[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func checkAnthropicTool(t *anthropicTool, at string) *anthropicError {
	if t.Name == nil {
		return anthropicRequired(at + ".name")
	}
	if !anthropicName(*t.Name, 128) {
		return anthropicInvalid("%s.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'", at)
	}
	if t.InputSchema == nil {
		return anthropicRequired(at + ".input_schema")
	}
	if jsonKind(t.InputSchema) != "an object" {
		return anthropicWant(at+".input_schema", "dictionary")
	}
	var s struct {
		Type json.RawMessage `json:"type"`
	}
	_ = json.Unmarshal(t.InputSchema, &s)
	if s.Type == nil {
		return anthropicRequired(at + ".input_schema.type")
	}
	if string(s.Type) != `"object"` {
		return anthropicInvalid("%s.input_schema.type: Input should be 'object'", at)
	}
	return nil
}

// anthropicName reports whether name matches ^[a-zA-Z0-9_-]{1,max}$.
func anthropicName(name string, max int) bool {
	if name == "" || len(name) > max {
		return false
	}
	for _, c := range []byte(name) {
		if !anthropicIDByte(c) {
			return false
		}
	}
	return true
}

func anthropicIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// system reads the system prompt: a string or a list of text blocks. It
// counts as a message when it has any text block or a non-empty string.
func (w *anthropicWalk) system(raw json.RawMessage) *anthropicError {
	start := w.total
	var text tokens.Counter
	switch jsonKind(raw) {
	case "nothing", "null":
		return nil
	case "a string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return anthropicDecodeError(err, "system")
		}
		if s == "" {
			return nil
		}
		w.seed = fnvString(w.seed, s)
		w.chash = anthropicMix(w.chash, s)
		text.WriteString(s)
		w.bound(start + chatMessageTokens + text.Tokens())
	case "an array":
		var blocks []json.RawMessage
		if err := json.Unmarshal(raw, &blocks); err != nil {
			return anthropicDecodeError(err, "system")
		}
		if len(blocks) == 0 {
			return nil
		}
		for i, rb := range blocks {
			at := anthropicIndex("system", i)
			var b struct {
				Type         *string         `json:"type"`
				Text         *string         `json:"text"`
				CacheControl json.RawMessage `json:"cache_control"`
				Citations    json.RawMessage `json:"citations"`
			}
			if err := anthropicStrict(rb, at, &b); err != nil {
				return err
			}
			if b.Type == nil {
				return anthropicRequired(at + ".type")
			}
			if *b.Type != "text" {
				return anthropicInvalid("%s.type: Input should be 'text'", at)
			}
			if b.Text == nil {
				return anthropicRequired(at + ".text")
			}
			if *b.Text == "" {
				return anthropicInvalid("system: text content blocks must be non-empty")
			}
			w.seed = fnvString(w.seed, *b.Text)
			w.chash = anthropicMix(w.chash, *b.Text)
			text.WriteString(*b.Text)
			w.bound(start + chatMessageTokens + text.Tokens())
			if b.CacheControl != nil && string(b.CacheControl) != "null" {
				ttl1h, err := anthropicCacheControl(b.CacheControl, at+".cache_control")
				if err != nil {
					return err
				}
				w.mark(ttl1h)
			}
		}
	default:
		return anthropicWant("system", "list")
	}
	w.total = start + chatMessageTokens + text.Tokens()
	return nil
}

// anthropicTurns follows the conversation's turns for the tool-use rules.
// Consecutive messages of one role make one turn, as the API combines them;
// system messages belong to no turn.
type anthropicTurns struct {
	role     string          // of the current turn: "user" or "assistant"
	uses     []string        // tool_use ids of the last assistant turn
	usesAt   int             // index of the last message with a tool_use
	expect   []string        // the ids the current user turn must answer
	answered map[string]bool // the ids it has answered
	seen     map[string]bool // every tool_use id, which must be unique
}

// enter starts message i of role, checking that the user turn it ends
// answered every tool call.
func (t *anthropicTurns) enter(role string) *anthropicError {
	if role == "system" || role == t.role {
		return nil
	}
	if err := t.check(); err != nil {
		return err
	}
	if role == "user" {
		t.expect, t.answered = t.uses, map[string]bool{}
	} else {
		t.uses, t.expect = nil, nil
	}
	t.role = role
	return nil
}

// check reports the tool calls the user turn just read left unanswered.
func (t *anthropicTurns) check() *anthropicError {
	if t.role != "user" || len(t.expect) == 0 {
		return nil
	}
	var missing []string
	for _, id := range t.expect {
		if !t.answered[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return anthropicInvalid("%s: `tool_use` ids were found without `tool_result` blocks immediately after: %s. "+
		"Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
		anthropicIndex("messages", t.usesAt), strings.Join(missing, ", "))
}

func (w *anthropicWalk) messages(raw json.RawMessage) *anthropicError {
	switch jsonKind(raw) {
	case "nothing":
		return anthropicRequired("messages")
	case "an array":
	default:
		return anthropicWant("messages", "list")
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(raw, &msgs); err != nil {
		return anthropicDecodeError(err, "messages")
	}
	if len(msgs) == 0 {
		return anthropicInvalid("messages: at least one message is required")
	}
	turns := anthropicTurns{seen: map[string]bool{}}
	for i, rm := range msgs {
		at := anthropicIndex("messages", i)
		var m anthropicMessage
		if err := anthropicStrict(rm, at, &m); err != nil {
			return err
		}
		if m.Role == nil {
			return anthropicRequired(at + ".role")
		}
		role := *m.Role
		if role != "user" && role != "assistant" && role != "system" {
			return anthropicInvalid("%s.role: Input should be 'user', 'assistant' or 'system'", at)
		}
		if turns.role == "" && role == "assistant" {
			return anthropicInvalid("messages: first message must use the \"user\" role")
		}
		if err := turns.enter(role); err != nil {
			return err
		}
		if err := w.message(i, role, m.Content, i == len(msgs)-1, &turns); err != nil {
			return err
		}
	}
	return turns.check()
}

// message reads message i.
func (w *anthropicWalk) message(i int, role string, content json.RawMessage, last bool, turns *anthropicTurns) *anthropicError {
	at := anthropicIndex("messages", i)
	start := w.total
	m := &anthropicMsgTokens{}
	w.chash = anthropicMix(w.chash, role)
	empty := anthropicInvalid("%s: all messages must have non-empty content except for the optional final assistant message", at)
	var lastText string // of the content, for the trailing-whitespace rule
	lastResult := -1    // index of the last tool_result block
	var after strings.Builder

	switch jsonKind(content) {
	case "nothing":
		return anthropicRequired(at + ".content")
	case "a string":
		var s string
		if err := json.Unmarshal(content, &s); err != nil {
			return anthropicDecodeError(err, at+".content")
		}
		if s == "" && !(last && role == "assistant") {
			return empty
		}
		w.seed = fnvString(w.seed, s)
		w.chash = anthropicMix(anthropicMix(w.chash, "text"), s)
		m.text.WriteString(s)
		lastText = s
		after.WriteString(s)
		w.bound(start + m.tokens())
	case "an array":
		var blocks []json.RawMessage
		if err := json.Unmarshal(content, &blocks); err != nil {
			return anthropicDecodeError(err, at+".content")
		}
		if len(blocks) == 0 && !(last && role == "assistant") {
			return empty
		}
		for j, rb := range blocks {
			bat := anthropicIndex(at+".content", j)
			b, typ, err := decodeAnthropicBlock(rb, bat)
			if err != nil {
				return err
			}
			if role == "system" && typ != "text" {
				return anthropicInvalid("%s: Input tag '%s' found using 'type' does not match any of the expected tags: 'text'", bat, typ)
			}
			if b == nil { // an opaque block
				w.chash, _ = fnvCompact(anthropicMix(w.chash, typ), rb)
				w.bound(start + m.tokens())
				continue
			}
			wrongRole := func() *anthropicError {
				return anthropicInvalid("%s: %s blocks are not allowed in %s messages", bat, typ, role)
			}
			bat += "." + typ
			switch typ {
			case "text":
				if *b.Text == "" {
					return anthropicInvalid("messages: text content blocks must be non-empty")
				}
				w.seed = fnvString(w.seed, *b.Text)
				w.chash = anthropicMix(anthropicMix(w.chash, typ), *b.Text)
				m.text.WriteString(*b.Text)
				lastText = *b.Text
				after.WriteString(*b.Text)
			case "image", "document":
				if err := checkAnthropicSource(typ, b.Source, bat+".source"); err != nil {
					return err
				}
				if typ == "image" {
					m.images++
				}
				w.chash, _ = fnvCompact(anthropicMix(w.chash, typ), b.Source)
				lastText = ""
			case "tool_use":
				if role != "assistant" {
					return wrongRole()
				}
				w.toolBlock(anthropicIndex(at+".content", j))
				if err := w.toolUse(b, bat, m); err != nil {
					return err
				}
				if turns.seen[*b.ID] {
					return anthropicInvalid("%s: `tool_use` ids must be unique", anthropicIndex(at+".content", j))
				}
				turns.seen[*b.ID] = true
				turns.uses, turns.usesAt = append(turns.uses, *b.ID), i
				lastText = ""
			case "tool_result":
				if role != "user" {
					return wrongRole()
				}
				w.toolBlock(anthropicIndex(at+".content", j))
				if err := w.toolResult(b, bat, m); err != nil {
					return err
				}
				if !slices.Contains(turns.expect, *b.ToolUseID) {
					return anthropicInvalid("%s: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each "+
						"`tool_result` block must have a corresponding `tool_use` block in the previous message.",
						anthropicIndex(at+".content", j), *b.ToolUseID)
				}
				turns.answered[*b.ToolUseID] = true
				lastResult = j
				after.Reset()
				lastText = ""
			case "thinking", "redacted_thinking":
				if role != "assistant" {
					return wrongRole()
				}
				if typ == "thinking" {
					if b.Thinking == nil {
						return anthropicRequired(bat + ".thinking")
					}
					if b.Signature == nil {
						return anthropicRequired(bat + ".signature")
					}
					w.chash = anthropicMix(anthropicMix(anthropicMix(w.chash, typ), *b.Thinking), *b.Signature)
				} else {
					if b.Data == nil {
						return anthropicRequired(bat + ".data")
					}
					w.chash = anthropicMix(anthropicMix(w.chash, typ), *b.Data)
				}
			}
			w.bound(start + m.tokens())
			if b.CacheControl != nil && string(b.CacheControl) != "null" {
				ttl1h, err := anthropicCacheControl(b.CacheControl, bat+".cache_control")
				if err != nil {
					return err
				}
				w.mark(ttl1h)
			} else if w.nested != nil {
				// A breakpoint inside a tool result caches the prefix
				// through the whole result.
				w.mark(*w.nested)
			}
			w.nested = nil
		}
	default:
		return anthropicWant(at+".content", "list")
	}

	if last {
		if role == "assistant" && lastText != "" && strings.TrimRight(lastText, " \t\n\r") != lastText {
			return anthropicInvalid("messages: final assistant content cannot end with trailing whitespace")
		}
		w.p.lastRole = role
		if role == "user" {
			w.p.lastText = after.String()
			if lastResult >= 0 && after.Len() == 0 {
				// Only tool results since the last tool call: the turn is
				// the tools', and is answered in words.
				w.p.lastRole = "tool"
			}
		}
	}
	w.total = start + m.tokens()
	return nil
}

// toolBlock notes a tool_use or tool_result block at path at.
func (w *anthropicWalk) toolBlock(at string) {
	if w.toolBlockAt == "" {
		w.toolBlockAt = at
	}
}

// anthropicMsgTokens adds up what one message is worth in prompt tokens.
type anthropicMsgTokens struct {
	text   tokens.Counter
	images int
}

func (m *anthropicMsgTokens) tokens() int {
	return chatMessageTokens + m.text.Tokens() + m.images*chatImageTokens
}

// decodeAnthropicBlock decodes content block raw at path at. It returns a nil
// block and the type for block types accepted as they are.
func decodeAnthropicBlock(raw json.RawMessage, at string) (*anthropicBlock, string, *anthropicError) {
	if jsonKind(raw) != "an object" {
		return nil, "", anthropicWant(at, "dictionary")
	}
	var peek struct {
		Type json.RawMessage `json:"type"`
	}
	_ = json.Unmarshal(raw, &peek)
	var typ string
	if peek.Type == nil || json.Unmarshal(peek.Type, &typ) != nil {
		return nil, "", anthropicInvalid("%s: Unable to extract tag using discriminator 'type'", at)
	}
	allowed, modelled := anthropicBlockTypes[typ]
	if !modelled {
		if anthropicOpaqueBlocks[typ] {
			return nil, typ, nil
		}
		return nil, "", anthropicInvalid("%s: Input tag '%s' found using 'type' does not match any of the expected tags: %s",
			at, typ, anthropicBlockTags)
	}
	b := new(anthropicBlock)
	if err := anthropicStrict(raw, at+"."+typ, b); err != nil {
		return nil, "", err
	}
	for _, f := range anthropicBlockFields {
		if f.has(b) && !strings.Contains(allowed, " "+f.name+" ") {
			return nil, "", anthropicExtra(at + "." + typ + "." + f.name)
		}
	}
	if typ == "text" && b.Text == nil {
		return nil, "", anthropicRequired(at + ".text.text")
	}
	return b, typ, nil
}

// anthropicImageTypes are the media types an image block may have.
var anthropicImageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// checkAnthropicSource checks the source of an image or document block.
func checkAnthropicSource(typ string, raw json.RawMessage, at string) *anthropicError {
	if raw == nil {
		return anthropicRequired(at)
	}
	var s struct {
		Type      *string         `json:"type"`
		MediaType *string         `json:"media_type"`
		Data      *string         `json:"data"`
		URL       *string         `json:"url"`
		FileID    *string         `json:"file_id"`
		Content   json.RawMessage `json:"content"`
	}
	if err := anthropicStrict(raw, at, &s); err != nil {
		return err
	}
	if s.Type == nil {
		return anthropicInvalid("%s: Unable to extract tag using discriminator 'type'", at)
	}
	at += "." + *s.Type
	switch *s.Type {
	case "base64":
		if s.MediaType == nil {
			return anthropicRequired(at + ".media_type")
		}
		if s.Data == nil {
			return anthropicRequired(at + ".data")
		}
		if typ == "image" && !anthropicImageTypes[*s.MediaType] {
			return anthropicInvalid("%s.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'", at)
		}
		if typ == "document" && *s.MediaType != "application/pdf" {
			return anthropicInvalid("%s.media_type: Input should be 'application/pdf'", at)
		}
		if _, err := base64.StdEncoding.DecodeString(*s.Data); err != nil {
			return anthropicInvalid("%s.data: Invalid base64 data", at)
		}
	case "url":
		if s.URL == nil {
			return anthropicRequired(at + ".url")
		}
		if !strings.HasPrefix(*s.URL, "https://") && !strings.HasPrefix(*s.URL, "http://") {
			return anthropicInvalid("%s.url: Input should be a valid URL", at)
		}
	case "file":
		if s.FileID == nil {
			return anthropicRequired(at + ".file_id")
		}
	case "text":
		if typ != "document" {
			return anthropicInvalid("%s: Input tag 'text' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'", at)
		}
		if s.Data == nil {
			return anthropicRequired(at + ".data")
		}
	case "content":
		if typ != "document" {
			return anthropicInvalid("%s: Input tag 'content' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'", at)
		}
		if s.Content == nil {
			return anthropicRequired(at + ".content")
		}
	default:
		return anthropicInvalid("%s: Input tag '%s' found using 'type' does not match any of the expected tags", at, *s.Type)
	}
	return nil
}

// toolUse reads an assistant's tool call: its text is its name and then its
// input as compact JSON.
func (w *anthropicWalk) toolUse(b *anthropicBlock, at string, m *anthropicMsgTokens) *anthropicError {
	if b.ID == nil {
		return anthropicRequired(at + ".id")
	}
	if !anthropicName(*b.ID, 1<<20) {
		return anthropicInvalid("%s.id: String should match pattern '^[a-zA-Z0-9_-]+$'", at)
	}
	if b.Name == nil {
		return anthropicRequired(at + ".name")
	}
	if *b.Name == "" {
		return anthropicInvalid("%s.name: String should have at least 1 character", at)
	}
	if b.Input == nil {
		return anthropicRequired(at + ".input")
	}
	if jsonKind(b.Input) != "an object" {
		return anthropicWant(at+".input", "dictionary")
	}
	w.seed = fnvString(w.seed, *b.Name)
	w.seed, _ = fnvCompact(w.seed, b.Input)
	m.text.WriteString(*b.Name)
	m.text.Write(appendCompact(nil, b.Input))
	w.chash = anthropicMix(anthropicMix(anthropicMix(w.chash, "tool_use"), *b.ID), *b.Name)
	w.chash, _ = fnvCompact(w.chash, b.Input)
	return nil
}

// toolResult reads a tool's result: its text is its content's text and then
// its tool_use_id, as an OpenAI tool message's is.
func (w *anthropicWalk) toolResult(b *anthropicBlock, at string, m *anthropicMsgTokens) *anthropicError {
	if b.ToolUseID == nil {
		return anthropicRequired(at + ".tool_use_id")
	}
	if !anthropicName(*b.ToolUseID, 1<<20) {
		return anthropicInvalid("%s.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'", at)
	}
	w.chash = anthropicMix(anthropicMix(w.chash, "tool_result"), *b.ToolUseID)
	if b.IsError != nil && *b.IsError {
		w.chash = anthropicMix(w.chash, "error")
	}
	switch jsonKind(b.Content) {
	case "nothing", "null":
	case "a string":
		var s string
		if err := json.Unmarshal(b.Content, &s); err != nil {
			return anthropicDecodeError(err, at+".content")
		}
		w.seed = fnvString(w.seed, s)
		w.chash = anthropicMix(w.chash, s)
		m.text.WriteString(s)
	case "an array":
		var blocks []json.RawMessage
		if err := json.Unmarshal(b.Content, &blocks); err != nil {
			return anthropicDecodeError(err, at+".content")
		}
		for k, rb := range blocks {
			cat := anthropicIndex(at+".content", k)
			nb, typ, err := decodeAnthropicBlock(rb, cat)
			if err != nil {
				return err
			}
			switch {
			case nb == nil && (typ == "search_result" || typ == "tool_reference"):
				w.chash, _ = fnvCompact(anthropicMix(w.chash, typ), rb)
			case typ == "text":
				if *nb.Text == "" {
					return anthropicInvalid("messages: text content blocks must be non-empty")
				}
				w.seed = fnvString(w.seed, *nb.Text)
				w.chash = anthropicMix(w.chash, *nb.Text)
				m.text.WriteString(*nb.Text)
			case typ == "image" || typ == "document":
				if err := checkAnthropicSource(typ, nb.Source, cat+"."+typ+".source"); err != nil {
					return err
				}
				if typ == "image" {
					m.images++
				}
				w.chash, _ = fnvCompact(anthropicMix(w.chash, typ), nb.Source)
			default:
				return anthropicInvalid("%s: Input tag '%s' found using 'type' does not match any of the expected tags: "+
					"'text', 'image', 'document', 'search_result', 'tool_reference'", cat, typ)
			}
			if nb != nil && nb.CacheControl != nil && string(nb.CacheControl) != "null" {
				ttl1h, err := anthropicCacheControl(nb.CacheControl, cat+"."+typ+".cache_control")
				if err != nil {
					return err
				}
				if w.nested == nil || !ttl1h { // the shortest ttl of the result's breakpoints
					w.nested = &ttl1h
				}
			}
		}
	default:
		return anthropicWant(at+".content", "list")
	}
	w.seed = fnvString(w.seed, *b.ToolUseID)
	m.text.WriteString(*b.ToolUseID)
	return nil
}
