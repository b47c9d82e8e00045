package emulate

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/switchyard/switchyard/internal/tokens"
)

// vocabulary is what answers are made of. The words are plain lowercase
// English with no punctuation, each one o200k_base token both bare and after
// a space (TestVocabularyWordsAreTokens), so that a text of n words counts n
// tokens however it is counted, and none needs escaping in JSON; there are 128 of them so that a word is drawn from the top
// seven bits of one PRNG output without bias.
var vocabulary = [128]string{
	"the", "quick", "river", "stone", "light", "garden", "window", "market",
	"silver", "snow", "paper", "engine", "forest", "signal", "story", "winter",
	"summer", "bridge", "table", "cloud", "orange", "planet", "rocket", "shadow",
	"iron", "horse", "yellow", "anchor", "basket", "castle", "dragon", "world",
	"book", "hammer", "music", "road", "bird", "sun", "rain", "needle",
	"sea", "hill", "quiet", "rabbit", "glass", "milk", "apple", "wolf",
	"wagon", "lion", "amber", "water", "green", "blue", "ember", "red",
	"word", "night", "city", "tree", "fish", "moon", "star", "fire",
	"lake", "field", "door", "wall", "wood", "salt", "and", "of",
	"to", "in", "is", "with", "for", "on", "at", "by",
	"from", "over", "under", "near", "after", "before", "bright", "house",
	"deep", "early", "hand", "happy", "little", "wind", "open", "farm",
	"rapid", "soft", "gold", "warm", "wild", "young", "build", "carry",
	"dream", "find", "life", "hold", "keep", "listen", "move", "read",
	"share", "travel", "wander", "write", "again", "always", "never", "often",
	"metal", "today", "bread", "where", "while", "every", "many", "some",
}

// rng is splitmix64: tiny, fast, and good enough to pick words and faults.
type rng struct{ state uint64 }

func (r *rng) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// float returns a number uniform in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n uint64) uint64 { return r.next() % n }

func (r *rng) word() string { return vocabulary[r.next()>>57] }

// FNV-1a, 64-bit, written out so that hashing a string allocates nothing.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// choiceSeed seeds choice index of a conversation whose text hashes to h. The
// multiplier keeps the choices' splitmix64 sequences apart: adding multiples of
// splitmix's own increment would make choice 1 choice 0 shifted by a word.
func choiceSeed(h uint64, index int) uint64 {
	return h ^ uint64(index)*0xD1B54A32D192ED03
}

// toolChoiceMode says whether and how the model must call a tool.
type toolChoiceMode uint8

const (
	toolAuto     toolChoiceMode = iota // call one iff the last user message names it
	toolNone                           // never
	toolRequired                       // always: the named tool, or the first
)

// answerFormat is the response_format of a request.
type answerFormat uint8

const (
	formatText answerFormat = iota
	formatJSONObject
	formatJSONSchema
)

// tool is a function the model may call.
type tool struct {
	name   string
	params json.RawMessage // JSON Schema of the arguments; may be empty
}

// prompt is the cloud-neutral view of a chat request that answers are
// generated from. Each cloud's decoder fills it in from its own wire format.
type prompt struct {
	model    string
	seed     uint64 // FNV-1a-64 of the conversation text
	tokens   int    // prompt tokens by the package's rule
	lastRole string // role of the last message
	lastText string // text of the last message when its role is "user"
	tools    []tool
	mode     toolChoiceMode
	named    string   // the tool tool_choice names, if any
	allowed  []string // tools tool_choice allows; nil allows all
	format   answerFormat
	schema   json.RawMessage // for formatJSONSchema
	max      int             // max tokens the request set; 0 when unset
	stop     []string
	n        int // choices
	stream   bool
	usage    bool // stream_options.include_usage
}

// answerKind is what a choice answers with.
type answerKind uint8

const (
	answerWords answerKind = iota // plain text, one word a token
	answerJSON                    // JSON content, counted by the tokenizer
	answerTool                    // one tool call
)

// Stream fragment sizes in bytes for JSON content and tool-call arguments.
const (
	jsonPieceBytes = 4
	argsPieceBytes = 8
)

// answer is one generated choice, ready to render whole or as a stream.
type answer struct {
	kind   answerKind
	body   []byte  // the content, or the tool call's arguments
	ends   []int32 // where each stream piece of body ends
	name   string  // tool name
	callID string
	finish string
	tokens int // completion tokens

	// For JSON content and tool calls: started[s] is the number of the
	// body's tokens begun once pieces [0, s] are sent, and nameTokens the
	// tool name's tokens.
	started    []int32
	nameTokens int
}

// steps is the number of stream events the answer's pieces take. A tool call
// takes one more, for the event that names the call.
func (a *answer) steps() int {
	if a.kind == answerTool {
		return 1 + len(a.ends)
	}
	return len(a.ends)
}

// tokensAfter returns the completion tokens sent once steps [0, s] are sent.
func (a *answer) tokensAfter(s int) int {
	switch a.kind {
	case answerWords:
		return s + 1
	case answerJSON:
		return int(a.started[s])
	default:
		if s == 0 {
			return a.nameTokens
		}
		return a.nameTokens + int(a.started[s-1])
	}
}

// countBody counts the tokens of a JSON or tool-call answer: the tool name's
// and the body's, and those of the body begun once each piece is sent (a
// model streams whole tokens, so a piece that ends inside a token has
// begun it). It sets a.tokens to the whole answer's.
func (a *answer) countBody() {
	ends := tokens.Ends(nil, string(a.body))
	a.started = a.started[:0]
	k := 0 // tokens begun so far; token k starts where token k-1 ends
	for _, cut := range a.ends {
		for k < len(ends) && (k == 0 || ends[k-1] < cut) {
			k++
		}
		a.started = append(a.started, int32(k))
	}
	a.nameTokens = 0
	if a.kind == answerTool {
		a.nameTokens = tokens.Count(a.name)
	}
	a.tokens = a.nameTokens + len(ends)
}

// tokensSent returns the completion tokens sent once the first s steps are sent.
func (a *answer) tokensSent(s int) int {
	s = min(s, a.steps())
	if s == 0 {
		return 0
	}
	return a.tokensAfter(s - 1)
}

// piece returns stream piece i of the body.
func (a *answer) piece(i int) []byte {
	start := int32(0)
	if i > 0 {
		start = a.ends[i-1]
	}
	return a.body[start:a.ends[i]]
}

// generate fills in choice index of the answer to p. outputTokens is the
// length when the request set none.
func (p *prompt) generate(a *answer, index, outputTokens int) {
	*a = answer{body: a.body[:0], ends: a.ends[:0], started: a.started[:0]}
	r := rng{choiceSeed(p.seed, index)}
	if t := p.pickTool(); t != nil {
		a.kind, a.name, a.finish = answerTool, t.name, "tool_calls"
		a.body = appendArguments(a.body, t.params, &r)
		a.ends = splitPieces(a.ends, a.body, argsPieceBytes)
		a.callID = callID(&r)
		a.countBody()
		return
	}
	n := p.max
	if n == 0 {
		n = outputTokens
	}
	switch p.format {
	case formatJSONObject, formatJSONSchema:
		// A JSON answer is whole: cutting it at max tokens or at a stop string
		// would hand the client JSON it cannot parse, which no real model
		// does with structured outputs.
		a.kind, a.finish = answerJSON, "stop"
		if p.format == formatJSONObject {
			a.body = append(a.body, `{"answer":"`...)
			a.body = appendWords(a.body, nil, &r, n)
			a.body = append(a.body, `"}`...)
		} else {
			a.body = appendArguments(a.body, p.schema, &r)
		}
		a.ends = splitPieces(a.ends, a.body, jsonPieceBytes)
		a.countBody()
		return
	}
	a.kind, a.finish = answerWords, "stop"
	if p.max > 0 {
		a.finish = "length"
	}
	a.body = appendWords(a.body, &a.ends, &r, n)
	if a.cutAtStop(p.stop) {
		a.finish = "stop"
	}
	a.tokens = len(a.ends)
}

// appendWords appends n words separated by single spaces, recording where each
// word ends in ends when it is not nil.
func appendWords(b []byte, ends *[]int32, r *rng, n int) []byte {
	for i := range n {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, r.word()...)
		if ends != nil {
			*ends = append(*ends, int32(len(b)))
		}
	}
	return b
}

// cutAtStop cuts the text just before the earliest occurrence of any stop
// string and keeps the words that have at least one byte (counting the space
// before them) before the cut. It reports whether it cut.
func (a *answer) cutAtStop(stop []string) bool {
	cut := -1
	for _, s := range stop {
		if s == "" {
			continue
		}
		if i := bytes.Index(a.body, []byte(s)); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 {
		return false
	}
	a.body = a.body[:cut]
	kept := 0
	for kept < len(a.ends) {
		start := 0 // of word kept, including its leading space
		if kept > 0 {
			start = int(a.ends[kept-1])
		}
		if start >= cut {
			break
		}
		kept++
	}
	a.ends = a.ends[:kept]
	if kept > 0 {
		a.ends[kept-1] = int32(cut)
	}
	return true
}

// splitPieces records pieces of about size bytes, never splitting a UTF-8
// sequence, so that every stream fragment is valid text on its own.
func splitPieces(ends []int32, b []byte, size int) []int32 {
	for i := 0; i < len(b); {
		j := min(i+size, len(b))
		for j < len(b) && !utf8.RuneStart(b[j]) {
			j++
		}
		ends = append(ends, int32(j))
		i = j
	}
	return ends
}

// pickTool returns the tool the answer calls, or nil for a text answer.
func (p *prompt) pickTool() *tool {
	if len(p.tools) == 0 || p.lastRole == "tool" || p.mode == toolNone {
		return nil // a tool's result is always answered in words
	}
	if p.named != "" {
		return p.find(p.named)
	}
	if p.mode == toolRequired {
		for i := range p.tools {
			if p.allows(p.tools[i].name) {
				return &p.tools[i]
			}
		}
		return nil
	}
	if p.lastRole != "user" {
		return nil
	}
	text := strings.ToLower(p.lastText)
	for i := range p.tools {
		t := &p.tools[i]
		if t.name != "" && p.allows(t.name) && strings.Contains(text, strings.ToLower(t.name)) {
			return t
		}
	}
	return nil
}

func (p *prompt) find(name string) *tool {
	for i := range p.tools {
		if p.tools[i].name == name {
			return &p.tools[i]
		}
	}
	return nil
}

func (p *prompt) allows(name string) bool {
	if p.allowed == nil {
		return true
	}
	for _, a := range p.allowed {
		if a == name {
			return true
		}
	}
	return false
}

// appendArguments appends a tool call's arguments, or a structured output,
// generated from its schema; without a schema it is an empty object.
func appendArguments(b []byte, params json.RawMessage, r *rng) []byte {
	if len(bytes.TrimSpace(params)) == 0 || bytes.Equal(bytes.TrimSpace(params), []byte("null")) {
		return append(b, "{}"...)
	}
	return appendObjectValue(b, params, r)
}

const hexDigits = "0123456789abcdef"

// appendHex appends the 16 hex digits of v.
func appendHex(b []byte, v uint64) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[v>>uint(shift)&0xf])
	}
	return b
}

// appendUUID appends a version-4 UUID (RFC 9562 variant) made of hi and lo.
func appendUUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	var h [32]byte
	appendHex(appendHex(h[:0], hi), lo)
	b = append(b, h[0:8]...)
	b = append(b, '-')
	b = append(b, h[8:12]...)
	b = append(b, '-')
	b = append(b, h[12:16]...)
	b = append(b, '-')
	b = append(b, h[16:20]...)
	b = append(b, '-')
	return append(b, h[20:32]...)
}

// callID returns a deterministic tool call id: "call_" and 24 hex digits.
func callID(r *rng) string {
	b := make([]byte, 0, 5+32)
	b = append(b, "call_"...)
	b = appendHex(b, r.next())
	b = appendHex(b, r.next())
	return string(b[:5+24])
}
